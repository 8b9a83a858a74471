import math

import numpy as np
import pytest
import torch

from agents.distillation.siamese import (
    SiameseLSTM,
    attend,
    co_attention_weights,
    contrastive_loss,
    frobenius_penalty,
    length_mask,
    manhattan_distance,
    masked_softmax,
    scatter_penalty,
    similarity_from_distance,
)
from rcsim_env.envs.distillation import distillation_reward

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make_critic(vocabulary=12, dim=6, hidden=5, matrices=3, seed=0):
    torch.manual_seed(seed)
    vectors = torch.randn(vocabulary, dim)
    vectors[0] = 0.0
    return SiameseLSTM(vectors, hidden_size=hidden, matrices=matrices)


# ------------------------------------------------------------------ masking and co-attention
def test_masked_softmax_ignores_masked_positions_and_gives_zeros_for_an_empty_row():
    scores = torch.tensor([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    mask = torch.tensor([[True, True, False], [False, False, False]])
    weights = masked_softmax(scores, mask)
    e1, e2 = math.exp(1.0), math.exp(2.0)
    assert weights[0].tolist() == pytest.approx([e1 / (e1 + e2), e2 / (e1 + e2), 0.0])
    assert weights[1].tolist() == [0.0, 0.0, 0.0]


def test_co_attention_on_a_hand_made_pair():
    # H_a rows (1), (2); H_b rows (1), (1) and one padding position; W = [[1]].
    states_a = torch.tensor([[[1.0], [2.0]]])
    states_b = torch.tensor([[[1.0], [1.0], [9.0]]])
    mask_a = torch.tensor([[True, True]])
    mask_b = torch.tensor([[True, True, False]])
    weights_a, weights_b = co_attention_weights(states_a, mask_a, states_b, mask_b, torch.ones(1, 1, 1))
    # M = H_a W H_b^T = [[1, 1], [2, 2]]: row sums (2, 4), column sums (3, 3).
    e2, e4 = math.exp(2.0), math.exp(4.0)
    assert weights_a.shape == (1, 1, 2) and weights_b.shape == (1, 1, 3)
    assert weights_a[0, 0].tolist() == pytest.approx([e2 / (e2 + e4), e4 / (e2 + e4)])
    assert weights_b[0, 0].tolist() == pytest.approx([0.5, 0.5, 0.0])


def test_co_attention_matches_the_explicit_matrix_product_for_every_matrix():
    generator = torch.Generator().manual_seed(3)
    batch, ta, tb, hidden, n = 3, 4, 5, 6, 3
    states_a = torch.randn(batch, ta, hidden, generator=generator)
    states_b = torch.randn(batch, tb, hidden, generator=generator)
    mask_a = length_mask(torch.tensor([4, 2, 1]), ta)
    mask_b = length_mask(torch.tensor([5, 3, 2]), tb)
    matrices = torch.randn(n, hidden, hidden, generator=generator) / hidden
    weights_a, weights_b = co_attention_weights(states_a, mask_a, states_b, mask_b, matrices)
    assert weights_a.shape == (batch, n, ta) and weights_b.shape == (batch, n, tb)
    for b in range(batch):
        la, lb = int(mask_a[b].sum()), int(mask_b[b].sum())
        for k in range(n):
            product = states_a[b, :la] @ matrices[k] @ states_b[b, :lb].T
            expected_a = torch.softmax(product.sum(dim=1), dim=0)
            expected_b = torch.softmax(product.sum(dim=0), dim=0)
            assert torch.allclose(weights_a[b, k, :la], expected_a, atol=1e-6)
            assert torch.allclose(weights_b[b, k, :lb], expected_b, atol=1e-6)
            assert weights_a[b, k, la:].abs().sum() == 0 and weights_b[b, k, lb:].abs().sum() == 0


def test_attend_concatenates_the_weighted_sums_divided_by_n():
    states = torch.tensor([[[1.0, 0.0], [0.0, 2.0]]])
    weights = torch.tensor([[[1.0, 0.0], [0.5, 0.5]]])  # n = 2
    vector = attend(states, weights)
    assert vector.shape == (1, 4)
    assert vector[0].tolist() == pytest.approx([0.5, 0.0, 0.25, 0.5])


# ------------------------------------------------------------------ regularisers
def test_frobenius_penalty_on_hand_made_weightings():
    apart = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    same = torch.tensor([[[0.5, 0.5], [0.5, 0.5]]])
    single = torch.tensor([[[0.5, 0.5]]])
    assert frobenius_penalty(apart).item() == pytest.approx(0.0)
    # A A^T = [[.5, .5], [.5, .5]]: (.5 - 1)^2 twice on the diagonal, .5^2 twice off it.
    assert frobenius_penalty(same).item() == pytest.approx(1.0)
    assert frobenius_penalty(single).item() == pytest.approx(0.25)
    assert frobenius_penalty(torch.cat([apart, same])).tolist() == pytest.approx([0.0, 1.0])


def test_scatter_penalty_is_the_reciprocal_of_the_mean_distance_to_the_centre():
    apart = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    same = torch.tensor([[[0.5, 0.5], [0.5, 0.5]]])
    # each row lies sqrt(0.5) from the centre (0.5, 0.5)
    assert scatter_penalty(apart, epsilon=0.1).item() == pytest.approx(1.0 / (0.1 + math.sqrt(0.5)))
    assert scatter_penalty(same, epsilon=0.1).item() == pytest.approx(10.0)
    assert scatter_penalty(torch.tensor([[[0.2, 0.8]]])).item() == 0.0  # n = 1: no scatter


def test_the_penalty_leaves_out_one_word_sentences():
    critic = make_critic(matrices=2)
    ids = torch.tensor([[2, 3, 4], [5, 0, 0]])
    lengths = torch.tensor([3, 1])
    output = critic(ids, lengths, ids, lengths)
    # only the first pair's two sentences count: the second pair's have one word each
    expected = (frobenius_penalty(output.weights_a[:1]) + frobenius_penalty(output.weights_b[:1])).item() / 2
    assert output.penalty("frobenius").item() == pytest.approx(expected, rel=1e-5)
    assert output.penalty("none").item() == 0.0
    with pytest.raises(ValueError, match="regulariser must be one of"):
        output.penalty("l2")


# ------------------------------------------------------------------ similarity and loss
def test_manhattan_similarity_on_hand_made_vectors():
    distance = manhattan_distance(
        torch.tensor([[1.0, 2.0], [0.5, 0.5]]), torch.tensor([[0.0, 0.0], [0.5, 0.5]])
    )
    assert distance.tolist() == [3.0, 0.0]
    assert similarity_from_distance(distance).tolist() == pytest.approx([math.exp(-3.0), 1.0])


def test_contrastive_loss_on_hand_computed_cases():
    distance = torch.tensor([0.5, 0.2, 2.0])
    labels = torch.tensor([1.0, 0.0, 0.0])
    # similar: 0.5^2 = .25; different and inside the margin: (1 - .2)^2 = .64; beyond it: 0
    assert contrastive_loss(distance, labels, margin=1.0).item() == pytest.approx((0.25 + 0.64 + 0.0) / 6)
    soft = contrastive_loss(torch.tensor([0.5]), torch.tensor([0.5]), margin=1.0)
    assert soft.item() == pytest.approx(0.5 * (0.5 * 0.25 + 0.5 * 0.25))


def test_contrastive_loss_is_minus_the_environment_reward():
    distance = torch.tensor([0.1, 0.7, 1.4, 3.0])
    labels = torch.tensor([1.0, 0.0, 0.6, 0.0])
    rewards = distillation_reward(distance.numpy(), labels.numpy(), "contrastive", margin=1.5)
    loss = contrastive_loss(distance, labels, margin=1.5).item()
    assert loss == pytest.approx(-float(np.mean(rewards)), rel=1e-6)


# ------------------------------------------------------------------ the LSTM
def test_lstm_states_have_the_right_shape_and_are_zero_at_padding():
    critic = make_critic(hidden=5)
    ids = torch.tensor([[2, 3, 4, 0], [5, 6, 0, 0]])
    states, mask = critic.layer_states(ids, torch.tensor([4, 2]))
    assert states.shape == (2, 4, 5) and mask.tolist() == [[True] * 4, [True, True, False, False]]
    assert states[1, 2:].abs().sum() == 0 and states[1, :2].abs().sum() > 0


def test_padding_content_and_width_change_nothing():
    critic = make_critic()
    ids_a, lengths_a = torch.tensor([[2, 3, 4]]), torch.tensor([3])
    ids_b, lengths_b = torch.tensor([[5, 6]]), torch.tensor([2])
    reference = critic(ids_a, lengths_a, ids_b, lengths_b)
    noisy_a = torch.tensor([[2, 3, 4, 9, 11, 7]])  # garbage ids beyond the length
    noisy_b = torch.tensor([[5, 6, 10, 10]])
    padded = critic(noisy_a, lengths_a, noisy_b, lengths_b)
    assert torch.allclose(reference.distance, padded.distance, atol=1e-6)
    assert padded.weights_a[0, :, 3:].abs().sum() == 0 and padded.weights_b[0, :, 2:].abs().sum() == 0


def test_first_layer_steps_reproduce_the_first_layer_over_the_sentence():
    critic = make_critic(hidden=5)
    ids = torch.tensor([[2, 7, 4, 9]])
    vectors = critic.embedding(ids)
    hidden, cell = torch.zeros(1, 5), torch.zeros(1, 5)
    for t in range(4):
        hidden, cell = critic.first_layer_step(vectors[:, t], hidden, cell)
    output, (last_hidden, last_cell) = critic.first(vectors)
    assert torch.allclose(hidden, last_hidden[0], atol=1e-6) and torch.allclose(cell, last_cell[0], atol=1e-6)


def test_an_empty_sentence_is_the_zero_vector_and_the_pair_has_one_similarity_each():
    critic = make_critic(matrices=3)
    output = critic(
        torch.tensor([[0], [2]]), torch.tensor([0, 1]), torch.tensor([[3], [4]]), torch.tensor([1, 1])
    )
    assert output.weights_a[0].abs().sum() == 0
    assert torch.isfinite(output.distance).all() and output.similarity.shape == (2,)
    assert bool(((output.similarity > 0) & (output.similarity <= 1)).all())


def test_gradients_reach_the_weighting_matrices_and_frozen_vectors_stay_frozen():
    critic = make_critic()
    output = critic(torch.tensor([[2, 3, 4]]), torch.tensor([3]), torch.tensor([[5, 6]]), torch.tensor([2]))
    loss = contrastive_loss(output.distance, torch.tensor([1.0]), 1.0) + output.penalty("frobenius")
    loss.backward()
    assert critic.matrices.grad is not None and critic.matrices.grad.abs().sum() > 0
    assert critic.embedding.weight.grad is None and not critic.embedding.weight.requires_grad


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"word_vectors": torch.zeros(5)}, "word_vectors must be"),
        ({"hidden_size": 0}, "hidden_size and matrices"),
        ({"matrices": 0}, "hidden_size and matrices"),
    ],
)
def test_bad_constructor_arguments_are_refused(kwargs, message):
    arguments = {"word_vectors": torch.zeros(4, 3), **kwargs}
    with pytest.raises(ValueError, match=message):
        SiameseLSTM(**arguments)
