"""Tests of the named pair pools and load_pool (rcsim_env.data.pools)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rcsim_env.data import POOLS, load_pool
from rcsim_env.data.locate import STSB_FILES
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataFormatError, DataNotFoundError, UnknownNameError, UnknownPoolError

NAMES = [
    "stsb-train",
    "stsb-dev",
    "stsb-test",
    "sick-train",
    "sick-trial",
    "sick-test",
    "mrpc-train",
    "mrpc-test",
]
STSB_ROW = "main-captions\tMSRvid\t2012test\t0001\t{score}\tA cat naps.\tA cat is napping {n}.\n"


def test_the_registry_holds_every_pool_with_a_description() -> None:
    assert list(POOLS) == NAMES
    assert all(POOLS.help_of(name) for name in NAMES)


def test_a_pool_is_found_in_data_dir(tmp_path: Path) -> None:
    path = tmp_path / STSB_FILES["dev"]
    path.parent.mkdir(parents=True)
    path.write_text(STSB_ROW.format(score=4.2, n=1) + STSB_ROW.format(score=0, n=2))
    assert load_pool("stsb-dev", data_dir=tmp_path) == [
        ScoredPair("A cat naps.", "A cat is napping 1.", 4.2, "sts-dev.csv:1"),
        ScoredPair("A cat naps.", "A cat is napping 2.", 0.0, "sts-dev.csv:2"),
    ]


def test_mrpc_labels_are_put_on_the_0_5_scale(tmp_path: Path) -> None:
    path = tmp_path / "para/MRPC/msr_paraphrase_test.txt"
    path.parent.mkdir(parents=True)
    path.write_text("Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tA.\tB.\n0\t3\t4\tC.\tD.\n")
    assert [pair.score for pair in load_pool("mrpc-test", tmp_path)] == [5.0, 0.0]


def test_a_missing_data_set_says_where_it_looked(no_data_anywhere: Path) -> None:
    with pytest.raises(DataNotFoundError, match="rcsim data download") as error:
        load_pool("sick-trial")
    assert str(no_data_anywhere.parent / "cache" / "data") in str(error.value)


@pytest.mark.parametrize("as_path", [False, True])
def test_a_pairs_file_is_read_with_its_score_scale(tmp_path: Path, as_path: bool) -> None:
    path = tmp_path / "mine.tsv"
    path.write_text("s1\ts2\tscore\nA.\tB.\t0.5\nC.\tD.\t1\n")
    given = path if as_path else str(path)
    assert [pair.score for pair in load_pool(given, score_scale="0-1")] == [2.5, 5.0]
    assert [pair.score for pair in load_pool(given, score_scale="0-5")] == [0.5, 1.0]


def test_a_relative_path_is_relative_to_the_working_directory(no_data_anywhere: Path) -> None:
    (no_data_anywhere / "pairs.jsonl").write_text('{"s1": "A.", "s2": "B.", "id": "x"}\n')
    assert load_pool("pairs.jsonl") == [ScoredPair("A.", "B.", None, "x")]


@pytest.mark.parametrize("name", ["stsb-trian", "sick", "my_pairs.tsv", "nowhere/pairs.csv"])
def test_neither_a_name_nor_a_file_lists_the_names(no_data_anywhere: Path, name: str) -> None:
    with pytest.raises(UnknownPoolError) as error:
        load_pool(name)
    assert isinstance(error.value, UnknownNameError) and isinstance(error.value, DataNotFoundError)
    assert isinstance(error.value, KeyError) and isinstance(error.value, FileNotFoundError)
    message = str(error.value)
    assert repr(name) in message and "does not exist" in message
    assert str(no_data_anywhere / name) in message
    assert all(known in message for known in NAMES)


@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_name_lists_the_names(name: str) -> None:
    with pytest.raises(UnknownPoolError, match="the pool name is empty; known pools: stsb-train, "):
        load_pool(name)


def test_a_registered_name_wins_over_a_file_of_that_name(no_data_anywhere: Path) -> None:
    (no_data_anywhere / "sick-trial").write_text("not read")
    with pytest.raises(DataNotFoundError, match="SICK_trial.txt"):
        load_pool("sick-trial")


def test_a_folder_is_not_a_pool(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="is a folder"):
        load_pool(tmp_path)


def test_score_scale_with_a_pool_name_is_refused() -> None:
    with pytest.raises(ValueError, match="score_scale applies to pairs files"):
        load_pool("stsb-dev", score_scale="0-1")


# --- the real reference data --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "low", "high"),
    [
        ("stsb-train", 5749, 0.0, 5.0),
        ("stsb-dev", 1500, 0.0, 5.0),
        ("stsb-test", 1379, 0.0, 5.0),
        ("sick-train", 4500, 1.0, 5.0),
        ("sick-trial", 500, 1.0, 5.0),
        ("mrpc-train", 3576, 0.0, 5.0),
        ("mrpc-test", 1725, 0.0, 5.0),
    ],
)
def test_real_pools(name: str, count: int, low: float, high: float) -> None:
    if not os.environ.get("RCSIM_DATA"):
        pytest.skip("the reference data is found through RCSIM_DATA; it is not set")
    pairs = load_pool(name)
    assert len(pairs) == count
    scores = [pair.score for pair in pairs]
    assert min(scores) == low and max(scores) == high
    if name.startswith("mrpc"):
        assert set(scores) == {0.0, 5.0}
