"""An oracle that judges with another sentence encoder: a cheap stand-in for a stronger model or a person."""

from __future__ import annotations

import os

import numpy as np

from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.oracles.noise import AnnotatorNoise
from rcsim_env.validation import MAX_SCORE


class TeacherOracle:
    """Scores a pair as ``5 * max(cos, 0)`` of a teacher encoder's embeddings, then applies ``noise``.

    Args:
        teacher: a :class:`SentenceEncoder`, or a name or path to load one from.
        noise: annotator model applied to the teacher's score (default: none, continuous).
        seed: seeds the generator used when ``judge`` is called without ``rng``.
    """

    nondeterministic = False

    def __init__(
        self,
        teacher: SentenceEncoder | str | os.PathLike[str] | None = None,
        noise: AnnotatorNoise | None = None,
        seed: int | None = None,
    ):
        self.teacher = (
            teacher if isinstance(teacher, SentenceEncoder) else SentenceEncoder.from_pretrained(teacher)
        )
        self.noise = noise if noise is not None else AnnotatorNoise.exact()
        self._rng = np.random.default_rng(seed)

    def score(self, sentence_a: str, sentence_b: str) -> float:
        """The teacher's noise-free score in [0, 5]."""
        cosine = float(self.teacher.similarity([sentence_a], [sentence_b])[0])
        return float(np.clip(cosine, 0.0, 1.0)) * MAX_SCORE

    def judge(
        self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None
    ) -> float | None:
        """One judgement in [0, 5] (``None`` for a simulated skip)."""
        return self.noise.apply(self.score(sentence_a, sentence_b), rng if rng is not None else self._rng)
