"""The typed configuration of stage-1 pretraining (``rcsim pretrain``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from agents.runs.config import DataConfig, RunConfig
from agents.schedules import SCHEDULES

LOSSES = ("force", "simcse")
INPUT_VIEWS = ("frozen", "live")

PAPER_LR = 1e-7
"""The paper's learning rate (Adam, batch 64, one epoch over 1M sentences): it barely moves the weights."""


@dataclass
class PretrainConfig:
    """Everything a pretraining run needs.

    The defaults follow the paper where it makes sense (batch 64, one epoch, maximum length
    128, threshold 0.95, Adam without weight decay) and SimCSE elsewhere (temperature 0.05,
    linear decay, STS-B dev every so many steps keeping the best). The learning rate is
    1e-5, not the paper's 1e-7 (``--lr 1e-7`` reproduces it). Gradients are clipped at norm
    1.0 (the paper does not say; the force field's 1/D terms can spike).
    """

    corpus: str | None = field(
        default=None,
        metadata={
            "help": "one sentence per line, UTF-8 (blank lines are skipped and counted); "
            "none = the SimCSE Wikipedia corpus found in the data directories"
        },
    )
    encoder: str | None = field(
        default=None, metadata={"help": "starting encoder folder or hub id; none = bundled MiniLM"}
    )
    loss: str = field(
        default="force",
        metadata={"help": "force (the paper's ForceBasedInfoNCE) or simcse (two dropout views, InfoNCE)"},
    )
    batch_size: int = field(
        default=64,
        metadata={
            "help": "sentences per optimizer step over all processes (a multiple of the process count)"
        },
    )
    lr: float = field(
        default=1e-5, metadata={"help": "peak learning rate (the paper: 1e-7, which barely moves weights)"}
    )
    epochs: int = field(default=1, metadata={"help": "passes over the corpus"})
    max_length: int = field(
        default=128,
        metadata={"help": "maximum tokens per training sentence (capped by the encoder's own limit)"},
    )
    threshold: float = field(
        default=0.95, metadata={"help": "force: similarity threshold T above which pairs are pulled"}
    )
    input_view: str = field(
        default="frozen",
        metadata={
            "help": "force: where the estimated similarity comes from: frozen (a frozen copy of the "
            "starting encoder's embedding layer, no dropout) or live (the embedding layer being trained)"
        },
    )
    temperature: float = field(default=0.05, metadata={"help": "simcse: softmax temperature"})
    schedule: str = field(
        default="linear", metadata={"help": "learning-rate schedule: linear (decay to 0) or constant"}
    )
    warmup_fraction: float = field(
        default=0.0, metadata={"help": "share of all steps spent warming the learning rate up from 0"}
    )
    weight_decay: float = field(
        default=0.0, metadata={"help": "AdamW weight decay on matrices (0 = Adam, as the paper)"}
    )
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient-norm clip; 0 turns it off"})
    max_sentences: int | None = field(
        default=None, metadata={"help": "train on the first N sentences of the corpus; none = all"}
    )
    log_every: int = field(
        default=10, metadata={"help": "optimizer steps between loss records in the report"}
    )

    data: DataConfig = field(default_factory=DataConfig)
    run: RunConfig = field(
        default_factory=lambda: RunConfig(output="runs/pretrain", checkpoint_every=500, eval_every=125)
    )

    def validate(self, world_size: int = 1) -> None:
        """Raise ValueError naming the first setting that cannot work (``world_size``: process count)."""
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.input_view not in INPUT_VIEWS:
            raise ValueError(f"input_view must be one of {INPUT_VIEWS}, got {self.input_view!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        for name in ("epochs", "log_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if int(self.batch_size) < 2:
            raise ValueError(
                f"batch_size must be at least 2 (both losses compare sentences), got {self.batch_size}"
            )
        if int(self.batch_size) % world_size:
            raise ValueError(
                f"batch_size {self.batch_size} is not a multiple of the {world_size} processes; "
                "it is the batch over all of them, split evenly"
            )
        if int(self.max_length) < 2:
            raise ValueError(f"max_length must be at least 2 tokens, got {self.max_length}")
        if self.max_sentences is not None and int(self.max_sentences) < 0:
            raise ValueError(f"max_sentences must be >= 0 or none, got {self.max_sentences}")
        self.data.validate()
        self.run.validate()
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite positive number, got {self.lr}")
        if not (math.isfinite(self.threshold) and 0.0 < self.threshold < 1.0):
            raise ValueError(f"threshold must be strictly between 0 and 1, got {self.threshold}")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"temperature must be a finite positive number, got {self.temperature}")
        if not 0.0 <= self.warmup_fraction <= 1.0:
            raise ValueError(f"warmup_fraction must be in [0, 1], got {self.warmup_fraction}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if not (math.isfinite(self.max_grad_norm) and self.max_grad_norm >= 0):
            raise ValueError(f"max_grad_norm must be >= 0, got {self.max_grad_norm}")
