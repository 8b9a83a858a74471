"""The typed settings of an oracle, as the commands take them (``--oracle``, ``--noise``, ...)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class OracleConfig:
    """Who answers the queries: a simulated annotator over gold scores, a teacher, stored labels or a person.

    ``kind`` names an entry of :data:`rcsim_env.oracles.registry.ORACLES`; the other fields
    are read by the kinds that need them.
    """

    kind: str = field(
        default="dataset",
        metadata={
            "flag": "--oracle",
            "help": "dataset (the pool's gold through --noise), teacher (--teacher MODEL), "
            "replay (stored labels, --labels FILE), human (a person on the labelling page, "
            "or in this terminal with --label-terminal)",
        },
    )
    noise: str = field(
        default="mild",
        metadata={"help": "simulated annotator: mild, rounded (gold to six points), exact or paper"},
    )
    teacher: str | None = field(default=None, metadata={"help": "teacher encoder for --oracle teacher"})
    labels: str | None = field(
        default=None, metadata={"help": "stored labels (.jsonl/.csv/.tsv) for --oracle replay"}
    )
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

    def validate(self) -> None:
        """Raise ValueError (or UnknownNameError) naming the first setting that cannot work."""
        from rcsim_env.oracles.noise import NOISE_PRESETS
        from rcsim_env.oracles.registry import ORACLES

        ORACLES.check(self.kind)
        NOISE_PRESETS.check(self.noise)
        if self.kind == "replay" and not self.labels:
            raise ValueError("--oracle replay needs --labels FILE (stored labels to answer from)")
        if self.kind == "teacher" and not self.teacher:
            raise ValueError("--oracle teacher needs --teacher MODEL (a folder or hub id)")
        if self.kind == "human":
            self._validate_human()

    def _validate_human(self) -> None:
        if not 0 <= int(self.label_port) <= 65535:
            raise ValueError(f"label_port must be in 0-65535, got {self.label_port}")
        if self.label_timeout is not None and not (
            math.isfinite(self.label_timeout) and self.label_timeout > 0
        ):
            raise ValueError(f"label_timeout must be > 0 seconds or none, got {self.label_timeout}")
        if not self.label_terminal:
            import os

            from rcsim_env.labelling.needs_flask import require_flask
            from rcsim_env.labelling.security import check_bind

            # the token comes from the environment only, so that it never lands in config.json
            check_bind(self.label_host, os.environ.get("RCSIM_LABEL_TOKEN") or None)
            require_flask()  # the page needs the rcsim[label] extra: say so before loading any model
