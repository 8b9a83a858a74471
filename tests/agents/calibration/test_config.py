import pytest

from agents.calibration.config import CalibrationConfig


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"agent": "ppo"}, "agent must be one of"),
        ({"oracle": "crowd"}, "oracle must be one of"),
        ({"oracle": "replay"}, "needs --labels"),
        ({"queries": 0}, "queries must be at least 1"),
        ({"eval_every": -1}, "eval_every must be >= 0"),
        ({"exploration": -0.1}, "exploration must be in"),
        ({"encoder_lr": 0.0}, "encoder_lr must be > 0"),
        ({"gamma": 1.0}, "gamma must be in"),
        ({"td_loss": "huber"}, "td_loss must be one of"),
        ({"gamma": 0.5}, "--td-loss root compares one-step rewards"),
        ({"gamma": 0.5, "td_loss": "distance"}, "--td-loss distance compares one-step rewards"),
        ({"lr_decay": "cosine"}, "lr_decay must be one of"),
        ({"replay_newest": -1}, "replay_newest must be >= 0"),
        ({"replay_newest": 17, "batch_size": 16}, r"replay_newest must be at most batch_size \(16\)"),
    ],
)
def test_validate_names_the_bad_setting(change, message):
    with pytest.raises(ValueError, match=message):
        CalibrationConfig(**change).validate()


def test_defaults_are_valid():
    CalibrationConfig().validate()


@pytest.mark.parametrize(
    ("settings", "updates"),
    [
        ({}, 235),  # multiples of 4 from 64 to 1000
        ({"queries": 250}, 47),
        ({"queries": 10, "learning_starts": 0, "batch_size": 4}, 2),  # at queries 4 and 8
        ({"queries": 100, "learning_starts": 10, "batch_size": 16, "gradient_steps": 3}, 3 * 22),
        ({"queries": 50, "learning_starts": 64}, 0),
    ],
)
def test_planned_updates_counts_the_learning_phases(settings, updates):
    assert CalibrationConfig(**settings).planned_updates() == updates
