"""The typed configuration of a calibration run (``rcsim calibrate``): nested, one config per concept.

:class:`CalibrationConfig` holds the run's own settings (agent, encoder, label budget, reward)
and nests the shared ones: :class:`~agents.runs.config.DataConfig` (dev and test pairs),
:class:`~rcsim_env.oracles.config.OracleConfig` (who answers), :class:`~agents.ddpg.agent.DDPGConfig`
(RC-DDPG's learner), :class:`~agents.paper_rlhf.PaperRLHFConfig` (the paper's update) and
:class:`~agents.runs.config.RunConfig` (folder, seed, checkpoints, evaluation cadence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from agents.ddpg.agent import DDPGConfig
from agents.paper_rlhf import PaperRLHFConfig
from agents.runs.config import DataConfig, RunConfig
from agents.schedules import SCHEDULES
from rcsim_env.oracles.config import OracleConfig

TD_LOSSES = ("root", "distance", "mse")


def calibration_ddpg() -> DDPGConfig:
    """RC-DDPG's defaults: a one-step bandit (gamma 0), batch 16, learning from the 64th query,
    a TD update every 4 queries, gradients clipped at 1, and wide Gaussian exploration (4.0 in
    action units = 2.0 on the 0-1 score scale: most answers land on an end of the scale, where the
    squared reward names the label exactly)."""
    return DDPGConfig(
        gamma=0.0,
        batch_size=16,
        learning_starts=64,
        train_every=4,
        max_grad_norm=1.0,
        noise_sigma=4.0,
    )


@dataclass
class CalibrationConfig:
    """Everything a calibration run needs; the defaults calibrate the bundled MiniLM on STS-B train."""

    agent: str = field(
        default="rc-ddpg",
        metadata={
            "help": "rc-ddpg (the actor-critic, from rewards alone) or paper-rlhf (the paper's update)"
        },
    )
    encoder: str | None = field(
        default=None,
        metadata={"help": "encoder to calibrate: a folder, a run folder or a hub id; none = bundled MiniLM"},
    )
    queries: int = field(default=1000, metadata={"help": "label budget: oracle queries in the whole run"})
    reward: str = field(default="squared", metadata={"help": "reward function: squared, absolute or paper"})
    episode_length: int = field(default=10, metadata={"help": "pairs per episode"})
    td_loss: str = field(
        default="root",
        metadata={
            "help": "rc-ddpg critic loss (squared reward; others use mse): root (s to the label "
            "a +- sqrt(-r) on the 0-1 scale nearest s), distance (|a-s| vs sqrt(-r)) or mse (Q vs r)"
        },
    )
    lr_decay: str = field(
        default="constant",
        metadata={
            "help": "rc-ddpg learning rates over the run: constant, or linear (to 0 at the last update)"
        },
    )
    pool: str | None = field(
        default=None,
        metadata={
            "help": "pairs the environment shows: a data set name or a pairs file; none = stsb-train, "
            "or with --oracle replay the pairs the stored labels cover"
        },
    )
    dev_split: float = field(
        default=0.0,
        metadata={
            "help": "hold out this share of the pool's scored pairs as the dev set (never queried); "
            "0 = use --dev"
        },
    )
    data: DataConfig = field(default_factory=DataConfig)
    oracle: OracleConfig = field(default_factory=OracleConfig)
    ddpg: DDPGConfig = field(default_factory=calibration_ddpg)
    paper: PaperRLHFConfig = field(default_factory=PaperRLHFConfig)
    run: RunConfig = field(default_factory=lambda: RunConfig(output="runs/calibrate"))

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work (nested configs included)."""
        from agents.calibration.learners import AGENTS

        AGENTS.check(self.agent)
        for name in ("queries", "episode_length"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.td_loss not in TD_LOSSES:
            raise ValueError(f"td_loss must be one of {TD_LOSSES}, got {self.td_loss!r}")
        if self.lr_decay not in SCHEDULES:
            raise ValueError(f"lr_decay must be one of {SCHEDULES}, got {self.lr_decay!r}")
        if self.td_loss != "mse" and self.ddpg.gamma > 0:
            raise ValueError(
                f"--td-loss {self.td_loss} compares one-step rewards; with --gamma > 0 use --td-loss mse"
            )
        if not self.ddpg.gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1), got {self.ddpg.gamma}")
        if not (math.isfinite(self.ddpg.encoder_lr) and self.ddpg.encoder_lr > 0):
            raise ValueError(f"encoder_lr must be > 0, got {self.ddpg.encoder_lr}")
        if self.agent == "rc-ddpg" and self.first_update_after > self.queries:
            raise ValueError(
                f"rc-ddpg would learn nothing: its first update comes after {self.first_update_after} "
                f"queries (--learning-starts {self.ddpg.learning_starts}, --batch-size "
                f"{self.ddpg.batch_size}) but the run makes only --queries {self.queries}"
            )
        if not 0.0 <= self.dev_split < 1.0:
            raise ValueError(f"dev_split must be in [0, 1), got {self.dev_split}")
        self.data.validate()
        self.oracle.validate()
        self.run.validate()

    @property
    def first_update_after(self) -> int:
        """Stored queries needed before the first TD update: ``learning_starts``, at least one batch."""
        return max(int(self.ddpg.learning_starts), int(self.ddpg.batch_size))

    def planned_updates(self) -> int:
        """TD updates a run makes if no query is skipped: ``gradient_steps`` at every multiple of
        ``train_every`` from the query :attr:`first_update_after` up to ``queries``."""
        first, every = self.first_update_after, self.ddpg.train_every
        if first > self.queries:
            return 0
        rounds = self.queries // every - (first - 1) // every
        return rounds * int(self.ddpg.gradient_steps)

    def learner_ddpg(self) -> DDPGConfig:
        """:attr:`ddpg` with what the run decides filled in: buffer and noise horizon sized to the
        label budget, learning from :attr:`first_update_after`, the decay horizon, the run's seed."""
        return replace(
            self.ddpg,
            buffer_size=max(self.queries, self.ddpg.batch_size),
            learning_starts=self.first_update_after,
            lr_decay_updates=self.planned_updates() if self.lr_decay == "linear" else 0,
            noise_decay_steps=max(self.queries, 1),
            seed=self.run.seed,
        )
