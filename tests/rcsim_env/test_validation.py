import math

import pytest

from rcsim_env.errors import InvalidLabelError, InvalidSentenceError
from rcsim_env.validation import validate_score, validate_sentence


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
