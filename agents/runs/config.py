"""The settings every training run shares: where it writes and how it is looked after."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunConfig:
    """Run folder, seed, device, checkpoint and evaluation cadence, keep-best and output.

    The cadences count the run's own unit (a calibration's oracle queries, a pretraining's
    optimizer steps, a distillation's epochs). Commands give their own defaults by nesting
    ``field(default_factory=lambda: RunConfig(output="runs/...", ...))``.
    """

    output: str = field(
        default="runs/run",
        metadata={"help": "run folder; it must be new or empty unless --resume or --overwrite is given"},
    )
    seed: int = field(default=0, metadata={"help": "seed of everything random in the run"})
    device: str = field(default="auto", metadata={"help": "torch device: auto, cpu, cuda, cuda:N"})
    checkpoint_every: int = field(
        default=250, metadata={"help": "units (queries, steps, epochs) between checkpoints; 0 = only on stop"}
    )
    eval_every: int = field(
        default=250, metadata={"help": "units between dev evaluations; 0 = only before and after"}
    )
    keep_best: bool = field(
        default=True,
        metadata={"help": "export the model with the best dev score (the start included), else the last"},
    )
    show_progress: bool = field(default=True, metadata={"help": "show a progress bar"})
    tensorboard: bool = field(default=True, metadata={"help": "also write TensorBoard logs when installed"})

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work."""
        for name in ("checkpoint_every", "eval_every"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not str(self.output).strip():
            raise ValueError("output must name a folder")


@dataclass
class DataConfig:
    """Where the named data sets are, and the dev and test pairs a run scores its model on.

    ``dev`` and ``test`` are each a named data set (``stsb-dev``, ``sick-trial``, ...) or a
    scored pairs file (.tsv/.csv/.jsonl), or ``none``.
    """

    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "data directory of the named data sets; none = $RCSIM_DATA or the user data folder"
        },
    )
    score_scale: str | None = field(
        default=None,
        metadata={
            "help": "scale of the scores in your pairs files: 0-5, 0-1 or auto (0-1 when every score is "
            "within [0, 1]); none = 0-5, with a warning when every score is within [0, 1]"
        },
    )
    dev: str | None = field(
        default="stsb-dev",
        metadata={"help": "dev pairs for keep-best: a data set name or a scored pairs file; none = no dev"},
    )
    dev_pairs: int | None = field(
        default=None,
        metadata={"help": "evaluate on the first N dev pairs; none = all, 0 = no dev evaluation"},
    )
    test: str | None = field(
        default="stsb-test",
        metadata={
            "help": "test pairs scored before and after: a data set name or a scored pairs file; "
            "none = no test"
        },
    )

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work."""
        if self.score_scale not in (None, "0-5", "0-1", "auto"):
            raise ValueError(f"score_scale must be 0-5, 0-1, auto or none, got {self.score_scale!r}")
        if self.dev_pairs is not None and int(self.dev_pairs) < 0:
            raise ValueError(f"dev_pairs must be >= 0 or none, got {self.dev_pairs}")
