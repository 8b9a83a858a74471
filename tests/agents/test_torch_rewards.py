import numpy as np
import pytest
import torch

from agents.torch_rewards import TORCH_REWARDS
from rcsim_env.rewards import REWARD_FUNCTIONS


@pytest.mark.parametrize("name", sorted(TORCH_REWARDS))
def test_torch_rewards_match_the_environment_rewards(name):
    rng = np.random.default_rng(0)
    answers, truths = rng.uniform(0, 5, 50), rng.uniform(0, 5, 50)
    expected = [REWARD_FUNCTIONS[name](a, t) for a, t in zip(answers, truths, strict=True)]
    got = TORCH_REWARDS[name](torch.tensor(answers / 5), torch.tensor(truths / 5))
    assert got.numpy() == pytest.approx(expected)


def test_gradients_flow_through_the_answer():
    answer = torch.tensor([0.3], requires_grad=True)
    TORCH_REWARDS["squared"](answer, torch.tensor([0.5])).sum().backward()
    assert float(answer.grad) == pytest.approx(0.4)  # d/da -(a - t)^2 = -2 (a - t)
