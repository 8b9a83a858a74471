"""The shared run lifecycle on a run small enough to reason about: a counter that learns a number."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.runs.config import RunConfig
from agents.runs.lifecycle import EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED, RunFolderError, TrainingRun


@dataclass
class CounterConfig:
    """A run of ``steps`` noisy steps toward ``target``; dev score = -|value - target|."""

    steps: int = 12
    target: float = 3.0
    poison_at: int = 0  # a step that makes the value NaN (0: none)
    run: RunConfig = field(
        default_factory=lambda: RunConfig(checkpoint_every=4, eval_every=3, tensorboard=False)
    )


class CounterRun(TrainingRun):
    unit = "step"
    command = "counter"
    model_dir_name = "model"
    preserved_files = ("labels.sqlite",)
    loop_state = ("value",)

    def __init__(self, config: CounterConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.value = 0.0

    @property
    def total(self) -> int:
        return self.config.steps

    def build(self) -> None:
        torch.manual_seed(self.config.run.seed)
        random.seed(self.config.run.seed)

    def train_unit(self):
        step = self.position + 1
        noise = float(torch.randn(())) + random.random()  # global generators: checkpointed by the lifecycle
        self.value += 0.5 * (self.config.target - self.value) + 0.1 * noise
        if step == self.config.poison_at:
            self.value = math.nan
        if not math.isfinite(self.value):
            raise FloatingPointError(f"the value is {self.value}")
        return {"train/value": self.value}

    def training_state(self):
        return {}

    def load_training_state(self, state) -> None:
        return None

    def evaluate_dev(self):
        return -abs(self.value - self.config.target)

    def save_model(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "value.json").write_text(json.dumps(self.value))

    def load_model(self, folder: Path) -> None:
        self.value = json.loads((folder / "value.json").read_text())


def config(tmp_path: Path, **settings) -> CounterConfig:
    base = CounterConfig()
    run = RunConfig(
        output=str(tmp_path / "run"), checkpoint_every=4, eval_every=3, tensorboard=False, show_progress=False
    )
    return CounterConfig(**{**{"steps": base.steps, "target": base.target}, **settings, "run": run})


@settings(max_examples=25, deadline=None)
@given(stop_at=st.integers(1, 11), seed=st.integers(0, 3))
def test_stopping_at_any_step_and_resuming_ends_as_the_straight_run(tmp_path_factory, stop_at, seed):
    folder = tmp_path_factory.mktemp("runs")

    def made(name):
        c = config(folder / name)
        c.run.seed = seed
        return c

    straight = CounterRun(made("a"))
    assert straight.run() == EXIT_DONE

    class Stop(CounterRun):
        def after_unit(self):
            if self.position == stop_at:
                self.request_stop()

    assert Stop(made("b")).run() == EXIT_INTERRUPTED
    resumed = CounterRun(made("b"), resume=True)
    assert resumed.run() == EXIT_DONE
    assert resumed.report_data["dev_history"] == straight.report_data["dev_history"]
    assert resumed.value == straight.value and resumed.exported == straight.exported


@pytest.mark.parametrize(
    "leftovers",
    [
        ["config.json"],
        ["queries.csv", "metrics.csv"],
        ["report.json"],
        ["notes.txt"],
        ["checkpoint.pt"],
        ["sub/x"],
    ],
)
def test_a_folder_holding_files_is_refused_unless_resume_or_overwrite(tmp_path, leftovers):
    cfg = config(tmp_path)
    root = Path(cfg.run.output)
    for name in leftovers:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("earlier")
    (root / "labels.sqlite").write_text("a person's judgements")
    with pytest.raises(RunFolderError, match="already holds"):
        CounterRun(cfg).run()
    holds_run = any(name in ("config.json", "report.json", "checkpoint.pt") for name in leftovers)
    if holds_run:
        assert CounterRun(cfg, overwrite=True).run() == EXIT_DONE
        assert not any(
            (root / name).exists() for name in leftovers if name not in ("config.json", "report.json")
        )
    else:
        with pytest.raises(RunFolderError, match="refusing to delete"):
            CounterRun(cfg, overwrite=True).run()
    assert (root / "labels.sqlite").read_text() == "a person's judgements"  # never deleted


def test_an_empty_folder_or_one_holding_only_a_label_store_starts_a_run(tmp_path):
    cfg = config(tmp_path)
    Path(cfg.run.output).mkdir(parents=True)
    (Path(cfg.run.output) / "labels.sqlite").write_text("kept")
    assert CounterRun(cfg).run() == EXIT_DONE
    report = json.loads((Path(cfg.run.output) / "report.json").read_text())
    assert report["status"] == "done" and report["steps"] == 12 and report["unit"] == "step"


def test_a_diverging_step_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    run = CounterRun(config(tmp_path, poison_at=6))
    assert run.run() == EXIT_FAILED
    assert "training stopped at step 6" in capsys.readouterr().out
    report = json.loads(run.folder.report_path.read_text())
    assert report["status"] == "failed" and "last good checkpoint" in report["error"]
    assert (run.folder.root / "checkpoint.pt").is_file()


def test_keep_best_exports_the_best_dev_point(tmp_path):
    run = CounterRun(config(tmp_path, steps=12))
    assert run.run() == EXIT_DONE
    best = max(run.dev_history, key=lambda entry: entry["dev_spearman"])
    assert run.best == best and run.after["dev_spearman"] == best["dev_spearman"]
    exported = json.loads((run.folder.model_dir / "value.json").read_text())
    assert -abs(exported - 3.0) == pytest.approx(best["dev_spearman"])
