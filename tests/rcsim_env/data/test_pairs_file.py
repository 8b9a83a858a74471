"""Tests of your own pairs files (rcsim_env.data.pairs_file): columns, ids, score scales, hostile input."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from rcsim_env.data.loaders import load_pairs_file
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.pairs_file import ID_COLUMNS, SCORE_COLUMNS, SENTENCE_COLUMNS
from rcsim_env.errors import DataFormatError, ScoreScaleWarning

FORMATS = (".jsonl", ".csv", ".tsv")


def write_table(path: Path, header: list[str], rows: list[list[object]], line_end: str = "\n") -> Path:
    """Write ``rows`` under ``header`` in the format ``path``'s suffix names (values as given).

    ``line_end`` ends CSV records; the csv module quotes a field only when it holds a character
    of ``line_end`` (or a comma or quote), so with ``"\n"`` a ``\r`` in a field is written bare.
    """
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(dict(zip(header, row, strict=True))) + "\n" for row in rows)
    elif path.suffix == ".csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=line_end).writerows([header, *rows])
        text = buffer.getvalue()
    else:
        text = "".join("\t".join("" if v is None else str(v) for v in row) + "\n" for row in [header, *rows])
    path.write_text(text, encoding="utf-8")
    return path


def load_quietly(path: Path, **kwargs) -> list[ScoredPair]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the caller's test
        return load_pairs_file(path, **kwargs)


# --- column names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("sentences", SENTENCE_COLUMNS)
@pytest.mark.parametrize("score", SCORE_COLUMNS)
def test_every_accepted_column_name_is_read(tmp_path: Path, suffix: str, sentences, score: str) -> None:
    header = [sentences[0].upper(), f" {sentences[1]} ", score.title(), "notes"]
    path = write_table(
        tmp_path / f"pairs{suffix}", header, [["A cat.", "A kitten.", 4.5, "x"], ["Up.", "Down.", 0, "y"]]
    )
    assert load_quietly(path) == [
        ScoredPair("A cat.", "A kitten.", 4.5, f"pairs{suffix}:{1 if suffix == '.jsonl' else 2}"),
        ScoredPair("Up.", "Down.", 0.0, f"pairs{suffix}:{2 if suffix == '.jsonl' else 3}"),
    ]


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("id_column", ID_COLUMNS)
def test_the_users_ids_are_kept_and_blank_ones_are_made_from_the_line(
    tmp_path: Path, suffix: str, id_column: str
) -> None:
    rows = [["q-17", "A.", "B.", 1], [" 42 ", "C.", "D.", 2], ["", "E.", "F.", 3]]
    path = write_table(tmp_path / f"mine{suffix}", [id_column, "s1", "s2", "similarity"], rows)
    ids = [pair.pair_id for pair in load_quietly(path)]
    assert ids == ["q-17", "42", f"mine{suffix}:{3 if suffix == '.jsonl' else 4}"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_duplicate_ids_name_both_lines(tmp_path: Path, suffix: str) -> None:
    rows = [["a", "A.", "B."], ["b", "C.", "D."], ["a", "E.", "F."]]
    path = write_table(tmp_path / f"p{suffix}", ["pair_id", "text_a", "text_b"], rows)
    first, again = (1, 3) if suffix == ".jsonl" else (2, 4)
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path)
    assert error.value.line == again and f"first on line {first}" in str(error.value)


def test_an_id_equal_to_a_generated_one_is_a_duplicate(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "p.jsonl", ["id", "s1", "s2"], [[None, "A.", "B."], ["p.jsonl:1", "C.", "D."]]
    )
    with pytest.raises(DataFormatError, match=r"p.jsonl:2: id 'p.jsonl:1' is used again"):
        load_pairs_file(path)


@pytest.mark.parametrize("value", [1.5, True, [1], {"a": 1}])
def test_a_json_id_must_be_text_or_an_integer(tmp_path: Path, value: object) -> None:
    path = write_table(tmp_path / "p.jsonl", ["id", "s1", "s2"], [[value, "A.", "B."]])
    with pytest.raises(DataFormatError, match=r"p.jsonl:1: id must be text or an integer"):
        load_pairs_file(path)


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (["question", "answer", "rating"], "header lacks column(s) sentence_a, sentence_b (or sentence1"),
        (["sentence1", "other", "score"], "header lacks column(s) sentence2 (to go with sentence1)"),
        (["s2", "x"], "header lacks column(s) s1 (to go with s2)"),
        (["sentence_a", "sentence_b", "s1", "s2"], "found both sentence_a/sentence_b and s1/s2"),
        (["s1", "s2", "score", "label"], "found score and label"),
        (["s1", "s2", "id", "pair_id"], "found id and pair_id"),
        (["s1", "s2", "S1"], "column 's1' appears more than once"),
    ],
)
def test_unusable_headers_say_what_was_found_and_what_is_accepted(
    tmp_path: Path, suffix: str, header: list[str], problem: str
) -> None:
    path = write_table(tmp_path / f"p{suffix}", header, [["x"] * len(header)])
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path)
    message = str(error.value)
    assert error.value.line == 1 and message.startswith(f"{path}:1: ")
    assert problem in message
    if "lacks" in problem:
        assert all(repr(name.lower()) in message for name in header)
        assert "Accepted:" in message and "text_a/text_b" in message and "similarity" in message


def test_a_jsonl_line_without_known_keys_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"s1": "A.", "s2": "B."}\n{"first": "C.", "second": "D."}\n')
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path)
    assert error.value.line == 2 and "missing key(s) sentence_a, sentence_b" in str(error.value)
    assert "'first', 'second'" in str(error.value)


@pytest.mark.parametrize("content", ["", "\n\n", "sentence_a,sentence_b\n"])
def test_a_file_without_pairs_is_an_error(tmp_path: Path, content: str) -> None:
    for suffix in FORMATS:
        path = tmp_path / f"empty{suffix}"
        path.write_text(content.replace(",", "\t") if suffix == ".tsv" else content)
        with pytest.raises(DataFormatError):
            load_pairs_file(path)


# --- score scales -------------------------------------------------------------------------------------

ZERO_ONE = [0.0, 0.25, 1.0, None]


@pytest.mark.parametrize("suffix", FORMATS)
def test_the_default_reads_0_5_and_warns_naming_the_file_when_scores_look_0_1(
    tmp_path: Path, suffix: str
) -> None:
    path = write_table(tmp_path / f"unit{suffix}", ["s1", "s2", "score"], [["A.", "B.", s] for s in ZERO_ONE])
    with pytest.warns(ScoreScaleWarning, match="score_scale='0-1'") as record:
        pairs = load_pairs_file(path)
    assert [pair.score for pair in pairs] == ZERO_ONE
    assert len(record) == 1 and str(path) in str(record[0].message)


@pytest.mark.parametrize("suffix", FORMATS)
def test_0_1_multiplies_by_five_and_auto_says_so(tmp_path: Path, suffix: str) -> None:
    path = write_table(tmp_path / f"unit{suffix}", ["s1", "s2", "label"], [["A.", "B.", s] for s in ZERO_ONE])
    assert [pair.score for pair in load_quietly(path, score_scale="0-1")] == [0.0, 1.25, 5.0, None]
    with pytest.warns(ScoreScaleWarning, match=r"auto.*0-1 scale") as record:
        pairs = load_pairs_file(path, score_scale="auto")
    assert [pair.score for pair in pairs] == [0.0, 1.25, 5.0, None] and str(path) in str(record[0].message)


@pytest.mark.parametrize("scale", [None, "0-5", "auto"])
def test_a_0_5_file_is_read_unchanged_and_quietly(tmp_path: Path, scale: str | None) -> None:
    path = write_table(tmp_path / "p.csv", ["s1", "s2", "score"], [["A.", "B.", 0.5], ["C.", "D.", 3.2]])
    assert [pair.score for pair in load_quietly(path, score_scale=scale)] == [0.5, 3.2]


@pytest.mark.parametrize("scores", [[0.0, 0.0], [None, None], [0.5, 0.2]])
def test_explicit_0_5_or_nothing_to_decide_gives_no_warning(tmp_path: Path, scores: list) -> None:
    path = write_table(tmp_path / "p.jsonl", ["s1", "s2", "score"], [["A.", "B.", s] for s in scores])
    scale = "0-5" if any(scores) else None  # all zero or none: both scales agree, so no warning either way
    assert [pair.score for pair in load_quietly(path, score_scale=scale)] == scores


def test_label_exports_of_low_scores_read_back_unchanged(tmp_path: Path) -> None:
    """Why the default is 0-5: a file of 0-5 judgements that are all low must not be rescaled."""
    path = write_table(
        tmp_path / "labels.jsonl",
        ["sentence_a", "sentence_b", "score"],
        [["A.", "B.", 0.5], ["C.", "D.", 1.0]],
    )
    with pytest.warns(ScoreScaleWarning):
        assert [pair.score for pair in load_pairs_file(path)] == [0.5, 1.0]


@pytest.mark.parametrize(
    ("scale", "score", "problem"),
    [
        ("0-1", 1.5, "score is 1.5, outside [0, 1] (the 0-1 scale it is read on)"),
        ("0-1", -0.1, "outside [0, 1]"),
        (None, 5.5, "score is 5.5, outside [0, 5]"),
        ("0-5", -1, "outside [0, 5]"),
        ("auto", 6, "outside [0, 5]"),
    ],
)
def test_a_score_outside_the_declared_scale_names_file_and_line(
    tmp_path: Path, scale: str | None, score: float, problem: str
) -> None:
    path = write_table(
        tmp_path / "p.tsv", ["s1", "s2", "score"], [["A.", "B.", 0.5], ["C.", "D.", score], ["E.", "F.", "x"]]
    )
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path, score_scale=scale)
    assert error.value.line == 3 and problem in str(error.value)


@pytest.mark.parametrize("scale", ["0-100", "percent", 5, ""])
def test_an_unknown_score_scale_is_refused(tmp_path: Path, scale: object) -> None:
    path = write_table(tmp_path / "p.csv", ["s1", "s2"], [["A.", "B."]])
    with pytest.raises(ValueError, match="score_scale must be one of 0-5, 0-1, auto"):
        load_pairs_file(path, score_scale=scale)  # type: ignore[arg-type]


# --- hostile files ------------------------------------------------------------------------------------

NASTY_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "\t", "\n", "\r\n", '"', '""', 'a"b', '"a', "\ufeff", "\x00", "a\tb", "a\nb", "é"]
    ),
    st.just("x" * 200_000),  # a huge line
)
NASTY_SCORE = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.booleans(),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "2.5", " 3 ", "", "high", "0x10", "1_0", "٣"]),
    st.lists(st.integers(), max_size=2),
)
NASTY_ID = st.one_of(
    st.none(), st.sampled_from(["a", "b", "a ", ""]), st.integers(0, 3), NASTY_TEXT, st.floats()
)
KNOWN_HEADERS = (
    ["sentence1", "sentence2", "score", "id"],
    ["s1", "s2"],
    ["id", "text_a", "text_b", "label", "notes"],
    ["Sentence_A", "sentence_b", "similarity", "pair_id"],
)
ANY_HEADER = st.one_of(
    st.lists(
        st.sampled_from(["sentence_a", "sentence_b", "s1", "s2", "text_b", "score", "label", "id", "x"]),
        max_size=6,
    ),
    st.lists(st.text(max_size=6), max_size=4),
)
HEADERS = st.integers(0, 3).flatmap(lambda pick: ANY_HEADER if pick == 0 else st.sampled_from(KNOWN_HEADERS))


def cell(column: str, nasty: bool) -> st.SearchStrategy[object]:
    """A value for ``column``: a sensible one, or (``nasty``) anything hostile."""
    if nasty:
        return st.one_of(NASTY_TEXT, NASTY_SCORE, NASTY_ID)
    ids = st.one_of(st.uuids().map(str), st.integers(0, 10**9))
    sensible = {"score": st.floats(0, 5), "similarity": st.floats(0, 5), "label": st.floats(0, 1), "id": ids}
    sensible["pair_id"] = ids
    sentences = st.sampled_from(["A cat naps.", "Two dogs run", 'He said "hi"', "été", "x"])
    return sensible.get(column.lower(), sentences)


@st.composite
def hostile_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, file bytes): a header and rows with missing/extra fields, bad scores and ids, odd bytes."""
    suffix = draw(st.sampled_from(FORMATS))
    header = draw(HEADERS)
    nastiness = draw(st.sampled_from([0, 1, 3]))  # in tenths: how often a cell or a line is hostile
    hostile = lambda: draw(st.integers(0, 9)) < nastiness  # noqa: E731
    rows = []
    for _ in range(draw(st.integers(0 if nastiness else 1, 5))):
        width = len(header) + (draw(st.sampled_from([-1, 1])) if hostile() else 0)  # missing or extra fields
        rows.append(
            [draw(cell(header[i] if i < len(header) else "extra", hostile())) for i in range(max(width, 0))]
        )
    if suffix == ".jsonl":
        lines = []
        for row in rows:
            record = dict(zip(header, row, strict=False))
            line = (
                json.dumps(record, default=str)
                if draw(st.booleans())
                else draw(st.sampled_from(["{", "[1]", "null", "[" * 5000]))
            )
            lines.append(line)
        text = "\n".join(lines)
    elif suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            if not hostile():
                writer.writerow(row)
            else:
                buffer.write(",".join(map(str, row)) + "\n")  # unquoted: stray quotes and commas
        text = buffer.getvalue()
    else:
        text = "".join("\t".join(map(str, row)) + "\n" for row in [header, *rows])
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    if hostile():
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"])) + data[at:]
    return suffix, data


def check_invariants(pairs: list[ScoredPair]) -> None:
    assert pairs
    assert len({pair.pair_id for pair in pairs}) == len(pairs)
    for pair in pairs:
        assert isinstance(pair.sentence_a, str) and pair.sentence_a.strip()
        assert isinstance(pair.sentence_b, str) and pair.sentence_b.strip()
        assert pair.score is None or (math.isfinite(pair.score) and 0.0 <= pair.score <= 5.0)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=hostile_files(), scale=st.sampled_from([None, "0-5", "0-1", "auto"]))
@example(case=(".csv", b"s1,s2\n" + b"x" * 200_000 + b",y\n"), scale=None)
@example(case=(".jsonl", b'{"s1": "a", "s2": "b", "score": ' + b"9" * 400 + b"}\n"), scale=None)
@example(case=(".jsonl", b"[" * 100_000 + b"\n"), scale=None)
@example(case=(".csv", b's1,s2\n"open,quote\n'), scale=None)
def test_a_hostile_file_gives_pairs_or_a_data_format_error_naming_file_and_line(
    tmp_path: Path, case: tuple[str, bytes], scale: str | None
) -> None:
    suffix, data = case
    path = tmp_path / f"hostile{suffix}"
    path.write_bytes(data)
    lines = len(re.findall(rb"\r\n|\r|\n", data)) + 1  # a lone \r ends a line too
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScoreScaleWarning)
            pairs = load_pairs_file(path, score_scale=scale)  # type: ignore[arg-type]
    except DataFormatError as error:
        assert Path(error.path) == path
        assert str(error).startswith(f"{path}:{error.line}: " if error.line is not None else f"{path}: ")
        assert error.line is None or 1 <= error.line <= lines
        event(f"DataFormatError: {error.problem.split(';')[0].split(':')[0][:40]}")
        return
    event("loaded")
    check_invariants(pairs)


# --- valid files round-trip ---------------------------------------------------------------------------

SENTENCE = st.text(  # every valid sentence (no sentence holds a NUL character or a byte-order mark)
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00\ufeff"), min_size=1, max_size=30
).filter(lambda text: text.strip())
PAIR_ROWS = st.lists(
    st.tuples(SENTENCE, SENTENCE, st.one_of(st.none(), st.floats(0, 5)), st.text(max_size=8)),
    min_size=1,
    max_size=8,
    unique_by=lambda row: row[3].strip() or object(),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=PAIR_ROWS, suffix=st.sampled_from([".jsonl", ".csv"]), line_end=st.sampled_from(["\n", "\r\n"]))
def test_well_formed_files_round_trip_exactly(tmp_path: Path, rows, suffix: str, line_end: str) -> None:
    if suffix == ".csv" and any("\x00" in a + b + i for a, b, _, i in rows):
        return  # a NUL byte is refused in text files: not round-trippable in CSV
    if suffix == ".csv" and line_end == "\n" and any("\r" in a + b + i for a, b, _, i in rows):
        return  # the csv module writes a \r bare unless it ends lines: the reader refuses that file
    path = write_table(
        tmp_path / f"round{suffix}",
        ["pair_id", "sentence_a", "sentence_b", "score"],
        [[i, a, b, s] for a, b, s, i in rows],
        line_end,
    )
    pairs = load_quietly(path, score_scale="0-5")
    assert [(p.sentence_a, p.sentence_b, p.score) for p in pairs] == [(a, b, s) for a, b, s, _ in rows]
    for (_, _, _, given_id), pair in zip(rows, pairs, strict=True):
        if given_id.strip():
            assert pair.pair_id == given_id.strip()
        else:
            assert pair.pair_id.startswith(f"round{suffix}:") and pair.pair_id.rsplit(":", 1)[1].isdigit()
