"""``rcsim distill``: sentence distillation (Chen et al. 2020) as a command with a run folder."""

from __future__ import annotations

import sys

from agents.distillation.run import DistillConfig, DistillRun
from agents.runs.cli import run_command

DESCRIPTION = (
    "Sentence distillation after Chen, Shi, Zhou et al. 2020, 'A Text Similarity Semantic Computing "
    "Model Based on Deep Reinforcement Learning' ('the paper' in the options below). "
    "Train the Siamese co-attention LSTM critic and the keep/drop policy on scored sentence pairs "
    "(MRPC by default), epoch by epoch on the paper's schedule, keeping the epoch best on a dev split "
    "of the training pairs. Writes the run folder --output: model/distiller.pt, report.json (test "
    "scores, the share of words kept), config.json, metrics.csv. Ctrl-C stops after the current "
    "epoch and saves checkpoint.pt; --resume --output FOLDER continues."
)


def main(argv: list[str] | None = None, prog: str = "rcsim distill") -> int:
    """Run ``rcsim distill`` with ``argv``; returns the exit status."""
    return run_command(DistillConfig, DistillRun, argv, prog, DESCRIPTION)


if __name__ == "__main__":
    sys.exit(main())
