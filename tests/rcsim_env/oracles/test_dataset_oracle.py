import numpy as np
import pytest

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import InvalidLabelError
from rcsim_env.oracles import AnnotatorNoise, DatasetOracle, Oracle, UnknownPairError

PAIRS = [
    ScoredPair("a dog runs", "a dog is running", 4.6, "p1"),
    ScoredPair("a cat sleeps", "stocks fell", 0.2, "p2"),
    ScoredPair("a cat sleeps", "stocks fell", 0.6, "p2b"),
]


def test_it_is_an_oracle_and_answers_gold_in_either_order():
    oracle = DatasetOracle(PAIRS, AnnotatorNoise.exact())
    assert isinstance(oracle, Oracle)
    assert oracle.judge("a dog runs", "a dog is running") == pytest.approx(4.6)
    assert oracle.judge("a dog is running", "a dog runs") == pytest.approx(4.6)


def test_duplicate_pairs_average_their_gold():
    assert DatasetOracle(PAIRS, AnnotatorNoise.exact()).gold("a cat sleeps", "stocks fell") == pytest.approx(
        0.4
    )


def test_noise_uses_the_callers_generator():
    oracle = DatasetOracle(PAIRS, AnnotatorNoise(sigma=0.1, levels="continuous"))
    first = [oracle.judge("a dog runs", "a dog is running", rng=np.random.default_rng(3)) for _ in range(3)]
    assert len(set(first)) == 1
    rng = np.random.default_rng(3)
    assert len({oracle.judge("a dog runs", "a dog is running", rng=rng) for _ in range(5)}) == 5


def test_unknown_pairs_and_bad_gold_are_refused():
    oracle = DatasetOracle(PAIRS)
    with pytest.raises(UnknownPairError, match="no gold label"):
        oracle.judge("never", "seen")
    with pytest.raises(InvalidLabelError, match="pair bad"):
        DatasetOracle([ScoredPair("x", "y", 7.0, "bad")])
    with pytest.raises(InvalidLabelError, match="no gold score"):
        DatasetOracle([ScoredPair("x", "y", None, "nogold")])
