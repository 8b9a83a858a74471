import json

import numpy as np
import pytest

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import InvalidLabelError
from rcsim_env.oracles import ReplayOracle, UnknownPairError


def test_replays_the_stored_label():
    oracle = ReplayOracle([ScoredPair("a", "b", 3.0, "1")])
    assert oracle.judge("a", "b") == 3.0
    assert oracle.judge("b", "a") == 3.0


def test_several_labels_are_drawn_reproducibly():
    oracle = ReplayOracle([ScoredPair("a", "b", 1.0, "1"), ScoredPair("a", "b", 4.0, "2")])
    draws = [oracle.judge("a", "b", rng=np.random.default_rng(s)) for s in range(20)]
    assert set(draws) == {1.0, 4.0}
    assert draws == [oracle.judge("a", "b", rng=np.random.default_rng(s)) for s in range(20)]


def test_missing_pairs_skip_or_raise():
    assert ReplayOracle([], on_missing="skip").judge("x", "y") is None
    with pytest.raises(UnknownPairError):
        ReplayOracle([], on_missing="error").judge("x", "y")


def test_from_file_and_invalid_stored_labels(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"sentence_a": "a", "sentence_b": "b", "score": 2}) + "\n", encoding="utf-8")
    assert ReplayOracle.from_file(path).judge("a", "b") == 2.0
    with pytest.raises(InvalidLabelError, match="stored label of pair 9"):
        ReplayOracle([ScoredPair("a", "b", float("nan"), "9")])
