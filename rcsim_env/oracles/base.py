"""The oracle protocol: anything that judges how similar two sentences are on the 0-5 scale."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from rcsim_env.errors import RCSimError
from rcsim_env.validation import validate_score


class UnknownPairError(RCSimError, KeyError):
    """An oracle was asked about a pair it holds no label for."""

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return str(self.args[0]) if self.args else ""


@runtime_checkable
class Oracle(Protocol):
    """Judges sentence pairs.

    ``judge(sentence_a, sentence_b, rng=...)`` returns a score in [0, 5], or ``None``
    when the judge skipped the pair. ``rng`` is the caller's generator (the
    environment passes its ``np_random``) so that simulated judges are reproducible.
    ``nondeterministic`` is True for judges whose answers no seed can fix (people).
    """

    nondeterministic: bool

    def judge(
        self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None
    ) -> float | None:
        """Return the judged similarity in [0, 5], or ``None`` for a skip."""
        ...


def checked_judgement(value: object, oracle: object) -> float | None:
    """Validate what an oracle answered: ``None`` (a skip) passes, anything else must be a number in [0, 5].

    Raises :class:`~rcsim_env.errors.InvalidLabelError` naming the oracle's class.
    """
    if value is None:
        return None
    return validate_score(value, f"label from {type(oracle).__name__}")
