"""Plain multilayer-perceptron actor and critic for vector observations (classic control)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn


def build_mlp(in_features: int, hidden: Sequence[int], out_features: int) -> nn.Sequential:
    """Linear layers of sizes ``in_features -> *hidden -> out_features`` with ReLU between them.

    Returns an ``nn.Sequential`` with no activation after the last layer.
    """
    layers: list[nn.Module] = []
    width = int(in_features)
    for size in hidden:
        layers += [nn.Linear(width, int(size)), nn.ReLU()]
        width = int(size)
    layers.append(nn.Linear(width, int(out_features)))
    return nn.Sequential(*layers)


class MLPActor(nn.Module):
    """Deterministic policy ``mu(s)``: an MLP with a tanh output rescaled to ``[action_low, action_high]``.

    Expects state features ``(B, obs_dim)`` float32; returns actions ``(B, action_dim)``.
    ``action_low``/``action_high`` are scalars or arrays of ``action_dim`` finite bounds
    (e.g. ``action_space.low``/``.high``); they are stored as buffers.
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hidden: Sequence[int] = (400, 300),
        action_low: float | np.ndarray = -1.0,
        action_high: float | np.ndarray = 1.0,
    ):
        super().__init__()
        low = np.broadcast_to(np.asarray(action_low, dtype=np.float32), (int(action_dim),))
        high = np.broadcast_to(np.asarray(action_high, dtype=np.float32), (int(action_dim),))
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(high > low)):
            raise ValueError(
                f"action bounds must be finite with high > low, got {action_low} and {action_high}"
            )
        self.net = build_mlp(obs_dim, hidden, action_dim)
        self.register_buffer("action_scale", torch.as_tensor((high - low) / 2.0))
        self.register_buffer("action_bias", torch.as_tensor((high + low) / 2.0))

    def forward(self, state: Tensor) -> Tensor:
        """Actions inside the bounds for a batch of states: ``tanh(net(state)) * scale + bias``."""
        return torch.tanh(self.net(state)) * self.action_scale + self.action_bias


class MLPCritic(nn.Module):
    """Action-value ``Q(s, a)``: an MLP over the concatenation ``[s; a]``.

    Follows the critic protocol of :class:`agents.ddpg.agent.DDPG`: ``encode_state`` is
    the identity (a vector observation already is the state), ``q_value`` maps state
    ``(B, obs_dim)`` and action ``(B, action_dim)`` to ``(B,)``.
    """

    def __init__(self, obs_dim: int, action_dim: int, hidden: Sequence[int] = (400, 300)):
        super().__init__()
        self.net = build_mlp(int(obs_dim) + int(action_dim), hidden, 1)

    def encode_state(self, observation: Tensor) -> Tensor:
        """The observation itself, ``(B, obs_dim)``."""
        return observation

    def q_value(self, state: Tensor, action: Tensor) -> Tensor:
        """``Q(s, a)`` for a batch, shape ``(B,)``."""
        return self.net(torch.cat([state, action], dim=-1)).squeeze(-1)

    def forward(self, state: Tensor, action: Tensor) -> Tensor:
        """Same as :meth:`q_value`."""
        return self.q_value(state, action)
