"""``rcsim calibrate``: calibrate a sentence encoder from oracle rewards (RC-DDPG or the paper's update)."""

from __future__ import annotations

import sys

from agents.calibration.config import CalibrationConfig
from agents.calibration.trainer import CalibrationRun
from agents.runs.cli import run_command

HELP = "fine-tune an encoder with RC-DDPG (or the paper's update) against an oracle; Ctrl-C saves"
DESCRIPTION = (
    "Calibrate a sentence encoder from oracle rewards, with RC-DDPG (an actor-critic whose critic is "
    "the encoder) or with the update of the paper Reinforcement Calibration SimCSE (Wang, Ye, Zhao; "
    "--agent paper-rlhf: 'the paper' in the options below). Writes the run folder --output: encoder/ "
    "(loads in transformers and sentence-transformers), report.json, queries.csv, metrics.csv, "
    "learning_curve.png. Ctrl-C stops after the current query and saves checkpoint.pt; "
    "--resume --output FOLDER continues it."
)


def main(argv: list[str] | None = None, prog: str = "rcsim calibrate") -> int:
    """Run ``rcsim calibrate`` with ``argv``; returns the exit status."""
    return run_command(CalibrationConfig, CalibrationRun, argv, prog, DESCRIPTION)


if __name__ == "__main__":
    sys.exit(main())
