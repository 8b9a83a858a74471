import numpy as np
import pytest
from gymnasium import spaces

from agents import CosineAgent, RandomAgent
from rcsim_env.envs import action_to_score


def test_cosine_agent_answers_five_times_the_cosine():
    a = np.array([1.0, 0.0], np.float32)
    b = np.array([0.6, 0.8], np.float32)
    assert action_to_score(CosineAgent().act(np.concatenate([a, b]))) == pytest.approx(3.0, abs=1e-5)
    assert action_to_score(CosineAgent().act(np.concatenate([a, -a]))) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="even length"):
        CosineAgent().act(np.zeros(3))


def test_random_agent_is_seeded_and_in_range():
    space = spaces.Box(-1, 1, (1,), np.float32)
    first = [RandomAgent(space, seed=4).act(None) for _ in range(1)]
    again = [RandomAgent(space, seed=4).act(None) for _ in range(1)]
    np.testing.assert_array_equal(first, again)
    agent = RandomAgent(space, seed=1)
    assert all(space.contains(agent.act(None)) for _ in range(50))
