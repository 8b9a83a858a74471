"""Query strategies on hand-made ensembles and generated candidates."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rcsim_env.errors import InvalidArgumentError, UnknownNameError
from rcsim_env.oracles.query_strategies import (
    QUERY_STRATEGIES,
    Candidates,
    k_center_greedy,
    select_queries,
)

RNG = np.random.default_rng


def test_disagreement_picks_the_pairs_the_members_split_on():
    members = np.array(
        [
            [1.0, 2.0, 0.0, 5.0, 3.0],
            [1.0, 2.5, 4.0, 5.0, 1.0],
            [1.0, 2.0, 2.0, 5.0, 2.0],
        ]
    )
    picked = select_queries("disagreement", Candidates(members=members), 2, RNG(0))
    assert picked.tolist() == [2, 4]  # std 1.63 and 0.82; the agreed pairs 0 and 3 never come first


def test_cosine_disagreement_picks_where_encoder_and_reward_model_differ():
    members = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]])
    encoder = np.array([1.1, 5.0, 3.0, 0.5])
    picked = select_queries(
        "cosine-disagreement", Candidates(members=members, encoder_scores=encoder), 2, RNG(0)
    )
    assert picked.tolist() == [3, 1]  # |0.5 - 4| = 3.5, then |5 - 2| = 3


def test_diverse_does_not_ask_the_same_thing_twice():
    # pairs 0-2 are near copies of each other and the most uncertain; 3 is as uncertain and far away
    embeddings = np.array([[0.0, 0.0], [0.01, 0.0], [0.0, 0.01], [5.0, 5.0], [1.0, 1.0], [2.0, 0.0]])
    members = np.array([[0.0, 0.0, 0.0, 0.0, 2.0, 2.0], [4.0, 3.9, 3.85, 3.8, 2.0, 2.0]])
    candidates = Candidates(members=members, embeddings=embeddings)
    assert select_queries("disagreement", candidates, 2, RNG(0)).tolist() == [0, 1]
    assert select_queries("diverse", candidates, 2, RNG(0)).tolist() == [0, 3]


def test_k_center_greedy_picks_the_farthest_point_each_time():
    points = np.array([[0.0], [1.0], [10.0], [4.0], [6.0]])
    assert k_center_greedy(points, 3, first=0).tolist() == [0, 2, 3]
    duplicates = np.zeros((4, 3))
    assert sorted(k_center_greedy(duplicates, 4, first=1).tolist()) == [0, 1, 2, 3]


def test_ties_are_broken_by_the_generator_reproducibly():
    members = np.zeros((2, 50))  # every pair equally uncertain
    first = select_queries("disagreement", Candidates(members=members), 5, RNG(3))
    assert first.tolist() == select_queries("disagreement", Candidates(members=members), 5, RNG(3)).tolist()
    others = {
        tuple(select_queries("disagreement", Candidates(members=members), 5, RNG(s))) for s in range(10)
    }
    assert len(others) > 1  # not always the first five


def test_registry_lists_every_strategy_and_refuses_unknown_names():
    assert list(QUERY_STRATEGIES) == ["random", "disagreement", "cosine-disagreement", "diverse"]
    with pytest.raises(UnknownNameError, match="known: random, disagreement"):
        select_queries("most-fun", Candidates(members=np.zeros((1, 3))), 1, RNG(0))


def _finite(shape):
    return arrays(np.float64, shape, elements=st.floats(0.0, 5.0, allow_nan=False))


@st.composite
def candidate_sets(draw):
    n = draw(st.integers(1, 30))
    members = draw(_finite((draw(st.integers(1, 4)), n)))
    encoder = draw(_finite((n,)))
    embeddings = draw(arrays(np.float64, (n, 3), elements=st.floats(-3, 3, allow_nan=False)))
    return Candidates(members=members, encoder_scores=encoder, embeddings=embeddings)


@settings(max_examples=60, deadline=None)
@given(
    candidates=candidate_sets(),
    k=st.integers(0, 40),
    seed=st.integers(0, 2**16),
    name=st.sampled_from(list(QUERY_STRATEGIES)),
)
def test_every_strategy_returns_min_k_n_distinct_valid_indices(candidates, k, seed, name):
    picked = select_queries(name, candidates, k, RNG(seed))
    n = len(candidates)
    assert picked.dtype == np.int64 and len(picked) == min(k, n)
    assert len(set(picked.tolist())) == len(picked) and all(0 <= i < n for i in picked)
    assert picked.tolist() == select_queries(name, candidates, k, RNG(seed)).tolist()


@settings(max_examples=60, deadline=None)
@given(candidates=candidate_sets(), k=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_disagreement_never_skips_a_more_uncertain_pair(candidates, k, seed):
    picked = select_queries("disagreement", candidates, k, RNG(seed))
    spread = candidates.members.std(axis=0)
    left_out = np.setdiff1d(np.arange(len(candidates)), picked)
    if left_out.size:
        assert spread[picked].min() >= spread[left_out].max()
    assert np.all(np.diff(spread[picked]) <= 1e-12)  # most uncertain first


BAD_CANDIDATES = [
    (Candidates(), "holds nothing"),
    (Candidates(members=np.zeros(3)), "members must be a 2-d"),
    (Candidates(members=np.zeros((2, 3)), encoder_scores=np.zeros(4)), "covers 4 pairs"),
    (Candidates(members=np.array([[0.0, np.nan]])), "NaN or infinite"),
    (Candidates(members=np.zeros((2, 3)), embeddings=np.full((3, 2), np.inf)), "NaN or infinite"),
    (Candidates(members=np.zeros((0, 3))), "at least one member"),
    (Candidates(encoder_scores=np.zeros(3)), "needs Candidates.members"),
]


@pytest.mark.parametrize(("candidates", "message"), BAD_CANDIDATES)
def test_bad_candidates_are_refused_by_name(candidates, message):
    name = "cosine-disagreement" if "needs" in message else "disagreement"
    with pytest.raises(InvalidArgumentError, match=message):
        select_queries(name, candidates, 1, RNG(0))


@pytest.mark.parametrize("k", [-1, 1.5, "2", True, None])
def test_bad_k_is_refused(k):
    with pytest.raises(InvalidArgumentError, match="k must be a non-negative integer"):
        select_queries("random", Candidates(members=np.zeros((1, 3))), k, RNG(0))
