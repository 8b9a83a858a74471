"""Loading the dev and test pairs a run scores its model on (see :class:`~agents.runs.config.DataConfig`)."""

from __future__ import annotations

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataNotFoundError


def load_named_or_file(name: str, data_dir: str | None) -> list[ScoredPair]:
    """A named data set or a pairs file; raises the loaders' errors (missing, malformed)."""
    from rcsim_env.data.pools import load_pool

    return load_pool(name, data_dir=data_dir)


def optional_pairs(name: str | None, data_dir: str | None, what: str) -> tuple[list[ScoredPair] | None, str]:
    """``name``'s pairs with a note, or None with a note when ``name`` is unset or a named data set
    that is not on this machine (that only turns the ``what`` evaluation off).

    A pairs file that does not exist is an error: the user named it.
    """
    from rcsim_env.data.pools import POOLS

    if name is None or str(name).lower() == "none":
        return None, f"no {what} set"
    try:
        pairs = load_named_or_file(name, data_dir)
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
