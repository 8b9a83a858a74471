"""``rcsim distill``: the distillation schedule as a run (folder, keep-best, exact resume, export)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import gymnasium as gym
import pytest
import torch

import rcsim_env  # noqa: F401  (registers the environments)
from agents.distillation.cli import main as distill_main
from agents.distillation.run import DistillConfig, DistillRun, load_critic, schedule
from agents.runs.lifecycle import EXIT_DONE, EXIT_INTERRUPTED
from rcsim_env.config import dataclass_from_dict

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WORDS = "a the man woman dog cat plays guitar piano runs in on field park eats food sleeps house".split()


def write_pairs(path: Path, count: int, seed: int, binary: bool) -> Path:
    rng = random.Random(seed)
    lines = ["sentence_a\tsentence_b\tscore"]
    for _ in range(count):
        a = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7)))
        b = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7)))
        score = float(rng.random() < 0.5) if binary else round(rng.uniform(0, 5), 1)
        lines.append(f"{a}\t{b}\t{score}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def config(tmp_path: Path, model_dir: Path, output: str, binary: bool = True, **settings) -> DistillConfig:
    values = dict(
        train=str(write_pairs(tmp_path / "train.tsv", 40, 0, binary)),
        test=str(write_pairs(tmp_path / "test.tsv", 12, 1, binary)),
        encoder=str(model_dir),
        dev_split=0.25,
        score_scale="0-5",
        hidden_size=8,
        policy_hidden=8,
        batch_size=8,
        policy_batch_size=8,
        samples_per_pair=2,
        critic_epochs=2,
        rounds=1,
        output=str(tmp_path / output),
        show_progress=False,
        tensorboard=False,
    )
    values.update(settings)
    return dataclass_from_dict(DistillConfig, values)


def test_the_schedule_lists_one_phase_per_epoch():
    training = DistillConfig().training
    phases = schedule(training)
    assert phases[: training.critic_epochs] == ["critic-full"] * training.critic_epochs
    assert phases.count("policy") == training.rounds * training.policy_epochs_per_round
    assert len(phases) == DistillRun(DistillConfig()).total


def test_a_run_exports_a_critic_the_environment_can_use(tmp_path, tiny_model_dir):
    run = DistillRun(config(tmp_path, tiny_model_dir, "run"))
    assert run.run() == EXIT_DONE
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["status"] == "done" and report["epochs"] == len(run.phases) == 5
    assert report["pairs"] == {
        "train": 30,
        "dev": 10,
        "test": 12,
        "label_scale": 1.0,
        "test_set": report["pairs"]["test_set"],
    }
    assert {"accuracy", "f1", "accuracy_tuned", "keep_fraction"} <= set(report["test_scores"])
    assert len(report["dev_history"]) == 6  # before the first epoch and after each
    critic = load_critic(tmp_path / "run")
    env = gym.make("RCSim/SentenceDistillation-v0", pairs=run.train_pairs, critic=critic)
    observation, _ = env.reset(seed=0)
    assert env.observation_space.contains(observation)


def test_stop_and_resume_end_with_the_uninterrupted_model(tmp_path, tiny_model_dir):
    class StopAt(DistillRun):
        def after_unit(self) -> None:
            if self.position == 3:  # inside the policy phases
                self.request_stop()

    straight = DistillRun(config(tmp_path, tiny_model_dir, "straight", binary=False, checkpoint_every=2))
    assert straight.run() == EXIT_DONE
    stopped_config = config(tmp_path, tiny_model_dir, "stopped", binary=False, checkpoint_every=2)
    assert StopAt(stopped_config).run() == EXIT_INTERRUPTED
    resumed = DistillRun(stopped_config, resume=True)
    assert resumed.run() == EXIT_DONE
    for name, tensor in straight.trainer.critic.state_dict().items():
        assert torch.equal(tensor, resumed.trainer.critic.state_dict()[name]), name
    for name, tensor in straight.trainer.policy.target.state_dict().items():
        assert torch.equal(tensor, resumed.trainer.policy.target.state_dict()[name]), name
    assert straight.report_data["dev_history"] == resumed.report_data["dev_history"]
    assert "spearman" in resumed.report_data["test_scores"]


def test_the_command_refuses_bad_settings_with_a_message(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        distill_main(["--dev-split", "1.5", "--output", str(tmp_path / "x")])
    assert stopped.value.code == 2 and "dev_split must be in [0, 1)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        distill_main(["--train", str(tmp_path / "missing.tsv"), "--output", str(tmp_path / "y")])
    assert stopped.value.code == 2 and "missing.tsv" in capsys.readouterr().err
