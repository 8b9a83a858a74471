"""Reference agents that need no training: a random judge and the untouched encoder's cosine."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from rcsim_env.envs.similarity import score_to_action
from rcsim_env.validation import MAX_SCORE


class RandomAgent:
    """Answers with a uniformly random action; seeded through ``seed`` for reproducible demos."""

    def __init__(self, action_space: spaces.Box, seed: int | None = None):
        self.action_space = action_space
        self.action_space.seed(seed)

    def act(self, observation: object) -> np.ndarray:
        """A random action from the action space (the observation is ignored)."""
        return self.action_space.sample()


class CosineAgent:
    """Answers ``5 * max(cos, 0)`` from an embedding observation ``[unit(e_a); unit(e_b)]``.

    This is what the encoder alone believes; RL calibration should beat it.
    """

    def act(self, observation: np.ndarray) -> np.ndarray:
        """The encoder's own similarity judgement as an action in [-1, 1], shape (1,)."""
        vector = np.asarray(observation, dtype=np.float32)
        if vector.ndim != 1 or vector.size % 2:
            raise ValueError(
                f"CosineAgent needs an embedding observation of even length, got shape {vector.shape}"
            )
        half = vector.size // 2
        cosine = float(np.dot(vector[:half], vector[half:]))
        return score_to_action(float(np.clip(cosine, 0.0, 1.0)) * MAX_SCORE)
