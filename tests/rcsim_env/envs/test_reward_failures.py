"""A reward function that fails never costs a second label: oracle calls == queries_used == answered queries.

Generated with hypothesis: reward functions that fail in every way (raise, return NaN, text, a
bool, None, a list, an integer too large for a float...) at any call, once or over and over,
with retries, resets and seeded resets between a failure and the next step, with and without
a label budget, through ``gymnasium.make``. The oracle counts its calls and sometimes skips.
"""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import rcsim_env
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import LabelBudgetExhaustedError, RCSimError, RewardError
from rcsim_env.rewards import checked_reward

POOL = [ScoredPair(f"sentence a {i}", f"sentence b {i}", float(i), f"p{i}") for i in range(5)]
KEY_OF = {pair.pair_id: (pair.sentence_a, pair.sentence_b) for pair in POOL}


class Boom(Exception):
    """An exception of the user's own."""


FAILURES: dict[str, object] = {
    "NaN": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "numpy NaN": np.float64("nan"),
    "text number": "0.5",
    "text": "high",
    "bytes": b"1",
    "None": None,
    "True": True,
    "numpy bool": np.bool_(False),
    "complex": complex(0.5, 0),
    "list": [0.5],
    "array": np.array([0.5]),
    "Decimal": Decimal("0.5"),
    "10**400": 10**400,
    "object": object(),
    "raises ValueError": ValueError("bad"),
    "raises ZeroDivisionError": ZeroDivisionError("division by zero"),
    "raises KeyError": KeyError("k"),
    "raises RuntimeError": RuntimeError("cuda"),
    "raises its own exception": Boom("mine"),
    "raises a package error": RCSimError("inner"),
}
FAILURE_KINDS = sorted(FAILURES)


class CountingOracle:
    """Answers each pair with its gold score (skipping pairs whose index is in ``skips``); counts calls."""

    nondeterministic = False

    def __init__(self, skips: frozenset[int]) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.answers: dict[tuple[str, str], float | None] = {}
        self.skips = skips

    def judge(self, sentence_a: str, sentence_b: str, *, rng=None) -> float | None:
        key = (sentence_a, sentence_b)
        self.calls[key] += 1
        index = next(i for i, pair in enumerate(POOL) if (pair.sentence_a, pair.sentence_b) == key)
        self.answers[key] = None if index in self.skips else POOL[index].score
        return self.answers[key]

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class ScheduledReward:
    """A reward function that fails as ``schedule`` says at each of its calls, then -|a - o|."""

    __name__ = "scheduled_reward"

    def __init__(self, schedule: list[str | None]) -> None:
        self.schedule = schedule
        self.calls = 0

    def __call__(self, agent_score: float, oracle_score: float) -> object:
        kind = self.schedule[self.calls] if self.calls < len(self.schedule) else None
        self.calls += 1
        if kind is None:
            return -abs(agent_score - oracle_score)
        value = FAILURES[kind]
        if isinstance(value, BaseException):
            raise value
        return value


# What each call of the reward function does (None: succeeds); at least one call fails.
SCHEDULES = st.lists(st.one_of(st.none(), st.sampled_from(FAILURE_KINDS)), min_size=1, max_size=30).filter(
    any
)
AFTER_FAILURE = st.sampled_from(["step again", "reset", "seeded reset"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schedule=SCHEDULES,
    skips=st.frozensets(st.integers(0, len(POOL) - 1), max_size=2),
    budget=st.sampled_from([None, 1, 4, 9]),
    episode_length=st.integers(1, 4),
    moves=st.lists(AFTER_FAILURE, max_size=40),
    actions=st.lists(st.floats(-1, 1, width=32), min_size=1, max_size=8),
)
def test_a_failing_reward_spends_each_label_once(
    schedule, skips, budget, episode_length, moves, actions
) -> None:
    oracle = CountingOracle(skips)
    reward = ScheduledReward(schedule)
    env = gym.make(
        rcsim_env.SENTENCE_SIMILARITY_ID,
        pairs=POOL,
        oracle=oracle,
        reward=reward,
        label_budget=budget,
        episode_length=episode_length,
    )
    inner = env.unwrapped
    rewarded: Counter[tuple[str, str]] = Counter()
    env.reset(seed=0)
    failures = 0
    for step in range(40):
        action = np.array([actions[step % len(actions)]], dtype=np.float32)
        calls_before = oracle.total
        try:
            _, value, _, truncated, info = env.step(action)
        except RewardError as error:
            failures += 1
            assert "scheduled_reward" in str(error) and "is kept" in str(error)
            move = moves[failures % len(moves)] if moves else "step again"
            if move != "step again":
                env.reset(seed=step if move == "seeded reset" else None)
        except LabelBudgetExhaustedError:
            assert budget is not None and inner.queries_used == budget
            assert oracle.total == calls_before  # refused before asking
            break
        else:
            key = KEY_OF[info["pair_id"]]
            rewarded[key] += 1
            assert info["skipped"] == (oracle.answers[key] is None)
            if not info["skipped"]:
                assert info["oracle_score"] == oracle.answers[key]  # the recorded answer, reused
                assert value == pytest.approx(-abs(info["agent_score"] - oracle.answers[key]))
            if truncated:
                env.reset()
        # every answered query is either rewarded or waiting, recorded, for its reward: never asked twice
        for key, calls in oracle.calls.items():
            assert calls - rewarded[key] in (0, 1), (key, calls, rewarded[key])
        assert oracle.total == inner.queries_used
        assert budget is None or inner.queries_used <= budget
    event(f"{failures} failed step(s)" if failures < 3 else "3+ failed steps")
    assert sum(rewarded.values()) > 0 or failures > 0 or budget == 0


@pytest.mark.parametrize("kind", FAILURE_KINDS)
def test_checked_reward_refuses_every_kind_of_failure_naming_the_function(kind: str) -> None:
    reward = ScheduledReward([kind])
    with pytest.raises(RewardError, match=r"scheduled_reward\(1\.0, 2\.0\)") as caught:
        checked_reward(reward, 1.0, 2.0)
    if isinstance(FAILURES[kind], BaseException):
        assert caught.value.__cause__ is FAILURES[kind]


@pytest.mark.parametrize(
    "value", [0.5, -3, np.float32(0.25), np.float64(-1.5), np.int64(2), 10**300, -0.0, 1e308]
)
def test_checked_reward_accepts_finite_real_numbers(value: object) -> None:
    assert checked_reward(lambda agent, oracle: value, 1.0, 2.0) == float(value)


@pytest.mark.parametrize("kind", ["NaN", "raises RuntimeError"])
def test_a_recorded_answer_survives_a_checkpoint(kind: str) -> None:
    def make(schedule: list[str | None]) -> tuple[gym.Env, CountingOracle]:
        oracle = CountingOracle(frozenset())
        env = gym.make(
            rcsim_env.SENTENCE_SIMILARITY_ID, pairs=POOL, oracle=oracle, reward=ScheduledReward(schedule)
        )
        env.reset(seed=3)
        return env, oracle

    env, oracle = make([kind])
    with pytest.raises(RewardError):
        env.step(np.zeros(1, np.float32))
    state = env.unwrapped.stream_state()
    restored, restored_oracle = make([])
    restored.unwrapped.load_stream_state(state)
    *_, info = restored.step(np.zeros(1, np.float32))
    assert restored_oracle.total == 0  # answered before the checkpoint: not asked again
    assert restored.unwrapped.queries_used == oracle.total == 1
    assert info["oracle_score"] == oracle.answers[KEY_OF[info["pair_id"]]]
