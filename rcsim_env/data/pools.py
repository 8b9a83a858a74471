"""Named pair pools (placeholder until the full data-set registry lands): name or pairs file -> pairs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataNotFoundError
from rcsim_env.registry import Registry

POOLS: Registry[Callable[..., list[ScoredPair]]] = Registry("data set")


def _register() -> None:
    from rcsim_env.data import loaders

    for split in ("train", "dev", "test"):
        POOLS.register(f"stsb-{split}", lambda data_dir=None, s=split: loaders.load_stsb(s, data_dir))
    for split in ("train", "trial"):
        POOLS.register(f"sick-{split}", lambda data_dir=None, s=split: loaders.load_sick(s, data_dir))
    for split in ("train", "test"):
        POOLS.register(f"mrpc-{split}", lambda data_dir=None, s=split: loaders.load_mrpc(s, data_dir))


_register()


def load_pool(
    name_or_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> list[ScoredPair]:
    """A registered data set's pairs, else the pairs of an existing file."""
    from rcsim_env.data.loaders import load_pairs_file

    if str(name_or_path) in POOLS:
        return POOLS[str(name_or_path)](data_dir=data_dir)
    path = Path(name_or_path)
    if not path.is_file():
        raise DataNotFoundError(
            f"{name_or_path!r} is neither a data set ({', '.join(POOLS)}) nor an existing pairs file"
        )
    return load_pairs_file(path)
