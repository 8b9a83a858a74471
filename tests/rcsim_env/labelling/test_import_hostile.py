"""``rcsim label import`` (import_judgements) under hostile files: read exactly right, or refused
with a DataFormatError naming the file and the line, the store untouched; never a traceback.

Three generated families: stored-label files re-saved with every line end and encoding; files
whose bytes are corrupted; JSON lines carrying hostile values (unpaired surrogates, deep
nesting, overlong numbers, repeated keys, impossible times) in every column. The JSON family
also runs :func:`rcsim_env.data.loaders.load_pairs_file`, which reads the same files.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from rcsim_env.data.loaders import load_pairs_file
from rcsim_env.errors import DataFormatError, ScoreScaleWarning
from rcsim_env.labelling.export import import_judgements, parse_time
from rcsim_env.labelling.store import LabelStore

FILE_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
COLUMNS = ("sentence_a", "sentence_b", "score", "annotator", "judged_at")
SPLITLINES_CHARACTERS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
VISIBLE = st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn"))
SENTENCE = st.builds(
    lambda first, rest: first + "".join(rest),
    VISIBLE,
    st.lists(st.one_of(VISIBLE, st.sampled_from((*SPLITLINES_CHARACTERS, '"', ",", " ", "\t"))), max_size=8),
)
ROW = st.fixed_dictionaries(
    {
        "sentence_a": SENTENCE,
        "sentence_b": SENTENCE,
        "score": st.sampled_from([0, 1.5, 2, 3.25, 5]),
        "annotator": st.sampled_from(["ann", "bob", "Zoë"]),
        "judged_at": st.sampled_from(["2024-05-01T12:00:00.000000Z", "2023-01-02T03:04:05+02:00"]),
    }
)
ROWS = st.lists(ROW, min_size=1, max_size=4)
ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le with BOM": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be with BOM": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
}
LINE_END_PLANS = ("lf", "crlf", "cr", "lf and crlf", "lone cr among lf/crlf")


def fresh_store(tmp_path: Path) -> LabelStore:
    """A new store per generated case (hypothesis reuses the test's tmp_path)."""
    return LabelStore(tmp_path / f"{uuid.uuid4().hex}.sqlite")


def contents(store: LabelStore) -> list[tuple]:
    """What a store holds, independent of row ids: (sentences, annotator, score, time) per judgement."""
    pairs = {pair.id: (pair.sentence_a, pair.sentence_b) for pair in store.pairs()}
    return sorted(
        (*pairs[j.pair_id], j.annotator, j.score, round(j.judged_at, 3)) for j in store.judgements()
    )


def file_lines(rows: Sequence[dict[str, object]], suffix: str) -> list[str]:
    """The lines (without line ends) of a stored-label file holding ``rows``."""
    if suffix == ".jsonl":
        return [json.dumps(row, ensure_ascii=False) for row in rows]
    lines = []
    for row in [dict(zip(COLUMNS, COLUMNS, strict=True)), *rows]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow([row[name] for name in COLUMNS])
        lines.append(buffer.getvalue())
    return lines


def expected_contents(rows: Sequence[dict[str, object]]) -> list[tuple]:
    """What importing ``rows`` must store, in the form :func:`contents` gives (a repeated row once)."""
    stored = {
        (
            row["sentence_a"],
            row["sentence_b"],
            row["annotator"],
            float(row["score"]),
            parse_time(row["judged_at"]),
        )
        for row in rows
    }
    return sorted((*row[:4], round(row[4], 3)) for row in stored)


@st.composite
def line_ends(draw: st.DrawFn, plan: str, count: int) -> list[str]:
    """The end of each of ``count`` lines under ``plan``; the last one may be missing ("")."""
    if plan in ("lf", "crlf", "cr"):
        ends = [{"lf": "\n", "crlf": "\r\n", "cr": "\r"}[plan]] * count
    elif plan == "lf and crlf":
        ends = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=count, max_size=count))
    else:
        assume(count >= 2)
        ends = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=count, max_size=count))
        lone = [end == "\r" for end in ends[:-1]]
        assume(any(lone) and not all(lone))
    if draw(st.booleans()):
        ends[-1] = ""
    return ends


def first_mixed_line(ends: Sequence[str]) -> int | None:
    kinds = [(number, end == "\r") for number, end in enumerate(ends, start=1) if end]
    return next((number for number, kind in kinds if kind != kinds[0][1]), None)


def assert_refused(store: LabelStore, path: Path, line: int | None = None) -> DataFormatError:
    """Importing ``path`` raises DataFormatError naming it (and ``line``) and leaves ``store`` empty."""
    with pytest.raises(DataFormatError) as caught:
        import_judgements(store, path)
    error = caught.value
    assert error.path == path
    assert str(error).startswith(f"{path}:{error.line}: " if error.line is not None else f"{path}: ")
    if line is not None:
        assert error.line == line
    assert store.pairs() == [] and store.count_judgements() == 0
    return error


# --- line ends and encodings --------------------------------------------------------------------------


@settings(FILE_SETTINGS, max_examples=120)
@given(
    rows=ROWS,
    suffix=st.sampled_from([".jsonl", ".csv"]),
    encoding=st.sampled_from(sorted(ENCODINGS)),
    plan=st.sampled_from(LINE_END_PLANS),
    data=st.data(),
)
def test_a_re_saved_label_file_imports_exactly_or_is_refused_naming_the_line(
    tmp_path: Path, rows, suffix: str, encoding: str, plan: str, data: st.DataObject
) -> None:
    lines = file_lines(rows, suffix)
    ends = data.draw(line_ends(plan, len(lines)))
    path = tmp_path / f"labels{suffix}"
    path.write_bytes(ENCODINGS[encoding]("".join(map(str.__add__, lines, ends))))
    store = fresh_store(tmp_path)
    mixed_at = first_mixed_line(ends)
    event(f"{suffix} {plan}: {'refused' if mixed_at else 'read'}")
    if mixed_at is not None:
        assert "mixed line ends" in str(assert_refused(store, path, mixed_at))
        return
    import_judgements(store, path)
    assert contents(store) == expected_contents(rows)


# --- corrupted bytes ----------------------------------------------------------------------------------

CORRUPTIONS = (
    "nul byte",
    "byte-order mark inside",
    "latin-1",
    "utf-16 without BOM",
    "cut utf-16",
    "random bytes",
)


@st.composite
def corrupted_files(draw: st.DrawFn) -> tuple[str, bytes, int | None, str]:
    """(suffix, bytes, the line the error must name or None, the corruption's name)."""
    suffix = draw(st.sampled_from([".jsonl", ".csv"]))
    kind = draw(st.sampled_from(CORRUPTIONS))
    if kind == "random bytes":
        prefix = draw(st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]))
        return suffix, prefix + draw(st.binary(min_size=1, max_size=200)), None, kind
    rows = draw(ROWS)
    if kind == "latin-1":
        latin = st.characters(min_codepoint=0xC0, max_codepoint=0xFF)
        rows = [{**row, "sentence_a": row["sentence_a"][:1].replace("\\", "x") + draw(latin)} for row in rows]
        rows = [{**row, "sentence_b": "plain"} for row in rows]
        lines = [line.encode("latin-1", "replace") for line in file_lines(rows, suffix)]
        bad = [number for number, line in enumerate(lines, 1) if not _valid_utf8(line)]
        assume(bad)
        return suffix, b"\n".join(lines) + b"\n", bad[0], kind
    lines = file_lines(rows, suffix)
    if kind in ("nul byte", "byte-order mark inside"):
        number = draw(st.integers(1, len(lines)))
        line = lines[number - 1]
        at = draw(st.integers(1 if number == 1 and kind != "nul byte" else 0, len(line)))
        lines[number - 1] = line[:at] + ("\x00" if kind == "nul byte" else "\ufeff") + line[at:]
        return suffix, "".join(line + "\n" for line in lines).encode(), number, kind
    text = "".join(line + "\n" for line in lines)
    if kind == "utf-16 without BOM":
        return suffix, text.encode(draw(st.sampled_from(["utf-16-le", "utf-16-be"]))), None, kind
    return suffix, (codecs.BOM_UTF16_LE + text.encode("utf-16-le"))[:-1], len(lines), kind


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(FILE_SETTINGS, max_examples=150)
@given(case=corrupted_files())
def test_a_corrupted_label_file_is_refused_naming_file_and_line(tmp_path: Path, case) -> None:
    suffix, content, line, kind = case
    event(kind)
    path = tmp_path / f"labels{suffix}"
    path.write_bytes(content)
    store = fresh_store(tmp_path)
    if kind == "random bytes":  # may even be a valid file; never a traceback
        try:
            import_judgements(store, path)
        except DataFormatError as error:
            assert error.path == path
            assert error.line is None or 1 <= error.line <= len(re.findall(rb"\r\n|\r|\n", content)) + 1
            assert store.pairs() == [] and store.count_judgements() == 0
        return
    assert_refused(store, path, line)


# --- hostile JSON values ------------------------------------------------------------------------------

# Raw JSON texts, refused in any column (keys, nesting and strings are checked wherever they are).
REFUSED_ANYWHERE = {
    "unpaired high surrogate": '"\\ud800"',
    "unpaired low surrogate": '"x\\udfffy"',
    "surrogates in the wrong order": '"\\udc00\\ud800"',
    "surrogate in a key": '{"\\ud83d": 1}',
    "integer of 4301 digits": "1" * 4301,
    "integer of 100000 digits": "9" * 100_000,
    "nested 33 deep": "[" * 33 + "]" * 33,
    "nested 5000 deep": "[" * 5000 + "]" * 5000,
    "nested 200000 deep": '{"a":' * 200_000 + "1" + "}" * 200_000,
    "repeated key": '{"k": 1, "k": 2}',
}
# Refused in a column that is read (a number or a sentence), ignored in any other column.
REFUSED_WHERE_READ = {
    "1e400": "1e400",
    "-1e400": "-1e400",
    "10**400": "1" + "0" * 400,
    "NaN": "NaN",
    "-Infinity": "-Infinity",
    "a list": "[1, 2]",
    "an object": '{"x": 1}',
    "true": "true",
    "a number as text": '"1e999"',
}
READ_COLUMNS = ("sentence_a", "sentence_b", "score", "gold")


def refused_in(name: str, raw: str, column: str) -> bool:
    """Whether the hostile value ``name`` (JSON text ``raw``) must be refused in ``column``.

    :data:`REFUSED_ANYWHERE` always; of :data:`REFUSED_WHERE_READ`, text is a valid sentence or
    annotator name, and every other column but ``notes`` (not read) refuses all of them.
    """
    if name in REFUSED_ANYWHERE:
        return True
    if column in ("sentence_a", "sentence_b", "annotator"):
        return not raw.startswith('"')
    return column != "notes"


def json_line(values: dict[str, str]) -> str:
    """A JSON object line from raw JSON texts of its values."""
    return "{" + ", ".join(f"{json.dumps(key)}: {raw}" for key, raw in values.items()) + "}"


GOOD = {
    "sentence_a": '"A cat sits."',
    "sentence_b": '"A cat is sitting."',
    "score": "4",
    "annotator": '"ann"',
}
HOSTILE_JSON_CASES = [
    *(
        (
            f"{name} in {column}",
            json_line({**GOOD, column: raw}),
            refused_in(name, raw, column),
        )
        for name, raw in {**REFUSED_ANYWHERE, **REFUSED_WHERE_READ}.items()
        for column in (*READ_COLUMNS, "annotator", "judged_at", "notes")
    ),
    *(
        (
            f"{column} given twice",
            json_line(GOOD)[:-1] + f", {json.dumps(column)}: {GOOD[column]}" + "}",
            True,
        )
        for column in GOOD
    ),
]


@pytest.mark.parametrize("before", [0, 2])
@pytest.mark.parametrize(
    ("description", "line", "refused"), HOSTILE_JSON_CASES, ids=[c[0] for c in HOSTILE_JSON_CASES]
)
def test_hostile_json_values_are_refused_naming_the_line_in_imports_and_pairs_files(
    tmp_path: Path, store: LabelStore, description: str, line: str, refused: bool, before: int
) -> None:
    lines = [json_line({**GOOD, "sentence_b": f'"line {i}"'}) for i in range(before)]
    lines += [line, json_line({**GOOD, "sentence_b": '"after"'})]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
    if refused:
        assert_refused(store, path, before + 1)
    else:
        assert import_judgements(store, path).rows == len(lines)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScoreScaleWarning)
        try:
            pairs = load_pairs_file(path)
        except DataFormatError as error:  # the pairs reader reads fewer columns: it may accept more
            assert (error.path, error.line) == (path, before + 1)
        else:
            assert len(pairs) == len(lines)


@pytest.mark.parametrize(
    ("cell", "column"),
    [
        (value, column)
        for value in ("1e400", "-1e400", "1" * 400, "9" * 5000, "nan", "inf", "0x10", "")
        for column in ("score", "gold")
    ]
    + [
        (value, "judged_at")
        for value in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "noon", "1" * 5000)
    ],
)
def test_overlong_and_impossible_csv_cells_are_refused_naming_the_line(
    tmp_path: Path, store: LabelStore, cell: str, column: str
) -> None:
    first = {
        "sentence_a": "a",
        "sentence_b": "b",
        "score": "3",
        "annotator": "ann",
        "gold": "",
        "judged_at": "",
    }
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(first), lineterminator="\n")
    writer.writeheader()
    writer.writerow(first)
    writer.writerow({**first, "sentence_b": "c", column: cell})
    path = tmp_path / "labels.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    if cell == "" or (column == "judged_at" and cell[0] in "09" and "T" in cell):
        summary = import_judgements(store, path)  # a blank number is absent; far-off times are times
        assert summary.rows == 2
        return
    assert_refused(store, path, 3)
