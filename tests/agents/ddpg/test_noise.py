from __future__ import annotations

import numpy as np
import pytest

from agents.ddpg.noise import (
    DecaySchedule,
    GaussianNoise,
    OrnsteinUhlenbeckNoise,
    ZeroNoise,
    make_noise,
)


def test_gaussian_noise_has_zero_mean_and_std_sigma():
    noise = GaussianNoise(action_dim=2, sigma=0.3, seed=0)
    samples = np.stack([noise.sample() for _ in range(20_000)])
    assert samples.shape == (20_000, 2) and samples.dtype == np.float32
    assert np.all(np.abs(samples.mean(axis=0)) < 4 * 0.3 / np.sqrt(20_000))
    np.testing.assert_allclose(samples.std(axis=0), 0.3, rtol=0.03)
    assert noise.step == 20_000
    assert abs(np.corrcoef(samples[:-1, 0], samples[1:, 0])[0, 1]) < 0.05


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (DecaySchedule(), {0: 1.0, 10: 1.0, 10_000: 1.0}),
        (DecaySchedule("constant", final_scale=0.0, decay_steps=5), {0: 1.0, 100: 1.0}),
        (DecaySchedule("linear", 0.1, 100), {0: 1.0, 25: 0.775, 50: 0.55, 100: 0.1, 1000: 0.1}),
        (DecaySchedule("linear", 0.0, 4), {0: 1.0, 1: 0.75, 2: 0.5, 3: 0.25, 4: 0.0, 9: 0.0}),
        (DecaySchedule("exponential", 0.01, 100), {0: 1.0, 50: 0.1, 100: 0.01, 200: 0.01}),
        (DecaySchedule("exponential", 0.25, 2), {0: 1.0, 1: 0.5, 2: 0.25}),
    ],
)
def test_decay_schedule_values(schedule, expected):
    for step, value in expected.items():
        assert schedule.scale(step) == pytest.approx(value), step


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "cosine"}, "unknown decay schedule"),
        ({"kind": "linear", "final_scale": -0.1}, "final_scale"),
        ({"kind": "linear", "final_scale": float("nan")}, "final_scale"),
        ({"kind": "exponential", "final_scale": 0.0}, "exponential"),
        ({"kind": "linear", "final_scale": 0.5, "decay_steps": 0}, "decay_steps"),
    ],
)
def test_decay_schedule_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DecaySchedule(**kwargs)


def test_negative_step_is_rejected():
    with pytest.raises(ValueError, match="step"):
        DecaySchedule("linear", 0.5, 10).scale(-1)


def test_schedule_scales_the_samples_and_current_sigma():
    noise = GaussianNoise(1, sigma=2.0, schedule=DecaySchedule("linear", 0.0, 10), seed=1)
    assert noise.current_sigma == pytest.approx(2.0)
    reference = np.random.default_rng(1)
    for step in range(10):
        expected = 2.0 * (1 - step / 10) * reference.standard_normal(1)
        np.testing.assert_allclose(noise.sample(), expected, rtol=1e-6)
    assert noise.current_sigma == 0.0
    assert np.all(noise.sample() == 0.0)


def test_ou_noise_is_correlated_and_reset_clears_it():
    noise = OrnsteinUhlenbeckNoise(1, sigma=0.5, theta=0.15, dt=1e-2, seed=0)
    samples = np.array([noise.sample()[0] for _ in range(5000)])
    assert np.corrcoef(samples[:-1], samples[1:])[0, 1] > 0.9
    assert np.any(noise.state != 0)
    noise.reset()
    np.testing.assert_array_equal(noise.state, [0.0])
    # right after a reset the first sample is one small increment: sigma * sqrt(dt) * N(0, 1)
    first = noise.sample()
    assert abs(first[0]) < 0.5 * 0.1 * 5


def test_ou_noise_reaches_its_stationary_std():
    noise = OrnsteinUhlenbeckNoise(1, sigma=0.2, theta=0.5, dt=0.1, seed=3)
    for _ in range(500):
        noise.sample()
    samples = np.array([noise.sample()[0] for _ in range(40_000)])
    # discrete process: var = sigma^2 dt / (1 - (1 - theta dt)^2)
    expected = 0.2 * np.sqrt(0.1 / (1 - (1 - 0.05) ** 2))
    assert samples.std() == pytest.approx(expected, rel=0.1)


@pytest.mark.parametrize("kind", ["gaussian", "ou"])
def test_noise_state_round_trip(kind):
    noise = make_noise(kind, 2, 0.4, DecaySchedule("linear", 0.5, 50), seed=5)
    for _ in range(17):
        noise.sample()
    state = noise.state_dict()
    expected = [noise.sample() for _ in range(10)]
    restored = make_noise(kind, 2, 0.4, DecaySchedule("linear", 0.5, 50), seed=99)
    restored.load_state_dict(state)
    assert restored.step == 17
    for want in expected:
        np.testing.assert_array_equal(restored.sample(), want)


def test_make_noise_kinds_and_none():
    assert isinstance(make_noise("gaussian", 1, 0.1), GaussianNoise)
    assert isinstance(make_noise("ou", 1, 0.1), OrnsteinUhlenbeckNoise)
    zero = make_noise("none", 3, 0.7)
    assert isinstance(zero, ZeroNoise)
    np.testing.assert_array_equal(zero.sample(), np.zeros(3, np.float32))
    assert zero.current_sigma == 0.0
    with pytest.raises(ValueError, match="unknown noise kind"):
        make_noise("pink", 1, 0.1)
    with pytest.raises(ValueError, match="sigma"):
        GaussianNoise(1, -0.1)


def test_per_dimension_sigma():
    noise = GaussianNoise(2, sigma=np.array([0.0, 1.0]), seed=0)
    samples = np.stack([noise.sample() for _ in range(200)])
    assert np.all(samples[:, 0] == 0.0) and samples[:, 1].std() > 0.5
    np.testing.assert_array_equal(noise.current_sigma, [0.0, 1.0])
