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

    Optional: an oracle that sometimes answers from a model rather than a judge (a reward
    model) sets ``last_answer_predicted`` after each ``judge`` call; such answers spend no
    label. ``will_predict(sentence_a, sentence_b)`` says beforehand whether the next answer
    about that pair would be predicted (see :func:`answer_is_predicted`).
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


def answer_is_predicted(oracle: object) -> bool:
    """Whether ``oracle``'s last answer came from a model (spends no label): its optional
    ``last_answer_predicted`` attribute, False for oracles without one."""
    return bool(getattr(oracle, "last_answer_predicted", False))


def would_predict(oracle: object, sentence_a: str, sentence_b: str) -> bool:
    """Whether ``oracle`` would answer about this pair from a model: its optional ``will_predict``
    method, else its ``last_answer_predicted`` class-wide flag (always-predicting oracles)."""
    ask = getattr(oracle, "will_predict", None)
    if callable(ask):
        return bool(ask(sentence_a, sentence_b))
    return answer_is_predicted(oracle)
