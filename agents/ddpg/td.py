"""The one-step temporal-difference target of DDPG's critic."""

from __future__ import annotations

from torch import Tensor


def td_target(rewards: Tensor, terminated: Tensor, next_q: Tensor, gamma: float) -> Tensor:
    """``y = r + gamma * (1 - terminated) * Q'(s', mu'(s'))``, detached from the graph.

    Expects ``rewards``, ``terminated`` (0.0/1.0) and ``next_q`` (the target critic's value
    of the next state under the target actor) of the same shape ``(B,)``; returns ``y``
    of that shape, with no gradient.

    Only *termination* cuts the bootstrap. Truncation never enters: an episode cut by a
    time limit did not reach a terminal state, the state it stopped in still has a future,
    so its value ``Q'(s', mu'(s'))`` still counts. Treating truncation as terminal would
    teach the critic that the last states before every time limit are worth nothing.
    """
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    return (rewards + gamma * (1.0 - terminated) * next_q).detach()
