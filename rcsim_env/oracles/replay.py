"""An oracle that answers from labels stored earlier (a file, or judgements a person already gave)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Literal

import numpy as np

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.oracles.base import UnknownPairError
from rcsim_env.validation import validate_score


class ReplayOracle:
    """Replays stored labels: a pair with several labels answers with one of them, drawn from ``rng``.

    Args:
        labels: labelled pairs (score in [0, 5]); a pair is found in either sentence order.
        on_missing: ``"skip"`` answers ``None`` for a pair with no stored label,
            ``"error"`` raises :class:`UnknownPairError`.
        seed: seeds the generator used when ``judge`` is called without ``rng``.
    """

    nondeterministic = False

    def __init__(
        self,
        labels: Iterable[ScoredPair],
        on_missing: Literal["skip", "error"] = "skip",
        seed: int | None = None,
    ):
        if on_missing not in ("skip", "error"):
            raise ValueError(f"on_missing must be 'skip' or 'error', got {on_missing!r}")
        self.on_missing = on_missing
        self._rng = np.random.default_rng(seed)
        self._labels: dict[tuple[str, str], list[float]] = {}
        self._ids: dict[tuple[str, str], str] = {}
        for pair in labels:
            score = validate_score(pair.score, f"stored label of pair {pair.pair_id}")
            self._labels.setdefault((pair.sentence_a, pair.sentence_b), []).append(score)
            self._ids.setdefault((pair.sentence_a, pair.sentence_b), pair.pair_id)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **kwargs) -> ReplayOracle:
        """Load labels from a ``.jsonl``, ``.csv`` or ``.tsv`` file (sentence_a, sentence_b, score)."""
        from rcsim_env.data.loaders import load_pairs_file

        return cls(load_pairs_file(path), **kwargs)

    def labelled_pairs(self) -> list[ScoredPair]:
        """Every pair with stored labels, once, in the order first seen; the score is their mean."""
        return [
            ScoredPair(a, b, float(np.mean(scores)), self._ids[(a, b)])
            for (a, b), scores in self._labels.items()
        ]

    def __len__(self) -> int:
        return sum(len(scores) for scores in self._labels.values())

    def judge(
        self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None
    ) -> float | None:
        """A stored label for the pair, or ``None`` (``on_missing="skip"``) when there is none."""
        scores = self._labels.get((sentence_a, sentence_b)) or self._labels.get((sentence_b, sentence_a))
        if not scores:
            if self.on_missing == "error":
                raise UnknownPairError(
                    f"no stored label for the pair ({sentence_a!r:.60}, {sentence_b!r:.60})"
                )
            return None
        generator = rng if rng is not None else self._rng
        return scores[int(generator.integers(len(scores)))] if len(scores) > 1 else scores[0]
