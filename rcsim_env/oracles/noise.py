"""A simulated annotator: gold score in, a noisy, rounded human-like click out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rcsim_env.registry import Registry
from rcsim_env.validation import MAX_SCORE, MIN_SCORE

SIX_POINT_LEVELS = (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)
"""The six points of the STS annotation guideline."""

PAPER_FIVE_LEVELS = (0.25, 1.5, 2.5, 3.5, 4.75)
"""The paper's five buttons, 0.05 / 0.3 / 0.5 / 0.7 / 0.95 on the 0-1 scale, here on the 0-5 scale."""

Levels = Literal["six", "five", "continuous"]


@dataclass(frozen=True)
class AnnotatorNoise:
    """How a simulated person departs from the averaged gold score.

    Applied in this order: with probability ``skip_rate`` the annotator skips
    (``None``); with probability ``random_answer_rate`` the answer is a level chosen
    uniformly (an inattentive click); otherwise gold plus Gaussian noise of standard
    deviation ``sigma`` (0-5 scale), clipped to [0, 5]. The result is then rounded to
    the nearest of the ``levels``: ``"six"`` (0, 1, ..., 5), ``"five"`` (the paper's
    five bins) or ``"continuous"`` (no rounding).
    """

    sigma: float = 0.0
    random_answer_rate: float = 0.0
    skip_rate: float = 0.0
    levels: Levels = "six"

    def __post_init__(self) -> None:
        if not np.isfinite(self.sigma) or self.sigma < 0:
            raise ValueError(f"sigma must be a finite number >= 0, got {self.sigma}")
        for name in ("random_answer_rate", "skip_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {rate}")
        if self.levels not in ("six", "five", "continuous"):
            raise ValueError(f"levels must be 'six', 'five' or 'continuous', got {self.levels!r}")

    @classmethod
    def exact(cls) -> AnnotatorNoise:
        """Gold as it is, no rounding: the optimistic case."""
        return cls(levels="continuous")

    @classmethod
    def rounded(cls) -> AnnotatorNoise:
        """Gold rounded to the nearest of the six points, no other noise."""
        return cls(levels="six")

    @classmethod
    def mild(cls) -> AnnotatorNoise:
        """A careful annotator: sigma 0.5, 2% random clicks, six-point rounding (Pearson ~0.9 with gold)."""
        return cls(sigma=0.5, random_answer_rate=0.02, levels="six")

    @classmethod
    def paper(cls) -> AnnotatorNoise:
        """The paper's five buttons, no noise beyond the rounding."""
        return cls(levels="five")

    def level_values(self) -> tuple[float, ...] | None:
        """The values answers are rounded to, or ``None`` for continuous answers."""
        return {"six": SIX_POINT_LEVELS, "five": PAPER_FIVE_LEVELS}.get(self.levels)

    def round(self, score: float) -> float:
        """Round a score in [0, 5] to the nearest level (ties go to the lower level)."""
        values = self.level_values()
        if values is None:
            return float(score)
        return float(min(values, key=lambda level: (abs(level - score), level)))

    def apply(self, gold: float, rng: np.random.Generator) -> float | None:
        """Turn a gold score (0-5) into one simulated judgement, drawing randomness from ``rng`` only."""
        if self.skip_rate and rng.random() < self.skip_rate:
            return None
        if self.random_answer_rate and rng.random() < self.random_answer_rate:
            values = self.level_values()
            if values is None:
                return float(rng.uniform(MIN_SCORE, MAX_SCORE))
            return float(values[int(rng.integers(len(values)))])
        score = gold + (rng.normal(0.0, self.sigma) if self.sigma else 0.0)
        return self.round(float(np.clip(score, MIN_SCORE, MAX_SCORE)))


NOISE_PRESETS: Registry[Callable[[], AnnotatorNoise]] = Registry("annotator noise preset")
"""Preset name -> a function returning that :class:`AnnotatorNoise`; register new presets here."""
NOISE_PRESETS.register("mild", AnnotatorNoise.mild, help="sigma 0.5, 2% random clicks, six points")
NOISE_PRESETS.register("rounded", AnnotatorNoise.rounded, help="gold rounded to six points")
NOISE_PRESETS.register("exact", AnnotatorNoise.exact, help="gold as it is")
NOISE_PRESETS.register("paper", AnnotatorNoise.paper, help="the paper's five buttons")
