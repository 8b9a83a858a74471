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
    ],
)
def test_validate_names_the_bad_setting(change, message):
    with pytest.raises(ValueError, match=message):
        CalibrationConfig(**change).validate()


def test_defaults_are_valid():
    CalibrationConfig().validate()
