"""Query strategies: which unlabelled pairs a person should judge next.

A strategy looks at what is known about each candidate pair (a :class:`Candidates`) and returns
the indices of ``k`` pairs to ask about, most wanted first. Registered by name in
:data:`QUERY_STRATEGIES`:

- ``random``: uniformly at random (what a plain calibration run does);
- ``disagreement``: where the reward model's ensemble members disagree most (largest std);
- ``cosine-disagreement``: where the encoder being calibrated and the reward model disagree most
  (largest ``|5 * clip(cos, 0, 1) - predicted judgement|``);
- ``diverse``: k-center greedy over the pairs' embeddings among the ``pool_factor * k`` most
  uncertain, so that one batch of questions does not ask the same thing k times.

Ties are broken at random with the caller's generator, so a strategy is reproducible from a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rcsim_env.errors import InvalidArgumentError
from rcsim_env.registry import Registry


@dataclass(frozen=True)
class Candidates:
    """What a strategy may use about ``n`` candidate pairs.

    Attributes:
        members: (K, n) each reward-model member's 0-5 judgement, or None without a reward model.
        encoder_scores: (n,) the calibrated encoder's own 0-5 judgement (``5 * clip(cos, 0, 1)``).
        embeddings: (n, d) one vector per pair (e.g. the two sentence embeddings concatenated),
            for diversity.
    """

    members: np.ndarray | None = None
    encoder_scores: np.ndarray | None = None
    embeddings: np.ndarray | None = None

    def __len__(self) -> int:
        return self.check()

    def check(self) -> int:
        """Validate shapes and values; returns ``n``. Raises InvalidArgumentError naming the field."""
        lengths = {}
        for name, ndim, axis in (("members", 2, 1), ("encoder_scores", 1, 0), ("embeddings", 2, 0)):
            array = getattr(self, name)
            if array is None:
                continue
            if not isinstance(array, np.ndarray) or array.ndim != ndim:
                raise InvalidArgumentError(f"Candidates.{name} must be a {ndim}-d numpy array")
            if array.size and not np.all(np.isfinite(array)):
                raise InvalidArgumentError(f"Candidates.{name} holds NaN or infinite values")
            lengths[name] = int(array.shape[axis])
        if not lengths:
            raise InvalidArgumentError("Candidates holds nothing: give members, encoder_scores or embeddings")
        if self.members is not None and self.members.shape[0] < 1:
            raise InvalidArgumentError("Candidates.members needs at least one member row")
        n = next(iter(lengths.values()))
        for name, length in lengths.items():
            if length != n:
                raise InvalidArgumentError(f"Candidates.{name} covers {length} pairs, the others {n}")
        return n


Strategy = Callable[[Candidates, int, np.random.Generator], np.ndarray]
QUERY_STRATEGIES: Registry[Strategy] = Registry("query strategy")


def _needs(candidates: Candidates, field_name: str, strategy: str) -> np.ndarray:
    value = getattr(candidates, field_name)
    if value is None:
        raise InvalidArgumentError(f"query strategy {strategy!r} needs Candidates.{field_name}")
    return value


def _top_k(priority: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the ``k`` largest priorities, largest first, ties broken at random."""
    tie_break = rng.random(priority.shape[0])
    order = np.lexsort((tie_break, -priority))  # the last key sorts first
    return order[:k]


@QUERY_STRATEGIES.register("random", help="uniformly at random")
def random_strategy(candidates: Candidates, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` distinct indices drawn uniformly at random."""
    return rng.permutation(len(candidates))[:k]


@QUERY_STRATEGIES.register("disagreement", help="where the reward model's ensemble disagrees most")
def disagreement_strategy(candidates: Candidates, k: int, rng: np.random.Generator) -> np.ndarray:
    """The ``k`` pairs with the largest spread (std) among the reward model's members."""
    members = _needs(candidates, "members", "disagreement")
    return _top_k(members.std(axis=0), k, rng)


@QUERY_STRATEGIES.register(
    "cosine-disagreement", help="where the encoder's own judgement and the reward model's differ most"
)
def cosine_disagreement_strategy(candidates: Candidates, k: int, rng: np.random.Generator) -> np.ndarray:
    """The ``k`` pairs where ``|encoder score - reward model mean|`` is largest."""
    members = _needs(candidates, "members", "cosine-disagreement")
    encoder = _needs(candidates, "encoder_scores", "cosine-disagreement")
    return _top_k(np.abs(encoder - members.mean(axis=0)), k, rng)


def k_center_greedy(embeddings: np.ndarray, k: int, first: int) -> np.ndarray:
    """Pick ``k`` rows of ``embeddings`` greedily, each the farthest (Euclidean) from those picked.

    Starts from row ``first``; returns the picked row indices in the order picked.
    """
    picked = [int(first)]
    distance = np.linalg.norm(embeddings - embeddings[first], axis=1)
    while len(picked) < min(k, embeddings.shape[0]):
        distance[picked] = -1.0  # never pick a row twice, even one equal to a picked row
        following = int(np.argmax(distance))
        picked.append(following)
        distance = np.minimum(distance, np.linalg.norm(embeddings - embeddings[following], axis=1))
    return np.asarray(picked, dtype=np.int64)


DIVERSE_POOL_FACTOR = 4


@QUERY_STRATEGIES.register(
    "diverse", help="k-center greedy over pair embeddings among the most uncertain pairs"
)
def diverse_strategy(candidates: Candidates, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-center greedy over ``embeddings`` among the ``4 * k`` pairs the ensemble disagrees on most.

    Starts at the most uncertain pair. Without ``members`` every pair counts as equally uncertain
    (pure diversity sampling).
    """
    embeddings = _needs(candidates, "embeddings", "diverse")
    n = embeddings.shape[0]
    if candidates.members is not None:
        shortlist = _top_k(candidates.members.std(axis=0), min(n, DIVERSE_POOL_FACTOR * k), rng)
    else:
        shortlist = rng.permutation(n)[: min(n, DIVERSE_POOL_FACTOR * k)]
    return shortlist[k_center_greedy(embeddings[shortlist], k, first=0)]


def select_queries(strategy: str, candidates: Candidates, k: int, rng: np.random.Generator) -> np.ndarray:
    """Run the strategy named ``strategy`` and return ``min(k, n)`` distinct candidate indices.

    Raises :class:`~rcsim_env.errors.UnknownNameError` for an unknown name (listing the known
    ones) and :class:`~rcsim_env.errors.InvalidArgumentError` for a bad ``k`` or candidates.
    """
    choose = QUERY_STRATEGIES[strategy]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise InvalidArgumentError(f"k must be a non-negative integer, got {k!r}")
    n = candidates.check()
    k = min(int(k), n)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(choose(candidates, k, rng), dtype=np.int64)
