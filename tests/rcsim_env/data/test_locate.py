"""Tests of rcsim_env.data.locate: search order, de-duplication, fallback, not-found message."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from rcsim_env.data import locate
from rcsim_env.data.locate import (
    candidate_data_dirs,
    datasets_in,
    find_data_file,
    labelled_data_dirs,
)
from rcsim_env.errors import DataNotFoundError

REL = "sts/STSBenchmark/sts-test.csv"


@pytest.fixture
def sandbox(no_data_anywhere: Path) -> Path:
    """tmp_path, with the working directory at tmp_path/work and no data found anywhere."""
    return no_data_anywhere.parent


def put(directory: Path, relative: str = REL, text: str = "x") -> Path:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_candidate_order(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    assert candidate_data_dirs(sandbox / "explicit") == [
        sandbox / "explicit",
        sandbox / "env",
        sandbox / "work" / "data",
        sandbox / "shared" / "data",
        sandbox / "checkout" / "shared" / "data",
    ]


def test_labels_say_where_each_directory_came_from(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    labels = [label for _, label in labelled_data_dirs(sandbox / "explicit")]
    assert labels[0].startswith("--data-dir")
    assert labels[1] == "$RCSIM_DATA"
    assert labels[2:4] == ["./data", "../shared/data"]


def test_without_explicit_dir_or_env(sandbox: Path) -> None:
    assert candidate_data_dirs() == [
        sandbox / "work" / "data",
        sandbox / "shared" / "data",
        sandbox / "checkout" / "shared" / "data",
    ]


def test_empty_env_var_is_ignored(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", "")
    assert candidate_data_dirs()[0] == sandbox / "work" / "data"


def test_duplicates_are_removed_keeping_the_first(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "work" / "data"))
    dirs = candidate_data_dirs("data")  # relative: the same folder as $RCSIM_DATA and ./data
    assert dirs == [
        sandbox / "work" / "data",
        sandbox / "shared" / "data",
        sandbox / "checkout" / "shared" / "data",
    ]
    labels = [label for _, label in labelled_data_dirs("data")]
    assert labels[0].startswith("--data-dir")


def test_relative_explicit_dir_is_made_absolute(sandbox: Path) -> None:
    assert candidate_data_dirs("mine")[0] == sandbox / "work" / "mine"
    assert candidate_data_dirs("mine")[0].is_absolute()


def test_source_checkout_candidate_is_found_from_any_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RCSIM_DATA", raising=False)
    repo_root = Path(locate.__file__).resolve().parents[2]
    assert candidate_data_dirs()[-1] == repo_root.parent / "shared" / "data"


def test_first_candidate_holding_the_file_wins(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    put(sandbox / "work" / "data")
    env_copy = put(sandbox / "env")
    assert find_data_file(REL) == env_copy


def test_cwd_relative_shared_data_is_searched(sandbox: Path) -> None:
    shared = put(sandbox / "shared" / "data")
    assert find_data_file(REL) == shared


def test_explicit_dir_wins_without_warning(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    put(sandbox / "env")
    mine = put(sandbox / "mine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_data_file(REL, sandbox / "mine") == mine


def test_explicit_dir_without_the_file_falls_back_with_a_warning(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    env_copy = put(sandbox / "env")
    (sandbox / "mine").mkdir()
    with pytest.warns(UserWarning, match="not in the given data directory") as record:
        assert find_data_file(REL, sandbox / "mine") == env_copy
    assert str(sandbox / "mine") in str(record[0].message)


def test_alternative_names_are_tried_in_each_directory_before_the_next(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    original = put(sandbox / "env", "para/MRPC/msr_paraphrase_test.txt")
    put(sandbox / "work" / "data", "para/MRPC/msr-para-test.tsv")
    found = find_data_file("para/MRPC/msr-para-test.tsv", alternatives=["para/MRPC/msr_paraphrase_test.txt"])
    assert found == original


def test_directory_with_the_name_is_not_a_file(sandbox: Path) -> None:
    (sandbox / "work" / "data" / REL).mkdir(parents=True)
    with pytest.raises(DataNotFoundError):
        find_data_file(REL)


def test_not_found_message_lists_every_directory_and_how_to_get_data(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    (sandbox / "env").mkdir()
    with pytest.raises(DataNotFoundError) as info:
        find_data_file(REL, sandbox / "explicit")
    message = str(info.value)
    assert REL in message
    for directory in candidate_data_dirs(sandbox / "explicit"):
        assert str(directory) in message
    lines = message.splitlines()
    assert str(sandbox / "explicit") in lines[1] and "--data-dir" in lines[1] and "does not exist" in lines[1]
    assert str(sandbox / "env") in lines[2] and "does not exist" not in lines[2]
    assert "rcsim-data download" in message
    assert "--data-dir" in lines[-1] and "RCSIM_DATA" in lines[-1]


def test_not_found_names_the_alternatives_too(sandbox: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"msr-para-test.tsv or .*msr_paraphrase_test.txt"):
        find_data_file("para/MRPC/msr-para-test.tsv", alternatives=["para/MRPC/msr_paraphrase_test.txt"])


def test_datasets_in_reports_present_files(tmp_path: Path) -> None:
    put(tmp_path, "sts/STSBenchmark/sts-dev.csv")
    put(tmp_path, "para/MRPC/msr_paraphrase_train.txt")
    put(tmp_path, "corpus/wiki1m-first12k.txt")
    assert datasets_in(tmp_path) == {
        "stsb": ["sts/STSBenchmark/sts-dev.csv"],
        "mrpc": ["para/MRPC/msr_paraphrase_train.txt"],
        "wiki": ["corpus/wiki1m-first12k.txt"],
    }
    assert datasets_in(tmp_path / "missing") == {}
