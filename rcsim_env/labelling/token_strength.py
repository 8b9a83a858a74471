"""How hard an access token is to guess: a conservative estimate of its entropy in bits.

A token is refused (see :func:`token_problem`) when it is shorter than
:data:`MIN_TOKEN_LENGTH`, holds whitespace or other unprintable characters, has fewer than
:data:`MIN_DISTINCT_CHARACTERS` different characters, or is estimated below
:data:`MIN_TOKEN_BITS` bits.

The estimate (:func:`estimated_bits`) charges each character ``log2(pool)``, where
``pool`` is the size of the character classes the token uses (26 lower-case letters, 26
upper-case, 10 digits, 33 other ASCII, 100 for anything beyond ASCII), except that a
character costs 1 bit when it repeats the one before or steps by one from it (``aaaa``,
``abcd``, ``4321``), and a token made of a repeated block (``abc1abc1abc1``) costs only its
block. A random ``secrets.token_urlsafe()`` (43 characters) scores 220-300 bits; 32 random
hexadecimal digits over 110. Sixteen random hexadecimal digits (64 true bits) score about
72 on average and one in ten falls below the bar: make tokens longer than the minimum.
"""

from __future__ import annotations

import math
import string

MIN_TOKEN_LENGTH = 16
MIN_DISTINCT_CHARACTERS = 8
MIN_TOKEN_BITS = 64
MAKE_ONE = "make one with python -c 'import secrets; print(secrets.token_urlsafe())'"
_CLASSES = (
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.digits), 10),
    (frozenset(string.punctuation + " "), 33),
)
_OTHER_POOL = 100


def shortest_period(text: str) -> int:
    """The length of the shortest block that ``text`` repeats (``len(text)`` when it repeats none)."""
    size = len(text)
    for period in range(1, size // 2 + 1):
        if all(text[index] == text[index - period] for index in range(period, size)):
            return period
    return size


def pool_size(text: str) -> int:
    """How many characters an attacker must try per position, given the classes ``text`` uses."""
    size = sum(count for members, count in _CLASSES if any(char in members for char in text))
    if any(not char.isascii() for char in text):
        size += _OTHER_POOL
    return max(size, 2)


def estimated_bits(token: str) -> float:
    """A conservative estimate of the entropy of ``token`` in bits (see the module docstring)."""
    block = token[: shortest_period(token)]
    per_char = math.log2(pool_size(token))
    bits = 0.0
    for index, char in enumerate(block):
        follows = index > 0 and abs(ord(char) - ord(block[index - 1])) <= 1
        bits += 1.0 if follows else per_char
    return bits


def token_problem(token: object) -> str | None:
    """Why ``token`` is not a usable access token (a sentence that says what to do), or None when it is."""
    if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH or not token.isprintable():
        return f"the access token must be at least {MIN_TOKEN_LENGTH} printable characters; {MAKE_ONE}"
    if any(char.isspace() for char in token):
        return (
            "the access token holds whitespace, which is lost or mangled in URLs and headers "
            f"(and adds little to guess); use letters, digits and punctuation: {MAKE_ONE}"
        )
    distinct = len(set(token))
    bits = estimated_bits(token)
    if distinct < MIN_DISTINCT_CHARACTERS or bits < MIN_TOKEN_BITS:
        return (
            f"the access token is too easy to guess: it has {distinct} different characters and about "
            f"{bits:.0f} bits of entropy (repeated characters, runs such as abc or 123, and repeated "
            f"blocks count for little); it needs at least {MIN_DISTINCT_CHARACTERS} different characters "
            f"and {MIN_TOKEN_BITS} bits: {MAKE_ONE}"
        )
    return None
