from __future__ import annotations

import math

import pytest
import torch

from agents.supervised import (
    SupervisedConfig,
    batch_loss,
    cosine_similarity_loss,
    finetune_supervised,
)
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders import SentenceEncoder

PAIRS = [
    ScoredPair("a man plays the guitar .", "a man is playing the guitar .", 5.0, "0"),
    ScoredPair("a woman reads a book .", "a woman sits and reads a book .", 4.0, "1"),
    ScoredPair("the dog runs in the park .", "a dog is running in a field .", 3.5, "2"),
    ScoredPair("two cats sleep in the house .", "a child eats food .", 0.0, "3"),
    ScoredPair("a red car .", "the blue piano .", 0.5, "4"),
    ScoredPair("people sit in the park .", "a big dog plays .", 1.0, "5"),
    ScoredPair("a small child reads .", "a child reads a book .", 4.5, "6"),
]


@pytest.fixture
def encoder(tiny_model_dir) -> SentenceEncoder:
    """A fresh tiny encoder per test, so training never touches the shared fixture."""
    return SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")


def quiet(**overrides) -> SupervisedConfig:
    return SupervisedConfig(show_progress=False, **overrides)


def test_cosine_similarity_loss_by_hand():
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[0.6, 0.8], [-2.0, 0.0]])  # cosines 0.6 and -1
    loss = cosine_similarity_loss(a, b, torch.tensor([1.0, 0.0]))
    assert float(loss) == pytest.approx(((0.6 - 1.0) ** 2 + (-1.0 - 0.0) ** 2) / 2)
    with pytest.raises(ValueError, match="labels"):
        cosine_similarity_loss(a, b, torch.tensor([1.0]))
    with pytest.raises(ValueError, match="shape"):
        cosine_similarity_loss(a, b[:1], torch.tensor([1.0]))


def test_training_lowers_the_loss_and_counts_steps(encoder):
    labels = torch.tensor([pair.score / 5 for pair in PAIRS])
    with torch.no_grad():
        before = float(batch_loss(encoder, PAIRS, labels))
    result = finetune_supervised(encoder, PAIRS, quiet(batch_size=3, epochs=4, lr=1e-3))
    assert result["steps"] == 4 * math.ceil(len(PAIRS) / 3) == 12
    assert set(result) == {"steps", "final_loss", "epoch_losses", "seconds"}
    assert len(result["epoch_losses"]) == 4 and result["final_loss"] == result["epoch_losses"][-1]
    assert not encoder.model.training  # the mode it came in with (from_pretrained: eval)
    with torch.no_grad():
        after = float(batch_loss(encoder, PAIRS, labels))
    assert after < 0.5 * before


def test_seeded_runs_are_identical_and_leave_the_global_rng_alone(tiny_model_dir):
    states = []
    for _ in range(2):
        encoder = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
        torch.manual_seed(123)
        result = finetune_supervised(encoder, PAIRS, quiet(batch_size=4, epochs=2, lr=1e-3, seed=7))
        assert torch.rand(1).item() == pytest.approx(torch.manual_seed(123) and torch.rand(1).item())
        states.append((result["epoch_losses"], encoder.state_dict()))
    assert states[0][0] == states[1][0]
    for name, value in states[0][1].items():
        assert torch.equal(value, states[1][1][name]), name
    other = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
    changed = finetune_supervised(other, PAIRS, quiet(batch_size=4, epochs=2, lr=1e-3, seed=8))
    assert changed["epoch_losses"] != states[0][0]


def test_bad_inputs_raise_clear_errors(encoder):
    with pytest.raises(ValueError, match="no pairs"):
        finetune_supervised(encoder, [], quiet())
    with pytest.raises(ValueError, match="no score"):
        finetune_supervised(encoder, [ScoredPair("a cat", "a dog", None, "x")], quiet())
    with pytest.raises(ValueError, match="score"):
        finetune_supervised(encoder, [ScoredPair("a cat", "a dog", 9.0, "x")], quiet())
    with pytest.raises(ValueError, match="batch_size"):
        SupervisedConfig(batch_size=0)


def test_a_non_finite_loss_raises_before_stepping(encoder):
    with torch.no_grad():
        encoder.model.embeddings.word_embeddings.weight.fill_(math.nan)
    weights = {name: value.clone() for name, value in encoder.state_dict().items()}
    with pytest.raises(FloatingPointError, match="no optimizer step"):
        finetune_supervised(encoder, PAIRS, quiet(batch_size=4))
    for name, value in encoder.state_dict().items():
        assert torch.equal(value, weights[name]) or torch.isnan(value).all(), name
        torch.testing.assert_close(value, weights[name], equal_nan=True)
