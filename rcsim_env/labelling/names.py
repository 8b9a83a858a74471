"""Checks of the text people and scripts send: annotator names, and text SQLite can store.

An annotator name must show on screen. Python's ``str.strip`` removes whitespace of
every Unicode kind (U+00A0, U+2000-U+200A, U+3000, ...); what is left must hold at least
one *visible* character: a letter, digit, punctuation mark or symbol (Unicode categories
L*, N*, P*, S*) other than the blank fillers :data:`BLANK_CHARACTERS` (Hangul fillers,
the blank Braille pattern). Combining marks, variation selectors, zero-width and other
format characters do not count, so a name made only of them is refused.
"""

from __future__ import annotations

import unicodedata

from rcsim_env.labelling.store_errors import LabelStoreError

MAX_ANNOTATOR_LENGTH = 64
# letters and symbols that render as nothing: U+115F HANGUL CHOSEONG FILLER, U+1160 HANGUL
# JUNGSEONG FILLER, U+3164 HANGUL FILLER, U+FFA0 HALFWIDTH HANGUL FILLER, U+2800 BRAILLE PATTERN BLANK
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_VISIBLE_CATEGORIES = ("L", "N", "P", "S")
_CONTROL_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


class InvalidTextError(LabelStoreError, ValueError):
    """Text that cannot be stored: not a str, or holding unpaired UTF-16 surrogates."""


class InvalidAnnotatorError(InvalidTextError):
    """An annotator name is empty, too long, invisible, or holds control characters."""


def is_visible(char: str) -> bool:
    """True when the character ``char`` draws something: a letter, digit, punctuation mark or symbol.

    False for whitespace, combining marks, format and control characters, unassigned
    and private-use code points, surrogates and :data:`BLANK_CHARACTERS`.
    """
    return unicodedata.category(char)[0] in _VISIBLE_CATEGORIES and char not in BLANK_CHARACTERS


def surrogate_position(text: str) -> int | None:
    """The index of the first unpaired UTF-16 surrogate (U+D800-U+DFFF) in ``text``, or None."""
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            return index
    return None


def validate_text(value: object, name: str) -> str:
    """Return ``value`` if it is a ``str`` that UTF-8 (hence SQLite and JSON) can hold.

    Raises :class:`InvalidTextError` naming ``name`` for a non-str or for text with an
    unpaired surrogate (e.g. ``"\\ud800"``, which JSON can spell but UTF-8 cannot).
    """
    if not isinstance(value, str):
        raise InvalidTextError(f"{name} must be text, got {type(value).__name__}: {value!r:.40}")
    position = surrogate_position(value)
    if position is not None:
        raise InvalidTextError(
            f"{name} holds an unpaired UTF-16 surrogate ({value[position]!r}) at character {position}; "
            "that is not text and cannot be stored"
        )
    return value


def validate_annotator(name: object) -> str:
    """Return ``name`` stripped if it is a usable annotator name: 1-64 characters, visible, no controls.

    Raises :class:`InvalidAnnotatorError` saying what is wrong otherwise (see the module
    docstring for what counts as visible).
    """
    if not isinstance(name, str):
        raise InvalidAnnotatorError(f"annotator must be a text name, got {type(name).__name__}: {name!r:.40}")
    try:
        validate_text(name, "the annotator name")
    except InvalidTextError as exc:
        raise InvalidAnnotatorError(str(exc)) from None
    stripped = name.strip()
    if not stripped:
        kind = "empty" if name == "" else "empty once its whitespace is removed"
        raise InvalidAnnotatorError(f"annotator name is {kind}; type a name (e.g. your initials)")
    if len(stripped) > MAX_ANNOTATOR_LENGTH:
        raise InvalidAnnotatorError(
            f"annotator name is {len(stripped)} characters long; at most {MAX_ANNOTATOR_LENGTH} are allowed"
        )
    if not any(is_visible(char) for char in stripped):
        codes = " ".join(f"U+{ord(char):04X}" for char in stripped[:8])
        raise InvalidAnnotatorError(
            f"annotator name {stripped!r} shows nothing on screen (it is made of {codes}"
            f"{' ...' if len(stripped) > 8 else ''}: invisible, combining or filler characters); "
            "type a name with letters or digits"
        )
    if any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in stripped):
        raise InvalidAnnotatorError(f"annotator name {stripped!r} holds control characters")
    return stripped
