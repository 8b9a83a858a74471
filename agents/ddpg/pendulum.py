"""DDPG with plain MLPs on Gymnasium's Pendulum-v1: a resumable training run and its evaluation.

Pendulum never terminates; every episode is truncated by the 200-step time limit, so
each stored transition has ``terminated=False`` and the critic always bootstraps (see
:func:`agents.ddpg.td.td_target`). Until ``learning_starts`` steps the run acts
uniformly at random (as SB3 and CleanRL do), then with the actor plus Gaussian noise.

    from agents.ddpg.pendulum import PendulumConfig, train_pendulum
    result = train_pendulum(PendulumConfig(seed=0))   # ~ -150 mean return after 20,000 steps

:class:`PendulumRun` is the same loop in resumable form: ``run(steps)``, then
``state_dict()`` (agent, environment incl. the time limit's step count, the physics
state and its RNG, the current observation) and ``load_state_dict()`` into a freshly
built run continue bit-identically.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.wrappers import TimeLimit
from tqdm.auto import tqdm

from agents.ddpg.agent import DDPG, DDPGConfig
from agents.ddpg.mlp import MLPActor, MLPCritic

ENV_ID = "Pendulum-v1"
EVAL_SEED_OFFSET = 1_000_000


def pendulum_ddpg() -> DDPGConfig:
    """RL Zoo's tuned DDPG settings for Pendulum-v1: gamma 0.98, batch 256, a 200,000-transition
    buffer, 10,000 random steps first, one training round per episode (200 steps) with as many
    updates as steps, lr 1e-3, Gaussian noise 0.2 (0.1 of the action half-range 2, SB3's convention)."""
    return DDPGConfig(
        gamma=0.98,
        actor_lr=1e-3,
        critic_lr=1e-3,
        batch_size=256,
        buffer_size=200_000,
        learning_starts=10_000,
        train_every=200,
        gradient_steps=200,
        noise="gaussian",
        noise_sigma=0.2,
    )


@dataclass
class PendulumConfig:
    """Settings of a DDPG run on Pendulum-v1; ``ddpg`` holds the learner's (RL Zoo's tuned ones).

    Before ``ddpg.learning_starts`` steps the run acts at random and does not update.
    """

    total_steps: int = field(default=20_000, metadata={"help": "environment steps to train for"})
    hidden: tuple[int, ...] = field(default=(400, 300), metadata={"help": "hidden layer sizes of both MLPs"})
    eval_episodes: int = field(default=10, metadata={"help": "deterministic evaluation episodes"})
    seed: int = field(default=0, metadata={"help": "seed of everything: nets, env, noise, replay"})
    show_progress: bool = field(default=True, metadata={"help": "show a tqdm progress bar"})
    ddpg: DDPGConfig = field(default_factory=pendulum_ddpg)

    def ddpg_config(self) -> DDPGConfig:
        """The learner's :class:`DDPGConfig`, seeded with this run's seed."""
        return replace(self.ddpg, seed=self.seed)


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (CleanRL style); returns None."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _time_limit(env: gym.Env) -> TimeLimit:
    """The TimeLimit wrapper inside ``env`` (``gym.make`` adds one for Pendulum)."""
    layer: Any = env
    while isinstance(layer, gym.Wrapper):
        if isinstance(layer, TimeLimit):
            return layer
        layer = layer.env
    raise ValueError(f"{env} has no TimeLimit wrapper")


def evaluate_pendulum(policy: Callable[[np.ndarray], np.ndarray], episodes: int, seed: int) -> list[float]:
    """Undiscounted returns of ``policy`` (observation -> action) on ``episodes`` fresh Pendulum episodes.

    Episode ``i`` is reset with seed ``EVAL_SEED_OFFSET + seed + i``, so two policies
    evaluated with the same ``seed`` face the same start states. Returns one float per episode.
    """
    env = gym.make(ENV_ID)
    returns = []
    try:
        for episode in range(episodes):
            observation, _ = env.reset(seed=EVAL_SEED_OFFSET + seed + episode)
            total, done = 0.0, False
            while not done:
                observation, reward, terminated, truncated, _ = env.step(policy(observation))
                total += float(reward)
                done = terminated or truncated
            returns.append(total)
    finally:
        env.close()
    return returns


class PendulumRun:
    """One seeded DDPG training run on Pendulum-v1 that can be advanced, saved and resumed.

    Building it seeds the global generators, builds the MLP actor/critic and the agent,
    and resets the environment with ``config.seed``. :meth:`run` advances training by a
    number of environment steps; :meth:`evaluate` measures the greedy policy.
    """

    def __init__(self, config: PendulumConfig):
        self.config = config
        seed_everything(config.seed)
        self.env = gym.make(ENV_ID)
        space = self.env.action_space
        assert isinstance(space, gym.spaces.Box)
        obs_dim = int(np.prod(self.env.observation_space.shape))
        action_dim = int(np.prod(space.shape))
        actor = MLPActor(obs_dim, action_dim, config.hidden, space.low, space.high)
        critic = MLPCritic(obs_dim, action_dim, config.hidden)
        self.agent = DDPG(
            actor,
            critic,
            space,
            config.ddpg_config(),
            observation_space=self.env.observation_space,
        )
        self.action_low = space.low.astype(np.float32)
        self.action_high = space.high.astype(np.float32)
        self.rng = np.random.default_rng(config.seed)
        self.observation, _ = self.env.reset(seed=config.seed)
        self.agent.episode_start()
        self.episode_return = 0.0
        self.episode_returns: list[float] = []
        self.last_metrics: dict[str, float] | None = None

    @property
    def steps(self) -> int:
        """Environment steps taken so far."""
        return self.agent.steps

    def step(self) -> None:
        """Take one environment step, store it, train when due, handle the episode end."""
        if self.agent.steps < self.config.ddpg.learning_starts:
            action = self.rng.uniform(self.action_low, self.action_high).astype(np.float32)
        else:
            action = self.agent.act(self.observation, explore=True)
        next_observation, reward, terminated, truncated, _ = self.env.step(action)
        metrics = self.agent.observe(
            self.observation, action, float(reward), next_observation, terminated, truncated
        )
        if metrics is not None:
            self.last_metrics = metrics
        self.episode_return += float(reward)
        if terminated or truncated:
            self.episode_returns.append(self.episode_return)
            self.episode_return = 0.0
            self.observation, _ = self.env.reset()
            self.agent.episode_start()
        else:
            self.observation = next_observation

    def run(self, steps: int, show_progress: bool | None = None) -> None:
        """Advance training by ``steps`` environment steps (progress bar unless disabled)."""
        show = self.config.show_progress if show_progress is None else show_progress
        with tqdm(total=steps, desc=f"DDPG {ENV_ID}", unit="step", disable=not show, leave=False) as bar:
            episodes = len(self.episode_returns)
            for _ in range(steps):
                self.step()
                if len(self.episode_returns) != episodes:
                    episodes = len(self.episode_returns)
                    bar.set_postfix(episode_return=f"{self.episode_returns[-1]:.0f}", refresh=False)
                bar.update(1)

    def evaluate(self, episodes: int | None = None) -> list[float]:
        """Greedy (noise-free) returns of ``episodes`` seeded episodes (default: ``config.eval_episodes``)."""
        count = self.config.eval_episodes if episodes is None else episodes
        return evaluate_pendulum(lambda obs: self.agent.act(obs, explore=False), count, self.config.seed)

    def state_dict(self) -> dict[str, Any]:
        """Agent, environment (time-limit count, physics state, its RNG), observation, episode bookkeeping."""
        env = self.env.unwrapped
        return {
            "agent": self.agent.state_dict(),
            "env": {
                "elapsed_steps": _time_limit(self.env)._elapsed_steps,
                "state": np.array(env.state, copy=True),
                "last_u": getattr(env, "last_u", None),
                "np_random": env.np_random.bit_generator.state,
            },
            "observation": np.array(self.observation, copy=True),
            "rng": self.rng.bit_generator.state,
            "episode_return": self.episode_return,
            "episode_returns": list(self.episode_returns),
            "config": asdict(self.config),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore from :meth:`state_dict` output into a run built with the same config."""
        self.agent.load_state_dict(state["agent"])
        env = self.env.unwrapped
        _time_limit(self.env)._elapsed_steps = state["env"]["elapsed_steps"]
        env.state = np.array(state["env"]["state"], copy=True)
        env.last_u = state["env"]["last_u"]
        env.np_random.bit_generator.state = state["env"]["np_random"]
        self.observation = np.array(state["observation"], copy=True)
        self.rng.bit_generator.state = state["rng"]
        self.episode_return = float(state["episode_return"])
        self.episode_returns = list(state["episode_returns"])

    def close(self) -> None:
        """Close the environment."""
        self.env.close()


def train_pendulum(config: PendulumConfig) -> dict[str, Any]:
    """Train DDPG on Pendulum-v1 for ``config.total_steps`` steps, then evaluate greedily.

    Returns ``mean_return``, ``std_return`` and ``episode_returns`` of the evaluation,
    ``train_seconds`` and ``steps_per_second`` of training, ``updates``, the last training
    episodes' returns (``last_training_returns``) and the config.
    """
    run = PendulumRun(config)
    start = time.perf_counter()
    run.run(config.total_steps)
    train_seconds = time.perf_counter() - start
    returns = run.evaluate()
    run.close()
    return {
        "mean_return": float(np.mean(returns)),
        "std_return": float(np.std(returns)),
        "episode_returns": returns,
        "train_seconds": train_seconds,
        "steps_per_second": config.total_steps / train_seconds,
        "total_steps": config.total_steps,
        "updates": run.agent.updates,
        "last_training_returns": run.episode_returns[-10:],
        "config": asdict(config),
    }
