"""Small labelled pairs over the tiny vocabulary: paraphrases share their words, others do not."""

from __future__ import annotations

import numpy as np
import pytest

from rcsim_env.data.pairs import ScoredPair

SUBJECTS = "man woman dog cat child people".split()
VERBS = "plays eats reads sleeps runs sits".split()
OBJECTS = "guitar piano food book car house".split()


def toy_pairs(count: int = 48, seed: int = 0) -> list[ScoredPair]:
    """``count`` pairs: half paraphrases (same words, other filler) labelled 1, half unrelated labelled 0."""
    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(count):
        s, v, o = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)
        first = f"a {s} {v} the {o} ."
        if i % 2 == 0:
            second, label = f"the {s} {v} a {o} in the park", 1.0
        else:
            others = (
                [w for w in SUBJECTS if w != s],
                [w for w in VERBS if w != v],
                [w for w in OBJECTS if w != o],
            )
            second, label = (
                f"two {rng.choice(others[0])} {rng.choice(others[1])} {rng.choice(others[2])}",
                0.0,
            )
        pairs.append(ScoredPair(first, second, label, f"toy{i}"))
    return pairs


@pytest.fixture
def toy():
    """48 toy pairs (see :func:`toy_pairs`)."""
    return toy_pairs()
