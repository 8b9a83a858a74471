"""The two learners a calibration run can use, behind one small interface.

Both take a text observation, answer with an action in [-1, 1], learn from the step's
outcome and save / restore their whole state:

- :class:`RCDDPGLearner` (``--agent rc-ddpg``): the DDPG core with the encoder critic; it
  learns from the reward alone.
- :class:`PaperRLHFLearner` (``--agent paper-rlhf``): the paper's update; like the paper's
  GUI loop it reads the oracle's label (``info["oracle_score"]``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from gymnasium import spaces

from agents.ddpg.agent import DDPG
from agents.encoder_critic import EncoderCritic, PairActor
from agents.paper_rlhf import PaperRLHFAgent
from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.registry import Registry

if TYPE_CHECKING:
    from agents.calibration.config import CalibrationConfig


class Learner(Protocol):
    """What the calibration loop needs from an agent."""

    encoder: SentenceEncoder

    def act(self, observation: dict[str, str]) -> np.ndarray:
        """The action (shape (1,), float32, in [-1, 1]) for a text observation."""
        ...

    def learn(
        self,
        observation: dict[str, str],
        action: np.ndarray,
        reward: float,
        next_observation: dict[str, str],
        truncated: bool,
        info: dict[str, Any],
    ) -> dict[str, float] | None:
        """Learn from one judged step; returns metrics when an update ran, else None."""
        ...

    def episode_start(self) -> None:
        """Called at every episode start."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        ...


def _skipped(info: dict[str, Any]) -> bool:
    label = info.get("oracle_score")
    return bool(info.get("skipped")) or label is None or (isinstance(label, float) and math.isnan(label))


class RCDDPGLearner:
    """RC-DDPG: :class:`~agents.ddpg.agent.DDPG` with :class:`EncoderCritic` and :class:`PairActor`.

    Exploration noise is ``config.ddpg.noise_sigma`` in action units (the [-1, 1] action spans
    the 0-5 score); a decaying schedule reaches its final scale at the last query.
    Skipped pairs are not stored (their reward says nothing about the answer).
    """

    def __init__(self, encoder: SentenceEncoder, config: CalibrationConfig, action_space: spaces.Box):
        self.encoder = encoder
        critic = EncoderCritic(encoder, reward=config.reward, td_loss=config.td_loss)
        self.ddpg = DDPG(
            PairActor(), critic, action_space, config.learner_ddpg(), obs_to_input=list, device=encoder.device
        )

    def act(self, observation: dict[str, str]) -> np.ndarray:
        """The actor's answer plus exploration noise, clipped to [-1, 1]."""
        return self.ddpg.act(observation, explore=True)

    def learn(
        self,
        observation: dict[str, str],
        action: np.ndarray,
        reward: float,
        next_observation: dict[str, str],
        truncated: bool,
        info: dict[str, Any],
    ) -> dict[str, float] | None:
        """Store the transition (unless skipped) and run the TD updates that are due."""
        if _skipped(info):
            return None
        # No pair is terminal (the environment never terminates); with gamma 0 nothing bootstraps.
        return self.ddpg.observe(observation, action, reward, next_observation, False, truncated)

    def episode_start(self) -> None:
        """Reset temporally correlated noise."""
        self.ddpg.episode_start()

    def state_dict(self) -> dict[str, Any]:
        """The DDPG state: networks (encoder included), targets, optimizers, buffer, noise, RNGs."""
        return self.ddpg.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.ddpg.load_state_dict(state)


class PaperRLHFLearner:
    """The paper's update (see :mod:`agents.paper_rlhf`), one optimizer step per judged pair."""

    def __init__(self, encoder: SentenceEncoder, config: CalibrationConfig):
        self.encoder = encoder
        self.agent = PaperRLHFAgent(encoder, replace(config.paper, seed=config.run.seed))

    def act(self, observation: dict[str, str]) -> np.ndarray:
        """The chosen bin's action (greedy with probability 0.95)."""
        return self.agent.act(observation)

    def learn(
        self,
        observation: dict[str, str],
        action: np.ndarray,
        reward: float,
        next_observation: dict[str, str],
        truncated: bool,
        info: dict[str, Any],
    ) -> dict[str, float] | None:
        """One update from the oracle's label; None when the oracle skipped."""
        stats = self.agent.learn(observation, action, None if _skipped(info) else info["oracle_score"])
        if stats is None:
            return None
        return {f"train/{key}": float(value) for key, value in stats.items()}

    def episode_start(self) -> None:
        """Nothing to reset."""

    def state_dict(self) -> dict[str, Any]:
        """Encoder, optimizer, estimator and RNG state."""
        return self.agent.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.agent.load_state_dict(state)


AGENTS: Registry[Callable[[SentenceEncoder, CalibrationConfig, spaces.Box], Learner]] = Registry("agent")
"""Agent name -> learner builder ``(encoder, config, action_space) -> Learner``; register new agents here."""
AGENTS.register("rc-ddpg", RCDDPGLearner, help="the actor-critic with the encoder as critic; rewards only")
AGENTS.register(
    "paper-rlhf",
    lambda encoder, config, action_space: PaperRLHFLearner(encoder, config),
    help="the paper's update; reads the oracle's label",
)


def build_learner(encoder: SentenceEncoder, config: CalibrationConfig, action_space: spaces.Box) -> Learner:
    """The learner ``config.agent`` names (see :data:`AGENTS`), on ``encoder``."""
    return AGENTS[config.agent](encoder, config, action_space)
