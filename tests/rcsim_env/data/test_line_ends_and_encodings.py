"""Every data reader under every line end and encoding: read exactly right, or refused naming file and line.

The readers: the STS Benchmark, SICK and MRPC files, pairs files (.tsv, .csv, .jsonl) and
one-sentence-per-line corpora. Documents are generated from sentences holding the characters
``str.splitlines`` splits on (U+2028, U+2029, U+0085, ...), then written with each line end (LF,
CRLF, lone CR, mixtures, with and without a final one) in each encoding (UTF-8 with and without
a byte-order mark, UTF-16 and UTF-32 with one), or corrupted (NUL bytes, a byte-order mark in
the middle, Latin-1 bytes, UTF-16 without a byte-order mark, cut UTF-16, random bytes).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from rcsim_env.data.loaders import (
    load_corpus,
    load_pairs_file,
    read_mrpc_file,
    read_sick_file,
    read_stsb_file,
)
from rcsim_env.errors import DataFormatError, ScoreScaleWarning

# Every character str.splitlines splits on, but \n and \r (the real line ends).
SPLITLINES_CHARACTERS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
FILE_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

Record = tuple[str, str, int]  # sentence a, sentence b, score 0..5


@dataclass(frozen=True)
class Reader:
    """One data reader: the file name it reads, how records are written as lines, what it returns."""

    name: str
    file_name: str
    lines: Callable[[Sequence[Record]], list[str]]
    read: Callable[[Path], list]
    expected: Callable[[Sequence[Record]], list]

    def __str__(self) -> str:
        return self.name


def _csv_line(fields: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def _pairs_read(path: Path) -> list[tuple[str, str, float | None]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScoreScaleWarning)
        return [(p.sentence_a, p.sentence_b, p.score) for p in load_pairs_file(path, score_scale="0-5")]


def _triples(records: Sequence[Record], score: Callable[[int], float]) -> list[tuple[str, str, float]]:
    return [(a, b, score(s)) for a, b, s in records]


def _pair_triples(read: Callable[[Path], list]) -> Callable[[Path], list]:
    return lambda path: [(p.sentence_a, p.sentence_b, p.score) for p in read(path)]


READERS = (
    Reader(
        "sts-b",
        "sts-test.csv",
        lambda rs: [f"main-news\tfile\t2012\t{i:04d}\t{s}\t{a}\t{b}" for i, (a, b, s) in enumerate(rs)],
        _pair_triples(read_stsb_file),
        lambda rs: _triples(rs, float),
    ),
    Reader(
        "sick",
        "SICK_trial.txt",
        lambda rs: [
            "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment",
            *(f"{i}\t{a}\t{b}\t{max(s, 1)}\tNEUTRAL" for i, (a, b, s) in enumerate(rs)),
        ],
        _pair_triples(read_sick_file),
        lambda rs: _triples(rs, lambda s: float(max(s, 1))),
    ),
    Reader(
        "mrpc",
        "msr_paraphrase_test.txt",
        lambda rs: [
            "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String",
            *(f"{s % 2}\t{i}\t{i + 1}\t{a}\t{b}" for i, (a, b, s) in enumerate(rs)),
        ],
        _pair_triples(read_mrpc_file),
        lambda rs: _triples(rs, lambda s: float(s % 2)),
    ),
    Reader(
        "pairs.tsv",
        "pairs.tsv",
        lambda rs: ["sentence_a\tsentence_b\tscore", *(f"{a}\t{b}\t{s}" for a, b, s in rs)],
        _pairs_read,
        lambda rs: _triples(rs, float),
    ),
    Reader(
        "pairs.csv",
        "pairs.csv",
        lambda rs: ["sentence_a,sentence_b,score", *(_csv_line([a, b, s]) for a, b, s in rs)],
        _pairs_read,
        lambda rs: _triples(rs, float),
    ),
    Reader(
        "pairs.jsonl",
        "pairs.jsonl",
        lambda rs: [
            json.dumps({"sentence_a": a, "sentence_b": b, "score": s}, ensure_ascii=False) for a, b, s in rs
        ],
        _pairs_read,
        lambda rs: _triples(rs, float),
    ),
    Reader(
        "corpus",
        "corpus.txt",
        lambda rs: [sentence for a, b, _ in rs for sentence in (a, b)],
        load_corpus,
        lambda rs: [sentence for a, b, _ in rs for sentence in (a, b)],
    ),
)

# --- how a document is written --------------------------------------------------------------------

ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le with BOM": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be with BOM": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "utf-32-le with BOM": lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"),
    "utf-32-be with BOM": lambda text: codecs.BOM_UTF32_BE + text.encode("utf-32-be"),
}
LINE_END_PLANS = ("lf", "crlf", "cr", "lf and crlf", "lone cr among lf/crlf")


def is_lone_cr(end: str) -> bool:
    return end == "\r"


@st.composite
def line_ends(draw: st.DrawFn, plan: str, count: int) -> list[str]:
    """The end of each of ``count`` lines under ``plan`` (the last one may be missing: "")."""
    if plan in ("lf", "crlf", "cr"):
        ends = [{"lf": "\n", "crlf": "\r\n", "cr": "\r"}[plan]] * count
    elif plan == "lf and crlf":
        ends = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=count, max_size=count))
    else:
        assume(count >= 2)
        ends = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=count, max_size=count))
        terminated = ends[:-1]  # the last end is decided below and may be dropped
        assume(any(map(is_lone_cr, terminated)) and not all(map(is_lone_cr, terminated)))
    if draw(st.booleans()):
        ends[-1] = ""  # a last line without a line end
    return ends


def first_mixed_line(ends: Sequence[str]) -> int | None:
    """The 1-based line whose end is of the other family (lone CR vs LF/CRLF) than the first end."""
    kinds = [(number, is_lone_cr(end)) for number, end in enumerate(ends, start=1) if end]
    return next((number for number, kind in kinds if kind != kinds[0][1]), None)


WORD = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\t\r\n\x00\ufeff"),
    min_size=1,
    max_size=6,
)
VISIBLE = st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp"), exclude_characters="\ufeff")
SENTENCE = st.builds(
    lambda first, rest: first + "".join(rest),
    VISIBLE,
    st.lists(
        st.one_of(WORD, st.sampled_from(SPLITLINES_CHARACTERS), st.sampled_from(['"', ",", " ", "é"])),
        max_size=6,
    ),
)
RECORDS = st.lists(st.tuples(SENTENCE, SENTENCE, st.integers(0, 5)), min_size=1, max_size=5)


def write(tmp_path: Path, reader: Reader, data: bytes) -> Path:
    path = tmp_path / reader.file_name
    path.write_bytes(data)
    return path


# --- the families -------------------------------------------------------------------------------------


@settings(FILE_SETTINGS, max_examples=400)
@given(
    reader=st.sampled_from(READERS),
    records=RECORDS,
    encoding=st.sampled_from(sorted(ENCODINGS)),
    plan=st.sampled_from(LINE_END_PLANS),
    data=st.data(),
)
def test_every_line_end_and_encoding_is_read_exactly_or_refused_naming_the_line(
    tmp_path: Path, reader: Reader, records: list[Record], encoding: str, plan: str, data: st.DataObject
) -> None:
    lines = reader.lines(records)
    ends = data.draw(line_ends(plan, len(lines)))
    path = write(tmp_path, reader, ENCODINGS[encoding]("".join(map(str.__add__, lines, ends))))
    mixed_at = first_mixed_line(ends)
    event(f"{plan}, {'refused' if mixed_at else 'read'}")
    if mixed_at is None:
        assert reader.read(path) == reader.expected(records)
        return
    with pytest.raises(DataFormatError, match="mixed line ends") as caught:
        reader.read(path)
    assert (caught.value.path, caught.value.line) == (path, mixed_at)


@pytest.mark.parametrize("reader", READERS, ids=str)
@pytest.mark.parametrize("character", SPLITLINES_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_a_sentence_holding_a_splitlines_character_stays_one_record(
    tmp_path: Path, reader: Reader, character: str, end: str
) -> None:
    records = [(f"one{character}sentence", f"{character}two", 3), ("three", f"four{character}", 1)]
    path = write(tmp_path, reader, "".join(line + end for line in reader.lines(records)).encode())
    assert reader.read(path) == reader.expected(records)


CORRUPTIONS = (
    "nul byte",
    "byte-order mark inside",
    "latin-1",
    "utf-16 without BOM",
    "cut utf-16",
    "random bytes",
)


@st.composite
def corrupted(draw: st.DrawFn, reader: Reader) -> tuple[bytes, int | None, str]:
    """(file bytes, the line the reader must name; None when any line will do; the kind of corruption)."""
    kind = draw(st.sampled_from(CORRUPTIONS))
    event(kind)
    if kind == "random bytes":
        prefix = draw(st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]))
        return prefix + draw(st.binary(min_size=1, max_size=300)), None, kind
    if kind == "latin-1":
        latin = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), min_size=1)
        sentence = st.tuples(latin, st.characters(min_codepoint=0xA0, max_codepoint=0xFF)).map("".join)
        records = draw(st.lists(st.tuples(sentence, sentence, st.integers(0, 5)), min_size=1, max_size=4))
        records = [(a, b, s) for a, b, s in records if a.strip() and b.strip()]
        assume(records)
        lines = [line.encode("latin-1") for line in reader.lines(records)]
        bad = [n for n, line in enumerate(lines, 1) if not _valid_utf8(line)]
        assume(bad)  # Latin-1 bytes that happen to be valid UTF-8 cannot be told apart
        return b"\n".join(lines) + b"\n", bad[0], kind
    lines = reader.lines(draw(RECORDS))
    encoded = [line.encode() for line in lines]
    if kind in ("nul byte", "byte-order mark inside"):
        number = draw(st.integers(1, len(lines)))
        line = lines[number - 1]
        at = draw(st.integers(1 if number == 1 and kind != "nul byte" else 0, len(line)))
        inserted = "\x00" if kind == "nul byte" else "\ufeff"
        encoded[number - 1] = (line[:at] + inserted + line[at:]).encode()
        return b"\n".join(encoded) + b"\n", number, kind
    text = "\n".join(lines) + "\n"
    if kind == "utf-16 without BOM":
        return text.encode(draw(st.sampled_from(["utf-16-le", "utf-16-be"]))), None, kind
    whole = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return whole[:-1], len(lines), kind  # an odd byte count: the last character is cut


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(FILE_SETTINGS, max_examples=400)
@given(reader=st.sampled_from(READERS), data=st.data())
def test_corrupted_bytes_are_refused_naming_file_and_line(
    tmp_path: Path, reader: Reader, data: st.DataObject
) -> None:
    content, line, kind = data.draw(corrupted(reader))
    path = write(tmp_path, reader, content)
    if kind == "random bytes":  # may even be a valid file; never a traceback
        try:
            reader.read(path)
        except DataFormatError as error:
            assert error.path == path
            assert error.line is None or 1 <= error.line <= len(re.findall(rb"\r\n|\r|\n", content)) + 1
        return
    with pytest.raises(DataFormatError) as caught:
        reader.read(path)
    assert caught.value.path == path
    if line is not None:
        assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")
