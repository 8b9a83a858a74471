"""Reward models built from tiny encoders: predictions, the oracle, saving and loading."""

import copy
import json

import numpy as np
import pytest
import torch

from rcsim_env.oracles.reward_model import (
    ENSEMBLE_FILE,
    EncoderEnsemble,
    Prediction,
    RewardModel,
    RewardModelFileError,
    RewardModelOracle,
    cosine_judgement,
)

A = ["a man plays the guitar", "a dog runs in the park", "the child reads a book"]
B = ["a man plays a guitar", "a cat sits on the house", "a woman eats food"]


@pytest.fixture(scope="module")
def two_members(tiny_encoder):
    other = copy.deepcopy(tiny_encoder)
    with torch.no_grad():
        for parameter in other.parameters():
            parameter.add_(0.05 * torch.randn(parameter.shape, generator=torch.Generator().manual_seed(1)))
    return [tiny_encoder, other]


def test_prediction_is_the_members_mean_and_spread():
    prediction = Prediction(np.array([[1.0, 4.0], [3.0, 4.0]]))
    assert prediction.mean.tolist() == [2.0, 4.0] and prediction.std.tolist() == [1.0, 0.0]


def test_cosine_judgement_clips_to_the_scale():
    assert cosine_judgement(np.array([-0.3, 0.0, 0.5, 1.0000001])).tolist() == [0.0, 0.0, 2.5, 5.0]


def test_ensemble_members_judge_by_their_cosine(two_members):
    ensemble = EncoderEnsemble(two_members)
    assert isinstance(ensemble, RewardModel) and len(ensemble) == 2
    prediction = ensemble.predict(A, B)
    assert prediction.members.shape == (2, 3)
    for row, member in zip(prediction.members, two_members, strict=True):
        np.testing.assert_allclose(row, cosine_judgement(member.similarity(A, B)), atol=1e-6)
    assert np.all(prediction.std > 0)  # two different encoders disagree
    assert np.all(EncoderEnsemble(two_members[:1]).predict(A, B).std == 0)
    assert EncoderEnsemble(two_members).predict([], []).members.shape == (2, 0)


def test_an_empty_ensemble_is_refused():
    with pytest.raises(ValueError, match="at least one member"):
        EncoderEnsemble([])


def test_save_and_load_give_the_same_predictions(two_members, tmp_path):
    EncoderEnsemble(two_members).save(tmp_path / "rm")
    loaded = EncoderEnsemble.load(tmp_path / "rm", device="cpu")
    np.testing.assert_allclose(
        loaded.predict(A, B).members, EncoderEnsemble(two_members).predict(A, B).members, atol=1e-5
    )


DAMAGE = {
    "no index": lambda folder: (folder / ENSEMBLE_FILE).unlink(),
    "truncated index": lambda folder: (folder / ENSEMBLE_FILE).write_text('{"kind": "encoder-ens'),
    "index not an object": lambda folder: (folder / ENSEMBLE_FILE).write_text("[1, 2]"),
    "wrong kind": lambda folder: (folder / ENSEMBLE_FILE).write_text(
        json.dumps({"kind": "x", "members": ["member_0"]})
    ),
    "no members": lambda folder: (folder / ENSEMBLE_FILE).write_text(
        json.dumps({"kind": "encoder-ensemble", "members": []})
    ),
    "member outside": lambda folder: (folder / ENSEMBLE_FILE).write_text(
        json.dumps({"kind": "encoder-ensemble", "members": ["../elsewhere"]})
    ),
    "member not a name": lambda folder: (folder / ENSEMBLE_FILE).write_text(
        json.dumps({"kind": "encoder-ensemble", "members": [3]})
    ),
    "member missing": lambda folder: __import__("shutil").rmtree(folder / "member_1"),
    "binary index": lambda folder: (folder / ENSEMBLE_FILE).write_bytes(b"\xff\xfe\x00garbage"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_reward_model_is_refused_naming_the_folder(two_members, tmp_path, damage):
    folder = EncoderEnsemble(two_members).save(tmp_path / "rm")
    DAMAGE[damage](folder)
    with pytest.raises(RewardModelFileError, match=str(folder)):
        EncoderEnsemble.load(folder, device="cpu")


def test_the_oracle_answers_the_mean_and_costs_no_label(two_members):
    ensemble = EncoderEnsemble(two_members)
    oracle = RewardModelOracle(ensemble)
    assert oracle.last_answer_predicted is True and oracle.nondeterministic is False
    for a, b, expected in zip(A, B, ensemble.predict(A, B).mean, strict=True):
        assert oracle.judge(a, b) == pytest.approx(expected, abs=1e-6)
        assert 0.0 <= oracle.judge(a, b) <= 5.0
