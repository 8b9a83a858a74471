"""Rows and fields of tabular text files, read with the file name and line number kept for errors.

Every problem raises :class:`~rcsim_env.errors.DataFormatError` naming the file and the 1-based
line, never a bare ``IndexError`` or ``ValueError`` from inside a parser.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.text_lines import LineEnds, physical_lines, text_lines
from rcsim_env.errors import DataFormatError, InvalidSentenceError
from rcsim_env.validation import short_repr, validate_sentence

Row = tuple[int, list[str]]


def tsv_rows(path: Path) -> Iterator[Row]:
    """Yield ``(line_number, fields)`` for each non-empty line of ``path``, split on TAB only.

    ``"`` is never a quote character here: it is kept as part of the field.
    """
    for number, line in text_lines(path):
        if line:
            yield number, line.split("\t")


def csv_rows(path: Path) -> Iterator[Row]:
    """Yield ``(line_number, fields)`` for each non-empty record of a comma-separated file with quoting.

    The line number is that of the record's last line (a quoted field may span lines, and keeps
    its line ends as written). Quoting is strict: a quote that is never closed, or text after a
    closing quote, is an error naming the line where the record starts. Lines are decoded and
    checked as :func:`~rcsim_env.data.text_lines.text_lines` does; the line ends that end records
    must not mix a lone ``\\r`` with ``\\n`` or ``\\r\\n``. Fields are limited to the csv module's
    field size (131,072 characters by default).
    """
    line_ends = LineEnds(path)
    last_end = [""]

    def lines() -> Iterator[str]:
        for _, line, end in physical_lines(path):
            last_end[0] = end
            yield line + end  # the csv module keeps the line ends inside quoted fields

    reader = csv.reader(lines(), strict=True)
    start = 1
    try:
        for fields in reader:
            line_ends.check(reader.line_num, last_end[0])
            if fields:
                yield reader.line_num, fields
            start = reader.line_num + 1
    except csv.Error as exc:
        hint = ""
        if "field larger than field limit" in str(exc):
            hint = "; use a .jsonl or .tsv file for longer sentences"
        elif "end of data" in str(exc):
            hint = "; a quoted field is never closed"
        raise DataFormatError(path, start, f"malformed CSV record: {exc}{hint}") from None


def header_table(
    path: Path, rows: Iterator[Row], required: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Read a header row from ``rows``, then yield ``(line_number, {column: value})`` per data row.

    Column names are matched case-insensitively, ignoring surrounding spaces. Every data row
    must have as many fields as the header. Only ``required`` and present ``optional``
    columns are returned.
    """
    header_line, header = first_row(path, rows, f"a header naming {', '.join(required)}")
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name.strip().lower(), index)
    missing = [name for name in required if name.lower() not in positions]
    if missing:
        raise DataFormatError(
            path, header_line, f"header lacks column(s) {', '.join(missing)}; header is {header!r}"
        )
    wanted = {name: positions[name.lower()] for name in (*required, *optional) if name.lower() in positions}
    for number, fields in rows:
        check_field_count(path, number, fields, len(header))
        yield number, {name: fields[index] for name, index in wanted.items()}


def first_row(path: Path, rows: Iterator[Row], expected: str) -> Row:
    """Return the first row of ``rows``; an empty file raises DataFormatError saying ``expected``."""
    first = next(rows, None)
    if first is None:
        raise DataFormatError(path, None, f"file is empty; expected {expected}")
    return first


def check_field_count(path: Path, number: int, fields: Sequence[str], expected: int) -> None:
    """Raise DataFormatError unless the row has exactly ``expected`` fields, like the header."""
    if len(fields) != expected:
        raise DataFormatError(
            path, number, f"expected {expected} fields like the header, found {len(fields)}"
        )


def checked_sentence(text: object, path: Path, number: int, where: str) -> str:
    """Return ``text`` if it is a valid sentence, else raise DataFormatError for this line."""
    try:
        return validate_sentence(text, where)
    except InvalidSentenceError as exc:
        raise DataFormatError(path, number, str(exc)) from None


def checked_number(value: object, path: Path, number: int, what: str = "score") -> float:
    """Return ``value`` (a number or numeric text) as a finite float, else raise DataFormatError.

    Booleans, other types, text that is not a number, NaN, infinities and numbers too large
    for a float are refused, each with its own message naming the file and line.
    """
    if isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            raise DataFormatError(path, number, f"{what} {short_repr(value)} is not a number") from None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataFormatError(
            path, number, f"{what} must be a number, got {type(value).__name__}: {short_repr(value)}"
        )
    else:
        try:
            result = float(value)
        except OverflowError:
            raise DataFormatError(path, number, f"{what} {short_repr(value)} is too large") from None
    if math.isnan(result):
        raise DataFormatError(path, number, f"{what} is NaN; it must be a finite number")
    if math.isinf(result):
        raise DataFormatError(path, number, f"{what} is {result}; it must be a finite number")
    return result


def checked_score(value: object, path: Path, number: int, low: float = 0.0, high: float = 5.0) -> float:
    """Return ``value`` as a float in [low, high], else raise DataFormatError for this line."""
    score = checked_number(value, path, number)
    if not low <= score <= high:
        raise DataFormatError(path, number, f"score is {score:g}, outside [{low:g}, {high:g}]")
    return score


def file_pair(
    path: Path,
    number: int,
    sentence_a: object,
    sentence_b: object,
    score: float | None,
    pair_id: str | None = None,
) -> ScoredPair:
    """Build a ScoredPair after checking both sentences; the id defaults to ``<file name>:<line>``."""
    return ScoredPair(
        sentence_a=checked_sentence(sentence_a, path, number, "sentence 1"),
        sentence_b=checked_sentence(sentence_b, path, number, "sentence 2"),
        score=score,
        pair_id=pair_id or f"{path.name}:{number}",
    )
