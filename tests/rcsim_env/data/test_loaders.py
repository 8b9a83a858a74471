"""Tests of rcsim_env.data.loaders on small files holding each quirk, and on the real reference data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcsim_env.data.loaders import (
    find_senteval_root,
    find_wiki_corpus,
    load_corpus,
    load_mrpc,
    load_pairs_file,
    load_senteval_sts,
    load_sick,
    load_stsb,
    read_mrpc_file,
    read_sick_file,
    read_stsb_file,
    sts_year,
)
from rcsim_env.data.locate import MRPC_FILES, SICK_FILES, STSB_FILES, find_data_file
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataFormatError, DataNotFoundError


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def tsv(*rows: tuple[object, ...]) -> str:
    return "".join("\t".join(map(str, row)) + "\n" for row in rows)


@pytest.fixture
def isolated(no_data_anywhere: Path) -> Path:
    """The per-user data folder (searched without being named), while no other data directory is set."""
    return no_data_anywhere.parent / "cache" / "data"


def assert_format_error(
    error: pytest.ExceptionInfo[DataFormatError], path: Path, line: int | None, text: str
) -> None:
    assert error.value.line == line
    assert Path(error.value.path).name == path.name
    assert f"{path.name}:{line}" in str(error.value) if line is not None else path.name in str(error.value)
    assert text in str(error.value)


# --- STS Benchmark ------------------------------------------------------------------------------------

STSB_ROWS = (
    ("main-captions", "MSRvid", "2012test", "0001", "5.000", "A cat naps.", "A cat is napping."),
    (
        "main-forums",
        "answer-answer",
        "2016",
        "0008",
        "3",
        'He said "no" twice. ',
        'She said "yes".',
        "src 1",
        "src 2",
    ),
    ("main-news", "headlines", "2015", "0003", "0.000", "Stocks fall", 'Rain "expected" tomorrow'),
)


def test_stsb_takes_fields_5_to_7_and_ignores_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "sts-test.csv", tsv(*STSB_ROWS))
    pairs = read_stsb_file(path)
    assert pairs == [
        ScoredPair("A cat naps.", "A cat is napping.", 5.0, "sts-test.csv:1"),
        ScoredPair('He said "no" twice. ', 'She said "yes".', 3.0, "sts-test.csv:2"),
        ScoredPair("Stocks fall", 'Rain "expected" tomorrow', 0.0, "sts-test.csv:3"),
    ]


def test_stsb_quote_is_not_a_quote_char_even_unbalanced(tmp_path: Path) -> None:
    row = ("g", "f", "y", "1", "2.5", 'An "open quote\tis fine', "x")
    path = write(tmp_path / "sts-dev.csv", tsv(row, STSB_ROWS[0]))
    pairs = read_stsb_file(path)
    assert [pair.sentence_a for pair in pairs] == ['An "open quote', "A cat naps."]
    assert pairs[0].sentence_b == "is fine"


def test_stsb_fewer_than_seven_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "sts-test.csv", tsv(STSB_ROWS[0], STSB_ROWS[0][:6]))
    with pytest.raises(DataFormatError) as error:
        read_stsb_file(path)
    assert_format_error(error, path, 2, "at least 7")


@pytest.mark.parametrize(
    ("score", "problem"),
    [
        ("high", "'high' is not a number"),
        ("5.5", "outside [0, 5]"),
        ("-0.1", "outside [0, 5]"),
        ("nan", "NaN"),
        ("", "not a number"),
    ],
)
def test_stsb_bad_score(tmp_path: Path, score: str, problem: str) -> None:
    row = (*STSB_ROWS[0][:4], score, *STSB_ROWS[0][5:])
    path = write(tmp_path / "sts-train.csv", tsv(STSB_ROWS[0], STSB_ROWS[0], row))
    with pytest.raises(DataFormatError) as error:
        read_stsb_file(path)
    assert_format_error(error, path, 3, problem)


@pytest.mark.parametrize("column", [5, 6])
@pytest.mark.parametrize("sentence", ["", "   "])
def test_stsb_empty_sentence(tmp_path: Path, column: int, sentence: str) -> None:
    row = list(STSB_ROWS[0])
    row[column] = sentence
    path = write(tmp_path / "sts-test.csv", tsv(row))
    with pytest.raises(DataFormatError) as error:
        read_stsb_file(path)
    assert_format_error(error, path, 1, f"sentence {column - 4} is")


def test_stsb_error_is_never_a_bare_index_or_value_error(tmp_path: Path) -> None:
    path = write(tmp_path / "sts-test.csv", "just one field\n")
    with pytest.raises(DataFormatError):
        read_stsb_file(path)


def test_load_stsb_finds_the_split_in_data_dir(isolated: Path) -> None:
    write(isolated / STSB_FILES["dev"], tsv(*STSB_ROWS))
    pairs = load_stsb("dev", data_dir=isolated)
    assert len(pairs) == 3
    assert pairs[1].pair_id == "sts-dev.csv:2"


def test_load_stsb_unknown_split(isolated: Path) -> None:
    with pytest.raises(ValueError, match=r"'validation'.*train, dev, test"):
        load_stsb("validation")


def test_load_stsb_missing_file(isolated: Path) -> None:
    with pytest.raises(DataNotFoundError, match="rcsim data download"):
        load_stsb("test", data_dir=isolated)


# --- SICK ---------------------------------------------------------------------------------------------

SICK_HEADER = ("pair_ID", "sentence_A", "sentence_B", "relatedness_score", "entailment_judgment")


def test_sick_reads_header_file(tmp_path: Path) -> None:
    text = tsv(
        SICK_HEADER,
        (1, "A boy runs", "A kid is running", 4.5, "ENTAILMENT"),
        (7, "A dog", "No dog", 1, "CONTRADICTION"),
    )
    path = write(tmp_path / "SICK_trial.txt", text)
    assert read_sick_file(path) == [
        ScoredPair("A boy runs", "A kid is running", 4.5, "SICK_trial.txt:2"),
        ScoredPair("A dog", "No dog", 1.0, "SICK_trial.txt:3"),
    ]


def test_sick_columns_are_found_by_name_in_the_full_release(tmp_path: Path) -> None:
    header = (
        "pair_ID",
        "sentence_A",
        "sentence_B",
        "entailment_label",
        "relatedness_score",
        "entailment_AB",
        "SemEval_set",
    )
    path = write(
        tmp_path / "SICK.txt",
        tsv(header, (1, "A man sings", "A person sings", "ENTAILMENT", 4.2, "A_entails_B", "TRAIN")),
    )
    assert read_sick_file(path) == [ScoredPair("A man sings", "A person sings", 4.2, "SICK.txt:2")]


def test_sick_score_below_one_is_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path / "SICK_train.txt", tsv(SICK_HEADER, (1, "a", "b", 0.5, "NEUTRAL")))
    with pytest.raises(DataFormatError) as error:
        read_sick_file(path)
    assert_format_error(error, path, 2, "outside [1, 5]")


def test_sick_wrong_field_count(tmp_path: Path) -> None:
    path = write(tmp_path / "SICK_train.txt", tsv(SICK_HEADER, (1, "a", "b", 3, "NEUTRAL"), (2, "a", "b", 3)))
    with pytest.raises(DataFormatError) as error:
        read_sick_file(path)
    assert_format_error(error, path, 3, "expected 5 fields like the header, found 4")


def test_sick_missing_header_column(tmp_path: Path) -> None:
    path = write(tmp_path / "SICK_train.txt", tsv((1, "a", "b", 3, "NEUTRAL")))
    with pytest.raises(DataFormatError) as error:
        read_sick_file(path)
    assert_format_error(error, path, 1, "header lacks column(s) sentence_A, sentence_B, relatedness_score")


def test_sick_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "SICK_trial.txt", "")
    with pytest.raises(DataFormatError, match="file is empty"):
        read_sick_file(path)


def test_load_sick_test_split_uses_the_annotated_file(isolated: Path) -> None:
    write(isolated / SICK_FILES["test"], tsv(SICK_HEADER, (9, "a b", "c d", 2.5, "NEUTRAL")))
    assert load_sick("test", isolated)[0].pair_id == "SICK_test_annotated.txt:2"
    with pytest.raises(ValueError, match="trial"):
        load_sick("dev", isolated)


# --- MRPC ---------------------------------------------------------------------------------------------

MRPC_TEXT = (
    "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n"
    '1\t702876\t702977\tHe called him "the witness".\tReferring to him as only "the witness", he said so.\r\n'
    "0\t2108705\t2108831\tShares rose 5%.\tShares fell.\r\n"
)


def test_mrpc_bom_crlf_header_and_labels(tmp_path: Path) -> None:
    path = write(tmp_path / "msr-para-test.tsv", MRPC_TEXT)
    assert read_mrpc_file(path) == [
        ScoredPair(
            'He called him "the witness".',
            'Referring to him as only "the witness", he said so.',
            1.0,
            "msr-para-test.tsv:2",
        ),
        ScoredPair("Shares rose 5%.", "Shares fell.", 0.0, "msr-para-test.tsv:3"),
    ]


def test_mrpc_label_must_be_zero_or_one(tmp_path: Path) -> None:
    path = write(tmp_path / "msr-para-train.tsv", MRPC_TEXT + "0.5\t1\t2\ta\tb\r\n")
    with pytest.raises(DataFormatError) as error:
        read_mrpc_file(path)
    assert_format_error(error, path, 4, "Quality must be 0 or 1")


def test_mrpc_original_file_name_is_accepted(isolated: Path) -> None:
    write(isolated / MRPC_FILES["train"][1], MRPC_TEXT)
    pairs = load_mrpc("train", isolated)
    assert [pair.pair_id for pair in pairs] == ["msr_paraphrase_train.txt:2", "msr_paraphrase_train.txt:3"]


def test_mrpc_project_name_is_preferred(isolated: Path) -> None:
    write(isolated / MRPC_FILES["test"][0], MRPC_TEXT)
    write(isolated / MRPC_FILES["test"][1], MRPC_TEXT.replace("Shares fell.", "Other."))
    assert load_mrpc("test", isolated)[1].sentence_b == "Shares fell."


# --- SentEval STS12-STS16 -----------------------------------------------------------------------------


def make_subset(folder: Path, subset: str, pairs: list[tuple[str, str]], gold: list[str]) -> None:
    write(folder / f"STS.input.{subset}.txt", "".join(f"{a}\t{b}\n" for a, b in pairs))
    write(folder / f"STS.gs.{subset}.txt", "".join(f"{g}\n" for g in gold))


def make_sts13(root: Path) -> Path:
    folder = root / "STS13-en-test"
    make_subset(folder, "FNWN", [("a1", "b1"), ("a2", "b2")], ["1.5", "4"])
    make_subset(
        folder, "headlines", [('"Quoted" head', "line"), ("x", "y"), ("p", "q")], ["0", "5.0", "2.25"]
    )
    make_subset(folder, "OnWN", [("word sense", "meaning")], ["3.2"])
    write(folder / "STS.gs.SMT.txt", "1\n2\n3\n")  # gold without input, as in the real release
    return folder


def test_senteval_sts13_skips_smt_and_keeps_order(tmp_path: Path) -> None:
    make_sts13(tmp_path)
    data = load_senteval_sts(13, tmp_path)
    assert list(data) == ["FNWN", "headlines", "OnWN"]
    assert [len(pairs) for pairs in data.values()] == [2, 3, 1]
    assert data["headlines"][0] == ScoredPair(
        '"Quoted" head', "line", 0.0, "STS13-en-test/STS.input.headlines.txt:1"
    )
    assert [pair.score for pair in data["headlines"]] == [0.0, 5.0, 2.25]


@pytest.mark.parametrize("year", [13, "13", "STS13", "sts13", 2013])
def test_senteval_year_spellings(tmp_path: Path, year: int | str) -> None:
    make_sts13(tmp_path)
    assert sts_year(year) == 13
    assert len(load_senteval_sts(year, tmp_path)["FNWN"]) == 2


@pytest.mark.parametrize("year", [11, 17, "STS", "twelve", 2017])
def test_senteval_unknown_year(year: int | str) -> None:
    with pytest.raises(ValueError, match="unknown STS year"):
        sts_year(year)


def test_senteval_root_may_be_the_year_folder_itself(tmp_path: Path) -> None:
    folder = make_sts13(tmp_path)
    assert load_senteval_sts("STS13", folder) == load_senteval_sts(13, tmp_path)


def test_senteval_blank_gold_lines_drop_pairs_and_keep_alignment(tmp_path: Path) -> None:
    folder = tmp_path / "STS15-en-test"
    inputs = [(f"first {i}", f"second {i}") for i in range(1, 6)]
    make_subset(folder, "answers-forums", inputs, ["1", "", "3", "  ", "5"])
    for subset in ("answers-students", "belief", "headlines", "images"):
        make_subset(folder, subset, [("s", "t")], [""])
    data = load_senteval_sts(15, tmp_path)
    forums = data["answers-forums"]
    assert [(pair.sentence_a, pair.score) for pair in forums] == [
        ("first 1", 1.0),
        ("first 3", 3.0),
        ("first 5", 5.0),
    ]
    assert [pair.pair_id.rsplit(":", 1)[1] for pair in forums] == ["1", "3", "5"]
    assert data["belief"] == []


def test_senteval_extra_input_columns_are_ignored_and_quotes_kept(tmp_path: Path) -> None:
    folder = make_sts13(tmp_path)
    write(folder / "STS.input.OnWN.txt", 'He said "hi\tshe said "bye"\tsource\n')
    assert load_senteval_sts(13, tmp_path)["OnWN"] == [
        ScoredPair('He said "hi', 'she said "bye"', 3.2, "STS13-en-test/STS.input.OnWN.txt:1")
    ]


def test_senteval_line_count_mismatch_names_the_files(tmp_path: Path) -> None:
    folder = make_sts13(tmp_path)
    write(folder / "STS.gs.FNWN.txt", "1.5\n4\n2\n")
    with pytest.raises(DataFormatError) as error:
        load_senteval_sts(13, tmp_path)
    message = str(error.value)
    assert "STS.input.FNWN.txt" in message and "STS.gs.FNWN.txt" in message
    assert "2 lines" in message and "has 3" in message


def test_senteval_missing_subset_file(tmp_path: Path) -> None:
    folder = make_sts13(tmp_path)
    (folder / "STS.input.OnWN.txt").unlink()
    with pytest.raises(DataNotFoundError, match=r"STS13-en-test/STS.input.OnWN.txt"):
        load_senteval_sts(13, tmp_path)
    with pytest.raises(DataNotFoundError, match=r"STS14-en-test/STS.input.deft-forum.txt"):
        load_senteval_sts(14, tmp_path)


def test_senteval_bad_gold_names_the_gold_file(tmp_path: Path) -> None:
    folder = make_sts13(tmp_path)
    write(folder / "STS.gs.OnWN.txt", "high\n")
    with pytest.raises(DataFormatError) as error:
        load_senteval_sts(13, tmp_path)
    assert_format_error(error, folder / "STS.gs.OnWN.txt", 1, "not a number")


def test_senteval_input_line_without_tab(tmp_path: Path) -> None:
    folder = make_sts13(tmp_path)
    write(folder / "STS.input.FNWN.txt", "a1\tb1\nno tab here\n")
    with pytest.raises(DataFormatError) as error:
        load_senteval_sts(13, tmp_path)
    assert_format_error(error, folder / "STS.input.FNWN.txt", 2, "expected 2 tab-separated sentences")


def test_senteval_ids_differ_between_years_sharing_a_subset_name(tmp_path: Path) -> None:
    make_sts13(tmp_path)
    folder = tmp_path / "STS14-en-test"
    for subset in ("deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"):
        make_subset(folder, subset, [('"Quoted" head', "line")], ["0"])
    ids13 = {pair.pair_id for pair in load_senteval_sts(13, tmp_path)["headlines"]}
    ids14 = {pair.pair_id for pair in load_senteval_sts(14, tmp_path)["headlines"]}
    assert ids13.isdisjoint(ids14)


@pytest.mark.parametrize("parent", ["sts", "senteval", "downstream/STS", "."])
def test_find_senteval_root_in_each_place(isolated: Path, parent: str) -> None:
    make_sts13(isolated / parent)
    root = find_senteval_root()
    assert root == (isolated / parent)
    assert len(load_senteval_sts(13)["headlines"]) == 3


def test_find_senteval_root_prefers_explicit_dir(isolated: Path, tmp_path: Path) -> None:
    make_sts13(isolated / "sts")
    make_sts13(tmp_path / "mine" / "senteval")
    assert find_senteval_root(tmp_path / "mine") == tmp_path / "mine" / "senteval"


def test_find_senteval_root_not_found(isolated: Path) -> None:
    with pytest.raises(DataNotFoundError) as error:
        find_senteval_root()
    message = str(error.value)
    assert str(isolated / "sts") in message and str(isolated / "downstream" / "STS") in message
    assert "get_transfer_data.bash" in message


# --- corpora ------------------------------------------------------------------------------------------


def test_corpus_skips_blank_lines_and_keeps_text(tmp_path: Path) -> None:
    path = write(tmp_path / "corpus.txt", '\ufeffFirst "sentence".\r\n\r\n   \nSecond one \n\nThird')
    assert load_corpus(path) == ['First "sentence".', "Second one ", "Third"]


def test_corpus_bad_encoding_names_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"ok\n\xc3\x28\n")
    with pytest.raises(DataFormatError, match=r"corpus.txt:2"):
        load_corpus(path)


def test_find_wiki_corpus_prefers_the_full_file(isolated: Path) -> None:
    excerpt = write(isolated / "corpus" / "wiki1m-first12k.txt", "a\n")
    assert find_wiki_corpus() == excerpt
    full = write(isolated / "corpus" / "wiki1m_for_simcse.txt", "a\n")
    assert find_wiki_corpus() == full


# --- generic pair files -------------------------------------------------------------------------------


def test_jsonl_pairs(tmp_path: Path) -> None:
    lines = [
        json.dumps({"sentence_a": "A", "sentence_b": "B", "score": 4}),
        "",
        json.dumps({"sentence_a": 'say "x"', "sentence_b": "D", "id": 7}),
        json.dumps({"sentence_a": "E", "sentence_b": "F", "score": None}),
    ]
    path = write(tmp_path / "pairs.jsonl", "\n".join(lines) + "\n")
    assert load_pairs_file(path) == [
        ScoredPair("A", "B", 4.0, "pairs.jsonl:1"),
        ScoredPair('say "x"', "D", None, "7"),  # the user's id is kept
        ScoredPair("E", "F", None, "pairs.jsonl:4"),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"sentence_a": "A", "sentence_b": ', "invalid JSON"),
        ('["A", "B"]', "expected a JSON object"),
        ('{"sentence_a": "A"}', "missing key(s) sentence_b"),
        ('{"sentence_a": "A", "sentence_b": "B", "score": 7}', "outside [0, 5]"),
        ('{"sentence_a": "A", "sentence_b": "B", "score": true}', "must be a number"),
        ('{"sentence_a": "A", "sentence_b": "B", "score": "lots"}', "not a number"),
        ('{"sentence_a": "", "sentence_b": "B"}', "sentence 1 is empty"),
        ('{"sentence_a": "A", "sentence_b": 3}', "sentence 2 must be a str"),
    ],
)
def test_jsonl_errors_name_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    good = json.dumps({"sentence_a": "A", "sentence_b": "B"})
    path = write(tmp_path / "pairs.jsonl", f"{good}\n\n{line}\n")
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path)
    assert_format_error(error, path, 3, problem)


def test_csv_pairs_with_quotes_commas_and_optional_scores(tmp_path: Path) -> None:
    text = 'id,sentence_a,sentence_b,score\n1,"Hello, world","He said ""hi""",2.5\n2,plain,other,\n'
    path = write(tmp_path / "pairs.csv", text)
    assert load_pairs_file(path) == [
        ScoredPair("Hello, world", 'He said "hi"', 2.5, "1"),
        ScoredPair("plain", "other", None, "2"),
    ]


def test_csv_without_score_column(tmp_path: Path) -> None:
    path = write(tmp_path / "pairs.csv", "sentence_b,sentence_a\nsecond,first\n")
    assert load_pairs_file(path) == [ScoredPair("first", "second", None, "pairs.csv:2")]


def test_csv_bad_score_and_field_count(tmp_path: Path) -> None:
    path = write(tmp_path / "pairs.csv", "sentence_a,sentence_b,score\na,b,1\na,b,9\n")
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path)
    assert_format_error(error, path, 3, "outside [0, 5]")
    path = write(tmp_path / "pairs.csv", "sentence_a,sentence_b,score\na,b\n")
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path)
    assert_format_error(error, path, 2, "expected 3 fields")


def test_tsv_pairs_do_not_treat_quotes_as_quoting(tmp_path: Path) -> None:
    text = tsv(("sentence_a", "sentence_b", "score"), ('"Half quoted', 'ok "x"', "0"), ("a", "b", ""))
    path = write(tmp_path / "pairs.TSV", text)
    assert load_pairs_file(path) == [
        ScoredPair('"Half quoted', 'ok "x"', 0.0, "pairs.TSV:2"),
        ScoredPair("a", "b", None, "pairs.TSV:3"),
    ]


def test_tsv_missing_columns_and_empty_sentence(tmp_path: Path) -> None:
    path = write(tmp_path / "pairs.tsv", tsv(("a", "b"), ("x", "y")))
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path)
    assert_format_error(error, path, 1, "header lacks column(s) sentence_a, sentence_b")
    path = write(tmp_path / "pairs.tsv", tsv(("sentence_a", "sentence_b"), ("x", " ")))
    with pytest.raises(DataFormatError) as error:
        load_pairs_file(path)
    assert_format_error(error, path, 2, "sentence 2 is whitespace-only")


def test_unsupported_pairs_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "pairs.parquet", "")
    with pytest.raises(DataFormatError, match=r"unsupported file type '.parquet'"):
        load_pairs_file(path)


def test_missing_pairs_file(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"nope.jsonl"):
        load_pairs_file(tmp_path / "nope.jsonl")


# --- the real reference data --------------------------------------------------------------------------


def real_file(relative: str) -> Path:
    """Return the real data file, or skip the test when no data directory holds it."""
    try:
        return find_data_file(relative)
    except DataNotFoundError:
        pytest.skip(
            f"reference data {relative} not found in any data directory (set RCSIM_DATA to run this test)"
        )


def check_pairs(pairs: list[ScoredPair], low: float, high: float) -> None:
    assert len({pair.pair_id for pair in pairs}) == len(pairs)
    assert all(low <= pair.score <= high for pair in pairs if pair.score is not None)
    assert all("\t" not in pair.sentence_a + pair.sentence_b for pair in pairs)


@pytest.mark.parametrize(("split", "count"), [("train", 5749), ("dev", 1500), ("test", 1379)])
def test_real_stsb_counts(split: str, count: int) -> None:
    path = real_file(STSB_FILES[split])
    pairs = load_stsb(split, path.parents[2])
    assert len(pairs) == count
    check_pairs(pairs, 0.0, 5.0)
    assert min(pair.score for pair in pairs) == 0.0 and max(pair.score for pair in pairs) == 5.0
    assert any('"' in pair.sentence_a + pair.sentence_b for pair in pairs)


def test_real_stsb_nine_field_line_is_read() -> None:
    path = real_file(STSB_FILES["test"])
    nine_field = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line.count("\t") == 8]
    assert len(nine_field) == 284
    by_id = {pair.pair_id: pair for pair in read_stsb_file(path)}
    fields = path.read_text().splitlines()[nine_field[0] - 1].split("\t")
    assert by_id[f"sts-test.csv:{nine_field[0]}"] == ScoredPair(
        fields[5], fields[6], float(fields[4]), f"sts-test.csv:{nine_field[0]}"
    )


@pytest.mark.parametrize(("split", "count"), [("train", 4500), ("trial", 500)])
def test_real_sick_counts(split: str, count: int) -> None:
    path = real_file(SICK_FILES[split])
    pairs = load_sick(split, path.parents[2])
    assert len(pairs) == count
    check_pairs(pairs, 1.0, 5.0)


@pytest.mark.parametrize(("split", "count", "positives"), [("train", 3576, 2407), ("test", 1725, 1147)])
def test_real_mrpc_counts(split: str, count: int, positives: int) -> None:
    path = real_file(MRPC_FILES[split][0])
    pairs = load_mrpc(split, path.parents[2])
    assert len(pairs) == count
    assert sum(pair.score for pair in pairs) == positives
    assert {pair.score for pair in pairs} == {0.0, 1.0}
    assert pairs[0].pair_id == f"{path.name}:2"  # line 1 is the header (after the BOM)
    assert not pairs[-1].sentence_b.endswith("\r")


def test_real_wiki_excerpt() -> None:
    path = real_file("corpus/wiki1m-first12k.txt")
    sentences = load_corpus(path)
    # 11,914 complete lines plus a final, unterminated fragment (the excerpt is cut at 1,280,000 bytes).
    assert len(sentences) == 11915
    assert sentences[0].startswith("YMCA in South") and sentences[0].endswith("Australia")
    assert not path.read_bytes().endswith(b"\n")


def test_csv_quoted_field_may_span_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "pairs.csv", 'sentence_a,sentence_b,score\r\n"two\r\nlines",b,1\r\nc,d,2\r\n')
    assert load_pairs_file(path) == [
        ScoredPair("two\r\nlines", "b", 1.0, "pairs.csv:3"),  # a quoted field keeps its line end
        ScoredPair("c", "d", 2.0, "pairs.csv:4"),
    ]
