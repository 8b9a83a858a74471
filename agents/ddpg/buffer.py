"""A preallocated, circular replay buffer of transitions (s, a, r, s', terminated, truncated).

Observations are stored in one of three layouts, chosen once at construction:

* **array**: one ``(capacity, *shape)`` array (Box observations, e.g. Pendulum's 3 floats
  or an embedding vector); a sampled batch is a stacked array.
* **dict**: one array per key (a Dict of Boxes, e.g. token ids and attention masks); a
  sampled batch is a dict of stacked arrays.
* **object**: a numpy object array holding any Python object (a dict of two sentences,
  a string); a sampled batch is a Python ``list``.

Time-limit truncation is kept apart from termination: only ``terminated`` cuts the
bootstrap in the TD target, ``truncated`` is stored for bookkeeping (see :mod:`agents.ddpg.td`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from gymnasium import spaces


class ReplayBatch(NamedTuple):
    """A batch of ``B`` transitions as numpy data.

    ``observations``/``next_observations`` are an array ``(B, *shape)``, a dict of such
    arrays, or a list of ``B`` Python objects, depending on the buffer's layout;
    ``actions`` is float32 ``(B, action_dim)``; ``rewards``, ``terminated`` and
    ``truncated`` are float32 ``(B,)`` (the last two hold 0.0 or 1.0).
    """

    observations: Any
    actions: np.ndarray
    rewards: np.ndarray
    next_observations: Any
    terminated: np.ndarray
    truncated: np.ndarray


class _ArrayStorage:
    """Observations in one preallocated ``(capacity, *shape)`` array."""

    kind = "array"

    def __init__(self, capacity: int, shape: tuple[int, ...], dtype: Any):
        self.data = np.zeros((capacity, *shape), dtype=dtype)

    def put(self, index: int, observation: Any) -> None:
        self.data[index] = np.asarray(observation, dtype=self.data.dtype).reshape(self.data.shape[1:])

    def take(self, indices: np.ndarray) -> np.ndarray:
        return self.data[indices]

    def stack(self, observations: Sequence[Any]) -> np.ndarray:
        return np.stack([np.asarray(o, dtype=self.data.dtype) for o in observations])

    def state(self) -> Any:
        return self.data.copy()

    def load(self, state: Any) -> None:
        state = np.asarray(state)
        if state.shape != self.data.shape:
            raise ValueError(f"observation array shape {state.shape} does not match {self.data.shape}")
        self.data[...] = state


class _DictStorage:
    """Observations that are dicts of arrays: one preallocated array per key."""

    kind = "dict"

    def __init__(self, capacity: int, spec: Mapping[str, tuple[tuple[int, ...], Any]]):
        self.data = {key: np.zeros((capacity, *shape), dtype=dtype) for key, (shape, dtype) in spec.items()}

    def put(self, index: int, observation: Any) -> None:
        if not isinstance(observation, Mapping) or set(observation) != set(self.data):
            got = sorted(observation) if isinstance(observation, Mapping) else type(observation).__name__
            raise ValueError(f"expected a dict observation with keys {sorted(self.data)}, got {got}")
        for key, array in self.data.items():
            array[index] = np.asarray(observation[key], dtype=array.dtype).reshape(array.shape[1:])

    def take(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        return {key: array[indices] for key, array in self.data.items()}

    def stack(self, observations: Sequence[Any]) -> dict[str, np.ndarray]:
        return {
            key: np.stack([np.asarray(o[key], dtype=array.dtype) for o in observations])
            for key, array in self.data.items()
        }

    def state(self) -> Any:
        return {key: array.copy() for key, array in self.data.items()}

    def load(self, state: Any) -> None:
        if set(state) != set(self.data):
            raise ValueError(f"observation keys {sorted(state)} do not match {sorted(self.data)}")
        for key, array in self.data.items():
            value = np.asarray(state[key])
            if value.shape != array.shape:
                raise ValueError(f"observation array {key!r} has shape {value.shape}, expected {array.shape}")
            array[...] = value


class _ObjectStorage:
    """Arbitrary Python observations in a numpy object array (no copy of the objects)."""

    kind = "object"

    def __init__(self, capacity: int):
        self.data = np.empty(capacity, dtype=object)

    def put(self, index: int, observation: Any) -> None:
        self.data[index] = observation

    def take(self, indices: np.ndarray) -> list[Any]:
        return self.data[indices].tolist()

    def stack(self, observations: Sequence[Any]) -> list[Any]:
        return list(observations)

    def state(self) -> Any:
        return self.data.copy()

    def load(self, state: Any) -> None:
        if len(state) != len(self.data):
            raise ValueError(f"object storage of length {len(state)} does not match {len(self.data)}")
        self.data[:] = state


class ReplayBuffer:
    """Fixed-capacity circular store of transitions with uniform sampling.

    ``capacity`` transitions are preallocated; once full, each ``add`` overwrites the
    oldest one. ``action_dim`` is the flat action size. With ``observation_shape`` set,
    observations are stored in an array of that shape and ``observation_dtype``; with
    ``observation_shape=None`` any Python object is stored (sampled as a ``list``). Use
    :meth:`for_spaces` to pick the layout from Gymnasium spaces (it also supports dicts
    of arrays). Sampling uses the buffer's own ``np.random.Generator`` seeded by ``seed``,
    which travels in :meth:`state_dict`, so a restored buffer samples what the original would.
    """

    def __init__(
        self,
        capacity: int,
        action_dim: int,
        observation_shape: tuple[int, ...] | None = None,
        observation_dtype: Any = np.float32,
        seed: int | None = None,
    ):
        if int(capacity) < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity}")
        if int(action_dim) < 1:
            raise ValueError(f"action_dim must be a positive integer, got {action_dim}")
        self.capacity = int(capacity)
        self.action_dim = int(action_dim)
        if observation_shape is None:
            self._observations: Any = _ObjectStorage(self.capacity)
            self._next_observations: Any = _ObjectStorage(self.capacity)
        else:
            shape = tuple(int(d) for d in observation_shape)
            self._observations = _ArrayStorage(self.capacity, shape, observation_dtype)
            self._next_observations = _ArrayStorage(self.capacity, shape, observation_dtype)
        self.actions = np.zeros((self.capacity, self.action_dim), dtype=np.float32)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self.truncated = np.zeros(self.capacity, dtype=np.float32)
        self.position = 0
        self.size = 0
        self.rng = np.random.default_rng(seed)

    @classmethod
    def for_spaces(
        cls,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        capacity: int,
        seed: int | None = None,
    ) -> ReplayBuffer:
        """A buffer whose layout fits ``observation_space``; returns the new buffer.

        A Box gives array storage of its shape and dtype; a Dict whose sub-spaces are all
        Boxes (token ids, masks) gives one array per key; anything else (Text, a Dict of
        Texts, ...) gives object storage. The action size is ``prod(action_space.shape)``.
        """
        action_dim = int(np.prod(action_space.shape))
        if isinstance(observation_space, spaces.Box):
            return cls(capacity, action_dim, observation_space.shape, observation_space.dtype, seed=seed)
        buffer = cls(capacity, action_dim, None, seed=seed)
        if isinstance(observation_space, spaces.Dict) and all(
            isinstance(sub, spaces.Box) for sub in observation_space.spaces.values()
        ):
            spec = {key: (sub.shape, sub.dtype) for key, sub in observation_space.spaces.items()}
            buffer._observations = _DictStorage(buffer.capacity, spec)
            buffer._next_observations = _DictStorage(buffer.capacity, spec)
        return buffer

    @property
    def storage_kind(self) -> str:
        """How observations are stored: ``"array"``, ``"dict"`` or ``"object"``."""
        return self._observations.kind

    @property
    def full(self) -> bool:
        """True once ``capacity`` transitions have been added (older ones are being overwritten)."""
        return self.size == self.capacity

    def __len__(self) -> int:
        """The number of transitions held (at most ``capacity``)."""
        return self.size

    def add(
        self,
        observation: Any,
        action: Any,
        reward: float,
        next_observation: Any,
        terminated: bool,
        truncated: bool = False,
    ) -> None:
        """Store one transition, overwriting the oldest when full.

        ``action`` must hold ``action_dim`` numbers; ``terminated`` means the episode
        really ended in ``next_observation`` (no bootstrap), ``truncated`` that it was cut
        by a time limit (bootstrap still applies).
        """
        action = np.asarray(action, dtype=np.float32).reshape(-1)
        if action.size != self.action_dim:
            raise ValueError(f"expected an action of {self.action_dim} values, got {action.size}")
        index = self.position
        self._observations.put(index, observation)
        self._next_observations.put(index, next_observation)
        self.actions[index] = action
        self.rewards[index] = float(reward)
        self.terminated[index] = float(bool(terminated))
        self.truncated[index] = float(bool(truncated))
        self.position = (index + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, newest: int = 0) -> ReplayBatch:
        """A batch of ``batch_size`` stored transitions; returns a :class:`ReplayBatch`.

        With ``newest == 0`` the batch is uniform: indices are drawn without replacement
        when the buffer holds at least ``batch_size`` transitions, with replacement
        otherwise. With ``newest = k > 0`` (combined experience replay, Zhang & Sutton 2017)
        the k most recently added transitions are always in the batch and the other
        ``batch_size - k`` are drawn uniformly without replacement from the older ones,
        so every transition is replayed at least once if updates come every k additions
        (the batch is smaller while fewer than ``batch_size`` are held). Raises ValueError
        when empty or when ``newest`` is negative or above ``batch_size`` or the number held.
        """
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if newest:
            indices = self._newest_first_indices(batch_size, int(newest))
        elif batch_size <= self.size:
            indices = self.rng.choice(self.size, size=batch_size, replace=False)
        else:
            indices = self.rng.integers(0, self.size, size=batch_size)
        return ReplayBatch(
            observations=self._observations.take(indices),
            actions=self.actions[indices],
            rewards=self.rewards[indices],
            next_observations=self._next_observations.take(indices),
            terminated=self.terminated[indices],
            truncated=self.truncated[indices],
        )

    def _newest_first_indices(self, batch_size: int, newest: int) -> np.ndarray:
        """Storage indices of the ``newest`` latest transitions plus a uniform draw of older ones."""
        if not 0 < newest <= min(batch_size, self.size):
            raise ValueError(
                f"newest must be in 1..min(batch_size, held) = {min(batch_size, self.size)}, got {newest}"
            )
        older = min(batch_size - newest, self.size - newest)
        ages = np.arange(newest)  # age 0 is the latest addition
        if older:
            ages = np.concatenate(
                [ages, newest + self.rng.choice(self.size - newest, size=older, replace=False)]
            )
        return (self.position - 1 - ages) % self.capacity

    def stack_observations(self, observations: Sequence[Any]) -> Any:
        """Batch single observations in the same layout :meth:`sample` returns them.

        An array for array storage, a dict of arrays for dict storage, a list otherwise.
        """
        return self._observations.stack(observations)

    def state_dict(self) -> dict[str, Any]:
        """A copy of everything: stored data, write position, size and the sampling RNG's state."""
        return {
            "capacity": self.capacity,
            "action_dim": self.action_dim,
            "storage_kind": self.storage_kind,
            "observations": self._observations.state(),
            "next_observations": self._next_observations.state(),
            "actions": self.actions.copy(),
            "rewards": self.rewards.copy(),
            "terminated": self.terminated.copy(),
            "truncated": self.truncated.copy(),
            "position": self.position,
            "size": self.size,
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore from :meth:`state_dict` output; the layout and sizes must match this buffer's."""
        if state["capacity"] != self.capacity or state["action_dim"] != self.action_dim:
            raise ValueError(
                f"buffer state has capacity {state['capacity']} and action_dim {state['action_dim']}, "
                f"this buffer {self.capacity} and {self.action_dim}"
            )
        if state["storage_kind"] != self.storage_kind:
            raise ValueError(
                f"buffer state stores {state['storage_kind']} observations, this buffer {self.storage_kind}"
            )
        self._observations.load(state["observations"])
        self._next_observations.load(state["next_observations"])
        self.actions[...] = state["actions"]
        self.rewards[...] = state["rewards"]
        self.terminated[...] = state["terminated"]
        self.truncated[...] = state["truncated"]
        self.position = int(state["position"])
        self.size = int(state["size"])
        self.rng.bit_generator.state = state["rng"]
