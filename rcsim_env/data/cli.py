"""The ``rcsim data`` command: fetch the public data sets, or show where the data is looked for."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from rcsim_env.data.download import SOURCES, DownloadError, download
from rcsim_env.data.loaders import SENTEVAL_PARENTS, senteval_years
from rcsim_env.data.locate import (
    CACHE_ENV_VAR,
    ENV_VAR,
    candidate_data_dirs,
    datasets_in,
    labelled_data_dirs,
    unset_sources,
    user_data_dir,
)


def build_parser(prog: str = "rcsim data") -> argparse.ArgumentParser:
    """Return the argument parser of ``rcsim data`` with its ``download`` and ``where`` subcommands."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Fetch the public data sets rcsim uses, or show where it looks for them.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch = commands.add_parser(
        "download",
        help="download the public data sets into a data directory",
        description="Download STS Benchmark, SICK, MRPC and the SimCSE Wikipedia corpus from their public "
        "releases over https, and check every file against a pinned SHA-256 digest (a file that does not "
        "match is deleted; only the first 1,280,000 bytes of the Wikipedia corpus can be checked). Data sets "
        "already present are skipped unless --force is given.",
    )
    fetch.add_argument(
        "--dest",
        default=None,
        metavar="DIR",
        help=f"data directory to fill (default: the per-user data folder {_user_folder()}, which rcsim "
        f"searches by default; set {CACHE_ENV_VAR} or XDG_CACHE_HOME to move it)",
    )
    fetch.add_argument(
        "--only",
        nargs="+",
        choices=list(SOURCES),
        metavar="NAME",
        help=f"fetch only these: {', '.join(SOURCES)}",
    )
    fetch.add_argument("--force", action="store_true", help="download again even if the files are present")
    fetch.add_argument("--timeout", type=float, default=60.0, metavar="S", help="network timeout in seconds")
    fetch.set_defaults(handler=_run_download)

    where = commands.add_parser(
        "where",
        help="list the data directories searched and the data sets each holds",
        description=f"List, in search order, the data directories (--data-dir, ${ENV_VAR}, then the per-user "
        f"data folder {_user_folder()}) and the data sets found in each.",
    )
    where.add_argument("--data-dir", metavar="DIR", help="a data directory to search first")
    where.set_defaults(handler=_run_where)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "rcsim data") -> int:
    """Run ``rcsim data`` with ``argv`` (default: the command line) and return the exit status."""
    args = build_parser(prog).parse_args(argv)
    args.prog = prog
    return args.handler(args)


def alias_main() -> int:
    """``rcsim-data``, the older name of ``rcsim data``."""
    return main(prog="rcsim-data")


def _user_folder() -> str:
    """The per-user data folder as text, for help strings."""
    folder = user_data_dir()
    return str(folder) if folder is not None else "unavailable without a home directory"


def _run_download(args: argparse.Namespace) -> int:
    """Download the chosen data sets; print the files written, or the error on stderr (status 1).

    Warnings (such as a file that could only be partly checked) are printed on stderr.
    """
    dest = Path(args.dest) if args.dest is not None else user_data_dir()
    if dest is None:
        print(
            f"{args.prog}: there is no per-user data folder (no home directory); pass --dest DIR",
            file=sys.stderr,
        )
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            written = download(dest, args.only, force=args.force, timeout=args.timeout)
        except DownloadError as exc:
            print(f"{args.prog}: {exc}", file=sys.stderr)
            return 1
        finally:
            for warning in caught:
                print(f"{args.prog}: warning: {warning.message}", file=sys.stderr)
    if not written:
        print(f"Nothing to do: the requested data sets are already in {dest} (use --force to refetch).")
    for path in written:
        print(path)
    if dest.absolute().resolve() not in {path.resolve() for path in candidate_data_dirs()}:
        print(f"rcsim does not search {dest} by default: pass --data-dir {dest} or set {ENV_VAR}={dest}.")
    return 0


def _run_where(args: argparse.Namespace) -> int:
    """Print each candidate data directory with the data sets it holds; always status 0."""
    print("Data directories, in search order (the first one holding a file wins):")
    for number, (directory, label) in enumerate(labelled_data_dirs(args.data_dir), start=1):
        exists = directory.is_dir()
        print(f"{number}. {directory}  [{label}]{'' if exists else '  (does not exist)'}")
        if not exists:
            continue
        for line in _inventory(directory):
            print(f"     {line}")
    unset = unset_sources(args.data_dir)
    if unset:
        print(f"Not set, so not searched: {', '.join(unset)}.")
    return 0


def _inventory(directory: Path) -> list[str]:
    """Return one line per data set found in ``directory``, or a single 'no data sets' line."""
    lines = [f"{name}: {', '.join(files)}" for name, files in datasets_in(directory).items()]
    for parent in SENTEVAL_PARENTS:
        root = directory / parent
        years = senteval_years(root)
        if years:
            lines.append(f"senteval-sts ({root}): {', '.join(f'STS{year}' for year in years)}")
    return lines or ["no data sets"]


if __name__ == "__main__":
    sys.exit(main())
