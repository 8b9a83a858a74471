"""The command-line side of a run: options from the config, ``--resume`` / ``--overwrite``, clean errors.

Every training command (``rcsim calibrate``, ``rcsim pretrain``, ``rcsim distill``) is
:func:`run_command` with its config class and run class.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rcsim_env.config import add_dataclass_arguments, dataclass_from_args, dataclass_from_json
from rcsim_env.errors import RCSimError

C = TypeVar("C")


def add_run_arguments(parser: argparse.ArgumentParser, config_class: type, defaults: Any = None) -> None:
    """One option per (nested) config field, plus ``--resume`` and ``--overwrite``."""
    add_dataclass_arguments(parser, config_class, defaults)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --output from its checkpoint, with the settings it started with",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="start again in an --output folder that holds a run (it is cleared; label stores are kept)",
    )


def config_from_args(config_class: type[C], args: argparse.Namespace, defaults: C | None = None) -> C:
    """The run's config: the saved one of ``--output`` when resuming (keeping this call's
    ``--output`` and ``--show-progress``), else the one the options describe."""
    config = dataclass_from_args(config_class, args, defaults)
    if not args.resume:
        return config
    folder = Path(config.run.output)
    path = folder / "config.json"
    if not path.is_file():
        raise RCSimError(f"cannot resume: {path} does not exist (is {folder} a run folder?)")
    saved = dataclass_from_json(config_class, path)
    kept = {"output": config.run.output, "show_progress": config.run.show_progress}
    saved.run = dataclasses.replace(saved.run, **kept)
    return saved


def run_command(
    config_class: type[C],
    make_run: Callable[..., Any],
    argv: list[str] | None,
    prog: str,
    description: str,
    defaults: C | None = None,
) -> int:
    """Parse ``argv``, build the config and ``make_run(config, resume=..., overwrite=...)``, run it.

    Bad settings or data (an :class:`~rcsim_env.errors.RCSimError` or ValueError) end with
    ``prog: error: ...`` and exit status 2, never a traceback. Returns the run's exit status.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_run_arguments(parser, config_class, defaults)
    args = parser.parse_args(argv)
    if args.resume and args.overwrite:
        parser.error("--resume and --overwrite contradict each other; pass one")
    try:
        config = config_from_args(config_class, args, defaults)
        run = make_run(config, resume=args.resume, overwrite=args.overwrite)
        run.invocation = shlex.join([prog, *(sys.argv[1:] if argv is None else argv)])
        return int(run.run())
    except (RCSimError, ValueError) as exc:  # bad settings or data: say what, without a traceback
        parser.error(str(exc))
