"""Training an ensemble reward model on a tiny encoder."""

import numpy as np
import pytest
import torch

from agents.reward_model import RewardModelConfig, train_encoder_ensemble
from agents.supervised import SupervisedConfig
from rcsim_env.data.pairs import ScoredPair

pytestmark = pytest.mark.usefixtures("one_torch_thread")

LABELLED = [
    ScoredPair("a man plays the guitar", "a man plays a guitar", 4.8, "p1"),
    ScoredPair("a dog runs in the park", "a cat sits on the house", 0.6, "p2"),
    ScoredPair("the child reads a book", "a child reads the book", 4.5, "p3"),
    ScoredPair("a woman eats food", "the man runs in the field", 0.2, "p4"),
    ScoredPair("two people sit in a field", "people sit in the park", 3.0, "p5"),
    ScoredPair("a cat sleeps on the car", "a dog sleeps in the house", 1.5, "p6"),
]
A, B = [p.sentence_a for p in LABELLED], [p.sentence_b for p in LABELLED]


def _config(members: int, seed: int = 0) -> RewardModelConfig:
    return RewardModelConfig(
        members=members,
        training=SupervisedConfig(batch_size=2, lr=5e-3, epochs=3, seed=seed, show_progress=False),
    )


def test_members_learn_the_labels_differently_and_leave_the_base_alone(tiny_encoder):
    before = {name: value.clone() for name, value in tiny_encoder.state_dict().items()}
    untouched = tiny_encoder.similarity(A, B)
    ensemble, report = train_encoder_ensemble(tiny_encoder, LABELLED, _config(2))
    assert report["members"] == 2 and report["pairs"] == 6 and len(report["member_reports"]) == 2
    assert all(torch.equal(before[name], value) for name, value in tiny_encoder.state_dict().items())
    prediction = ensemble.predict(A, B)
    assert prediction.members.shape == (2, 6) and np.all(prediction.std > 0)  # seeds differ
    gold = np.array([p.score for p in LABELLED])
    error_after = np.abs(prediction.mean - gold).mean()
    error_before = np.abs(np.clip(untouched, 0, 1) * 5 - gold).mean()
    assert error_after < error_before  # fitted to the labels it was given
    assert all(not member.training for member in ensemble.members)


def test_training_is_reproducible_from_the_seed(tiny_encoder):
    first, _ = train_encoder_ensemble(tiny_encoder, LABELLED, _config(1, seed=4))
    again, _ = train_encoder_ensemble(tiny_encoder, LABELLED, _config(1, seed=4))
    np.testing.assert_array_equal(first.predict(A, B).members, again.predict(A, B).members)


@pytest.mark.parametrize("members", [0, -1, True])
def test_a_bad_member_count_is_refused(members):
    with pytest.raises(ValueError, match="members must be at least 1"):
        RewardModelConfig(members=members)


def test_unlabelled_pairs_are_refused(tiny_encoder):
    with pytest.raises(ValueError, match="has no score"):
        train_encoder_ensemble(tiny_encoder, [ScoredPair("a man", "a dog", None, "x")], _config(1))
