"""Checks shared by every entry point that accepts sentences, labels or settings."""

from __future__ import annotations

import math
import numbers

import numpy as np

from rcsim_env.errors import InvalidArgumentError, InvalidLabelError, InvalidSentenceError

MIN_SCORE = 0.0
MAX_SCORE = 5.0
_LONGEST_SHOWN_INT_BITS = 256


def short_repr(value: object, limit: int = 40) -> str:
    """A short description of any value for an error message: its ``repr``, cut to ``limit`` characters.

    Never raises and never spends long: containers are described by type and length (a deeply
    nested one would overflow ``repr``), integers too long to print by their number of bits.
    """
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, int) and value.bit_length() > _LONGEST_SHOWN_INT_BITS:
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, (str, bytes)) and len(value) > limit:
        value = value[: limit + 1]
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not hide the real error
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


FORBIDDEN_IN_SENTENCES = {"\x00": "NUL character", "\ufeff": "byte-order mark"}
"""Characters no sentence holds: their presence means binary data or a misread file (the data
readers refuse them in files for the same reason, so every stored sentence can be written and
read back)."""


def validate_sentence(sentence: object, where: str = "sentence") -> str:
    """Return ``sentence`` unchanged if it is a non-empty, non-blank ``str`` without a NUL character
    or a byte-order mark (:data:`FORBIDDEN_IN_SENTENCES`).

    Raises :class:`InvalidSentenceError` naming ``where`` otherwise. Length is not
    limited here: encoders truncate to their maximum token length.
    """
    if not isinstance(sentence, str):
        raise InvalidSentenceError(
            f"{where} must be a str, got {type(sentence).__name__}: {short_repr(sentence, 80)}"
        )
    if not sentence.strip():
        kind = "empty" if sentence == "" else "whitespace-only"
        raise InvalidSentenceError(f"{where} is {kind}; a sentence needs at least one visible character")
    for character, name in FORBIDDEN_IN_SENTENCES.items():
        if character in sentence:
            raise InvalidSentenceError(
                f"{where} holds a {name} (U+{ord(character):04X}) at character {sentence.index(character)}: "
                "binary data or a file read in the wrong encoding; a sentence is text"
            )
    return sentence


def validate_score(score: object, where: str = "label") -> float:
    """Return ``score`` as a float if it is a finite real number in [0, 5].

    Booleans, strings, ``None``, NaN, infinities, numbers too large for a float and values
    outside [0, 5] raise :class:`InvalidLabelError` naming ``where``.
    """
    if isinstance(score, (bool, np.bool_)) or not isinstance(score, numbers.Real):
        raise InvalidLabelError(
            f"{where} must be a number in [0, 5], got {type(score).__name__}: {short_repr(score, 80)}"
        )
    try:
        value = float(score)
    except OverflowError:
        raise InvalidLabelError(f"{where} is {short_repr(score)}, outside [0, 5]") from None
    if math.isnan(value):
        raise InvalidLabelError(f"{where} is NaN; a label must be a number in [0, 5]")
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise InvalidLabelError(f"{where} is {value}, outside [0, 5]")
    return value


def validate_int(value: object, name: str, minimum: int, allow_none: bool = False) -> int | None:
    """Return ``value`` as an ``int`` if it is an integer (Python or NumPy) >= ``minimum``.

    ``None`` is returned as is when ``allow_none``. Booleans, floats (even 2.0, NaN or inf),
    text such as ``"10"`` and smaller integers raise :class:`InvalidArgumentError` naming
    ``name`` and what is accepted; nothing is truncated or converted.
    """
    accepted = f"an integer >= {minimum}" + (" or None" if allow_none else "")
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError(
            f"{name} must be {accepted}, got {type(value).__name__}: {short_repr(value)}"
        )
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be {accepted}, got {short_repr(value)}")
    return int(value)


def validate_real(value: object, name: str, minimum: float | None = None, exclusive: bool = False) -> float:
    """Return ``value`` as a finite ``float`` if it is a real number (not a bool, not text).

    With ``minimum`` the value must be >= it (> it when ``exclusive``). Anything else
    (NaN, infinities, numbers too large for a float, ``"0.5"``, True) raises
    :class:`InvalidArgumentError` naming ``name`` and what is accepted.
    """
    accepted = "a finite number"
    if minimum is not None:
        accepted += f" {'>' if exclusive else '>='} {minimum:g}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError(
            f"{name} must be {accepted}, got {type(value).__name__}: {short_repr(value)}"
        )
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result) or (
        minimum is not None and (result <= minimum if exclusive else result < minimum)
    ):
        raise InvalidArgumentError(f"{name} must be {accepted}, got {short_repr(value)}")
    return result


def validate_flag(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy); anything else raises InvalidArgumentError."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidArgumentError(
            f"{name} must be True or False, got {type(value).__name__}: {short_repr(value)}"
        )
    return bool(value)
