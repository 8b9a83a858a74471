import math

import numpy as np
import pytest

from rcsim_env.errors import RewardError
from rcsim_env.rewards import (
    checked_reward,
    get_reward_fn,
    negative_absolute_error,
    negative_squared_error,
    paper_reward,
)


def test_paper_reward_hand_computed():
    # agent 0.55, oracle 0.5 on the 0-1 scale: 1 - 100 * 0.05^2 = 0.75
    assert paper_reward(2.75, 2.5) == pytest.approx(0.75)
    # 0.3 apart: 1 - 100 * 0.09 = -8, divided by 10 -> -0.8
    assert paper_reward(4.0, 2.5) == pytest.approx(-0.8)
    assert paper_reward(3.0, 3.0) == pytest.approx(1.0)
    # the extreme: 1 - 100 = -99 -> -9.9
    assert paper_reward(0.0, 5.0) == pytest.approx(-9.9)


def test_error_rewards_hand_computed():
    assert negative_absolute_error(1.0, 3.5) == pytest.approx(-0.5)
    assert negative_squared_error(1.0, 3.5) == pytest.approx(-0.25)
    assert negative_squared_error(2.0, 2.0) == 0.0


def test_reward_lookup_and_callables():
    assert get_reward_fn("paper") is paper_reward
    custom = lambda a, o: -abs(a - o)  # noqa: E731
    assert get_reward_fn(custom) is custom
    with pytest.raises(ValueError, match="unknown reward 'huber'"):
        get_reward_fn("huber")


@pytest.mark.parametrize("bad", [math.nan, math.inf, "high", "0.5", None, True, np.bool_(True), 10**400])
def test_a_user_reward_returning_garbage_is_named(bad):
    def my_reward(agent, oracle):
        return bad

    with pytest.raises(RewardError, match="my_reward"):  # a ValueError
        checked_reward(my_reward, 1.0, 2.0)


def test_a_user_reward_that_raises_is_named_and_chained():
    def my_reward(agent, oracle):
        return 1 / 0

    with pytest.raises(RewardError, match=r"my_reward\(1\.0, 2\.0\) raised ZeroDivisionError") as caught:
        checked_reward(my_reward, 1.0, 2.0)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
