"""Export to JSONL/CSV (read back by the loaders and the replay oracle), import, and their commands."""

import csv
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.data.loaders import load_pairs_file
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataFormatError
from rcsim_env.labelling import cli
from rcsim_env.labelling.export import export_judgements, export_rows, import_judgements, iso_time
from rcsim_env.labelling.store import LabelStore
from rcsim_env.oracles import ReplayOracle

TRICKY = ScoredPair('He said "hi", then left,\nquietly.', "Tabs\tand ünïcödé, <b>bold</b>", 2.5, "t:1")


@pytest.fixture
def judged(task_store):
    """The sample pairs judged by two annotators, with a skip and an undone answer."""
    tricky = task_store.add_pairs([TRICKY])[0]
    for pair_id, (ann, bob) in enumerate([(5, 4), (0, 1), (4, 3), (3, 3), (1, 0)], start=1):
        task_store.record_judgement(pair_id, "ann", ann, origin="page")
        task_store.record_judgement(pair_id, "bob", bob, origin="page")
    task_store.record_judgement(6, "ann", skipped=True, origin="page")
    task_store.record_judgement(tricky, "ann", 2, origin="page")
    task_store.record_judgement(tricky, "bob", 5, origin="page")
    task_store.undo_last("bob")  # bob's 5 for the tricky pair is retracted
    return task_store


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_the_replay_oracle_answers_the_exported_labels(judged, tmp_path, suffix):
    path = tmp_path / f"labels{suffix}"
    assert export_judgements(judged, path) == 11  # 10 + ann's tricky one; no skip, no retracted
    pairs = load_pairs_file(path)
    assert len(pairs) == 11
    oracle = ReplayOracle.from_file(path)
    assert len(oracle) == 11
    first = judged.pair(1)
    draws = {
        oracle.judge(first.sentence_a, first.sentence_b, rng=np.random.default_rng(s)) for s in range(40)
    }
    assert draws == {5.0, 4.0}  # both annotators' labels
    assert oracle.judge(TRICKY.sentence_a, TRICKY.sentence_b) == 2.0  # the retracted 5 is not there
    sixth = judged.pair(6)
    assert oracle.judge(sixth.sentence_a, sixth.sentence_b) is None  # only a skip: no label


def test_exports_can_include_skips_and_retractions(judged, tmp_path):
    path = tmp_path / "all.jsonl"
    assert export_judgements(judged, path, include_skipped=True, include_retracted=True) == 13
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sum(row["skipped"] for row in rows) == 1 and sum(row["retracted"] for row in rows) == 1
    assert [p.score for p in load_pairs_file(path)].count(None) == 1  # the skip has a blank score
    csv_path = tmp_path / "all.csv"
    export_judgements(judged, csv_path, include_skipped=True, include_retracted=True)
    header = csv_path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("sentence_a,sentence_b,score,annotator,skipped,retracted,judged_at")
    with pytest.raises(DataFormatError, match="use .jsonl or .csv"):
        export_judgements(judged, tmp_path / "labels.txt")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_import_restores_the_judgements_and_is_idempotent(judged, tmp_path, suffix):
    path = tmp_path / f"labels{suffix}"
    export_judgements(judged, path, include_skipped=True, include_retracted=True)
    fresh = LabelStore(tmp_path / "fresh.sqlite")
    summary = import_judgements(fresh, path)
    counts = (summary.rows, summary.pairs_added, summary.judgements_added, summary.already_present)
    assert counts == (13, 7, 13, 0)  # six sample pairs and the tricky one

    assert judgement_keys(fresh) == judgement_keys(judged)
    again = import_judgements(fresh, path)
    assert (again.judgements_added, again.already_present) == (0, 13)
    into_itself = import_judgements(judged, path)  # an export of the same store adds nothing
    assert into_itself.judgements_added == 0 and judged.count_judgements() == 13


def test_import_of_plain_pairs_and_of_scores_without_annotator(tmp_path, store):
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        json.dumps({"sentence_a": "a", "sentence_b": "b"}) + "\n"
        "\n" + json.dumps({"sentence_a": "c", "sentence_b": "d", "score": 3}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFormatError, match=r"pairs.jsonl:3: the row has a score but no annotator"):
        import_judgements(store, path)
    assert store.pairs() == []  # checked before anything was written
    summary = import_judgements(store, path, annotator="expert")
    assert (summary.pairs_added, summary.judgements_added) == (2, 1)
    assert store.task_size() == 1  # the unscored pair joins the labelling set
    assert [(j.annotator, j.score) for j in store.judgements()] == [("expert", 3.0)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.jsonl",
            '{"sentence_a": "a", "sentence_b": "b", "score": 1, "annotator": "x"}\n{oops\n',
            ":2: invalid JSON",
        ),
        ("bad.jsonl", "[1, 2]\n", ":1: expected a JSON object"),
        ("bad.jsonl", '{"sentence_a": "a"}\n', ":1: missing column(s) sentence_b"),
        (
            "bad.jsonl",
            '{"sentence_a": "a", "sentence_b": "b", "score": 9, "annotator": "x"}\n',
            ":1: score is 9.0",
        ),
        (
            "bad.jsonl",
            '{"sentence_a": "a", "sentence_b": "b", "score": "high", "annotator": "x"}\n',
            "not a number",
        ),
        ("bad.jsonl", '{"sentence_a": "", "sentence_b": "b"}\n', ":1: sentence_a is empty"),
        ("bad.jsonl", '{"sentence_a": "a", "sentence_b": "b", "skipped": "maybe"}\n', "skipped must be"),
        (
            "bad.jsonl",
            '{"sentence_a": "a", "sentence_b": "b", "score": 1, "annotator": "x", "judged_at": "noon"}\n',
            "not an ISO 8601 time",
        ),
        (
            "bad.jsonl",
            '{"sentence_a": "a", "sentence_b": "b", "score": 1, "skipped": true, "annotator": "x"}\n',
            "skipped but has score",
        ),
        ("bad.csv", "sentence_a,sentence_b,score\na,b,\nc,d\n", "bad.csv:3: expected 3 fields"),
        ("bad.csv", "", "file is empty"),
        ("bad.txt", "a\tb\n", "use .jsonl or .csv"),
    ],
)
def test_malformed_imports_name_the_file_and_line(tmp_path, store, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFormatError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        import_judgements(store, path)
    assert name in str(caught.value)
    assert store.count_judgements() == 0 and store.pairs() == []


def test_export_rows_carry_the_audit_trail(judged):
    rows = export_rows(judged, include_skipped=True, include_retracted=True)
    tricky = [row for row in rows if row["sentence_a"] == TRICKY.sentence_a]
    assert {row["annotator"] for row in tricky} == {"ann", "bob"}
    assert tricky[0]["gold"] == 2.5 and tricky[0]["source_id"] == "t:1"
    assert all(row["judged_at"].endswith("Z") for row in rows)


def test_the_export_import_and_agreement_commands(judged, tmp_path, capsys):
    db = str(judged.path)
    out = tmp_path / "out.jsonl"
    assert cli.main(["export", "--db", db, "--output", str(out)]) == 0
    assert "wrote 11 judgements" in capsys.readouterr().out
    assert len(ReplayOracle.from_file(out)) == 11
    fresh = tmp_path / "fresh.sqlite"
    assert cli.main(["import", "--db", str(fresh), "--input", str(out)]) == 0
    assert "11 judgements added" in capsys.readouterr().out
    assert cli.main(["agreement", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "Krippendorff's alpha (interval)" in text and "against gold" in text
    assert cli.main(["agreement", "--db", db, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["annotators"] == ["ann", "bob"] and 0.5 < figures["alpha"] <= 1.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "--db", "missing.sqlite", "--output", "x.jsonl"], "does not exist"),
        (["export", "--db", "x.sqlite"], "export needs --output"),
        (["import", "--db", "x.sqlite"], "import needs --input"),
        (["import", "--db", "x.sqlite", "--input", "nope.jsonl"], "does not exist"),
        (["agreement", "--db", "missing.sqlite"], "does not exist"),
    ],
)
def test_commands_refuse_bad_arguments_with_a_message(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["serve", "export", "import", "agreement"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert "--db" in capsys.readouterr().out


# ---------------------------------------------------------------- CSV round trip of hostile text
def _shows_on_screen(name: str) -> bool:
    """Whether the store accepts ``name`` (names made only of filler characters are refused)."""
    from rcsim_env.labelling.store import InvalidAnnotatorError, validate_annotator

    try:
        validate_annotator(name)
    except InvalidAnnotatorError:
        return False
    return True


FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
AWKWARD = ["\r", "\n", "\r\n", '"', "'", "\t", ",", ";", " ", "é", "日本", "😀", "\u0301", "\x01", "\u2028"]
PIECES = st.one_of(
    st.sampled_from(AWKWARD + list(FORMULA_STARTS)),
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00\ufeff"),  # no sentence holds these
)
TEXT = st.builds(
    lambda prefix, pieces: prefix + "".join(pieces),
    st.text(st.sampled_from("'" + FORMULA_STARTS), max_size=3),
    st.lists(PIECES, max_size=25),
)
SENTENCES = TEXT.filter(lambda text: text.strip())
NAMES = st.builds(
    lambda prefix, body: prefix + body,
    st.text(st.sampled_from("'=+-@"), max_size=2),
    st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=10),
).filter(lambda name: name == name.strip() and _shows_on_screen(name))
JUDGEMENTS = st.lists(
    st.tuples(
        st.integers(0, 3),  # which pair
        NAMES,
        st.none() | st.floats(0, 5),  # None: skipped
        st.booleans(),  # retracted
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda judgement: judgement[:2],  # import takes identical answers in one millisecond as one
)
PAIRS = st.lists(
    st.tuples(SENTENCES, SENTENCES, st.none() | st.floats(0, 5), st.none() | TEXT.filter(bool)),
    min_size=4,
    max_size=4,
    unique_by=lambda pair: (pair[0], pair[1]),
)


def judgement_keys(store):
    """Every judgement as comparable values: sentences, gold, source id, annotator, answer, time."""
    pairs = {p.id: (p.sentence_a, p.sentence_b, p.gold) for p in store.pairs()}
    keys = [  # times as exported: ISO 8601 to the microsecond (rounding floats could split a tie)
        (pairs[j.pair_id], j.annotator, j.score, j.skipped, j.retracted, iso_time(j.judged_at))
        for j in store.judgements(include_retracted=True)
    ]
    return sorted(keys, key=repr)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=PAIRS, judgements=JUDGEMENTS)
def test_csv_export_then_import_gives_back_the_same_judgements(pairs, judgements):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        store = LabelStore(folder / "labels.sqlite")
        ids = store.add_pairs(
            [ScoredPair(a, b, gold, source or "") for a, b, gold, source in pairs], task=True
        )
        for which, name, score, retracted in judgements:
            store.record_judgement(ids[which], name, score=score, skipped=score is None)
            if retracted:
                store.undo_last(name)
        exported = {}
        for suffix in (".csv", ".jsonl"):
            path = folder / f"labels{suffix}"
            assert export_judgements(store, path, include_skipped=True, include_retracted=True) == len(
                judgements
            )
            fresh = LabelStore(folder / f"fresh{suffix}.sqlite")
            summary = import_judgements(fresh, path)
            assert (summary.rows, summary.judgements_added) == (len(judgements), len(judgements))
            exported[suffix] = judgement_keys(fresh)
            sources = {(p.sentence_a, p.sentence_b): p.source_id for p in fresh.pairs()}
            judged = {which for which, *_ in judgements}
            for a, b, _gold, source in (pairs[which] for which in judged):
                if source:
                    assert sources[(a, b)] == source
        assert exported[".csv"] == exported[".jsonl"] == judgement_keys(store)

        # no text cell of the CSV starts a spreadsheet formula
        with open(folder / "labels.csv", encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))
        assert len(records) == len(judgements) + 1
        header = records[0]
        for record in records[1:]:
            for column in ("sentence_a", "sentence_b", "annotator", "source_id"):
                cell = record[header.index(column)]
                assert not cell or cell[0] not in FORMULA_STARTS, (column, cell)


@settings(max_examples=1000)
@given(TEXT)
def test_the_formula_escape_is_undone_exactly(text):
    from rcsim_env.data.csv_cells import escape_cell, unescape_cell

    escaped = escape_cell(text)
    assert unescape_cell(escaped) == text
    assert not escaped or escaped[0] not in FORMULA_STARTS
    assert escaped == text or escaped == "'" + text


@pytest.mark.parametrize("cell", ["'tis the season", "'", "''", "rock 'n' roll", "'quoted'", "a=b", "x-y"])
def test_apostrophes_that_escape_nothing_are_read_as_written(tmp_path, store, cell):
    path = tmp_path / "pairs.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["sentence_a", "sentence_b"], [cell, "plain"]])
    import_judgements(store, path)
    assert [(p.sentence_a, p.sentence_b) for p in store.pairs()] == [(cell, "plain")]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "'=", "\uff1d"])
def test_a_replay_oracle_over_a_csv_export_knows_sentences_that_look_like_formulas(tmp_path, start):
    store = LabelStore(tmp_path / "labels.sqlite")
    sentence = f"{start}SUM(A1:A3) is a formula"
    pair = store.add_pairs([ScoredPair(sentence, "a plain sentence", None, "")], task=True)[0]
    store.record_judgement(pair, "ann", score=4.0)
    export_judgements(store, tmp_path / "labels.csv")
    assert ReplayOracle.from_file(tmp_path / "labels.csv").judge(sentence, "a plain sentence") == 4.0
