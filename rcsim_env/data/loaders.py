"""Loaders for the sentence-pair data sets and for plain sentence corpora.

Every loader returns :class:`~rcsim_env.data.pairs.ScoredPair` records whose ``pair_id`` is
``"<file name>:<line number>"``. Every sentence is checked with
:func:`rcsim_env.validation.validate_sentence`; a malformed line (empty sentence, wrong
number of fields, bad score) raises :class:`~rcsim_env.errors.DataFormatError` naming the
file and the 1-based line number. Fields are split on TAB only: ``"`` is never a quote
character in the tab-separated formats.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from rcsim_env.data.locate import (
    MRPC_FILES,
    SICK_FILES,
    STSB_FILES,
    WIKI_FILES,
    candidate_data_dirs,
    find_data_file,
    not_found_message,
)
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.text_lines import text_lines
from rcsim_env.errors import DataFormatError, DataNotFoundError, InvalidLabelError, InvalidSentenceError
from rcsim_env.validation import validate_score, validate_sentence

PathLike = str | os.PathLike[str]
Row = tuple[int, list[str]]

STSB_MIN_FIELDS = 7
SENTEVAL_STS_SUBSETS: dict[int, tuple[str, ...]] = {
    12: ("MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"),
    13: ("FNWN", "headlines", "OnWN"),  # STS13's SMT subset has gold scores but no input: not loaded
    14: ("deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"),
    15: ("answers-forums", "answers-students", "belief", "headlines", "images"),
    16: ("answer-answer", "headlines", "plagiarism", "postediting", "question-question"),
}
SENTEVAL_PARENTS: tuple[str, ...] = ("sts", "senteval", "downstream/STS", ".")
HOW_TO_GET_SENTEVAL = (
    "STS12-STS16 are not fetched by `rcsim-data download`: run SentEval's "
    "data/downstream/get_transfer_data.bash and put its STS12-en-test ... STS16-en-test folders "
    "under <data dir>/sts/, or point to their parent folder (rcsim-eval --senteval-dir DIR; root= in Python)."
)


# --- shared line and field helpers ------------------------------------------------------------------


def _tsv_rows(path: Path) -> Iterator[Row]:
    """Yield ``(line_number, fields)`` for each non-empty line of ``path``, split on TAB only."""
    for number, line in text_lines(path):
        if line:
            yield number, line.split("\t")


def _csv_rows(path: Path) -> Iterator[Row]:
    """Yield ``(line_number, fields)`` for each non-empty record of a comma-separated file with quoting.

    The line number is that of the record's last line (a quoted field may span lines).
    """
    lines = (line + "\n" for _, line in text_lines(path))  # csv keeps newlines inside quoted fields
    reader = csv.reader(lines)
    try:
        for fields in reader:
            if fields:
                yield reader.line_num, fields
    except csv.Error as exc:
        raise DataFormatError(path, reader.line_num, f"malformed CSV: {exc}") from exc


def _table(
    path: Path, rows: Iterator[Row], required: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Read a header row from ``rows``, then yield ``(line_number, {column: value})`` per data row.

    Column names are matched case-insensitively, ignoring surrounding spaces. Every data row
    must have as many fields as the header. Only ``required`` and present ``optional``
    columns are returned.
    """
    first = next(rows, None)
    if first is None:
        raise DataFormatError(path, None, f"file is empty; expected a header naming {', '.join(required)}")
    header_line, header = first
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
        if len(fields) != len(header):
            raise DataFormatError(
                path, number, f"expected {len(header)} fields like the header, found {len(fields)}"
            )
        yield number, {name: fields[index] for name, index in wanted.items()}


def _sentence(text: str, path: Path, number: int, where: str) -> str:
    """Return ``text`` if it is a valid sentence, else raise DataFormatError for this line."""
    try:
        return validate_sentence(text, where)
    except InvalidSentenceError as exc:
        raise DataFormatError(path, number, str(exc)) from exc


def _score(value: object, path: Path, number: int, low: float = 0.0, high: float = 5.0) -> float:
    """Return ``value`` (a number or numeric text) as a float in [low, high] (within [0, 5]).

    Anything else raises DataFormatError for this line.
    """
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise DataFormatError(path, number, f"score {value!r} is not a number") from None
    try:
        score = validate_score(value, "score")
    except InvalidLabelError as exc:
        raise DataFormatError(path, number, str(exc)) from exc
    if not low <= score <= high:
        raise DataFormatError(path, number, f"score is {score}, outside [{low:g}, {high:g}]")
    return score


def _pair(
    path: Path, number: int, sentence_a: str, sentence_b: str, score: float | None, pair_id: str | None = None
) -> ScoredPair:
    """Build a ScoredPair after checking both sentences; the id defaults to ``<file name>:<line>``."""
    return ScoredPair(
        sentence_a=_sentence(sentence_a, path, number, "sentence 1"),
        sentence_b=_sentence(sentence_b, path, number, "sentence 2"),
        score=score,
        pair_id=pair_id or f"{path.name}:{number}",
    )


def _split_file(table: Mapping[str, str | tuple[str, ...]], split: str, data_set: str) -> tuple[str, ...]:
    """Return the relative path(s) of ``split`` in ``table``, or raise ValueError naming the valid splits."""
    if split not in table:
        raise ValueError(f"{data_set} has no split {split!r}; choose one of {', '.join(table)}")
    names = table[split]
    return (names,) if isinstance(names, str) else names


def _find_split(
    table: Mapping[str, str | tuple[str, ...]], split: str, data_set: str, data_dir: PathLike | None
) -> Path:
    """Return the file holding ``split`` of ``data_set`` in the first candidate data directory that has it."""
    first, *others = _split_file(table, split, data_set)
    return find_data_file(first, data_dir, alternatives=others)


# --- STS Benchmark, SICK, MRPC ---------------------------------------------------------------------


def read_stsb_file(path: PathLike) -> list[ScoredPair]:
    """Read one STS Benchmark file (``sts-*.csv``) and return its pairs, scores in [0, 5].

    Lines are tab-separated, without header: genre, file, year, id, score, sentence 1,
    sentence 2, then optionally extra source columns, which are ignored.
    """
    path = Path(path)
    pairs = []
    for number, fields in _tsv_rows(path):
        if len(fields) < STSB_MIN_FIELDS:
            raise DataFormatError(
                path, number, f"expected at least {STSB_MIN_FIELDS} tab-separated fields, found {len(fields)}"
            )
        pairs.append(_pair(path, number, fields[5], fields[6], _score(fields[4], path, number)))
    return pairs


def load_stsb(split: str = "test", data_dir: PathLike | None = None) -> list[ScoredPair]:
    """Load the STS Benchmark ``split`` ("train", "dev" or "test") from the first data directory that has it.

    Returns 5,749 / 1,500 / 1,379 pairs on the original release, scores in [0, 5].
    Raises DataNotFoundError if no data directory has the file.
    """
    return read_stsb_file(_find_split(STSB_FILES, split, "STS Benchmark", data_dir))


def read_sick_file(path: PathLike) -> list[ScoredPair]:
    """Read one SICK file (tab-separated with header) and return its pairs, relatedness in [1, 5].

    Columns are found by header name (``sentence_A``, ``sentence_B``, ``relatedness_score``),
    so both the SemEval split files and the full ``SICK.txt`` can be read.
    """
    path = Path(path)
    columns = ("sentence_A", "sentence_B", "relatedness_score")
    return [
        _pair(
            path,
            number,
            row["sentence_A"],
            row["sentence_B"],
            _score(row["relatedness_score"], path, number, 1.0),
        )
        for number, row in _table(path, _tsv_rows(path), columns)
    ]


def load_sick(split: str = "trial", data_dir: PathLike | None = None) -> list[ScoredPair]:
    """Load the SICK ``split`` ("train", "trial" or "test") from the first data directory that has it.

    Returns 4,500 / 500 / 4,927 pairs on the SemEval-2014 release, scores in [1, 5].
    Raises DataNotFoundError if no data directory has the file.
    """
    return read_sick_file(_find_split(SICK_FILES, split, "SICK", data_dir))


def read_mrpc_file(path: PathLike) -> list[ScoredPair]:
    """Read one MRPC file (tab-separated with header); return its pairs, score = the 0/1 paraphrase label."""
    path = Path(path)
    pairs = []
    for number, row in _table(path, _tsv_rows(path), ("Quality", "#1 String", "#2 String")):
        label = row["Quality"].strip()
        if label not in ("0", "1"):
            raise DataFormatError(path, number, f"Quality must be 0 or 1, got {label!r}")
        pairs.append(_pair(path, number, row["#1 String"], row["#2 String"], float(label)))
    return pairs


def load_mrpc(split: str = "test", data_dir: PathLike | None = None) -> list[ScoredPair]:
    """Load the MRPC ``split`` ("train" or "test") from the first data directory that has it.

    Looks for ``para/MRPC/msr-para-<split>.tsv``, then the original name
    ``msr_paraphrase_<split>.txt``. Scores are the paraphrase labels 0.0 / 1.0.
    Raises DataNotFoundError if no data directory has either file.
    """
    return read_mrpc_file(_find_split(MRPC_FILES, split, "MRPC", data_dir))


# --- SentEval STS12-STS16 --------------------------------------------------------------------------


def sts_year(year: int | str) -> int:
    """Return the two-digit year (12..16) of an STS12-STS16 task given as 12, 2012, "12" or "STS12"."""
    text = str(year).strip().upper().removeprefix("STS")
    number = int(text) if text.isdigit() else -1
    number = number - 2000 if number >= 2000 else number
    if number not in SENTEVAL_STS_SUBSETS:
        raise ValueError(f"unknown STS year {year!r}; use one of 12, 13, 14, 15, 16 (or 'STS12' ...)")
    return number


def senteval_years(root: PathLike) -> list[int]:
    """Return the years (12..16) whose ``STS<yy>-en-test`` folder exists under ``root``."""
    return [year for year in SENTEVAL_STS_SUBSETS if (Path(root) / f"STS{year}-en-test").is_dir()]


def find_senteval_root(data_dir: PathLike | None = None) -> Path:
    """Return the first folder holding any ``STS12-en-test`` ... ``STS16-en-test`` folder.

    Looks in each candidate data directory (see ``candidate_data_dirs``) at ``sts/``,
    ``senteval/``, ``downstream/STS/`` and the directory itself.
    Raises DataNotFoundError listing every folder searched if none has them.
    """
    searched = []
    for directory in candidate_data_dirs(data_dir):
        for parent in SENTEVAL_PARENTS:
            root = directory / parent  # pathlib drops the "." of the last entry
            if senteval_years(root):
                return root
            searched.append((root, "SentEval STS parent"))
    message = not_found_message("SentEval STS12-STS16 (STS<yy>-en-test folders)", searched)
    raise DataNotFoundError(f"{message}\n{HOW_TO_GET_SENTEVAL}")


def load_senteval_sts(
    year: int | str, root: PathLike | None = None, data_dir: PathLike | None = None
) -> dict[str, list[ScoredPair]]:
    """Load every subset of STS``year`` in SentEval's layout; return ``{subset: pairs}`` in SentEval's order.

    ``root`` holds ``STS<yy>-en-test/`` (the folder itself is accepted too); when ``None`` it is
    found with :func:`find_senteval_root`. Each subset is ``STS.input.<subset>.txt`` (sentence 1
    TAB sentence 2 per line; extra columns ignored) aligned line by line with ``STS.gs.<subset>.txt``
    (gold score per line). Pairs whose gold line is blank are dropped. Pair ids are
    ``STS<yy>-en-test/STS.input.<subset>.txt:<line>`` so that subsets of different years
    sharing a name (headlines, OnWN, images) keep distinct ids.

    Raises:
        DataNotFoundError: a subset's input or gold file is missing (the message names it).
        DataFormatError: input and gold differ in line count, or a line is malformed.
    """
    yy = sts_year(year)
    folder_name = f"STS{yy}-en-test"
    base = Path(root) if root is not None else find_senteval_root(data_dir)
    folder = base if base.name == folder_name else base / folder_name
    return {subset: _read_senteval_subset(folder, subset) for subset in SENTEVAL_STS_SUBSETS[yy]}


def _read_senteval_subset(folder: Path, subset: str) -> list[ScoredPair]:
    """Read one SentEval STS subset, dropping pairs with a blank gold line."""
    input_path = folder / f"STS.input.{subset}.txt"
    gold_path = folder / f"STS.gs.{subset}.txt"
    for path in (input_path, gold_path):
        if not path.is_file():
            raise DataNotFoundError(f"{path}: missing file of STS subset {subset!r}. {HOW_TO_GET_SENTEVAL}")
    inputs = list(text_lines(input_path))
    golds = list(text_lines(gold_path))
    if len(inputs) != len(golds):
        raise DataFormatError(
            input_path,
            None,
            f"has {len(inputs)} lines but {gold_path.name} has {len(golds)}; they must align",
        )
    pairs = []
    for (number, line), (_, gold) in zip(inputs, golds, strict=True):
        if not gold.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise DataFormatError(
                input_path, number, f"expected 2 tab-separated sentences, found {len(fields)}"
            )
        pair_id = f"{folder.name}/{input_path.name}:{number}"
        pairs.append(
            _pair(input_path, number, fields[0], fields[1], _score(gold, gold_path, number), pair_id)
        )
    return pairs


# --- corpora and generic pair files ------------------------------------------------------------------


def load_corpus(path: PathLike) -> list[str]:
    """Return the sentences of a one-sentence-per-line UTF-8 file, skipping blank lines.

    Sentences are returned as written (only the line end is removed).
    """
    path = Path(path)
    return [_sentence(line, path, number, "sentence") for number, line in text_lines(path) if line.strip()]


def find_wiki_corpus(data_dir: PathLike | None = None) -> Path:
    """Return the path of the SimCSE Wikipedia corpus in the first candidate data directory holding it.

    The full ``wiki1m_for_simcse.txt`` is preferred to the excerpt ``wiki1m-first12k.txt`` within
    a directory. Raises DataNotFoundError if no directory has either.
    """
    first, *others = WIKI_FILES
    return find_data_file(first, data_dir, alternatives=others)


PAIR_COLUMNS = ("sentence_a", "sentence_b")
SCORE_COLUMN = "score"


def load_pairs_file(path: PathLike) -> list[ScoredPair]:
    """Load generic pairs with fields ``sentence_a``, ``sentence_b`` and optional ``score`` (0-5).

    The format follows the extension: ``.jsonl`` (one JSON object per line, blank lines
    skipped), ``.csv`` (header row, ``"`` quoting allowed) or ``.tsv`` (header row, TAB only,
    no quoting). A missing or empty score gives ``score=None``. Other columns are ignored.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        records = _jsonl_records(path)
    elif suffix in (".csv", ".tsv"):
        rows = _csv_rows(path) if suffix == ".csv" else _tsv_rows(path)
        records = _table(path, rows, PAIR_COLUMNS, (SCORE_COLUMN,))
    else:
        raise DataFormatError(path, None, f"unsupported file type {suffix!r}; use .jsonl, .csv or .tsv")
    return _pairs_from_records(path, records)


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSON-lines file."""
    for number, line in text_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(path, number, f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
        if not isinstance(record, dict):
            raise DataFormatError(path, number, f"expected a JSON object, got {type(record).__name__}")
        missing = [key for key in PAIR_COLUMNS if key not in record]
        if missing:
            raise DataFormatError(path, number, f"missing key(s) {', '.join(missing)}")
        yield number, record


def _pairs_from_records(path: Path, records: Iterable[tuple[int, Mapping[str, object]]]) -> list[ScoredPair]:
    """Turn ``(line_number, record)`` items into ScoredPairs; an absent, null or empty score gives None."""
    pairs = []
    for number, record in records:
        raw_score = record.get(SCORE_COLUMN)
        blank = raw_score is None or (isinstance(raw_score, str) and not raw_score.strip())
        score = None if blank else _score(raw_score, path, number)
        pairs.append(_pair(path, number, record["sentence_a"], record["sentence_b"], score))  # type: ignore[arg-type]
    return pairs
