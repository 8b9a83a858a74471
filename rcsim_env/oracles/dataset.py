"""An oracle that answers with a data set's gold labels, seen through a simulated annotator."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import InvalidLabelError
from rcsim_env.oracles.base import UnknownPairError
from rcsim_env.oracles.noise import AnnotatorNoise
from rcsim_env.validation import validate_score


class DatasetOracle:
    """Judges pairs by looking up their gold score and passing it through :class:`AnnotatorNoise`.

    Args:
        pairs: labelled pairs; every score must be in [0, 5]. A pair is found in
            either sentence order. When the same pair appears more than once, its
            gold is the mean of its scores.
        noise: the annotator model (default: :meth:`AnnotatorNoise.mild`).
        seed: seeds the generator used when ``judge`` is called without ``rng``.
    """

    nondeterministic = False

    def __init__(
        self, pairs: Iterable[ScoredPair], noise: AnnotatorNoise | None = None, seed: int | None = None
    ):
        self.noise = noise if noise is not None else AnnotatorNoise.mild()
        self._rng = np.random.default_rng(seed)
        sums: dict[tuple[str, str], list[float]] = {}
        for pair in pairs:
            if pair.score is None:
                raise InvalidLabelError(
                    f"pair {pair.pair_id} has no gold score; a DatasetOracle needs labelled pairs"
                )
            score = validate_score(pair.score, f"gold score of pair {pair.pair_id}")
            sums.setdefault((pair.sentence_a, pair.sentence_b), []).append(score)
        if not sums:
            raise ValueError("a DatasetOracle needs at least one labelled pair")
        self._gold = {key: float(np.mean(scores)) for key, scores in sums.items()}

    def __len__(self) -> int:
        return len(self._gold)

    def gold(self, sentence_a: str, sentence_b: str) -> float:
        """Return the gold score of a pair (either order); raises :class:`UnknownPairError` if absent."""
        for key in ((sentence_a, sentence_b), (sentence_b, sentence_a)):
            if key in self._gold:
                return self._gold[key]
        raise UnknownPairError(f"no gold label for the pair ({sentence_a!r:.60}, {sentence_b!r:.60})")

    def judge(
        self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None
    ) -> float | None:
        """One simulated judgement in [0, 5] (``None`` for a simulated skip)."""
        return self.noise.apply(self.gold(sentence_a, sentence_b), rng if rng is not None else self._rng)
