"""``rcsim``: one command for everything the package does.

    rcsim demo        score the bundled encoder, play against a simulated judge, a short calibration
    rcsim calibrate   fine-tune an encoder from oracle rewards (RC-DDPG or the paper's update)
    rcsim pretrain    stage-1 pretraining without labels (ForceBasedInfoNCE or SimCSE)
    rcsim distill     sentence distillation: a keep/drop policy and a Siamese critic
    rcsim label       the labelling page, the label store, agreement, import and export
    rcsim eval        score an encoder on STS-B, SICK-R, STS12-16 and MRPC
    rcsim data        find or download the public data sets

``rcsim COMMAND --help`` lists a command's options. ``python train_rl.py ...`` and
``python -m train_rl ...`` are the same command; ``rcsim-train``, ``rcsim-eval``,
``rcsim-label``, ``rcsim-data`` and ``rcsim-pretrain`` remain as aliases.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("agents.demo", "score the bundled encoder, play episodes, then a short calibration"),
    "calibrate": ("agents.calibration.cli", "fine-tune an encoder from oracle rewards; Ctrl-C saves"),
    "pretrain": ("agents.pretraining.cli", "pretrain an encoder without labels (ForceBasedInfoNCE, SimCSE)"),
    "distill": ("agents.distillation.cli", "train the keep/drop policy and the Siamese critic"),
    "label": ("rcsim_env.labelling.cli", "judge pairs by hand; the label store, agreement, import/export"),
    "eval": ("rcsim_env.evaluation.cli", "score an encoder on STS-B, SICK-R, STS12-16 and MRPC"),
    "data": ("rcsim_env.data.cli", "find or download the public data sets"),
}
"""Subcommand -> (module with ``main(argv, prog)``, one-line help)."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: a command name and everything after it, which the command parses."""
    from rcsim_env import __version__

    parser = argparse.ArgumentParser(
        prog="rcsim",
        description="Sentence-pair similarity judgement as a reinforcement-learning problem.",
        epilog="Run 'rcsim COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rcsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``rcsim`` with ``argv`` (default: the process's arguments); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv[:1])
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.main(argv[1:] + rest, prog=f"rcsim {args.command}") or 0)


if __name__ == "__main__":
    sys.exit(main())
