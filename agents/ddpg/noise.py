"""Exploration noise added to the actor's action: Gaussian or Ornstein-Uhlenbeck, optionally decaying.

Every noise object draws from its own ``np.random.Generator`` and counts the samples it
has drawn (``step``); the scale of sample ``step`` is ``sigma * schedule.scale(step)``.
The count, the OU state and the generator state travel in ``state_dict`` so that a
resumed run draws exactly the samples an uninterrupted one would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

_SCHEDULE_KINDS = ("constant", "linear", "exponential")
NOISE_KINDS = ("gaussian", "ou", "none")


@dataclass
class DecaySchedule:
    """A multiplier on the noise scale that starts at 1.0 and reaches ``final_scale`` at ``decay_steps``.

    ``kind`` is ``"constant"`` (always 1.0; the other fields are ignored), ``"linear"``
    (straight line from 1.0 to ``final_scale``) or ``"exponential"`` (geometric
    interpolation ``final_scale ** (step / decay_steps)``, which needs ``final_scale > 0``).
    After ``decay_steps`` the multiplier stays at ``final_scale``.
    """

    kind: str = "constant"
    final_scale: float = 1.0
    decay_steps: int = 1

    def __post_init__(self) -> None:
        if self.kind not in _SCHEDULE_KINDS:
            raise ValueError(f"unknown decay schedule {self.kind!r}; expected one of {_SCHEDULE_KINDS}")
        if self.kind == "constant":
            return
        if not math.isfinite(self.final_scale) or self.final_scale < 0:
            raise ValueError(f"final_scale must be a finite number >= 0, got {self.final_scale}")
        if self.kind == "exponential" and self.final_scale == 0:
            raise ValueError(
                "an exponential schedule cannot reach final_scale 0; use linear or a small value"
            )
        if int(self.decay_steps) != self.decay_steps or self.decay_steps < 1:
            raise ValueError(f"decay_steps must be an integer >= 1, got {self.decay_steps}")

    def scale(self, step: int) -> float:
        """The multiplier at sample ``step >= 0``: 1.0 at 0, ``final_scale`` from ``decay_steps`` on."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        if self.kind == "constant":
            return 1.0
        fraction = min(step / self.decay_steps, 1.0)
        if self.kind == "linear":
            return 1.0 + (self.final_scale - 1.0) * fraction
        return float(self.final_scale**fraction)


class ActionNoise:
    """Base class: counts samples, holds the RNG and the schedule; subclasses draw the unit noise.

    ``sigma`` is a non-negative float or an array of ``action_dim`` floats (one per
    action dimension); ``schedule=None`` means a constant scale.
    """

    def __init__(
        self,
        action_dim: int,
        sigma: float | np.ndarray,
        schedule: DecaySchedule | None = None,
        seed: int | None = None,
    ):
        if int(action_dim) < 1:
            raise ValueError(f"action_dim must be a positive integer, got {action_dim}")
        sigma_array = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (int(action_dim),)).copy()
        if not np.all(np.isfinite(sigma_array)) or np.any(sigma_array < 0):
            raise ValueError(f"sigma must be finite and >= 0, got {sigma}")
        self.action_dim = int(action_dim)
        self.sigma = sigma_array
        self.schedule = schedule if schedule is not None else DecaySchedule()
        self.rng = np.random.default_rng(seed)
        self.step = 0

    @property
    def current_sigma(self) -> float | np.ndarray:
        """The scale the next sample will get: ``sigma * schedule.scale(step)`` (a float when uniform)."""
        value = self.sigma * self.schedule.scale(self.step)
        return float(value[0]) if np.all(value == value[0]) else value

    def _unit_sample(self) -> np.ndarray:
        raise NotImplementedError

    def sample(self) -> np.ndarray:
        """One noise vector, float32 of shape ``(action_dim,)``; advances ``step`` by one."""
        scale = self.sigma * self.schedule.scale(self.step)
        value = (scale * self._unit_sample()).astype(np.float32)
        self.step += 1
        return value

    def __call__(self) -> np.ndarray:
        """Same as :meth:`sample`."""
        return self.sample()

    def reset(self) -> None:
        """Start of an episode: clear any temporal state (no-op unless overridden)."""

    def state_dict(self) -> dict[str, Any]:
        """The sample count and the generator's state."""
        return {"step": self.step, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore from :meth:`state_dict` output."""
        self.step = int(state["step"])
        self.rng.bit_generator.state = state["rng"]


class GaussianNoise(ActionNoise):
    """Independent ``N(0, current_sigma^2)`` noise per sample and dimension."""

    def _unit_sample(self) -> np.ndarray:
        return self.rng.standard_normal(self.action_dim)


class OrnsteinUhlenbeckNoise(ActionNoise):
    """Temporally correlated noise: ``x <- x - theta * x * dt + sqrt(dt) * N(0, 1)``, sample ``= scale * x``.

    The process runs at unit scale and is multiplied by ``sigma * schedule.scale(step)``
    on the way out, so a decaying schedule shrinks the noise at once. Its stationary
    standard deviation is about ``sigma / sqrt(2 * theta)`` (1.8 sigma for theta 0.15).
    :meth:`reset` puts the state back to zero (call it at every episode start).
    """

    def __init__(
        self,
        action_dim: int,
        sigma: float | np.ndarray,
        theta: float = 0.15,
        dt: float = 1e-2,
        schedule: DecaySchedule | None = None,
        seed: int | None = None,
    ):
        super().__init__(action_dim, sigma, schedule, seed)
        if not theta > 0 or not dt > 0:
            raise ValueError(f"theta and dt must be positive, got theta={theta}, dt={dt}")
        self.theta = float(theta)
        self.dt = float(dt)
        self.state = np.zeros(self.action_dim, dtype=np.float64)

    def _unit_sample(self) -> np.ndarray:
        drift = -self.theta * self.state * self.dt
        self.state = self.state + drift + math.sqrt(self.dt) * self.rng.standard_normal(self.action_dim)
        return self.state

    def reset(self) -> None:
        """Put the process back to zero."""
        self.state = np.zeros(self.action_dim, dtype=np.float64)

    def state_dict(self) -> dict[str, Any]:
        """The sample count, the generator's state and the process state."""
        return {**super().state_dict(), "ou_state": self.state.copy()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore from :meth:`state_dict` output."""
        super().load_state_dict(state)
        self.state = np.asarray(state["ou_state"], dtype=np.float64).copy()


class ZeroNoise(ActionNoise):
    """No exploration noise: every sample is zeros (still counts ``step``)."""

    def __init__(
        self,
        action_dim: int,
        sigma: float = 0.0,
        schedule: DecaySchedule | None = None,
        seed: int | None = None,
    ):
        super().__init__(action_dim, 0.0, schedule, seed)

    def _unit_sample(self) -> np.ndarray:
        return np.zeros(self.action_dim)


def make_noise(
    kind: str,
    action_dim: int,
    sigma: float | np.ndarray,
    schedule: DecaySchedule | None = None,
    seed: int | None = None,
) -> ActionNoise:
    """Build the noise named ``kind``: ``"gaussian"``, ``"ou"`` (Ornstein-Uhlenbeck) or ``"none"`` (zeros)."""
    if kind == "gaussian":
        return GaussianNoise(action_dim, sigma, schedule=schedule, seed=seed)
    if kind == "ou":
        return OrnsteinUhlenbeckNoise(action_dim, sigma, schedule=schedule, seed=seed)
    if kind == "none":
        return ZeroNoise(action_dim, schedule=schedule, seed=seed)
    raise ValueError(f"unknown noise kind {kind!r}; expected one of {NOISE_KINDS}")
