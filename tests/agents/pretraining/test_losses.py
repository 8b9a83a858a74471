"""ForceBasedInfoNCE and SimCSE InfoNCE: hand-computed cases, properties, gradient directions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.pretraining.losses import (
    ForceBasedInfoNCE,
    SimCSEInfoNCE,
    estimated_similarity,
    force_based_infonce,
    force_field_potential,
    force_matrix,
    pairwise_distances,
    pulled_fraction,
    simcse_infonce,
)
from rcsim_env.encoders.pooling import mean_pool

T = 0.95
PULL_SCALE = T * T / (T - 1) ** 2  # 361


def g(x: float) -> float:
    """The potential field, written out by hand."""
    return (x - T) ** 2 if x < T else -PULL_SCALE * (x - 1) ** 2


# Inputs: |cos(u0, u1)| = 0.98 (above T: pulled), |cos(u0, u2)| = 0.6 (a negative cosine: the
# absolute value counts), |cos(u1, u2)| = |0.98 * -0.6 + 0.19899749 * 0| = 0.588.
SIN = math.sqrt(1 - 0.98**2)
INPUTS = torch.tensor([[1.0, 0.0, 0.0], [0.98, SIN, 0.0], [-0.6, 0.0, 0.8]])
# Outputs: a 3-4-5 triangle: d01 = 5, d02 = 10, d12 = 5.
OUTPUTS = torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])


def hand_force_matrix() -> torch.Tensor:
    s01, s02, s12 = 0.98, 0.6, 0.98 * 0.6
    f01, f02, f12 = g(s01) / 5, g(s02) / 10, g(s12) / 5
    return torch.tensor([[0.0, f01, f02], [f01, 0.0, f12], [f02, f12, 0.0]])


def test_potential_field_values_by_hand():
    x = torch.tensor([0.0, 0.5, 0.9, T, 0.98, 1.0])
    expected = torch.tensor([0.9025, 0.2025, 0.0025, -0.9025, -361 * 0.02**2, 0.0])
    assert torch.allclose(force_field_potential(x, T), expected, atol=1e-6)
    assert force_field_potential(torch.tensor([0.5]), 0.6).item() == pytest.approx(0.01)


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_threshold_must_lie_strictly_between_0_and_1(threshold):
    with pytest.raises(ValueError, match="threshold"):
        force_field_potential(torch.tensor([0.5]), threshold)
    with pytest.raises(ValueError, match="threshold"):
        ForceBasedInfoNCE(threshold)


def test_3x3_force_matrix_and_loss_by_hand():
    forces = force_matrix(INPUTS, OUTPUTS, T)
    expected = hand_force_matrix()
    assert torch.allclose(forces, expected, atol=1e-6)
    assert forces[0, 1] < 0, "the pair above the threshold must be pulled (negative force)"
    assert forces[0, 2] > 0 and forces[1, 2] > 0, "pairs below the threshold must be pushed"
    assert torch.equal(forces.diagonal(), torch.zeros(3))
    assert force_based_infonce(INPUTS, OUTPUTS, T).item() == pytest.approx(expected.sum().item(), abs=1e-6)
    assert ForceBasedInfoNCE(T)(INPUTS, OUTPUTS).item() == pytest.approx(expected.sum().item(), abs=1e-6)


def test_the_diagonal_contributes_nothing_even_for_zero_inputs():
    # a zero input row has |cos| 0 with itself, so G = T^2 on its diagonal, divided by eps there
    inputs = torch.cat([INPUTS[:2], torch.zeros(1, 3)])
    forces = force_matrix(inputs, OUTPUTS, T)
    assert torch.equal(forces.diagonal(), torch.zeros(3))
    assert forces[0, 2].item() == pytest.approx(T**2 / 10, abs=1e-6)  # S = 0 with everything: pushed
    assert forces[1, 2].item() == pytest.approx(T**2 / 5, abs=1e-6)


def test_the_threshold_is_configurable():
    # with T = 0.5 every pair of INPUTS is above it, so every force pulls
    forces = force_matrix(INPUTS, OUTPUTS, 0.5)
    off_diagonal = ~torch.eye(3, dtype=torch.bool)
    assert (forces[off_diagonal] < 0).all()
    assert pulled_fraction(INPUTS, 0.5) == 1.0
    assert pulled_fraction(INPUTS, T) == pytest.approx(2 / 6)


def test_per_token_inputs_are_mean_pooled_over_the_mask():
    tokens = torch.randn(3, 4, 3)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]])
    noisy = tokens.clone()
    noisy[0, 2:] = 1e6  # padding: must not matter
    noisy[1, 3] = -1e6
    loss = ForceBasedInfoNCE()(noisy, OUTPUTS, attention_mask=mask)
    assert loss.item() == pytest.approx(
        force_based_infonce(mean_pool(tokens, mask), OUTPUTS).item(), rel=1e-5
    )


def test_no_gradient_flows_into_the_input_view():
    inputs = INPUTS.clone().requires_grad_(True)
    outputs = OUTPUTS.clone().requires_grad_(True)
    force_based_infonce(inputs, outputs).backward()
    assert inputs.grad is None and outputs.grad is not None


def test_mismatched_batches_are_refused():
    with pytest.raises(ValueError, match="3 input embeddings but 2 output"):
        force_based_infonce(INPUTS, OUTPUTS[:2])
    with pytest.raises(ValueError, match=r"\(batch, dim\)"):
        force_based_infonce(INPUTS[0], OUTPUTS)


def _step(outputs: torch.Tensor, inputs: torch.Tensor, lr: float = 1e-2) -> torch.Tensor:
    """One plain gradient-descent step of the force loss on the outputs; returns the new outputs."""
    leaf = outputs.clone().requires_grad_(True)
    force_based_infonce(inputs, leaf, T).backward()
    return (leaf - lr * leaf.grad).detach()


def test_gradient_pulls_a_pair_above_the_threshold_together():
    inputs = torch.tensor([[1.0, 0.0], [0.97, math.sqrt(1 - 0.97**2)]])  # |cos| 0.97 >= T
    outputs = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    leaf = outputs.clone().requires_grad_(True)
    force_based_infonce(inputs, leaf, T).backward()
    # descent moves row 1 along -grad: towards row 0 means -grad . (o0 - o1) > 0
    assert torch.dot(-leaf.grad[1], outputs[0] - outputs[1]) > 0
    assert torch.dot(-leaf.grad[0], outputs[1] - outputs[0]) > 0
    after = _step(outputs, inputs)
    assert torch.dist(after[0], after[1]) < torch.dist(outputs[0], outputs[1])


def test_gradient_pushes_a_pair_below_the_threshold_apart():
    inputs = torch.tensor([[1.0, 0.0], [0.3, math.sqrt(1 - 0.3**2)]])  # |cos| 0.3 < T
    outputs = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    leaf = outputs.clone().requires_grad_(True)
    force_based_infonce(inputs, leaf, T).backward()
    assert torch.dot(-leaf.grad[1], outputs[0] - outputs[1]) < 0
    after = _step(outputs, inputs)
    assert torch.dist(after[0], after[1]) > torch.dist(outputs[0], outputs[1])


def test_gradient_directions_in_the_3x3_case():
    after = _step(OUTPUTS, INPUTS, lr=1.0)
    d = torch.cdist(after, after)
    assert d[0, 1] < 5.0, "the pulled pair (0, 1) must come closer"
    assert d[0, 2] > 10.0, "the pushed pair (0, 2) must move apart"


def test_coinciding_outputs_give_a_finite_loss_and_zero_gradient_between_them():
    outputs = torch.tensor([[1.0, 2.0], [1.0, 2.0], [4.0, 6.0]], requires_grad=True)
    loss = force_based_infonce(INPUTS, outputs, T)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(outputs.grad).all()
    assert pairwise_distances(outputs.detach())[0, 1].item() == pytest.approx(1e-6, rel=1e-3)


def _rows(k: int, dim: int):
    return st.lists(
        st.lists(st.floats(-100, 100, allow_nan=False, width=32), min_size=dim, max_size=dim),
        min_size=k,
        max_size=k,
    )


@st.composite
def force_batches(draw):
    """Random inputs and outputs with some output rows copied onto others and some input rows zeroed."""
    k = draw(st.integers(1, 6))
    inputs = np.array(draw(_rows(k, draw(st.integers(1, 5)))), dtype=np.float32)
    outputs = np.array(draw(_rows(k, draw(st.integers(1, 5)))), dtype=np.float32)
    for target in draw(st.lists(st.integers(0, k - 1), max_size=k)):
        outputs[target] = outputs[draw(st.integers(0, k - 1))]
    for target in draw(st.lists(st.integers(0, k - 1), max_size=k)):
        inputs[target] = 0.0
    if draw(st.booleans()):
        outputs[:] = outputs[0]  # every output the same point
    return torch.from_numpy(inputs), torch.from_numpy(outputs)


@settings(max_examples=150, deadline=None)
@given(force_batches(), st.floats(0.05, 0.99))
def test_force_loss_and_gradient_are_always_finite(batch, threshold):
    inputs, outputs = batch
    leaf = outputs.clone().requires_grad_(True)
    forces = force_matrix(inputs, leaf, threshold)
    assert torch.isfinite(forces).all()
    assert torch.equal(forces.diagonal(), torch.zeros(len(inputs)))
    forces.sum().backward()
    assert torch.isfinite(leaf.grad).all()


@settings(max_examples=100, deadline=None)
@given(force_batches())
def test_estimated_similarity_lies_in_0_1(batch):
    similarity = estimated_similarity(batch[0])
    assert torch.isfinite(similarity).all()
    assert (similarity >= 0).all() and (similarity <= 1).all()


def test_simcse_loss_by_hand():
    view_a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    view_b = torch.tensor([[2.0, 0.0], [1.0, 1.0]])  # scale does not matter: cosine
    c = 1 / math.sqrt(2)
    tau = 0.5
    row0 = -math.log(math.exp(1 / tau) / (math.exp(1 / tau) + math.exp(c / tau)))
    row1 = -math.log(math.exp(c / tau) / (math.exp(0.0) + math.exp(c / tau)))
    expected = (row0 + row1) / 2
    assert simcse_infonce(view_a, view_b, tau).item() == pytest.approx(expected, rel=1e-5)
    assert SimCSEInfoNCE(tau)(view_a, view_b).item() == pytest.approx(expected, rel=1e-5)


def test_simcse_default_temperature_is_005_and_a_perfect_batch_costs_almost_nothing():
    eye = torch.eye(3)
    assert SimCSEInfoNCE().temperature == 0.05
    assert simcse_infonce(eye, eye).item() == pytest.approx(math.log(1 + 2 * math.exp(-20)), abs=1e-7)


def test_simcse_gradient_pulls_positives_and_pushes_negatives():
    view_a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    view_b = torch.tensor([[c, s], [s, c]])  # each 30 degrees from its positive, 60 from its negative
    leaf = view_b.clone().requires_grad_(True)
    simcse_infonce(view_a, leaf, 0.1).backward()
    after = view_b - 0.01 * leaf.grad
    cos = torch.nn.functional.cosine_similarity
    assert (cos(view_a, after) > cos(view_a, view_b)).all(), "positives must come closer"
    assert (cos(view_a.flip(0), after) < cos(view_a.flip(0), view_b)).all(), "negatives must move apart"


def test_simcse_with_zero_rows_is_finite_and_bad_inputs_are_refused():
    view = torch.zeros(3, 4, requires_grad=True)
    loss = simcse_infonce(view, torch.randn(3, 4))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(view.grad).all()
    with pytest.raises(ValueError, match="one shape"):
        simcse_infonce(torch.zeros(3, 4), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="temperature"):
        SimCSEInfoNCE(0.0)
