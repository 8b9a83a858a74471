"""Tests of rcsim_env.data.locate: search order, the per-user folder, de-duplication, not-found message."""

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
    user_data_dir,
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


def user_folder(sandbox: Path) -> Path:
    """The per-user data folder inside the sandbox ($RCSIM_CACHE_DIR/data)."""
    return sandbox / "cache" / "data"


def test_candidate_order(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    assert candidate_data_dirs(sandbox / "explicit") == [
        sandbox / "explicit",
        sandbox / "env",
        user_folder(sandbox),
    ]


def test_labels_say_where_each_directory_came_from(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    labels = [label for _, label in labelled_data_dirs(sandbox / "explicit")]
    assert labels[0].startswith("--data-dir")
    assert labels[1] == "$RCSIM_DATA"
    assert labels[2] == "per-user data folder"


def test_without_explicit_dir_or_env_only_the_user_folder_is_searched(sandbox: Path) -> None:
    assert candidate_data_dirs() == [user_folder(sandbox)]
    assert locate.unset_sources() == ["--data-dir / data_dir argument", "$RCSIM_DATA"]


def test_empty_env_var_is_ignored(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", "")
    assert candidate_data_dirs() == [user_folder(sandbox)]


def test_duplicates_are_removed_keeping_the_first(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "work" / "data"))
    dirs = candidate_data_dirs("data")  # relative to the working directory: the same folder as $RCSIM_DATA
    assert dirs == [sandbox / "work" / "data", user_folder(sandbox)]
    labels = [label for _, label in labelled_data_dirs("data")]
    assert labels[0].startswith("--data-dir")


def test_relative_explicit_dir_is_made_absolute(sandbox: Path) -> None:
    assert candidate_data_dirs("mine")[0] == sandbox / "work" / "mine"
    assert candidate_data_dirs("mine")[0].is_absolute()


@pytest.mark.parametrize("folder", ["data", "../shared/data", "../data", "../checkout/shared/data"])
def test_folders_near_the_working_directory_or_the_package_are_never_searched(
    sandbox: Path, folder: str
) -> None:
    put(sandbox / "work" / folder)
    with pytest.raises(DataNotFoundError):
        find_data_file(REL)
    assert candidate_data_dirs() == [user_folder(sandbox)]


@pytest.mark.parametrize(
    ("cache_dir", "xdg", "expected"),
    [
        ("/tmp/rc", "/tmp/xdg", "/tmp/rc/data"),  # RCSIM_CACHE_DIR wins
        (None, "/tmp/xdg", "/tmp/xdg/rcsim/data"),  # then an absolute XDG_CACHE_HOME
        (None, "relative/xdg", "HOME/.cache/rcsim/data"),  # a relative XDG_CACHE_HOME is ignored (XDG spec)
        (None, "", "HOME/.cache/rcsim/data"),
        (None, None, "HOME/.cache/rcsim/data"),
        ("", None, "HOME/.cache/rcsim/data"),
    ],
)
def test_user_data_dir_honours_overrides_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: str | None, xdg: str | None, expected: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name, value in (("RCSIM_CACHE_DIR", cache_dir), ("XDG_CACHE_HOME", xdg)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert user_data_dir() == Path(expected.replace("HOME", str(tmp_path / "home")))


def test_the_user_folder_is_searched_without_being_named(sandbox: Path) -> None:
    found = put(user_folder(sandbox))
    assert find_data_file(REL) == found


def test_first_candidate_holding_the_file_wins(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCSIM_DATA", str(sandbox / "env"))
    put(user_folder(sandbox))
    env_copy = put(sandbox / "env")
    assert find_data_file(REL) == env_copy


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
    put(user_folder(sandbox), "para/MRPC/msr-para-test.tsv")
    found = find_data_file("para/MRPC/msr-para-test.tsv", alternatives=["para/MRPC/msr_paraphrase_test.txt"])
    assert found == original


def test_directory_with_the_name_is_not_a_file(sandbox: Path) -> None:
    (user_folder(sandbox) / REL).mkdir(parents=True)
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
    assert str(user_folder(sandbox)) in lines[3] and "per-user" in lines[3]
    assert "rcsim data download" in message
    assert "--data-dir" in lines[-1] and "RCSIM_DATA" in lines[-1]
    assert f"into {user_folder(sandbox)}" in lines[-1]


def test_not_found_message_names_the_settings_left_unset(sandbox: Path) -> None:
    with pytest.raises(DataNotFoundError) as info:
        find_data_file(REL)
    lines = str(info.value).splitlines()
    assert lines[1].strip().startswith(str(user_folder(sandbox)))
    assert lines[2] == "Not set, so not searched: --data-dir / data_dir argument, $RCSIM_DATA."
    assert "rcsim data download" in lines[3]


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
