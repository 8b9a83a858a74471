from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from agents.ddpg.polyak import polyak_update


def linear(weight: list[float], bias: float) -> nn.Linear:
    layer = nn.Linear(len(weight), 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([weight]))
        layer.bias.fill_(bias)
    return layer


def test_tau_one_copies_exactly():
    torch.manual_seed(0)
    source = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    target = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    polyak_update(source, target, tau=1.0)
    for s, t in zip(source.parameters(), target.parameters()):
        assert torch.equal(s, t) and s.data_ptr() != t.data_ptr()


def test_tau_half_is_the_midpoint():
    source = linear([1.0, 2.0], 0.0)
    target = linear([3.0, 6.0], 4.0)
    polyak_update(source, target, tau=0.5)
    torch.testing.assert_close(target.weight, torch.tensor([[2.0, 4.0]]))
    torch.testing.assert_close(target.bias, torch.tensor([2.0]))
    # source untouched, target still a trainable-style leaf without history
    torch.testing.assert_close(source.weight, torch.tensor([[1.0, 2.0]]))
    assert target.weight.grad_fn is None


def test_small_tau_moves_a_little():
    source = linear([10.0], 0.0)
    target = linear([0.0], 0.0)
    polyak_update(source, target, tau=0.005)
    assert target.weight.item() == pytest.approx(0.05)


def test_float_buffers_are_averaged_and_integer_buffers_copied():
    source = nn.BatchNorm1d(2)
    target = copy.deepcopy(source)
    source.running_mean.fill_(4.0)
    source.num_batches_tracked.fill_(7)
    polyak_update(source, target, tau=0.25)
    torch.testing.assert_close(target.running_mean, torch.tensor([1.0, 1.0]))
    assert target.num_batches_tracked.item() == 7


@pytest.mark.parametrize("tau", [0.0, -0.1, 1.5])
def test_tau_out_of_range_is_rejected(tau):
    with pytest.raises(ValueError, match="tau"):
        polyak_update(nn.Linear(2, 1), nn.Linear(2, 1), tau)


def test_mismatched_modules_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        polyak_update(nn.Linear(2, 1), nn.Linear(3, 1), 0.5)
    with pytest.raises(ValueError, match="differ"):
        polyak_update(nn.Sequential(nn.Linear(2, 1)), nn.Sequential(nn.Linear(2, 1), nn.Linear(1, 1)), 0.5)
    with pytest.raises(ValueError, match="buffers"):
        polyak_update(nn.BatchNorm1d(2), nn.BatchNorm1d(2, track_running_stats=False), 0.5)
