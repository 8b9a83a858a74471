"""Tests of the built-in demo pairs."""

from __future__ import annotations

from collections import Counter

import pytest

from rcsim_env.data.builtin_pairs import builtin_pairs
from rcsim_env.data.loaders import load_stsb
from rcsim_env.errors import DataNotFoundError
from rcsim_env.validation import validate_score, validate_sentence


def test_size_and_ids() -> None:
    pairs = builtin_pairs()
    assert 35 <= len(pairs) <= 45
    assert [pair.pair_id for pair in pairs] == [f"builtin:{n}" for n in range(1, len(pairs) + 1)]


def test_sentences_and_scores_are_valid_and_distinct() -> None:
    pairs = builtin_pairs()
    for pair in pairs:
        validate_sentence(pair.sentence_a)
        validate_sentence(pair.sentence_b)
        validate_score(pair.score)
        assert pair.sentence_a != pair.sentence_b
    assert len({(pair.sentence_a, pair.sentence_b) for pair in pairs}) == len(pairs)


def test_scores_cover_the_whole_scale() -> None:
    scores = [pair.score for pair in builtin_pairs()]
    assert min(scores) == 0.0 and max(scores) == 5.0
    buckets = Counter(min(int(score), 4) for score in scores)  # [0,1), [1,2), [2,3), [3,4), [4,5]
    assert sorted(buckets) == [0, 1, 2, 3, 4]
    assert min(buckets.values()) >= 5


def test_each_call_returns_a_new_list() -> None:
    first = builtin_pairs()
    first.clear()
    assert len(builtin_pairs()) > 0


def test_not_copied_from_sts_benchmark() -> None:
    try:
        stsb = [pair for split in ("train", "dev", "test") for pair in load_stsb(split)]
    except DataNotFoundError:
        pytest.skip("STS Benchmark not found in any data directory: cannot compare")
    known = {sentence.strip().lower() for pair in stsb for sentence in (pair.sentence_a, pair.sentence_b)}
    ours = {sentence.lower() for pair in builtin_pairs() for sentence in (pair.sentence_a, pair.sentence_b)}
    assert ours.isdisjoint(known)
