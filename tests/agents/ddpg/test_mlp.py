from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from agents.ddpg.mlp import MLPActor, MLPCritic, build_mlp


def test_build_mlp_layers():
    net = build_mlp(3, (8, 4), 2)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(3, 8), (8, 4), (4, 2)]
    assert sum(isinstance(m, nn.ReLU) for m in net) == 2 and isinstance(net[-1], nn.Linear)


def test_actor_stays_within_asymmetric_bounds():
    torch.manual_seed(0)
    actor = MLPActor(3, 2, hidden=(16,), action_low=np.array([0.0, -1.0]), action_high=np.array([1.0, 3.0]))
    out = actor(torch.randn(500, 3) * 1000)
    assert out.shape == (500, 2)
    assert out[:, 0].min() >= 0.0 and out[:, 0].max() <= 1.0
    assert out[:, 1].min() >= -1.0 and out[:, 1].max() <= 3.0
    # huge inputs saturate the tanh: actions sit at the bounds, not all in the middle
    assert (out[:, 1] < -0.99).any() or (out[:, 1] > 2.99).any()
    torch.testing.assert_close(actor.action_scale, torch.tensor([0.5, 2.0]))
    torch.testing.assert_close(actor.action_bias, torch.tensor([0.5, 1.0]))


def test_actor_rejects_bad_bounds():
    with pytest.raises(ValueError, match="bounds"):
        MLPActor(1, 1, action_low=1.0, action_high=1.0)
    with pytest.raises(ValueError, match="bounds"):
        MLPActor(1, 1, action_low=-np.inf, action_high=1.0)


def test_critic_protocol_shapes_and_action_gradient():
    critic = MLPCritic(3, 2, hidden=(16, 16))
    obs = torch.randn(5, 3)
    assert critic.encode_state(obs) is obs
    action = torch.randn(5, 2, requires_grad=True)
    q = critic.q_value(obs, action)
    assert q.shape == (5,)
    q.sum().backward()
    assert action.grad is not None and action.grad.abs().sum() > 0
    torch.testing.assert_close(critic(obs, action), q)
