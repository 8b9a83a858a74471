"""Tests of the rcsim-data command (rcsim_env.data.cli.main), offline."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from rcsim_env.data.cli import main

download_module = importlib.import_module("rcsim_env.data.download")


@pytest.fixture
def isolated(no_data_anywhere: Path) -> Path:
    """The working directory, with no data found anywhere."""
    return no_data_anywhere


@pytest.mark.parametrize("argv", [["--help"], ["download", "--help"], ["where", "--help"]])
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: rcsim-data")
    assert {"--help": "download", "download": "--only", "where": "--data-dir"}[argv[0]] in out


@pytest.mark.parametrize("argv", [[], ["fetch"], ["download", "--only", "glue"]])
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_where_lists_directories_in_order_with_their_data(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = isolated / "env"
    (env / "sts/STSBenchmark").mkdir(parents=True)
    (env / "sts/STSBenchmark/sts-test.csv").write_text("x")
    (env / "sts/STS13-en-test").mkdir()
    (isolated / "data").mkdir()
    monkeypatch.setenv("RCSIM_DATA", str(env))
    assert main(["where", "--data-dir", str(isolated / "mine")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].startswith(f"1. {isolated / 'mine'}") and "does not exist" in lines[1]
    assert lines[2].startswith(f"2. {env}  [$RCSIM_DATA]")
    assert lines[3].strip() == "stsb: sts/STSBenchmark/sts-test.csv"
    assert lines[4].strip() == f"senteval-sts ({env / 'sts'}): STS13"
    assert lines[5].startswith(f"3. {isolated / 'data'}  [./data]")
    assert lines[6].strip() == "no data sets"
    assert out.index(str(env)) < out.index(str(isolated / "data"))


def test_download_failure_exits_1_with_the_url(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        download_module, "URLS", {name: f"http://127.0.0.1:9/{name}" for name in download_module.URLS}
    )
    assert main(["download", "--dest", str(isolated / "d"), "--only", "wiki"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rcsim-data: could not download http://127.0.0.1:9/wiki")
    assert "RCSIM_DATA" in err


def test_download_with_everything_present_does_nothing(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = isolated / "d" / "corpus" / "wiki1m_for_simcse.txt"
    target.parent.mkdir(parents=True)
    target.write_text("One.\n")
    assert main(["download", "--dest", str(isolated / "d"), "--only", "wiki"]) == 0
    assert "Nothing to do" in capsys.readouterr().out
