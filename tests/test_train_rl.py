"""The ``rcsim`` command end to end, in subprocesses: calibrate, Ctrl-C, --resume, the subcommands."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _command(*args):
    return [sys.executable, str(ROOT / "train_rl.py"), *map(str, args)]


def _tiny_calibrate(tiny_model_dir, shared_data_dir, *args):
    """The calibrate command on the tiny model and the real STS-B files, plus ``args``."""
    return _command("calibrate", "--encoder", tiny_model_dir, "--data-dir", shared_data_dir, *args)


def _env():
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def test_calibrate_help_lists_the_options():
    result = subprocess.run(_command("calibrate", "--help"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for option in ("--agent", "--queries", "--noise-sigma", "--encoder-lr", "--resume", "--overwrite"):
        assert option in result.stdout
    for group in ("oracle settings", "ddpg settings", "run settings", "data settings"):
        assert group in result.stdout


def test_rcsim_lists_every_command_and_each_has_help():
    from train_rl import COMMANDS

    result = subprocess.run(_command("--help"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in COMMANDS:
        assert name in result.stdout
        sub = subprocess.run(
            _command(name, "--help"), capture_output=True, text=True, timeout=120, env=_env()
        )
        assert sub.returncode == 0, (name, sub.stderr[-2000:])
        assert sub.stdout.startswith(f"usage: rcsim {name}"), (name, sub.stdout[:200])


def test_an_unknown_command_lists_the_known_ones():
    result = subprocess.run(_command("train"), capture_output=True, text=True, timeout=120)
    assert (
        result.returncode == 2 and "invalid choice: 'train'" in result.stderr and "calibrate" in result.stderr
    )


def test_calibrate_on_a_tiny_model_writes_a_run_folder(tiny_model_dir, shared_data_dir, tmp_path):
    run = tmp_path / "run"
    result = subprocess.run(
        _tiny_calibrate(
            tiny_model_dir,
            shared_data_dir,
            "--queries",
            24,
            "--batch-size",
            8,
            "--learning-starts",
            8,
            "--eval-every",
            12,
            "--dev-pairs",
            30,
            "--output",
            run,
            "--no-show-progress",
            "--device",
            "cpu",
        ),
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "test Spearman: before" in result.stdout
    report = json.loads((run / "report.json").read_text())
    assert report["status"] == "done" and report["queries"] == 24 and report["updates"] == 5
    for name in ("queries.csv", "metrics.csv", "learning_curve.png", "config.json", "encoder/config.json"):
        assert (run / name).is_file(), name


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_the_run(tiny_model_dir, shared_data_dir, tmp_path):
    run = tmp_path / "run"
    process = subprocess.Popen(
        _tiny_calibrate(
            tiny_model_dir,
            shared_data_dir,
            "--queries",
            400,
            "--batch-size",
            8,
            "--eval-every",
            0,
            "--dev",
            "none",
            "--test",
            "none",
            "--output",
            run,
            "--no-show-progress",
            "--device",
            "cpu",
            "--no-tensorboard",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    deadline = time.monotonic() + 240
    queries = run / "queries.csv"
    while time.monotonic() < deadline and process.poll() is None:
        if queries.exists() and queries.read_text().count("\n") > 20:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    assert "checkpoint saved" in out and "--resume" in out
    report = json.loads((run / "report.json").read_text())
    stopped_at = report["queries"]
    assert report["status"] == "interrupted" and 20 <= stopped_at < 400
    assert (run / "checkpoint.pt").is_file()

    resumed = subprocess.run(
        _command("calibrate", "--resume", "--output", run, "--no-show-progress"),
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming {run} at query {stopped_at}/400" in resumed.stdout
    report = json.loads((run / "report.json").read_text())
    assert report["status"] == "done" and report["queries"] == 400
    rows = (run / "queries.csv").read_text().splitlines()
    assert len(rows) == 401 and [int(r.split(",")[0]) for r in rows[1:]] == list(range(1, 401))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent", "ppo"], "unknown agent 'ppo'; known: rc-ddpg, paper-rlhf"),
        (["--oracle", "crowd"], "unknown oracle 'crowd'"),
        (["--resume"], "cannot resume"),
        (["--resume", "--overwrite"], "contradict"),
        (["--queries", "10"], "rc-ddpg would learn nothing"),
    ],
)
def test_bad_requests_fail_with_a_clear_message(tmp_path, args, message):
    result = subprocess.run(
        _command("calibrate", "--output", tmp_path / "nothing", *args),
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert result.returncode != 0 and message in result.stderr
