"""rcsim's command line (``rcsim-train``): calibrate an encoder from rewards, pretrain it, or run the demo.

Run ``python train_rl.py --help``, ``python train_rl.py calibrate --help``,
``python train_rl.py pretrain --help`` or ``python train_rl.py demo --help``.
"""

from __future__ import annotations

import argparse
import sys

from rcsim_env.config import add_dataclass_arguments, dataclass_from_args
from rcsim_env.demo import DemoConfig, run_demo


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subcommand per job."""
    from agents.calibration.config import CalibrationConfig

    parser = argparse.ArgumentParser(prog="rcsim-train", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    calibrate = commands.add_parser(
        "calibrate",
        help="fine-tune an encoder with RC-DDPG (or the paper's update) against an oracle; Ctrl-C saves",
        description="Calibrate a sentence encoder from oracle rewards. Writes the run folder --output: "
        "encoder/, report.json, queries.csv, metrics.csv, learning_curve.png. Ctrl-C stops after the "
        "current query and saves checkpoint.pt; --resume --output FOLDER continues it.",
    )
    add_dataclass_arguments(calibrate, CalibrationConfig)
    calibrate.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --output from its checkpoint, with the settings it started with",
    )
    demo = commands.add_parser(
        "demo",
        help="score the encoder, play episodes against the simulated oracle, then a short calibration",
    )
    add_dataclass_arguments(demo, DemoConfig)
    from agents.pretraining.cli import add_pretrain_subcommand

    add_pretrain_subcommand(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "pretrain":
        from agents.pretraining.cli import run_pretrain_args

        return run_pretrain_args(args, parser)
    if args.command == "demo":
        run_demo(dataclass_from_args(DemoConfig, args))
        return 0
    from agents.calibration.config import CalibrationConfig
    from agents.calibration.trainer import CalibrationRun, load_run_config
    from rcsim_env.errors import RCSimError

    try:
        if args.resume:
            config = load_run_config(args.output)
            config.output = args.output
            config.show_progress = args.show_progress
        else:
            config = dataclass_from_args(CalibrationConfig, args)
        run = CalibrationRun(config, resume=args.resume)
        return run.run()
    except (RCSimError, ValueError) as exc:  # bad settings or data: say what, without a traceback
        parser.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
