"""Pretraining past one process: batch sharding, 2 CPU processes under torchrun and accelerate launch."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from agents.pretraining.config import PretrainConfig
from agents.pretraining.distributed import global_batches, launched_world, local_shard
from agents.pretraining.trainer import PretrainRun
from agents.runs.lifecycle import EXIT_DONE
from rcsim_env.config import dataclass_from_dict

ROOT = Path(__file__).resolve().parents[3]
WORDS = (
    "a the man woman dog cat plays guitar piano runs in on field park eats food sleeps house car red".split()
)


@pytest.mark.parametrize(("n", "batch_size", "world"), [(23, 8, 2), (64, 16, 4), (5, 8, 2), (10, 6, 3)])
def test_global_batches_are_seeded_and_shards_split_them_exactly(n, batch_size, world):
    batches = global_batches(n, batch_size, epoch=0, seed=0, world_size=world)
    assert all(len(batch) % world == 0 and len(batch) >= 2 for batch in batches)
    assert all(len(batch) == batch_size for batch in batches[:-1])
    flat = torch.cat(batches).tolist()
    assert len(set(flat)) == len(flat) and n - len(flat) < max(world, 2)  # at most the ragged tail is dropped
    for batch in batches:
        shards = [local_shard(batch, rank, world) for rank in range(world)]
        assert torch.equal(torch.cat(shards), batch)  # rank order = the global batch's order
    assert all(torch.equal(a, b) for a, b in zip(batches, global_batches(n, batch_size, 0, 0, world)))
    assert not torch.equal(torch.cat(batches), torch.cat(global_batches(n, batch_size, 1, 0, world)))


def test_a_shard_must_split_evenly_and_the_launcher_environment_is_read(monkeypatch):
    with pytest.raises(ValueError, match="cannot be split evenly"):
        local_shard(torch.arange(5), 0, 2)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert launched_world() == (0, 1, 0)
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert launched_world() == (3, 4, 1)
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(ValueError, match="inconsistent launcher environment"):
        launched_world()


@pytest.fixture(scope="module")
def dropout_free_model(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny BERT without dropout, so one process and two compute the same force-field steps."""
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert-no-dropout")
    config = BertConfig.from_pretrained(tiny_model_dir)
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0.0
    BertModel.from_pretrained(tiny_model_dir, config=config).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (tiny_model_dir / name).exists():
            shutil.copy(tiny_model_dir / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    rng = random.Random(0)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for _ in range(8)]
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ARGS = ["--batch-size", "8", "--epochs", "6", "--lr", "1e-3", "--log-every", "1", "--eval-every", "0"]
ARGS += [
    "--dev",
    "none",
    "--test",
    "none",
    "--device",
    "cpu",
    "--no-show-progress",
    "--loss",
    "force",
    "--max-length",
    "32",
]


def _environment() -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def _check_two_process_run(output: Path, reference: dict) -> None:
    report = json.loads((output / "report.json").read_text())
    distributed = report["distributed"]
    assert report["status"] == "done" and distributed["world_size"] == 2
    assert distributed["backend"] == "gloo" and len(distributed["weight_digests"]) == 2
    assert distributed["ranks_agree"] and len(set(distributed["weight_digests"])) == 1
    losses = [entry["loss"] for entry in report["losses"]]
    assert len(losses) == 6 and losses[-1] < losses[0], f"the loss did not fall: {losses}"
    # the gathered global batch makes two processes compute what one does
    expected = [entry["loss"] for entry in reference["losses"]]
    assert losses == pytest.approx(expected, rel=1e-3, abs=1e-4)
    norms = [entry["grad_norm"] for entry in report["losses"]]  # Adam would hide a wrongly scaled gradient
    assert norms == pytest.approx([entry["grad_norm"] for entry in reference["losses"]], rel=1e-3)
    assert report["sentences_trained"] == reference["sentences_trained"] == 6 * 8


@pytest.fixture(scope="module")
def one_process_reference(dropout_free_model, corpus, tmp_path_factory) -> dict:
    """The same run in this process (world size 1)."""
    output = tmp_path_factory.mktemp("one-process") / "out"
    config = dataclass_from_dict(
        PretrainConfig,
        dict(
            corpus=str(corpus),
            output=str(output),
            encoder=str(dropout_free_model),
            batch_size=8,
            epochs=6,
            lr=1e-3,
            log_every=1,
            eval_every=0,
            dev=None,
            test=None,
            device="cpu",
            show_progress=False,
            loss="force",
            max_length=32,
        ),
    )
    assert PretrainRun(config).run() == EXIT_DONE
    return json.loads((output / "report.json").read_text())


def test_torchrun_two_cpu_processes_end_with_identical_weights(
    dropout_free_model, corpus, one_process_reference, tmp_path
):
    output = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    command += [str(ROOT / "train_rl.py"), "pretrain", "--corpus", str(corpus), "--output", str(output)]
    command += ["--encoder", str(dropout_free_model), *ARGS]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=180, env=_environment(), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("pretraining done") == 1  # only rank 0 reports
    _check_two_process_run(output, one_process_reference)


@pytest.mark.skipif(importlib.util.find_spec("accelerate") is None, reason="accelerate is not installed")
def test_accelerate_launch_runs_the_same_command(dropout_free_model, corpus, one_process_reference, tmp_path):
    output = tmp_path / "accelerate"
    # --multi_gpu makes accelerate start torchrun-style workers; on a CPU-only machine they use gloo
    launcher = Path(sys.executable).with_name("accelerate")
    command = [str(launcher), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1"]
    command += ["--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "0"]
    command += [str(ROOT / "train_rl.py"), "pretrain", "--corpus", str(corpus), "--output", str(output)]
    command += ["--encoder", str(dropout_free_model), *ARGS]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=180, env=_environment(), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    _check_two_process_run(output, one_process_reference)
