"""The typed configuration of a calibration run (``rcsim-train calibrate``)."""

from __future__ import annotations

from dataclasses import dataclass, field

AGENTS = ("rc-ddpg", "paper-rlhf")
ORACLES = ("dataset", "teacher", "replay", "human")
TD_LOSSES = ("root", "distance", "mse")
LR_DECAYS = ("constant", "linear")


@dataclass
class CalibrationConfig:
    """Everything a calibration run needs; the defaults calibrate the bundled MiniLM on STS-B train."""

    agent: str = field(
        default="rc-ddpg", metadata={"help": "rc-ddpg (the actor-critic) or paper-rlhf (the paper's update)"}
    )
    encoder: str | None = field(
        default=None, metadata={"help": "encoder folder or hub id to calibrate; none = bundled MiniLM"}
    )
    data_dir: str | None = field(default=None, metadata={"help": "data directory (default: ../shared/data)"})
    pool: str = field(
        default="stsb-train",
        metadata={
            "help": "pairs the environment shows: stsb-train, sick-train or a pairs file (.tsv/.csv/.jsonl)"
        },
    )
    oracle: str = field(
        default="dataset",
        metadata={
            "help": "dataset (the pool's gold through --noise), teacher (--teacher MODEL), "
            "replay (--labels), human (a person on the labelling page, or --label-terminal)"
        },
    )
    noise: str = field(
        default="mild",
        metadata={"help": "simulated annotator: mild, rounded (gold to six points), exact or paper"},
    )
    teacher: str | None = field(default=None, metadata={"help": "teacher encoder for --oracle teacher"})
    labels: str | None = field(default=None, metadata={"help": "stored labels file for --oracle replay"})
    label_db: str | None = field(
        default=None,
        metadata={"help": "--oracle human: SQLite label store; none = labels.sqlite in the run folder"},
    )
    label_host: str = field(
        default="127.0.0.1",
        metadata={"help": "--oracle human: page address; not loopback needs $RCSIM_LABEL_TOKEN (16+ chars)"},
    )
    label_port: int = field(default=8765, metadata={"help": "--oracle human: port of the labelling page"})
    label_timeout: float | None = field(
        default=None,
        metadata={"help": "--oracle human: seconds to wait for an answer, then skip the pair; none = wait"},
    )
    label_terminal: bool = field(
        default=False, metadata={"help": "--oracle human: ask in this terminal instead of the web page"}
    )
    reward: str = field(default="squared", metadata={"help": "reward function: squared, absolute or paper"})
    queries: int = field(default=1000, metadata={"help": "label budget: oracle queries in the whole run"})
    episode_length: int = field(default=10, metadata={"help": "pairs per episode"})

    exploration: float = field(
        default=2.0,
        metadata={
            "help": "std of the Gaussian exploration noise on the 0-1 score scale; wide noise puts most "
            "answers on an end of the scale, where the squared reward names the label exactly"
        },
    )
    noise_kind: str = field(default="gaussian", metadata={"help": "exploration noise: gaussian, ou or none"})
    noise_decay: str = field(
        default="constant", metadata={"help": "noise schedule: constant, linear, exponential"}
    )
    noise_final_scale: float = field(
        default=1.0, metadata={"help": "noise scale reached at the last query (decaying schedules)"}
    )
    update_every: int = field(default=4, metadata={"help": "queries between learning phases"})
    gradient_steps: int = field(default=1, metadata={"help": "TD updates per learning phase"})
    batch_size: int = field(default=16, metadata={"help": "transitions per TD update"})
    learning_starts: int = field(default=64, metadata={"help": "queries before the first update"})
    lr_decay: str = field(
        default="constant",
        metadata={"help": "learning rates over the run: constant, or linear (to 0 at the last TD update)"},
    )
    replay_newest: int = field(
        default=0,
        metadata={
            "help": "put the k newest queries in every TD batch (combined experience replay; "
            "k = update_every replays every query at least once); 0 = uniform replay"
        },
    )
    encoder_lr: float = field(default=2e-5, metadata={"help": "learning rate of the encoder"})
    head_lr: float = field(
        default=1e-3, metadata={"help": "learning rate of the actor and the critic's offset"}
    )
    td_loss: str = field(
        default="root",
        metadata={
            "help": "critic loss (squared reward; others use mse): root (s to the label a +- sqrt(-r) "
            "on the 0-1 scale nearest s), distance (|a-s| vs sqrt(-r)) or mse (Q vs r)"
        },
    )
    gamma: float = field(
        default=0.0, metadata={"help": "discount; 0 because one pair's answer does not change the next pair"}
    )
    tau: float = field(
        default=0.005, metadata={"help": "Polyak rate of the target networks (when gamma > 0)"}
    )
    max_grad_norm: float | None = field(default=1.0, metadata={"help": "gradient clipping norm; none = off"})
    paper_k: float = field(default=50.0, metadata={"help": "paper-rlhf: k in loss = -k p reward"})
    paper_lr: float = field(default=2e-5, metadata={"help": "paper-rlhf: encoder learning rate (Adam)"})

    eval_every: int = field(
        default=250, metadata={"help": "queries between STS-B dev evaluations; 0 = only before and after"}
    )
    dev_pairs: int | None = field(
        default=None,
        metadata={"help": "evaluate on the first N dev pairs; none = all, 0 = no dev evaluation"},
    )
    keep_best: bool = field(default=True, metadata={"help": "export the encoder with the best dev Spearman"})
    test: bool = field(default=True, metadata={"help": "evaluate STS-B test before and after"})
    checkpoint_every: int = field(
        default=250, metadata={"help": "queries between checkpoints; 0 = only on stop"}
    )
    output: str = field(default="runs/calibrate", metadata={"help": "run folder"})
    device: str = field(default="auto", metadata={"help": "torch device: auto, cpu, cuda, ..."})
    seed: int = field(default=0, metadata={"help": "seed of the environment, the agent and the noise"})
    show_progress: bool = field(default=True, metadata={"help": "show a progress bar"})
    tensorboard: bool = field(default=True, metadata={"help": "also write TensorBoard logs when installed"})

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work."""
        if self.agent not in AGENTS:
            raise ValueError(f"agent must be one of {AGENTS}, got {self.agent!r}")
        if self.oracle not in ORACLES:
            raise ValueError(f"oracle must be one of {ORACLES}, got {self.oracle!r}")
        if self.oracle == "replay" and not self.labels:
            raise ValueError("--oracle replay needs --labels FILE (stored labels to answer from)")
        if self.oracle == "human":
            self._validate_human()
        positive = ("queries", "episode_length", "update_every", "gradient_steps", "batch_size")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("eval_every", "checkpoint_every", "learning_starts", "replay_newest"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.lr_decay not in LR_DECAYS:
            raise ValueError(f"lr_decay must be one of {LR_DECAYS}, got {self.lr_decay!r}")
        if self.replay_newest > self.batch_size:
            raise ValueError(
                f"replay_newest must be at most batch_size ({self.batch_size}), got {self.replay_newest}"
            )
        if not 0.0 <= self.exploration <= 2.0:
            raise ValueError(f"exploration must be in [0, 2] (0-1 score scale), got {self.exploration}")
        for name in ("encoder_lr", "head_lr", "paper_lr"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1), got {self.gamma}")
        if self.td_loss not in TD_LOSSES:
            raise ValueError(f"td_loss must be one of {TD_LOSSES}, got {self.td_loss!r}")
        if self.td_loss != "mse" and self.gamma > 0:
            raise ValueError(
                f"--td-loss {self.td_loss} compares one-step rewards; with --gamma > 0 use --td-loss mse"
            )

    @property
    def first_update_after(self) -> int:
        """Stored queries needed before the first TD update: ``learning_starts``, at least one batch."""
        return max(int(self.learning_starts), int(self.batch_size))

    def planned_updates(self) -> int:
        """TD updates a run makes if no query is skipped: ``gradient_steps`` at every multiple of
        ``update_every`` from the query :attr:`first_update_after` up to ``queries``."""
        first = self.first_update_after
        if first > self.queries:
            return 0
        rounds = self.queries // self.update_every - (first - 1) // self.update_every
        return rounds * int(self.gradient_steps)

    def _validate_human(self) -> None:
        """Raise ValueError naming the first ``--label-*`` setting that cannot work."""
        import math

        if not 0 <= int(self.label_port) <= 65535:
            raise ValueError(f"label_port must be in 0-65535, got {self.label_port}")
        if self.label_timeout is not None and not (
            math.isfinite(self.label_timeout) and self.label_timeout > 0
        ):
            raise ValueError(f"label_timeout must be > 0 seconds or none, got {self.label_timeout}")
        if not self.label_terminal:
            import os

            from rcsim_env.labelling.app import check_bind

            # the token comes from the environment only, so that it never lands in config.json
            check_bind(self.label_host, os.environ.get("RCSIM_LABEL_TOKEN") or None)
