"""Tests of the rcsim-data command (rcsim_env.data.cli.main), offline."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

import pytest

from rcsim_env.data.cli import main
from rcsim_env.data.loaders import load_mrpc

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
    assert out.startswith("usage: rcsim data")
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
    (isolated / "data").mkdir()  # ./data is never searched
    user_folder = isolated.parent / "cache" / "data"
    user_folder.mkdir(parents=True)
    monkeypatch.setenv("RCSIM_DATA", str(env))
    assert main(["where", "--data-dir", str(isolated / "mine")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].startswith(f"1. {isolated / 'mine'}") and "does not exist" in lines[1]
    assert lines[2].startswith(f"2. {env}  [$RCSIM_DATA]")
    assert lines[3].strip() == "stsb: sts/STSBenchmark/sts-test.csv"
    assert lines[4].strip() == f"senteval-sts ({env / 'sts'}): STS13"
    assert lines[5] == f"3. {user_folder}  [per-user data folder]"
    assert lines[6].strip() == "no data sets"
    assert len(lines) == 7 and str(isolated / "data") not in out


def test_where_says_which_settings_are_unset(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["where"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith(f"1. {isolated.parent / 'cache' / 'data'}  [per-user data folder]")
    assert lines[-1] == "Not set, so not searched: --data-dir / data_dir argument, $RCSIM_DATA."


def test_download_help_names_the_user_folder_and_no_outside_path(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # argparse would break the long temporary path
    for argv in (["download", "--help"], ["where", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = " ".join(capsys.readouterr().out.split())
        assert str(isolated.parent / "cache" / "data") in out
        assert "shared" not in out and "./data" not in out and "checkout" not in out


def test_download_failure_exits_1_with_the_url(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        download_module, "URLS", {name: f"http://127.0.0.1:9/{name}" for name in download_module.URLS}
    )
    assert main(["download", "--dest", str(isolated / "d"), "--only", "wiki"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rcsim data: could not download http://127.0.0.1:9/wiki")
    assert "RCSIM_DATA" in err


def test_download_with_everything_present_does_nothing(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = isolated / "d" / "corpus" / "wiki1m_for_simcse.txt"
    target.parent.mkdir(parents=True)
    target.write_text("One.\n")
    assert main(["download", "--dest", str(isolated / "d"), "--only", "wiki"]) == 0
    assert "Nothing to do" in capsys.readouterr().out


def test_download_fills_the_user_folder_by_default_and_the_data_is_found(
    isolated: Path, http_server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = b"Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tA cat.\tA kitten.\n"
    urls = {"mrpc-train": http_server.serve("/train", body), "mrpc-test": http_server.serve("/test", body)}
    pins = {key: download_module.Pin(hashlib.sha256(body).hexdigest()) for key in urls}
    monkeypatch.setattr(download_module, "URLS", urls)
    monkeypatch.setattr(download_module, "DOWNLOAD_PINS", pins)
    assert main(["download", "--only", "mrpc"]) == 0
    out = capsys.readouterr().out
    user_folder = isolated.parent / "cache" / "data"
    assert str(user_folder / "para/MRPC/msr_paraphrase_train.txt") in out and "does not search" not in out
    assert load_mrpc("train")[0].sentence_b == "A kitten."  # found without --data-dir or RCSIM_DATA


def test_download_elsewhere_says_how_to_use_it(
    isolated: Path, http_server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = b"One.\nTwo.\n"
    monkeypatch.setattr(download_module, "URLS", {"wiki": http_server.serve("/wiki", body)})
    monkeypatch.setattr(
        download_module,
        "DOWNLOAD_PINS",
        {"wiki": download_module.Pin(hashlib.sha256(body[:4]).hexdigest(), 4)},
    )
    assert main(["download", "--dest", str(isolated / "d"), "--only", "wiki"]) == 0
    captured = capsys.readouterr()
    assert f"--data-dir {isolated / 'd'}" in captured.out and f"RCSIM_DATA={isolated / 'd'}" in captured.out
    assert "rcsim data: warning: " in captured.err and "first 4 bytes" in captured.err


def test_download_checksum_failure_exits_1_naming_the_digests(
    isolated: Path, http_server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(download_module, "URLS", {"wiki": http_server.serve("/wiki", b"tampered\n")})
    monkeypatch.setattr(download_module, "DOWNLOAD_PINS", {"wiki": download_module.Pin("a" * 64)})
    assert main(["download", "--dest", str(isolated / "d"), "--only", "wiki"]) == 1
    err = capsys.readouterr().err
    assert "wiki1m_for_simcse.txt" in err and f"expected {'a' * 64}" in err
    actual = hashlib.sha256(b"tampered\n").hexdigest()
    assert f"got {actual}" in err
    assert [p for p in (isolated / "d").rglob("*") if p.is_file()] == []
