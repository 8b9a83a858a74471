"""rcsim's command line (``rcsim-train``): ``demo`` now; calibration commands build on the same entry point.

Run ``python train_rl.py --help`` or ``python train_rl.py demo --help``.
"""

from __future__ import annotations

import argparse
import sys

from rcsim_env.config import add_dataclass_arguments, dataclass_from_args
from rcsim_env.demo import DemoConfig, run_demo


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subcommand per job."""
    parser = argparse.ArgumentParser(prog="rcsim-train", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="score the default encoder on STS-B test, then play episodes against the simulated oracle",
    )
    add_dataclass_arguments(demo, DemoConfig)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        run_demo(dataclass_from_args(DemoConfig, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
