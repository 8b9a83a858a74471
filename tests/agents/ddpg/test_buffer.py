from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

from agents.ddpg.buffer import ReplayBatch, ReplayBuffer


def fill(buffer: ReplayBuffer, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        buffer.add(np.full(3, i), [i / 10], float(i), np.full(3, i + 1), i % 7 == 0, i % 5 == 0)


def test_circular_overwrite_keeps_the_newest_transitions():
    buffer = ReplayBuffer(capacity=4, action_dim=1, observation_shape=(3,), seed=0)
    fill(buffer, 3)
    assert len(buffer) == 3 and not buffer.full
    fill(buffer, 3, start=3)
    assert len(buffer) == 4 and buffer.full
    assert buffer.position == 2
    # transitions 0 and 1 were overwritten by 4 and 5 at positions 0 and 1
    np.testing.assert_array_equal(buffer.rewards, [4.0, 5.0, 2.0, 3.0])
    batch = buffer.sample(4)
    assert sorted(batch.rewards.tolist()) == [2.0, 3.0, 4.0, 5.0]
    for obs, next_obs, reward in zip(batch.observations, batch.next_observations, batch.rewards):
        np.testing.assert_array_equal(obs, np.full(3, reward))
        np.testing.assert_array_equal(next_obs, np.full(3, reward + 1))


def test_array_storage_shapes_and_dtypes():
    buffer = ReplayBuffer(capacity=100, action_dim=2, observation_shape=(3,), seed=1)
    for i in range(20):
        buffer.add(np.arange(3) + i, [i, -i], 1.0, np.arange(3), terminated=i == 3, truncated=i == 4)
    batch = buffer.sample(8)
    assert isinstance(batch, ReplayBatch)
    assert batch.observations.shape == (8, 3) and batch.observations.dtype == np.float32
    assert batch.next_observations.shape == (8, 3)
    assert batch.actions.shape == (8, 2) and batch.actions.dtype == np.float32
    for name in ("rewards", "terminated", "truncated"):
        value = getattr(batch, name)
        assert value.shape == (8,) and value.dtype == np.float32
    assert buffer.terminated.sum() == 1 and buffer.terminated[3] == 1.0
    assert buffer.truncated.sum() == 1 and buffer.truncated[4] == 1.0


def test_sampling_is_without_replacement_when_possible_and_with_it_otherwise():
    buffer = ReplayBuffer(capacity=50, action_dim=1, observation_shape=(3,), seed=2)
    fill(buffer, 10)
    batch = buffer.sample(10)
    assert sorted(batch.rewards.tolist()) == [float(i) for i in range(10)]
    bigger = buffer.sample(25)
    assert len(bigger.rewards) == 25 and set(bigger.rewards.tolist()) <= set(range(10))


def test_object_storage_returns_lists_of_the_stored_objects():
    buffer = ReplayBuffer(capacity=5, action_dim=1, seed=0)
    assert buffer.storage_kind == "object"
    pairs = [{"sentence_a": f"a{i}", "sentence_b": f"b{i}"} for i in range(5)]
    for i, pair in enumerate(pairs):
        buffer.add(pair, [0.5], float(i), pairs[(i + 1) % 5], False)
    batch = buffer.sample(3)
    assert isinstance(batch.observations, list) and len(batch.observations) == 3
    for obs, reward in zip(batch.observations, batch.rewards):
        assert obs == pairs[int(reward)]
    assert buffer.stack_observations(pairs[:2]) == pairs[:2]


def test_for_spaces_picks_the_layout():
    action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
    box = ReplayBuffer.for_spaces(spaces.Box(0, 255, (2, 2), np.uint8), action_space, 10)
    assert box.storage_kind == "array"
    box.add(np.ones((2, 2)), [0.0], 0.0, np.zeros((2, 2)), False)
    assert box.sample(1).observations.dtype == np.uint8

    tokens = spaces.Dict(
        {"input_ids": spaces.Box(0, 1000, (6,), np.int64), "attention_mask": spaces.Box(0, 1, (6,), np.int64)}
    )
    dict_buffer = ReplayBuffer.for_spaces(tokens, action_space, 10, seed=3)
    assert dict_buffer.storage_kind == "dict"
    for i in range(4):
        obs = {"input_ids": np.arange(6) + i, "attention_mask": np.ones(6)}
        dict_buffer.add(obs, [0.0], float(i), obs, False)
    batch = dict_buffer.sample(3)
    assert set(batch.observations) == {"input_ids", "attention_mask"}
    assert (
        batch.observations["input_ids"].shape == (3, 6) and batch.observations["input_ids"].dtype == np.int64
    )
    np.testing.assert_array_equal(batch.observations["input_ids"][:, 0], batch.rewards.astype(np.int64))
    with pytest.raises(ValueError, match="keys"):
        dict_buffer.add({"input_ids": np.zeros(6)}, [0.0], 0.0, {"input_ids": np.zeros(6)}, False)

    text = spaces.Dict({"sentence_a": spaces.Text(50), "sentence_b": spaces.Text(50)})
    assert ReplayBuffer.for_spaces(text, action_space, 10).storage_kind == "object"
    assert ReplayBuffer.for_spaces(spaces.Text(20), action_space, 10).storage_kind == "object"


def test_same_seed_same_samples_and_state_round_trip():
    first = ReplayBuffer(capacity=30, action_dim=1, observation_shape=(3,), seed=7)
    second = ReplayBuffer(capacity=30, action_dim=1, observation_shape=(3,), seed=7)
    fill(first, 40)
    fill(second, 40)
    np.testing.assert_array_equal(first.sample(5).rewards, second.sample(5).rewards)

    state = first.state_dict()
    restored = ReplayBuffer(capacity=30, action_dim=1, observation_shape=(3,), seed=123)
    restored.load_state_dict(state)
    assert len(restored) == len(first) and restored.position == first.position
    for _ in range(3):
        a, b = first.sample(6), restored.sample(6)
        np.testing.assert_array_equal(a.rewards, b.rewards)
        np.testing.assert_array_equal(a.observations, b.observations)
    fill(first, 5, start=100)
    fill(restored, 5, start=100)
    np.testing.assert_array_equal(first.sample(10).actions, restored.sample(10).actions)
    # the state is a copy: later writes to the buffer do not change it
    assert state["rewards"].max() < 100


def test_errors_are_clear():
    buffer = ReplayBuffer(capacity=3, action_dim=2, observation_shape=(1,))
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(1)
    with pytest.raises(ValueError, match="2 values"):
        buffer.add([0.0], [1.0], 0.0, [0.0], False)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(capacity=0, action_dim=1)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(capacity=4, action_dim=2, observation_shape=(1,)).load_state_dict(buffer.state_dict())
    with pytest.raises(ValueError, match="object"):
        ReplayBuffer(capacity=3, action_dim=2).load_state_dict(buffer.state_dict())


def test_combined_replay_always_holds_the_newest_transitions_even_after_wrapping():
    buffer = ReplayBuffer(capacity=10, action_dim=1, observation_shape=(3,), seed=4)
    fill(buffer, 13)  # wrapped: holds 3..12, the newest at storage index 2
    for _ in range(20):
        batch = buffer.sample(6, newest=2)
        rewards = batch.rewards.tolist()
        assert rewards[:2] == [12.0, 11.0]
        assert len(set(rewards)) == 6 and set(rewards[2:]) <= set(map(float, range(3, 11)))
        for obs, reward in zip(batch.observations, batch.rewards):
            np.testing.assert_array_equal(obs, np.full(3, reward))


def test_combined_replay_visits_every_transition_when_updating_every_k_additions():
    buffer = ReplayBuffer(capacity=100, action_dim=1, observation_shape=(3,), seed=5)
    seen: set[float] = set()
    for start in range(0, 60, 4):
        fill(buffer, 4, start=start)
        seen.update(buffer.sample(8, newest=4).rewards.tolist())
    assert seen == set(map(float, range(60)))


def test_combined_replay_batch_shrinks_to_what_is_held_and_rejects_bad_counts():
    buffer = ReplayBuffer(capacity=10, action_dim=1, observation_shape=(3,), seed=6)
    fill(buffer, 3)
    assert sorted(buffer.sample(8, newest=1).rewards.tolist()) == [0.0, 1.0, 2.0]
    for newest in (-1, 4, 9):
        with pytest.raises(ValueError, match=r"newest must be in 1\.\.min\(batch_size, held\) = 3, got"):
            buffer.sample(8, newest=newest)
