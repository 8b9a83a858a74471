"""Named pair pools (``stsb-train``, ``sick-trial``, ``mrpc-test`` ...) and :func:`load_pool`.

A pool is the list of sentence pairs an environment serves. :data:`POOLS` maps each name to a
loader taking ``data_dir`` (searched as :mod:`rcsim_env.data.locate` describes); every pool's
scores are on the 0-5 similarity scale the environments and oracles use.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rcsim_env.data.loaders import load_mrpc, load_sick, load_stsb
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.pairs_file import ScoreScale, load_pairs_file
from rcsim_env.errors import DataFormatError, UnknownPoolError
from rcsim_env.registry import Registry
from rcsim_env.validation import MAX_SCORE

PathLike = str | os.PathLike[str]
PoolLoader = Callable[[PathLike | None], list[ScoredPair]]

POOLS: Registry[PoolLoader] = Registry("pair pool")


def _split_loader(load: Callable[[str, PathLike | None], list[ScoredPair]], split: str) -> PoolLoader:
    """Return a loader of ``split`` that takes only ``data_dir``."""

    def load_split(data_dir: PathLike | None = None) -> list[ScoredPair]:
        return load(split, data_dir)

    load_split.__doc__ = f"Load the {split!r} split with {load.__name__}; ``data_dir`` is searched first."
    return load_split


def _mrpc_loader(split: str) -> PoolLoader:
    """Return a loader of MRPC ``split`` whose paraphrase labels are put on the 0-5 scale (1 -> 5, 0 -> 0)."""

    def load_split(data_dir: PathLike | None = None) -> list[ScoredPair]:
        return [
            replace(pair, score=None if pair.score is None else pair.score * MAX_SCORE)
            for pair in load_mrpc(split, data_dir)
        ]

    load_split.__doc__ = f"Load MRPC {split!r}, labels 0/1 as scores 0.0/5.0; ``data_dir`` is searched first."
    return load_split


for _split in ("train", "dev", "test"):
    POOLS.register(
        f"stsb-{_split}", _split_loader(load_stsb, _split), help=f"STS Benchmark {_split} split, scores 0-5"
    )
for _split in ("train", "trial", "test"):
    POOLS.register(
        f"sick-{_split}", _split_loader(load_sick, _split), help=f"SICK {_split} split, relatedness 1-5"
    )
for _split in ("train", "test"):
    POOLS.register(
        f"mrpc-{_split}",
        _mrpc_loader(_split),
        help=f"MRPC {_split} split, paraphrase label 1 -> score 5, 0 -> score 0",
    )


def load_pool(
    name_or_path: str | os.PathLike[str],
    data_dir: PathLike | None = None,
    score_scale: ScoreScale | None = None,
) -> list[ScoredPair]:
    """Return the pairs of a registered pool (see :data:`POOLS`) or of a pairs file, scores on 0-5.

    A registered name wins over a file of the same name. Otherwise ``name_or_path`` must be an
    existing ``.jsonl``, ``.csv`` or ``.tsv`` file, read by
    :func:`~rcsim_env.data.pairs_file.load_pairs_file` with ``score_scale``. ``data_dir`` is
    where a named pool's data set is looked for first.

    Raises:
        ValueError: ``score_scale`` is given with a pool name (a named pool's scale is known).
        UnknownPoolError: neither a registered name nor an existing file; the message lists the
            names. It is a ``DataNotFoundError`` and an ``UnknownNameError``.
        DataNotFoundError: a named pool's data set is in no data directory.
        DataFormatError: the file is not a pairs file or has a malformed line.
    """
    if isinstance(name_or_path, str) and name_or_path in POOLS:
        if score_scale is not None:
            raise ValueError(
                f"score_scale applies to pairs files; the pool {name_or_path!r} has a known scale"
            )
        return POOLS[name_or_path](data_dir)
    if not os.fspath(name_or_path).strip():
        raise UnknownPoolError(f"the pool name is empty; known pools: {', '.join(POOLS)}, or a pairs file")
    path = Path(name_or_path)
    if path.is_dir():
        raise DataFormatError(path, None, "is a folder; a pool is a pool name or a pairs file")
    if not path.is_file():
        raise UnknownPoolError(
            f"{os.fspath(name_or_path)!r} is neither a pair pool name nor an existing file "
            f"({path.absolute()} does not exist); known pools: {', '.join(POOLS)}"
        )
    return load_pairs_file(path, score_scale)
