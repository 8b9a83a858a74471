"""Pairs files of your own: ``.jsonl``, ``.csv`` or ``.tsv`` with two sentences and an optional score.

Accepted column (or JSON key) names, matched case-insensitively:

* the sentences: ``sentence_a``/``sentence_b``, ``sentence1``/``sentence2``, ``text_a``/``text_b``
  or ``s1``/``s2`` (exactly one of these pairs);
* the score (optional): ``score``, ``label`` or ``similarity`` (at most one);
* the pair id (optional): ``id`` or ``pair_id`` (at most one); a blank or absent id becomes
  ``"<file name>:<line>"``. Ids must be unique within the file.

Other columns are ignored. Every problem raises :class:`~rcsim_env.errors.DataFormatError`
naming the file and the 1-based line.

Scores are returned on the 0-5 scale of STS and of the environments. ``score_scale`` says
which scale the file uses:

* ``None`` (default): the 0-5 scale. When every score lies in [0, 1] (and one is above 0),
  a :class:`~rcsim_env.errors.ScoreScaleWarning` names the file and says how to read it as
  0-1. The default never changes a number on a guess: files this package writes (label
  exports) hold 0-5 scores and must read back unchanged, even when every label is low.
* ``"0-5"``: the 0-5 scale, without that warning.
* ``"0-1"``: the 0-1 scale; scores are multiplied by 5.
* ``"auto"``: 0-1 when every score lies in [0, 1], else 0-5; choosing 0-1 is announced by
  a ScoreScaleWarning naming the file.

A score outside the declared scale is an error naming the file and line.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, get_args

from rcsim_env.data.csv_cells import EXPORT_MARKER_COLUMNS, unescape_cell
from rcsim_env.data.json_lines import json_object_lines
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.rows import (
    check_field_count,
    checked_number,
    csv_rows,
    file_pair,
    first_row,
    tsv_rows,
)
from rcsim_env.errors import DataFormatError, ScoreScaleWarning
from rcsim_env.validation import MAX_SCORE, short_repr

ScoreScale = Literal["0-5", "0-1", "auto"]
SCORE_SCALES: tuple[str, ...] = get_args(ScoreScale)
SENTENCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sentence_a", "sentence_b"),
    ("sentence1", "sentence2"),
    ("text_a", "text_b"),
    ("s1", "s2"),
)
SCORE_COLUMNS: tuple[str, ...] = ("score", "label", "similarity")
ID_COLUMNS: tuple[str, ...] = ("id", "pair_id")
FILE_TYPES: tuple[str, ...] = (".jsonl", ".csv", ".tsv")
ACCEPTED = (
    f"Accepted: the sentence columns {' or '.join('/'.join(pair) for pair in SENTENCE_COLUMNS)}, "
    f"optionally a score column ({' or '.join(SCORE_COLUMNS)}) and an id column ({' or '.join(ID_COLUMNS)})"
)


@dataclass(frozen=True)
class PairColumns:
    """Which column (normalised name) holds each field; ``None`` when the file has no such column."""

    sentence_a: str
    sentence_b: str
    score: str | None
    pair_id: str | None


def load_pairs_file(path: str | os.PathLike[str], score_scale: ScoreScale | None = None) -> list[ScoredPair]:
    """Load the sentence pairs of a ``.jsonl``, ``.csv`` or ``.tsv`` file; scores on the 0-5 scale.

    ``.jsonl``: one JSON object per line (blank lines skipped). ``.csv``: a header row, then
    comma-separated records, ``"`` quoting allowed (a quoted field may span lines). ``.tsv``: a
    header row, then TAB-separated lines; ``"`` is an ordinary character. Column names and
    ``score_scale`` are described in this module's docstring. An absent, null or blank score
    gives ``score=None``.

    Raises:
        ValueError: ``score_scale`` is not None, "0-5", "0-1" or "auto".
        DataNotFoundError: the file does not exist.
        DataFormatError: the file type is not supported, the file holds no pairs, or a line is
            malformed (the message names the file and line).
    """
    if score_scale is not None and score_scale not in SCORE_SCALES:
        raise ValueError(f"score_scale must be one of {', '.join(SCORE_SCALES)} or None, got {score_scale!r}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FILE_TYPES:
        raise DataFormatError(
            path,
            None,
            f"unsupported file type {suffix!r}; use {', '.join(FILE_TYPES[:-1])} or {FILE_TYPES[-1]}",
        )
    records = _jsonl_records(path) if suffix == ".jsonl" else _table_records(path, suffix)
    raw = _unique_pairs(path, records, high=1.0 if score_scale == "0-1" else MAX_SCORE)
    if not raw:
        raise DataFormatError(path, None, "holds no sentence pairs")
    factor = _scale_factor(path, raw, score_scale)
    if factor == 1.0:
        return raw
    return [replace(pair, score=None if pair.score is None else pair.score * factor) for pair in raw]


# --- columns -----------------------------------------------------------------------------------------


def resolve_columns(
    names: Sequence[str], path: Path, line: int | None, lacks: str = "header lacks column(s)"
) -> PairColumns:
    """Return which of ``names`` (normalised column names) hold the sentences, score and id.

    Raises DataFormatError naming ``path`` and ``line`` when no accepted pair of sentence
    columns is present (the message starts with ``lacks``, lists what was found and what is
    accepted), or when two accepted names compete for one field.
    """
    present = set(names)
    duplicated = sorted({name for name in names if names.count(name) > 1} & _accepted_names())
    if duplicated:
        raise DataFormatError(path, line, f"column {duplicated[0]!r} appears more than once")
    sentence_pairs = [pair for pair in SENTENCE_COLUMNS if set(pair) <= present]
    if len(sentence_pairs) > 1:
        both = " and ".join("/".join(pair) for pair in sentence_pairs)
        raise DataFormatError(path, line, f"found both {both}; keep one pair of sentence columns")
    if not sentence_pairs:
        found = ", ".join(repr(name) for name in names) or "nothing"
        half = next((pair for pair in SENTENCE_COLUMNS if set(pair) & present), None)
        if half is not None:
            have, missing = (half[0], half[1]) if half[0] in present else (half[1], half[0])
            problem = f"{lacks} {missing} (to go with {have})"
        else:
            others = "; ".join(", ".join(pair) for pair in SENTENCE_COLUMNS[1:])
            problem = f"{lacks} {', '.join(SENTENCE_COLUMNS[0])} (or {others})"
        raise DataFormatError(path, line, f"{problem}; found: {found}. {ACCEPTED}")
    return PairColumns(
        *sentence_pairs[0],
        score=_at_most_one(SCORE_COLUMNS, present, "score", path, line),
        pair_id=_at_most_one(ID_COLUMNS, present, "id", path, line),
    )


def _accepted_names() -> set[str]:
    return {name for pair in SENTENCE_COLUMNS for name in pair} | set(SCORE_COLUMNS) | set(ID_COLUMNS)


def _at_most_one(
    choices: Sequence[str], present: set[str], what: str, path: Path, line: int | None
) -> str | None:
    """The one name of ``choices`` in ``present`` (None if none); two or more raise DataFormatError."""
    found = [name for name in choices if name in present]
    if len(found) > 1:
        raise DataFormatError(path, line, f"found {' and '.join(found)}: which one is the {what}? keep one")
    return found[0] if found else None


def _normalised(name: str) -> str:
    return name.strip().lower()


# --- records -----------------------------------------------------------------------------------------

Record = tuple[int, Mapping[str, object], PairColumns]


def _table_records(path: Path, suffix: str) -> Iterator[Record]:
    """Yield ``(line, {column: value}, columns)`` for each data row of a CSV or TSV file with a header."""
    rows = csv_rows(path) if suffix == ".csv" else tsv_rows(path)
    header_line, header = first_row(path, rows, f"a header row. {ACCEPTED}")
    names = [_normalised(name) for name in header]
    columns = resolve_columns(names, path, header_line)
    used = [name for name in (columns.sentence_a, columns.sentence_b, columns.score, columns.pair_id) if name]
    positions = {name: names.index(name) for name in used}
    exported = suffix == ".csv" and all(name in names for name in EXPORT_MARKER_COLUMNS)
    texts = {columns.sentence_a, columns.sentence_b, columns.pair_id} - {None}
    for number, fields in rows:
        check_field_count(path, number, fields, len(header))
        record = {name: fields[index] for name, index in positions.items()}
        if exported:  # an rcsim label export: undo its spreadsheet-formula escape
            record = {
                name: unescape_cell(value) if name in texts else value for name, value in record.items()
            }
        yield number, record, columns


def _jsonl_records(path: Path) -> Iterator[Record]:
    """Yield ``(line, object, columns)`` for each non-blank line of a JSON-lines file."""
    resolved: dict[tuple[str, ...], PairColumns] = {}
    for number, record in json_object_lines(path):
        normalised = {_normalised(key): value for key, value in record.items()}
        if len(normalised) != len(record):
            raise DataFormatError(path, number, "two keys differ only in case or surrounding spaces")
        key = tuple(normalised)
        if key not in resolved:
            resolved[key] = resolve_columns(list(key), path, number, lacks="missing key(s)")
        yield number, normalised, resolved[key]


def _pair(
    path: Path, number: int, record: Mapping[str, object], columns: PairColumns, high: float
) -> ScoredPair:
    """Check one record's sentences, score (in [0, high], not rescaled yet) and id; return it as a pair."""
    raw_score = record.get(columns.score) if columns.score else None
    blank = raw_score is None or (isinstance(raw_score, str) and not raw_score.strip())
    score = None
    if not blank:
        score = checked_number(raw_score, path, number)
        if not 0.0 <= score <= high:
            scale = "0-1" if high < MAX_SCORE else "0-5"
            raise DataFormatError(
                path, number, f"score is {score:g}, outside [0, {high:g}] (the {scale} scale it is read on)"
            )
    pair_id = _pair_id(record.get(columns.pair_id) if columns.pair_id else None, path, number)
    return file_pair(path, number, record[columns.sentence_a], record[columns.sentence_b], score, pair_id)


def _unique_pairs(path: Path, records: Iterator[Record], high: float) -> list[ScoredPair]:
    """Check every record (scores in [0, high]) and return the pairs; a repeated id raises DataFormatError."""
    pairs: list[ScoredPair] = []
    first_line: dict[str, int] = {}
    for number, record, columns in records:
        pair = _pair(path, number, record, columns, high)
        if pair.pair_id in first_line:
            raise DataFormatError(
                path,
                number,
                f"id {pair.pair_id!r:.60} is used again (first on line {first_line[pair.pair_id]})",
            )
        first_line[pair.pair_id] = number
        pairs.append(pair)
    return pairs


def _pair_id(value: object, path: Path, number: int) -> str | None:
    """The user's id as text (None when absent or blank); only text and integers are ids."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DataFormatError(
            path, number, f"id must be text or an integer, got {type(value).__name__}: {short_repr(value)}"
        )
    text = str(value).strip()
    return text or None


# --- scores and ids ----------------------------------------------------------------------------------


def _scale_factor(path: Path, raw: Sequence[ScoredPair], score_scale: ScoreScale | None) -> float:
    """Return what the file's scores are multiplied by (1 or 5), warning as the module docstring says."""
    scores = [pair.score for pair in raw if pair.score is not None]
    looks_0_1 = bool(scores) and all(0.0 <= score <= 1.0 for score in scores) and max(scores) > 0.0
    if score_scale == "0-1":
        return MAX_SCORE
    if score_scale == "auto" and looks_0_1:
        warnings.warn(
            f"{path}: every score is within [0, 1], so score_scale='auto' reads them on the 0-1 scale "
            "and multiplies them by 5; pass score_scale='0-5' if they are 0-5 scores",
            ScoreScaleWarning,
            stacklevel=3,
        )
        return MAX_SCORE
    if score_scale is None and looks_0_1:
        warnings.warn(
            f"{path}: every score is within [0, 1] but is read on the 0-5 scale (the default); if the "
            "file uses a 0-1 scale pass score_scale='0-1' (or 'auto'), else pass score_scale='0-5' "
            "to silence this warning",
            ScoreScaleWarning,
            stacklevel=3,
        )
    return 1.0
