"""``rcsim eval``: score a sentence encoder on STS-B, SICK-R, STS12-16 and MRPC from the command line.

Also runnable as ``python -m rcsim_env.evaluation``. Exit status: 0 when at least one task
ran, 1 when the encoder could not be loaded or no requested task had its data, 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcsim_env.errors import ModelNotFoundError
from rcsim_env.evaluation.report import format_table, write_json
from rcsim_env.evaluation.sts import TASKS, available_tasks, run_benchmarks

if TYPE_CHECKING:
    from rcsim_env.encoders.sentence_encoder import SentenceEncoder

DEFAULT_TASKS = ("stsb-test",)


def _positive_int(text: str) -> int:
    """argparse type: a strictly positive integer."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def build_parser(prog: str = "rcsim eval") -> argparse.ArgumentParser:
    """Return the argument parser of ``rcsim eval``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Score a sentence encoder by cosine similarity against gold: Spearman/Pearson x100 on "
            "STS-B, SICK-R and SentEval STS12-16 (one correlation over all subsets of a year), "
            "accuracy/F1 on MRPC with the threshold chosen on MRPC train."
        ),
        epilog=f"Tasks: {', '.join(TASKS)}; 'all' runs every task whose data is found.",
    )
    parser.add_argument(
        "--encoder",
        metavar="NAME_OR_PATH",
        default=None,
        help="local model folder or hub id (default: the bundled all-MiniLM-L6-v2)",
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=(*TASKS, "all"),
        default=list(DEFAULT_TASKS),
        metavar="TASK",
        help=f"tasks to run (default: {' '.join(DEFAULT_TASKS)}); choose from {', '.join(TASKS)} or all",
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="data directory searched first (see rcsim data where)"
    )
    parser.add_argument(
        "--senteval-dir",
        metavar="DIR",
        help="folder holding SentEval's STS12-en-test ... STS16-en-test (default: searched in the data dirs)",
    )
    parser.add_argument("--batch-size", type=_positive_int, default=64, help="sentences per forward pass")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: auto")
    parser.add_argument(
        "--output",
        metavar="PATH",
        type=Path,
        default=None,
        help="also write the results with run metadata to this JSON file (parent folders are created); "
        "without it the table is printed and nothing is written",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars or task lines on stderr")
    return parser


def resolve_tasks(requested: Sequence[str], data_dir: str | None, senteval_dir: str | None) -> list[str]:
    """Expand ``all`` into every task whose data is found; keep the other names in order, once each."""
    expanded: list[str] = []
    for name in requested:
        expanded.extend(available_tasks(data_dir, senteval_dir) if name == "all" else [name])
    return list(dict.fromkeys(expanded))


def _device_problem(device: str) -> str | None:
    """Why ``device`` cannot be used (``cuda`` without a CUDA device), or None when it can."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        return "--device cuda was given but torch sees no CUDA device; use --device cpu or auto"
    return None


def _metadata(
    args: argparse.Namespace, encoder: SentenceEncoder, tasks: list[str], timings: dict[str, Any]
) -> dict[str, Any]:
    """Run metadata for the JSON file: encoder, device, settings and timings."""
    from rcsim_env.encoders.resolve import DEFAULT_MODEL_ID, resolve_model_name

    return {
        "encoder": args.encoder or DEFAULT_MODEL_ID,
        "encoder_source": resolve_model_name(args.encoder),
        "device": str(encoder.device),
        "max_length": encoder.max_length,
        "batch_size": args.batch_size,
        "tasks": tasks,
        "data_dir": args.data_dir,
        "senteval_dir": args.senteval_dir,
        "timings": timings,
    }


def _report_errors(results: dict[str, dict[str, Any]], prog: str) -> None:
    """Print the full message of every failed task to stderr."""
    for task, result in results.items():
        if "error" in result:
            print(f"{prog}: {task}: {result['error']}", file=sys.stderr)


def main(argv: Sequence[str] | None = None, prog: str = "rcsim eval") -> int:
    """Entry point of ``rcsim eval``: parse ``argv`` (default ``sys.argv[1:]``), run, print the table.

    The JSON file is written only when ``--output`` names one.

    Returns the exit status: 0 when at least one task produced figures, 1 when the encoder
    could not be loaded or every requested task failed (e.g. its data is missing); the
    reason goes to stderr. Argument errors exit with status 2 through argparse.
    """
    args = build_parser(prog).parse_args(argv)
    started = time.perf_counter()
    tasks = resolve_tasks(args.tasks, args.data_dir, args.senteval_dir)
    if not tasks:
        print(f"{prog}: no task has its data; see --data-dir and --senteval-dir", file=sys.stderr)
        return 1
    problem = _device_problem(args.device)
    if problem:
        print(f"{prog}: {problem}", file=sys.stderr)
        return 1
    from rcsim_env.encoders.sentence_encoder import SentenceEncoder  # imports torch: not needed for --help

    try:
        encoder = SentenceEncoder.from_pretrained(args.encoder, device=args.device)
    except ModelNotFoundError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    load_seconds = round(time.perf_counter() - started, 3)
    results = run_benchmarks(
        encoder,
        tasks,
        data_dir=args.data_dir,
        senteval_dir=args.senteval_dir,
        show_progress=not args.no_progress,
        batch_size=args.batch_size,
    )
    _report_errors(results, prog)
    if all("error" in result for result in results.values()):
        return 1
    print(format_table(results))
    if args.output is None:
        return 0
    timings = {
        "load_seconds": load_seconds,
        "tasks_seconds": {task: result["seconds"] for task, result in results.items()},
        "total_seconds": round(time.perf_counter() - started, 3),
    }
    path = write_json(results, args.output, _metadata(args, encoder, tasks, timings))
    print(f"results written to {path}")
    return 0


def alias_main() -> int:
    """``rcsim-eval``, the older name of ``rcsim eval``."""
    return main(prog="rcsim-eval")
