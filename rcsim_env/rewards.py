"""Reward functions: how close the agent's score came to the oracle's.

Every reward function takes ``(agent_score, oracle_score)`` on the 0-5 scale and
returns a float. The built-in ones work on the 0-1 scale (score / 5):

- ``"paper"``: 1 - 100 (x - x0)^2, negative values divided by 10 (range [-9.9, 1]);
- ``"absolute"``: -|x - x0| (range [-1, 0]);
- ``"squared"``: -(x - x0)^2 (range [-1, 0]), the default.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from rcsim_env.errors import RewardError
from rcsim_env.registry import Registry
from rcsim_env.validation import MAX_SCORE, short_repr

RewardFn = Callable[[float, float], float]


def paper_reward(agent_score: float, oracle_score: float) -> float:
    """The paper's reward 1 - 100 (x - x0)^2 on the 0-1 scale, with negative rewards divided by 10."""
    reward = 1.0 - 100.0 * ((agent_score - oracle_score) / MAX_SCORE) ** 2
    return reward / 10.0 if reward < 0 else reward


def negative_absolute_error(agent_score: float, oracle_score: float) -> float:
    """-|x - x0| on the 0-1 scale."""
    return -abs(agent_score - oracle_score) / MAX_SCORE


def negative_squared_error(agent_score: float, oracle_score: float) -> float:
    """-(x - x0)^2 on the 0-1 scale."""
    return -(((agent_score - oracle_score) / MAX_SCORE) ** 2)


REWARD_FUNCTIONS: Registry[RewardFn] = Registry("reward")
"""Reward name -> function ``f(agent_score, oracle_score)`` on the 0-5 scale; register new ones here."""
REWARD_FUNCTIONS.register("squared", negative_squared_error, help="-(x - x0)^2 on the 0-1 scale, the default")
REWARD_FUNCTIONS.register("absolute", negative_absolute_error, help="-|x - x0| on the 0-1 scale")
REWARD_FUNCTIONS.register("paper", paper_reward, help="1 - 100 (x - x0)^2, negative values / 10")


def get_reward_fn(reward: str | RewardFn) -> RewardFn:
    """Return the reward function named ``reward`` (see :data:`REWARD_FUNCTIONS`), or a callable as is.

    An unknown name raises :class:`~rcsim_env.errors.UnknownNameError` listing the known ones.
    """
    if callable(reward):
        return reward
    return REWARD_FUNCTIONS[reward]


def checked_reward(reward_fn: RewardFn, agent_score: float, oracle_score: float) -> float:
    """Call ``reward_fn(agent_score, oracle_score)`` and return its result as a float.

    Raises :class:`~rcsim_env.errors.RewardError`, naming the function and its arguments, when it
    raises (the original exception is chained) or returns anything but a finite real number:
    text (even ``"0.5"``), a bool, None, NaN, an infinity or an integer too large for a float.
    """
    name = getattr(reward_fn, "__name__", None) or short_repr(reward_fn)
    called = f"reward function {name}({agent_score!r}, {oracle_score!r})"
    need = "it must return a finite real number"
    try:
        value = reward_fn(agent_score, oracle_score)
    except Exception as exc:
        raise RewardError(f"{called} raised {type(exc).__name__}: {short_repr(str(exc), 200)}") from exc
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise RewardError(f"{called} returned {type(value).__name__} {short_repr(value)}; {need}")
    try:
        result = float(value)
    except (OverflowError, TypeError, ValueError):
        result = math.nan
    if not math.isfinite(result):
        raise RewardError(f"{called} returned {short_repr(value)}; {need}")
    return result
