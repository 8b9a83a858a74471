"""``rcsim pretrain`` (also ``rcsim-pretrain``): stage-1 pretraining of a sentence encoder.

Run ``rcsim pretrain --help``. Under several processes:
``torchrun --nproc_per_node 2 -m agents.pretraining.cli --corpus FILE --output DIR`` (or the
same arguments after ``torchrun ... train_rl.py pretrain``).
"""

from __future__ import annotations

import sys

from agents.pretraining.config import PretrainConfig
from agents.pretraining.trainer import PretrainRun
from agents.runs.cli import run_command

DESCRIPTION = (
    "Pretrain a sentence encoder without labels on a one-sentence-per-line corpus, with the "
    "ForceBasedInfoNCE of the paper Reinforcement Calibration SimCSE (Wang, Ye, Zhao; 'the paper' in "
    "the options below; --loss force) or unsupervised SimCSE (--loss simcse). Writes the run folder "
    "--output: encoder/ (it loads as rcsim calibrate --encoder OUTPUT), report.json, config.json, "
    "metrics.csv. Ctrl-C stops after the current step and saves checkpoint.pt; --resume --output DIR "
    "continues. Runs unchanged under torchrun or accelerate launch (DDP: gloo on CPU, NCCL on GPUs)."
)


def main(argv: list[str] | None = None, prog: str = "rcsim pretrain") -> int:
    """Run ``rcsim pretrain`` with ``argv``; returns the exit status."""
    return run_command(PretrainConfig, PretrainRun, argv, prog, DESCRIPTION)


def alias_main() -> int:
    """``rcsim-pretrain``, the older name of ``rcsim pretrain``."""
    return main(prog="rcsim-pretrain")


if __name__ == "__main__":
    sys.exit(main())
