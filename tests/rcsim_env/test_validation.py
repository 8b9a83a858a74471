import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rcsim_env.errors import InvalidArgumentError, InvalidLabelError, InvalidSentenceError
from rcsim_env.validation import (
    short_repr,
    validate_flag,
    validate_int,
    validate_real,
    validate_score,
    validate_sentence,
)


def test_valid_sentence_is_returned_unchanged():
    assert validate_sentence("  A dog runs. ") == "  A dog runs. "


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        ("   \t\n", "whitespace-only"),
        (None, "must be a str"),
        (42, "must be a str"),
        (b"bytes", "str"),
    ],
)
def test_bad_sentences_are_refused_with_their_place(value, fragment):
    with pytest.raises(InvalidSentenceError, match=fragment) as info:
        validate_sentence(value, "pairs[3].sentence_b")
    assert "pairs[3].sentence_b" in str(info.value)


@pytest.mark.parametrize("value", [0, 0.0, 2.5, 5, 5.0])
def test_scores_in_range_pass(value):
    assert validate_score(value) == float(value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (math.nan, "NaN"),
        (-0.01, "outside"),
        (5.01, "outside"),
        (math.inf, "outside"),
        ("3", "number"),
        (None, "number"),
        (True, "number"),
    ],
)
def test_invalid_labels_are_refused(value, fragment):
    with pytest.raises(InvalidLabelError, match=fragment):
        validate_score(value, "label of pair 7")


# --- settings and error messages ----------------------------------------------------------------------


class RaisingRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_VALUES = st.one_of(
    st.integers(min_value=10**300),
    st.sampled_from(
        [10**5000, -(10**5000), nested(100_000), RaisingRepr(), np.zeros((3, 3)), {1, 2}, {"k": 1}]
    ),
    st.text(min_size=100, max_size=100_000),
    st.binary(min_size=100, max_size=1000),
    st.floats(allow_nan=True),
)


@settings(max_examples=150, deadline=None)
@given(value=HOSTILE_VALUES, limit=st.integers(10, 80))
def test_short_repr_never_raises_and_stays_short(value, limit) -> None:
    text = short_repr(value, limit)
    assert isinstance(text, str) and len(text) <= max(limit, 60)


def test_validators_refuse_huge_integers_and_describe_them_without_printing_them() -> None:
    with pytest.raises(InvalidLabelError, match="outside"):
        validate_score(10**5000)
    with pytest.raises(InvalidArgumentError, match="skip_reward must be a finite number"):
        validate_real(10**5000, "skip_reward")
    assert validate_int(10**400, "budget", 0) == 10**400  # a Python integer is an integer


INTEGER_LIKE_BUT_NOT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers().map(str),
    st.sampled_from([True, False, np.bool_(True), np.float64(2.0), Decimal(2), Fraction(2), None, [1], 2j]),
)


@settings(max_examples=200, deadline=None)
@given(value=INTEGER_LIKE_BUT_NOT, minimum=st.integers(-5, 5))
def test_validate_int_never_truncates_or_parses(value, minimum) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^steps must be an integer >= "):
        validate_int(value, "steps", minimum)


@settings(max_examples=100, deadline=None)
@given(value=st.integers(-(2**62), 2**62), kind=st.sampled_from([int, np.int64]), minimum=st.integers(-5, 5))
def test_validate_int_keeps_integers_at_or_above_the_minimum(value, kind, minimum) -> None:
    if value >= minimum:
        result = validate_int(kind(value), "steps", minimum)
        assert result == value and type(result) is int
    else:
        with pytest.raises(InvalidArgumentError, match=f">= {minimum}"):
            validate_int(kind(value), "steps", minimum)


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(st.floats(allow_nan=True), st.integers(), st.sampled_from(["0.5", True, None, 1j])),
    minimum=st.one_of(st.none(), st.floats(-1, 1)),
    exclusive=st.booleans(),
)
def test_validate_real_accepts_exactly_the_finite_reals_in_range(value, minimum, exclusive) -> None:
    is_real = isinstance(value, (int, float)) and not isinstance(value, bool)
    finite = is_real and math.isfinite(float(value) if abs(value) < 2**1024 else math.inf)
    in_range = minimum is None or (finite and (value > minimum if exclusive else value >= minimum))
    if finite and in_range:
        assert validate_real(value, "margin", minimum, exclusive) == float(value)
    else:
        with pytest.raises(InvalidArgumentError, match="^margin must be a finite number"):
            validate_real(value, "margin", minimum, exclusive)


@pytest.mark.parametrize("value", ["yes", 1, 0, None, [True]])
def test_validate_flag_takes_only_bools(value) -> None:
    with pytest.raises(InvalidArgumentError, match="clip_actions must be True or False"):
        validate_flag(value, "clip_actions")
    assert validate_flag(np.bool_(True), "clip_actions") is True


@pytest.mark.parametrize("character", ["\x00", "\ufeff"])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_sentence_holding_a_nul_or_a_byte_order_mark_is_refused(character, where):
    from rcsim_env.errors import InvalidSentenceError
    from rcsim_env.validation import validate_sentence

    text = {"start": character + "a man", "middle": "a " + character + "man", "end": "a man" + character}[
        where
    ]
    with pytest.raises(InvalidSentenceError, match=f"U\\+{ord(character):04X}"):
        validate_sentence(text, "pairs[0].sentence_a")
