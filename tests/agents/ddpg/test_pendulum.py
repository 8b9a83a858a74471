from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.ddpg.pendulum import PendulumConfig, PendulumRun, evaluate_pendulum, train_pendulum
from rcsim_env.config import dataclass_from_dict

SMALL = {
    "learning_starts": 200,
    "batch_size": 32,
    "hidden": (32, 32),
    "train_every": 1,
    "gradient_steps": 1,
    "eval_episodes": 2,
    "show_progress": False,
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def small(**settings) -> PendulumConfig:
    """A quick Pendulum config: :data:`SMALL` and ``settings``, named as flat fields."""
    return dataclass_from_dict(PendulumConfig, {**SMALL, **settings})


def parameters(run: PendulumRun) -> list[torch.Tensor]:
    agent = run.agent
    modules = (agent.actor, agent.critic, agent.target_actor, agent.target_critic)
    return [p.detach().clone() for module in modules for p in module.parameters()]


def test_resume_from_a_checkpoint_is_bit_identical(tmp_path):
    config = small(total_steps=600, seed=3)
    straight = PendulumRun(config)
    straight.run(600)

    first = PendulumRun(config)
    first.run(300)  # mid-episode: the time limit has counted 100 of 200 steps
    assert first.state_dict()["env"]["elapsed_steps"] == 100
    save_checkpoint(tmp_path / "run.pt", first.state_dict())
    first.close()
    resumed = PendulumRun(config)
    resumed.load_state_dict(load_checkpoint(tmp_path / "run.pt"))
    resumed.run(300)

    assert resumed.agent.updates == straight.agent.updates == 401
    for mine, theirs in zip(parameters(resumed), parameters(straight)):
        assert torch.equal(mine, theirs)
    np.testing.assert_array_equal(resumed.observation, straight.observation)
    np.testing.assert_array_equal(resumed.agent.buffer.actions, straight.agent.buffer.actions)
    assert resumed.episode_returns == straight.episode_returns and len(resumed.episode_returns) == 3


def test_episodes_are_truncated_never_terminated():
    run = PendulumRun(small(seed=0))
    run.run(200)
    buffer = run.agent.buffer
    assert len(run.episode_returns) == 1 and run.episode_returns[0] < 0
    assert buffer.terminated[:200].sum() == 0
    assert buffer.truncated[199] == 1.0 and buffer.truncated[:199].sum() == 0
    assert run.state_dict()["env"]["elapsed_steps"] == 0  # a new episode has started
    assert run.agent.updates == 1  # learning starts once the buffer holds 200 transitions


def test_train_pendulum_smoke():
    result = train_pendulum(small(total_steps=400, seed=1))
    assert len(result["episode_returns"]) == 2
    assert all(-2000 < r <= 0 for r in result["episode_returns"])
    assert result["mean_return"] == np.mean(result["episode_returns"])
    assert result["steps_per_second"] > 0 and result["train_seconds"] > 0
    assert result["updates"] == 201 and result["total_steps"] == 400


def test_evaluation_is_seeded_and_shared_across_policies():
    zero = evaluate_pendulum(lambda obs: np.zeros(1, np.float32), 2, seed=5)
    again = evaluate_pendulum(lambda obs: np.zeros(1, np.float32), 2, seed=5)
    other = evaluate_pendulum(lambda obs: np.zeros(1, np.float32), 2, seed=6)
    assert zero == again and zero != other and len(zero) == 2
