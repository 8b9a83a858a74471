"""Where the data lives: the candidate data directories, their layout, and finding a file in them.

Data is looked for in this order: the ``--data-dir`` option (``data_dir=`` in Python), the
``RCSIM_DATA`` environment variable, then the per-user data folder that ``rcsim data download``
fills (``~/.cache/rcsim/data`` by default; see :func:`user_data_dir`). Nothing else is searched.

A data directory holds the public data sets in this layout (the one ``rcsim data download``
writes)::

    sts/STSBenchmark/sts-{train,dev,test}.csv
    sts/SICK/SICK_{train,trial}.txt, SICK_test_annotated.txt
    para/MRPC/msr_paraphrase_{train,test}.txt   (or a tab-separated copy msr-para-{train,test}.tsv)
    corpus/wiki1m_for_simcse.txt                (or the excerpt wiki1m-first12k.txt)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from rcsim_env.errors import DataNotFoundError

ENV_VAR = "RCSIM_DATA"

STSB_FILES: dict[str, str] = {
    split: f"sts/STSBenchmark/sts-{split}.csv" for split in ("train", "dev", "test")
}
SICK_FILES: dict[str, str] = {
    "train": "sts/SICK/SICK_train.txt",
    "trial": "sts/SICK/SICK_trial.txt",
    "test": "sts/SICK/SICK_test_annotated.txt",
}
# Each MRPC split: the tab-separated copy's name first, then the original release's name (the one
# `rcsim data download` writes).
MRPC_FILES: dict[str, tuple[str, str]] = {
    split: (f"para/MRPC/msr-para-{split}.tsv", f"para/MRPC/msr_paraphrase_{split}.txt")
    for split in ("train", "test")
}
WIKI_FILES: tuple[str, str] = ("corpus/wiki1m_for_simcse.txt", "corpus/wiki1m-first12k.txt")

DATASET_FILES: dict[str, tuple[str, ...]] = {
    "stsb": tuple(STSB_FILES.values()),
    "sick": tuple(SICK_FILES.values()),
    "mrpc": tuple(name for names in MRPC_FILES.values() for name in names),
    "wiki": WIKI_FILES,
}

CACHE_ENV_VAR = "RCSIM_CACHE_DIR"


def user_data_dir() -> Path | None:
    """Return the per-user data folder, the one ``rcsim data download`` fills by default.

    It is ``$RCSIM_CACHE_DIR/data`` when ``RCSIM_CACHE_DIR`` is set, else
    ``$XDG_CACHE_HOME/rcsim/data`` when ``XDG_CACHE_HOME`` is an absolute path, else
    ``~/.cache/rcsim/data``. Returns None when none of these can be worked out (no home
    directory). The folder need not exist.
    """
    override = os.environ.get(CACHE_ENV_VAR)
    if override:
        return Path(override).expanduser().absolute() / "data"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore relative values
        return Path(xdg) / "rcsim" / "data"
    try:
        return Path.home() / ".cache" / "rcsim" / "data"
    except RuntimeError:
        return None


def how_to_get_data() -> str:
    """Return the sentence that tells a user how to get the data or point rcsim at a copy."""
    target = user_data_dir()
    into = f" into {target}" if target is not None else ""
    return (
        f"Get the data with `rcsim data download` (fetches the public releases{into}), or point to an "
        f"existing copy with --data-dir DIR or the {ENV_VAR} environment variable."
    )


def _sources(data_dir: str | os.PathLike[str] | None) -> list[tuple[str | os.PathLike[str] | None, str]]:
    """Each place data may come from, in search order: its setting (None when unset) and a label."""
    return [
        (data_dir, "--data-dir / data_dir argument"),
        (os.environ.get(ENV_VAR) or None, f"${ENV_VAR}"),
        (user_data_dir(), "per-user data folder"),
    ]


def labelled_data_dirs(data_dir: str | os.PathLike[str] | None = None) -> list[tuple[Path, str]]:
    """Return the candidate data directories, in search order, each with where it came from.

    The order is: ``data_dir`` (the ``--data-dir`` option), ``$RCSIM_DATA``, then the per-user
    data folder (see :func:`user_data_dir`). Nothing else is searched: not the working directory,
    not the folder this package is installed in. Paths are absolute; a directory that appears
    twice is kept at its first place only. Directories need not exist.
    """
    labelled: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for raw, label in _sources(data_dir):
        if raw is None:
            continue
        path = Path(raw).expanduser().absolute()
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            labelled.append((path, label))
    return labelled


def unset_sources(data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Return the labels of the places in the search order that are not set (and so not searched)."""
    return [label for raw, label in _sources(data_dir) if raw is None]


def candidate_data_dirs(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Return the directories searched for data, in order (see :func:`labelled_data_dirs`)."""
    return [path for path, _ in labelled_data_dirs(data_dir)]


def find_data_file(
    relative_path: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    alternatives: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Return the first ``<candidate dir>/relative_path`` that is a file.

    In each candidate directory (see :func:`candidate_data_dirs`) ``relative_path`` is tried
    first, then each of ``alternatives`` (other names of the same file). When an explicit
    ``data_dir`` lacks the file but another candidate has it, that one is used and a
    ``UserWarning`` says so.

    Raises:
        DataNotFoundError: no candidate holds the file; the message lists every directory
            searched and how to get the data.
    """
    names = [Path(relative_path), *map(Path, alternatives)]
    labelled = labelled_data_dirs(data_dir)
    for index, (directory, _) in enumerate(labelled):
        for name in names:
            if (directory / name).is_file():
                if index > 0 and data_dir is not None:
                    warnings.warn(
                        f"{names[0]} is not in the given data directory {labelled[0][0]}; "
                        f"using {directory / name} instead",
                        stacklevel=2,
                    )
                return directory / name
    raise DataNotFoundError(
        not_found_message(" or ".join(map(str, names)), labelled, unset_sources(data_dir))
    )


def not_found_message(what: str, searched: Sequence[tuple[Path, str]], unset: Sequence[str] = ()) -> str:
    """Return the text of a DataNotFoundError: what is missing, each place searched, how to get it.

    ``searched`` holds ``(directory, where it came from)`` pairs; ``unset`` names the places of
    the search order that were not set (see :func:`unset_sources`).
    """
    lines = [f"{what} was not found. Searched, in order:"]
    for path, label in searched:
        state = "" if path.is_dir() else "; directory does not exist"
        lines.append(f"  {path}  ({label}{state})")
    if not searched:
        lines.append("  nothing")
    if unset:
        lines.append(f"Not set, so not searched: {', '.join(unset)}.")
    lines.append(how_to_get_data())
    return "\n".join(lines)


def datasets_in(directory: str | os.PathLike[str]) -> dict[str, list[str]]:
    """Return, for each known data set with at least one file in ``directory``, the files present.

    Keys are ``stsb``, ``sick``, ``mrpc`` and ``wiki``; values are paths relative to
    ``directory``, in the order of :data:`DATASET_FILES`.
    """
    directory = Path(directory)
    found: dict[str, list[str]] = {}
    for name, files in DATASET_FILES.items():
        present = [file for file in files if (directory / file).is_file()]
        if present:
            found[name] = present
    return found
