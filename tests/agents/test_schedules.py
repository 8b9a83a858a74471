import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.schedules import lr_factor, warmup_linear


def test_warmup_linear_rises_then_falls_to_zero():
    assert [warmup_linear(s, 2, 6) for s in range(7)] == pytest.approx([0, 0.5, 1, 0.75, 0.5, 0.25, 0])
    assert warmup_linear(0, 0, 4) == 1.0 and warmup_linear(4, 0, 4) == 0.0


def test_constant_schedule_warms_up_then_stays():
    assert [lr_factor(s, 2, 6, "constant") for s in range(7)] == pytest.approx([0, 0.5, 1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="cosine"):
        lr_factor(0, 0, 4, "cosine")


@given(st.integers(0, 500), st.integers(0, 50), st.integers(1, 500), st.sampled_from(["constant", "linear"]))
def test_factors_stay_between_zero_and_one(step, warmup, total, schedule):
    assert 0.0 <= lr_factor(step, warmup, total, schedule) <= 1.0
