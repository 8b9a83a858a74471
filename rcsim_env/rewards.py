"""Reward functions: how close the agent's score came to the oracle's.

Every reward function takes ``(agent_score, oracle_score)`` on the 0-5 scale and
returns a float. The built-in ones work on the 0-1 scale (score / 5):

- ``"paper"``: 1 - 100 (x - x0)^2, negative values divided by 10 (range [-9.9, 1]);
- ``"absolute"``: -|x - x0| (range [-1, 0]);
- ``"squared"``: -(x - x0)^2 (range [-1, 0]), the default.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from rcsim_env.registry import Registry
from rcsim_env.validation import MAX_SCORE

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
    """Call ``reward_fn`` and insist on a finite real result, naming the function when it is not."""
    value = reward_fn(agent_score, oracle_score)
    try:
        result = float(value)
    except (TypeError, ValueError):
        result = math.nan
    if not math.isfinite(result) or isinstance(value, bool):
        name = getattr(reward_fn, "__name__", repr(reward_fn))
        raise ValueError(
            f"reward function {name} returned {value!r} for ({agent_score}, {oracle_score}); "
            "need a finite float"
        )
    return result
