"""Differentiable twins of :data:`rcsim_env.rewards.REWARD_FUNCTIONS`, on the 0-1 scale.

Each takes ``(answer, truth)`` tensors (or a tensor and a float) of similarity on the 0-1
scale and returns their broadcast reward tensor; gradients flow through both arguments.
"""

from __future__ import annotations

import torch
from torch import Tensor


def squared_reward_tensor(answer: Tensor, truth: Tensor | float) -> Tensor:
    """-(answer - truth)²."""
    return -((answer - truth) ** 2)


def absolute_reward_tensor(answer: Tensor, truth: Tensor | float) -> Tensor:
    """-|answer - truth|."""
    return -(answer - truth).abs()


def paper_reward_tensor(x: Tensor, x0: Tensor | float) -> Tensor:
    """The paper's reward 1 - 100 (x - x0)², negative values divided by 10 (in [-9.9, 1] on [0, 1])."""
    x0 = torch.as_tensor(x0, dtype=x.dtype, device=x.device)
    reward = 1.0 - 100.0 * (x - x0) ** 2
    return torch.where(reward < 0, reward / 10.0, reward)


TORCH_REWARDS = {
    "squared": squared_reward_tensor,
    "absolute": absolute_reward_tensor,
    "paper": paper_reward_tensor,
}
"""Reward name (as in :data:`rcsim_env.rewards.REWARD_FUNCTIONS`) -> differentiable function."""
