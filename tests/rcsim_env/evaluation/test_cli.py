"""Tests of the rcsim-eval command line (rcsim_env.evaluation.cli) on a tiny random model and tiny data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rcsim_env
from rcsim_env.evaluation.cli import main

REPO_ROOT = Path(__file__).resolve().parents[3]


def source_args(model_dir: Path, data_dir: Path, senteval_root: Path) -> list[str]:
    """The command-line options naming the tiny encoder and the tiny data."""
    return ["--encoder", str(model_dir), "--data-dir", str(data_dir), "--senteval-dir", str(senteval_root)]


def test_help_runs_as_a_module() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(
        [sys.executable, "-m", "rcsim_env.evaluation", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: rcsim eval")
    for option in (
        "--encoder",
        "--tasks",
        "--data-dir",
        "--senteval-dir",
        "--batch-size",
        "--device",
        "--output",
    ):
        assert option in completed.stdout
    assert "stsb-test" in completed.stdout and "sts16" in completed.stdout and "mrpc" in completed.stdout


def test_cli_on_a_tiny_model_writes_table_and_json(
    tiny_model_dir: Path, tiny_data_dir: Path, senteval_root: Path, tmp_path: Path, capsys
) -> None:
    output = tmp_path / "out" / "nested" / "eval.json"
    tasks = ["stsb-test", "sick", "sts13", "mrpc"]
    argv = source_args(tiny_model_dir, tiny_data_dir, senteval_root)
    argv += [
        "--tasks",
        *tasks,
        "--output",
        str(output),
        "--batch-size",
        "3",
        "--device",
        "cpu",
        "--no-progress",
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "[rcsim eval]" not in captured.err and "encoding" not in captured.err
    assert captured.out.splitlines()[0].split() == ["task", "split", "n", "Spearman", "Pearson", "Acc", "F1"]
    assert f"results written to {output}" in captured.out
    document = json.loads(output.read_text(encoding="utf-8"))
    meta = document["metadata"]
    assert meta["encoder"] == str(tiny_model_dir) and meta["device"] == "cpu" and meta["batch_size"] == 3
    assert meta["tasks"] == tasks and meta["rcsim_version"] == rcsim_env.__version__ and meta["date"]
    assert set(meta["timings"]) == {"load_seconds", "tasks_seconds", "total_seconds"}
    assert list(meta["timings"]["tasks_seconds"]) == tasks
    results = document["results"]
    assert list(results) == tasks
    for task in ("stsb-test", "sick", "sts13"):
        assert {"split", "spearman", "pearson", "n", "seconds"} <= set(results[task])
    # every fixture sentence is in the tiny vocabulary (the senteval_root fixture checks it), so the
    # embeddings differ and every correlation is a number, whatever the tokenizer library's version
    for task in ("stsb-test", "sick", "sts13"):
        assert -100.0 <= results[task]["spearman"] <= 100.0
    assert results["sick"]["split"] in ("trial", "test")
    assert results["sts13"]["split"] == "all" and results["sts13"]["n"] == 9
    assert {"accuracy", "f1", "threshold", "n_train"} <= set(results["mrpc"])


def test_cli_all_runs_every_task_with_data_shows_progress_and_writes_nothing_uninvited(
    tiny_model_dir: Path, tiny_data_dir: Path, senteval_root: Path, sandbox: Path, capsys
) -> None:
    argv = source_args(tiny_model_dir, tiny_data_dir, senteval_root)
    assert main([*argv, "--tasks", "all", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert "[rcsim eval] stsb-dev" in captured.err
    for label in ("STS-B dev", "STS-B test", "SICK-R trial", "STS13", "MRPC train", "MRPC test"):
        assert f"{label}:" in captured.err  # one labelled bar per encoding pass
    rows = [line.split()[0] for line in captured.out.splitlines()[2:] if line and not line.startswith(" ")]
    assert rows[:5] == ["stsb-dev", "stsb-test", "sick", "sts13", "mrpc"]
    assert "error" not in captured.out and "results written" not in captured.out
    assert list(sandbox.iterdir()) == []  # no ./results/eval.json or anything else without --output


def test_cli_single_missing_task_exits_non_zero_with_the_message(
    tiny_model_dir: Path, sandbox: Path, capsys
) -> None:
    output = sandbox / "eval.json"
    code = main(
        ["--encoder", str(tiny_model_dir), "--tasks", "stsb-test", "--output", str(output), "--no-progress"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "stsb-test" in err and "sts-test.csv was not found" in err and "rcsim data download" in err
    assert not output.exists()


def test_cli_missing_task_among_others_is_recorded(
    tiny_model_dir: Path, tiny_data_dir: Path, senteval_root: Path, sandbox: Path, capsys
) -> None:
    output = sandbox / "eval.json"
    argv = source_args(tiny_model_dir, tiny_data_dir, senteval_root)
    assert main([*argv, "--tasks", "stsb-test", "sts12", "--output", str(output), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "rcsim eval: sts12: STS12-en-test is not in" in captured.err
    assert "error: STS12-en-test is not in" in captured.out
    results = json.loads(output.read_text(encoding="utf-8"))["results"]
    assert results["stsb-test"]["n"] == 8 and "STS12-en-test" in results["sts12"]["error"]


def test_cli_all_without_any_data_fails_clearly(sandbox: Path, capsys) -> None:
    assert main(["--tasks", "all", "--no-progress"]) == 1
    assert "no task has its data" in capsys.readouterr().err


def test_cli_rejects_bad_arguments(capsys) -> None:
    for argv in (["--tasks", "sts17"], ["--batch-size", "0"], ["--device", "tpu"]):
        with pytest.raises(SystemExit) as excinfo:
            main(argv)
        assert excinfo.value.code == 2
    assert "invalid choice: 'sts17'" in capsys.readouterr().err


def test_cli_cuda_without_a_gpu_fails_clearly(tiny_model_dir: Path, tiny_data_dir: Path, capsys) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    argv = ["--encoder", str(tiny_model_dir), "--data-dir", str(tiny_data_dir), "--device", "cuda"]
    assert main(argv) == 1
    assert "no CUDA device" in capsys.readouterr().err


def test_cli_unloadable_encoder_fails_clearly(tmp_path: Path, tiny_data_dir: Path, capsys) -> None:
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    assert main(["--encoder", str(empty), "--data-dir", str(tiny_data_dir), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"could not load encoder folder: {empty} has no config.json" in err and "it is empty" in err
    assert "hub" not in err.lower()
