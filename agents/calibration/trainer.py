"""The calibration run: query the oracle, learn, evaluate, checkpoint, export the calibrated encoder.

``CalibrationRun(config).run()`` returns an exit status (0 done, 130 stopped by Ctrl-C with a
checkpoint saved, 1 stopped by a non-finite loss) and leaves a run folder (see
:mod:`agents.runs.folder`; a calibration adds ``queries.csv``, one row per oracle query).
``CalibrationRun(config, resume=True)`` continues from the folder's checkpoint exactly where it
stopped. The loop, checkpoints, Ctrl-C, keep-best and the report come from
:class:`~agents.runs.lifecycle.TrainingRun`; this module says what one query is.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.calibration.config import CalibrationConfig
from agents.calibration.environment import CalibrationSources, build_environment, load_sources
from agents.calibration.learners import Learner, build_learner
from agents.calibration.plots import plot_learning_curve
from agents.runs.lifecycle import EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED, RunFolderError, TrainingRun
from rcsim_env.config import dataclass_from_json
from rcsim_env.encoders.model_card import ModelCard
from rcsim_env.encoders.sentence_encoder import SentenceEncoder, eval_mode
from rcsim_env.evaluation.sts import spearman_of

__all__ = [
    "EXIT_DONE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "CalibrationRun",
    "RunFolderError",
    "load_run_config",
    "run_training_only",
]

QUERY_FIELDS = (
    "query",
    "episode",
    "pair_id",
    "agent_score",
    "oracle_score",
    "gold_score",
    "reward",
    "skipped",
)
LABEL_STORE_FILES = ("labels.sqlite", "labels.sqlite-wal", "labels.sqlite-shm")
HUMAN_CHECKPOINT_EVERY = 10
"""A run a person answers checkpoints at least this often (queries)."""


def load_run_config(folder: str | Path) -> CalibrationConfig:
    """The configuration saved in ``folder/config.json`` (to resume a run with the settings it began with)."""
    path = Path(folder) / "config.json"
    if not path.exists():
        raise RunFolderError(f"cannot resume: {path} does not exist (is {folder} a calibration run folder?)")
    return dataclass_from_json(CalibrationConfig, path)


def run_training_only(config: CalibrationConfig, pool: list | None = None) -> tuple[int, CalibrationRun]:
    """Run ``config`` with no dev or test evaluation, checkpoints or TensorBoard, for benchmarks.

    Benchmarks time training alone and evaluate the encoder themselves. Seeds torch's global
    generator with the run's seed first; ``pool`` is passed to :class:`CalibrationRun`.
    Returns the exit status and the run (``run.encoder`` is the calibrated encoder).
    """
    quiet = replace(
        config,
        dev_split=0.0,
        data=replace(config.data, dev=None, test=None),
        run=replace(config.run, eval_every=0, checkpoint_every=0, tensorboard=False),
    )
    torch.manual_seed(quiet.run.seed)
    run = CalibrationRun(quiet, pool=pool)
    return run.run(), run


class CalibrationRun(TrainingRun):
    """One calibration run over ``config.queries`` oracle queries (see the module docstring).

    ``pool`` (optional) replaces the configured pool with the caller's pairs, ``oracle`` (any
    :class:`~rcsim_env.oracles.Oracle`, e.g. a person's) the configured oracle. ``overwrite``
    restarts a folder that holds a run (a label store in it is kept). After :meth:`run`,
    ``encoder`` holds the calibrated encoder and ``train_seconds`` the loop's time (queries and
    learning, without evaluation and export).
    """

    unit = "query"
    command = "rcsim calibrate"
    model_dir_name = "encoder"
    preserved_files = LABEL_STORE_FILES
    interrupt_mid_unit_is_safe = True  # a query changes nothing until the oracle has answered
    checkpoint_on_crash = True
    loop_state = ("episode", "observation", "updates", "skipped", "reward_sum")

    def __init__(
        self,
        config: CalibrationConfig,
        resume: bool = False,
        pool: list | None = None,
        oracle=None,
        overwrite: bool = False,
    ):
        config.validate()
        super().__init__(config, resume=resume, overwrite=overwrite)
        self._given_pool = pool
        self._given_oracle = oracle
        self.episode = 0
        self.observation: dict[str, str] | None = None
        self.updates = 0
        self.skipped = 0
        self.reward_sum = 0.0
        self.last_metrics: dict[str, float] = {}

    # ----------------------------------------------------------------- setup
    @property
    def total(self) -> int:
        """The label budget."""
        return int(self.config.queries)

    @property
    def progress_description(self) -> str:
        """``calibrating (agent)``."""
        return f"calibrating ({self.config.agent})"

    def build(self) -> None:
        """Seed, load the encoder, the pairs, the oracle, the environment and the learner."""
        seed = self.config.run.seed
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        random.seed(seed)
        self.encoder = SentenceEncoder.from_pretrained(self.config.encoder, device=self.config.run.device)
        self.sources: CalibrationSources = load_sources(
            self.config, self._given_pool, self._given_oracle, self.folder.root / "labels.sqlite"
        )
        self.env = build_environment(self.config, self.sources)
        self.learner: Learner = build_learner(self.encoder, self.config, self.env.action_space)
        self.queries_log = self.folder.log("queries.csv", QUERY_FIELDS)

    def start(self) -> None:
        """Show the first pair."""
        self.observation, _ = self.env.reset(seed=self.config.run.seed)
        self.learner.episode_start()

    # ----------------------------------------------------------------- one query
    def train_unit(self) -> dict[str, float] | None:
        """Answer the pair on screen, get the oracle's reward, learn; returns the update's metrics."""
        observation = self.observation
        action = self.learner.act(observation)
        if not np.all(np.isfinite(action)):
            raise FloatingPointError(
                f"the agent answered {action.tolist()} for pair {observation!r}: the encoder's weights or "
                "embeddings hold NaN or inf (the last update diverged; lower --encoder-lr or clip gradients)"
            )
        next_observation, reward, terminated, truncated, info = self.env.step(action)
        query = self.position + 1
        metrics = self.learner.learn(observation, action, reward, next_observation, truncated, info)
        if info["skipped"]:
            self.skipped += 1
        else:
            self.reward_sum += reward
        self.queries_log.append(
            {
                "query": query,
                "episode": self.episode,
                "pair_id": info["pair_id"],
                "agent_score": info["agent_score"],
                "oracle_score": info["oracle_score"],
                "gold_score": info["gold_score"],
                "reward": reward,
                "skipped": info["skipped"],
            }
        )
        if metrics is not None:
            self.updates += 1
            self.last_metrics = metrics
        if (terminated or truncated) and query < self.total:
            self.episode += 1
            next_observation, _ = self.env.reset()
            self.learner.episode_start()
        self.observation = next_observation
        return metrics

    def progress_postfix(self) -> dict[str, str]:
        """Mean reward so far and the last dev score."""
        if not self.last_metrics:
            return {}
        judged = max(self.position - self.skipped, 1)
        dev = f"{self.dev_history[-1][self.dev_metric]:.2f}" if self.dev_history else "-"
        return {"reward": f"{self.reward_sum / judged:.3f}", "dev": dev}

    # ----------------------------------------------------------------- evaluation
    def _spearman(self, pairs, description: str) -> float:
        return spearman_of(
            self.encoder, pairs, show_progress=self.settings.show_progress, description=description
        )

    def evaluate_dev(self) -> float | None:
        """Spearman x100 of the encoder's cosine on the dev pairs (None without dev pairs)."""
        return self._spearman(self.sources.dev, "dev Spearman") if self.sources.dev else None

    def evaluate_test(self) -> float | None:
        """Spearman x100 of the encoder's cosine on the test pairs (None without test pairs)."""
        return self._spearman(self.sources.test, "test Spearman") if self.sources.test else None

    # ----------------------------------------------------------------- state
    def training_state(self) -> dict[str, Any]:
        """The learner (encoder, optimizers, replay buffer, noise), the environment's stream and the
        oracle's own state (which stored answers a person's oracle has used)."""
        state = {"learner": self.learner.state_dict(), "env": self.env.stream_state()}
        oracle = self.env.oracle
        if callable(getattr(oracle, "oracle_state", None)):
            state["oracle"] = oracle.oracle_state()
        return state

    def load_training_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`training_state`."""
        self.learner.load_state_dict(state["learner"])
        self.env.reset(seed=self.config.run.seed)  # creates np_random; its state is overwritten next
        self.env.load_stream_state(state["env"])
        if "oracle" in state and callable(getattr(self.env.oracle, "load_oracle_state", None)):
            self.env.oracle.load_oracle_state(state["oracle"])

    @property
    def checkpoint_interval(self) -> int:
        """``--checkpoint-every``, but at most every :data:`HUMAN_CHECKPOINT_EVERY` queries when a
        person answers: a crash then costs seconds of compute (their answers are never lost)."""
        every = int(self.settings.checkpoint_every)
        if self.config.oracle.kind == "human" and self._given_oracle is None:
            return min(every, HUMAN_CHECKPOINT_EVERY) if every else HUMAN_CHECKPOINT_EVERY
        return every

    def truncate_logs(self, position: int) -> None:
        """Forget metrics and query rows after ``position``."""
        super().truncate_logs(position)
        self.queries_log.truncate_after(position)

    def check_finite(self) -> None:
        """Refuse (FloatingPointError) when the weights, or the embeddings of the pair on screen,
        are not finite."""
        weights_ok = all(bool(torch.isfinite(p).all()) for p in self.encoder.parameters())
        probe_ok = True
        if weights_ok and self.observation is not None:
            with eval_mode(self.encoder), torch.no_grad():
                probe = self.encoder.embed([self.observation["sentence_a"], self.observation["sentence_b"]])
            probe_ok = bool(torch.isfinite(probe).all())
        if not (weights_ok and probe_ok):
            what = "weights" if not weights_ok else "embeddings"
            raise FloatingPointError(
                f"the encoder's {what} hold NaN or inf after query {self.position}; the checkpoint was not "
                "overwritten (the last update diverged; lower --encoder-lr or clip gradients)"
            )

    def save_model(self, folder: Path) -> None:
        """Save the encoder (transformers and sentence-transformers files)."""
        self.encoder.save(folder)

    def export_model(self, folder: Path) -> None:
        """Save the calibrated encoder with a model card: base model, pool, oracle, budget, scores."""
        card = ModelCard(
            base_model=self.config.encoder,
            task=f"calibration from oracle rewards with {self.config.agent} (rcsim calibrate)",
            data=self.sources.notes.get("pool"),
            oracle=self.sources.notes.get("oracle"),
            label_budget=int(self.config.queries),
            scores=self.score_summary(),
            command=self.invocation,
            notes=f"Evaluation: {self.sources.notes.get('evaluation')}. Exported: {self.exported}.",
        )
        self.encoder.save(folder, card=card)

    def load_model(self, folder: Path) -> None:
        """Load the encoder's weights from ``folder``."""
        saved = SentenceEncoder.from_pretrained(str(folder), device=self.config.run.device)
        self.encoder.load_state_dict(saved.state_dict())

    # ----------------------------------------------------------------- the end
    def report_extra(self) -> dict[str, Any]:
        """Agent, budget, skips, updates, mean reward, sources and device."""
        judged = self.position - self.skipped
        return {
            "agent": self.config.agent,
            "label_budget": self.config.queries,
            "skipped": self.skipped,
            "updates": self.updates,
            "mean_reward": self.reward_sum / judged if judged else float("nan"),
            "sources": getattr(self, "sources", None) and self.sources.notes,
            "device": str(self.encoder.device) if hasattr(self, "encoder") else None,
        }

    def on_finish(self) -> None:
        """Draw the learning curve; warn when every query was skipped."""
        plot_learning_curve(
            self.queries_log.rows(),
            self.folder.metrics.rows(),
            self.folder.curve_path,
            title=f"{self.config.agent}: {self.config.queries} queries",
        )
        if self.position and self.skipped == self.position:
            print(
                f"WARNING: the oracle skipped all {self.position} queries, so nothing was learned "
                "(does the pool match the oracle's labels?)",
                flush=True,
            )

    def summary_lines(self) -> list[str]:
        """What was done, the before/after scores and where the encoder is."""
        lines = [
            f"calibration done: {self.position} queries, {self.updates} learning phases, "
            f"{self.train_seconds:.1f} s"
        ]
        for split in ("dev", "test"):
            key = f"{split}_spearman"
            if key in self.before and key in self.after:
                before, after = self.before[key], self.after[key]
                lines.append(f"  {split} Spearman: before {before:.2f}  after {after:.2f}")
        final_dev = self.after.get("final_dev_spearman")
        if final_dev is not None and self.exported != "final":
            lines.append(
                f"  (after the last query the encoder scored {final_dev:.2f} on dev; the best one is kept)"
            )
        lines.append(f"  encoder ({self.exported}) saved to {self.folder.model_dir}")
        lines.append(f"  report {self.folder.report_path}, curve {self.folder.curve_path}")
        return lines
