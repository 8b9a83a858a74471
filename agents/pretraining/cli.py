"""``rcsim-pretrain`` (also ``rcsim-train pretrain``): stage-1 pretraining of a sentence encoder.

Run ``rcsim-pretrain --help``. Under several processes:
``torchrun --nproc_per_node 2 -m agents.pretraining.cli --corpus FILE --output DIR`` (or the
same arguments after ``torchrun ... train_rl.py pretrain``).
"""

from __future__ import annotations

import argparse
import sys

from agents.pretraining.config import PretrainConfig
from rcsim_env.config import add_dataclass_arguments, dataclass_from_args

DESCRIPTION = (
    "Pretrain a sentence encoder without labels on a one-sentence-per-line corpus, with the paper's "
    "ForceBasedInfoNCE (--loss force) or unsupervised SimCSE (--loss simcse). Writes the encoder to "
    "--output (it loads as rcsim-train calibrate --encoder OUTPUT), with pretrain_report.json. "
    "Ctrl-C stops after the current step and saves checkpoint.pt; --resume --output DIR continues. "
    "Runs unchanged under torchrun or accelerate launch (DDP: gloo on CPU, NCCL on GPUs)."
)
HELP = "pretrain an encoder without labels (ForceBasedInfoNCE or SimCSE); torchrun-ready"


def add_pretrain_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add one option per :class:`PretrainConfig` field plus ``--resume`` to ``parser``; returns it."""
    add_dataclass_arguments(parser, PretrainConfig)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --output from its checkpoint, with the settings it started with",
    )
    return parser


def add_pretrain_subcommand(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``pretrain`` subcommand on ``commands`` (``rcsim-train``'s subparsers); returns it."""
    parser = commands.add_parser("pretrain", help=HELP, description=DESCRIPTION)
    return add_pretrain_arguments(parser)


def run_pretrain_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run pretraining from parsed arguments; returns the exit status (bad settings: ``parser.error``)."""
    from agents.pretraining.trainer import PretrainRun, load_pretrain_config
    from rcsim_env.errors import RCSimError

    try:
        if args.resume:
            config = load_pretrain_config(args.output)
            config.output = args.output
            config.show_progress = args.show_progress
        else:
            config = dataclass_from_args(PretrainConfig, args)
        return PretrainRun(config, resume=args.resume).run()
    except (RCSimError, ValueError) as exc:  # bad settings or data: say what, without a traceback
        parser.error(str(exc))


def build_parser() -> argparse.ArgumentParser:
    """The ``rcsim-pretrain`` argument parser."""
    parser = argparse.ArgumentParser(prog="rcsim-pretrain", description=DESCRIPTION)
    return add_pretrain_arguments(parser)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``rcsim-pretrain``: parse ``argv`` and pretrain; returns the exit status."""
    parser = build_parser()
    return run_pretrain_args(parser.parse_args(argv), parser)


if __name__ == "__main__":
    sys.exit(main())
