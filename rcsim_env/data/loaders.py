"""Loaders for the sentence-pair data sets and for plain sentence corpora.

Every loader returns :class:`~rcsim_env.data.pairs.ScoredPair` records whose ``pair_id`` is
``"<file name>:<line number>"``. Pairs files of your own are read by :func:`load_pairs_file`
(from :mod:`rcsim_env.data.pairs_file`, re-exported here). Every sentence is checked with
:func:`rcsim_env.validation.validate_sentence`; a malformed line (empty sentence, wrong
number of fields, bad score) raises :class:`~rcsim_env.errors.DataFormatError` naming the
file and the 1-based line number. Fields are split on TAB only: ``"`` is never a quote
character in the tab-separated formats. Encodings and line ends are read (or refused, naming
the line) as :mod:`rcsim_env.data.text_lines` describes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from rcsim_env.data.locate import (
    MRPC_FILES,
    SICK_FILES,
    STSB_FILES,
    WIKI_FILES,
    find_data_file,
    labelled_data_dirs,
    not_found_message,
    unset_sources,
)
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.pairs_file import load_pairs_file
from rcsim_env.data.rows import checked_score, checked_sentence, file_pair, header_table, tsv_rows
from rcsim_env.data.text_lines import text_lines
from rcsim_env.errors import DataFormatError, DataNotFoundError

PathLike = str | os.PathLike[str]

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
    "STS12-STS16 are not fetched by `rcsim data download`: run SentEval's "
    "data/downstream/get_transfer_data.bash and put its STS12-en-test ... STS16-en-test folders "
    "under <data dir>/sts/, or point to their parent folder (rcsim eval --senteval-dir DIR; root= in Python)."
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
    for number, fields in tsv_rows(path):
        if len(fields) < STSB_MIN_FIELDS:
            raise DataFormatError(
                path, number, f"expected at least {STSB_MIN_FIELDS} tab-separated fields, found {len(fields)}"
            )
        pairs.append(file_pair(path, number, fields[5], fields[6], checked_score(fields[4], path, number)))
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
        file_pair(
            path,
            number,
            row["sentence_A"],
            row["sentence_B"],
            checked_score(row["relatedness_score"], path, number, 1.0),
        )
        for number, row in header_table(path, tsv_rows(path), columns)
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
    for number, row in header_table(path, tsv_rows(path), ("Quality", "#1 String", "#2 String")):
        label = row["Quality"].strip()
        if label not in ("0", "1"):
            raise DataFormatError(path, number, f"Quality must be 0 or 1, got {label!r}")
        pairs.append(file_pair(path, number, row["#1 String"], row["#2 String"], float(label)))
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

    Looks in each candidate data directory (see ``labelled_data_dirs``) at ``sts/``,
    ``senteval/``, ``downstream/STS/`` and the directory itself.
    Raises DataNotFoundError listing every folder searched if none has them.
    """
    searched = []
    for directory, label in labelled_data_dirs(data_dir):
        for parent in SENTEVAL_PARENTS:
            root = directory / parent  # pathlib drops the "." of the last entry
            if senteval_years(root):
                return root
            searched.append((root, label))
    message = not_found_message(
        "SentEval STS12-STS16 (STS<yy>-en-test folders)", searched, unset_sources(data_dir)
    )
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
            file_pair(
                input_path, number, fields[0], fields[1], checked_score(gold, gold_path, number), pair_id
            )
        )
    return pairs


# --- corpora ------------------------------------------------------------------


def load_corpus(path: PathLike) -> list[str]:
    """Return the sentences of a one-sentence-per-line text file, skipping blank lines.

    Sentences are returned as written (only the line end is removed; U+2028 and the other
    characters ``str.splitlines`` would split on stay in the sentence). Encodings and line ends
    as :func:`~rcsim_env.data.text_lines.text_lines` reads them.
    """
    path = Path(path)
    return [
        checked_sentence(line, path, number, "sentence") for number, line in text_lines(path) if line.strip()
    ]


def find_wiki_corpus(data_dir: PathLike | None = None) -> Path:
    """Return the path of the SimCSE Wikipedia corpus in the first candidate data directory holding it.

    The full ``wiki1m_for_simcse.txt`` is preferred to the excerpt ``wiki1m-first12k.txt`` within
    a directory. Raises DataNotFoundError if no directory has either.
    """
    first, *others = WIKI_FILES
    return find_data_file(first, data_dir, alternatives=others)


__all__ = [
    "find_senteval_root",
    "find_wiki_corpus",
    "load_corpus",
    "load_mrpc",
    "load_pairs_file",
    "load_senteval_sts",
    "load_sick",
    "load_stsb",
    "read_mrpc_file",
    "read_sick_file",
    "read_stsb_file",
    "senteval_years",
    "sts_year",
]
