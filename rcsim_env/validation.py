"""Checks shared by every entry point that accepts sentences or labels."""

from __future__ import annotations

import math
import numbers

from rcsim_env.errors import InvalidLabelError, InvalidSentenceError

MIN_SCORE = 0.0
MAX_SCORE = 5.0


def validate_sentence(sentence: object, where: str = "sentence") -> str:
    """Return ``sentence`` unchanged if it is a non-empty, non-blank ``str``.

    Raises :class:`InvalidSentenceError` naming ``where`` otherwise. Length is not
    limited here: encoders truncate to their maximum token length.
    """
    if not isinstance(sentence, str):
        raise InvalidSentenceError(f"{where} must be a str, got {type(sentence).__name__}: {sentence!r:.80}")
    if not sentence.strip():
        kind = "empty" if sentence == "" else "whitespace-only"
        raise InvalidSentenceError(f"{where} is {kind}; a sentence needs at least one visible character")
    return sentence


def validate_score(score: object, where: str = "label") -> float:
    """Return ``score`` as a float if it is a finite real number in [0, 5].

    Booleans, strings, ``None``, NaN, infinities and values outside [0, 5] raise
    :class:`InvalidLabelError` naming ``where``.
    """
    if isinstance(score, bool) or not isinstance(score, numbers.Real):
        raise InvalidLabelError(
            f"{where} must be a number in [0, 5], got {type(score).__name__}: {score!r:.80}"
        )
    value = float(score)
    if math.isnan(value):
        raise InvalidLabelError(f"{where} is NaN; a label must be a number in [0, 5]")
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise InvalidLabelError(f"{where} is {value}, outside [0, 5]")
    return value
