"""Loading the dev and test pairs a run scores its model on (see :class:`~agents.runs.config.DataConfig`)."""

from __future__ import annotations

import math

import numpy as np

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataNotFoundError


def load_named_or_file(name: str, data_dir: str | None, score_scale: str | None = None) -> list[ScoredPair]:
    """A named data set or a pairs file (read with ``score_scale``); raises the loaders' errors."""
    from rcsim_env.data.pools import POOLS, load_pool

    return load_pool(name, data_dir=data_dir, score_scale=None if name in POOLS else score_scale)


def optional_pairs(
    name: str | None, data_dir: str | None, what: str, score_scale: str | None = None
) -> tuple[list[ScoredPair] | None, str]:
    """``name``'s pairs with a note, or None with a note when ``name`` is unset or a named data set
    that is not on this machine (that only turns the ``what`` evaluation off).

    A pairs file that does not exist is an error: the user named it.
    """
    from rcsim_env.data.pools import POOLS

    if name is None or str(name).lower() == "none":
        return None, f"no {what} set"
    try:
        pairs = load_named_or_file(name, data_dir, score_scale)
    except DataNotFoundError as exc:
        if name not in POOLS:
            raise
        return None, f"{name} not found, no {what} evaluation: {str(exc).splitlines()[0]}"
    return pairs, f"{what}: {name} ({len(pairs)} pairs)"


def first(pairs: list[ScoredPair] | None, count: int | None) -> list[ScoredPair] | None:
    """The first ``count`` pairs (all when ``count`` is None); None when that leaves none."""
    if pairs is None or count is None:
        return pairs
    return pairs[: int(count)] or None


def hold_out(pool: list[ScoredPair], share: float, seed: int) -> tuple[list[ScoredPair], list[ScoredPair]]:
    """Split ``pool`` into (pairs to query, dev pairs): ``share`` of the scored pairs, drawn with ``seed``.

    Pairs without a finite score stay in the pool. Raises ValueError when fewer than 3 scored
    pairs would be held out (no Spearman correlation can be trusted on fewer).
    """
    scored = [i for i, pair in enumerate(pool) if pair.score is not None and math.isfinite(pair.score)]
    count = round(share * len(scored))
    if count < 3:
        raise ValueError(
            f"--dev-split {share} holds out {count} of the pool's {len(scored)} scored pairs; "
            "dev needs at least 3: raise --dev-split or give --dev FILE"
        )
    chosen = set(np.random.default_rng(seed).permutation(scored)[:count].tolist())
    return [p for i, p in enumerate(pool) if i not in chosen], [p for i, p in enumerate(pool) if i in chosen]
