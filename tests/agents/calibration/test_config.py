import pytest

from agents.calibration.config import CalibrationConfig
from rcsim_env.errors import UnknownNameError

from .conftest import flat_config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"agent": "ppo"}, "unknown agent 'ppo'; known: rc-ddpg, paper-rlhf"),
        ({"oracle": "crowd"}, "unknown oracle 'crowd'; known: dataset, teacher, replay, human"),
        ({"noise": "loud"}, "unknown annotator noise preset 'loud'; known: mild"),
        ({"oracle": "replay"}, "needs --labels"),
        ({"oracle": "teacher"}, "needs --teacher"),
        ({"queries": 0}, "queries must be at least 1"),
        ({"eval_every": -1}, "eval_every must be >= 0"),
        ({"dev_split": 1.0}, r"dev_split must be in \[0, 1\)"),
        ({"dev_pairs": -1}, "dev_pairs must be >= 0"),
        ({"encoder_lr": 0.0}, "encoder_lr must be > 0"),
        ({"gamma": 1.0, "td_loss": "mse"}, "gamma must be in"),
        ({"td_loss": "huber"}, "td_loss must be one of"),
        ({"gamma": 0.5}, "--td-loss root compares one-step rewards"),
        ({"gamma": 0.5, "td_loss": "distance"}, "--td-loss distance compares one-step rewards"),
        ({"lr_decay": "cosine"}, "lr_decay must be one of"),
        ({"queries": 50}, r"rc-ddpg would learn nothing: its first update comes after 64 queries"),
        ({"queries": 10, "learning_starts": 0}, r"first update comes after 16 queries \(.*--batch-size 16\)"),
    ],
)
def test_validate_names_the_bad_setting(change, message):
    with pytest.raises(ValueError, match=message):
        flat_config(**change).validate()


def test_unknown_names_are_unknown_name_errors():
    with pytest.raises(UnknownNameError):
        flat_config(oracle="crowd").validate()


def test_defaults_are_valid_and_the_paper_update_needs_no_learning_start():
    CalibrationConfig().validate()
    flat_config(agent="paper-rlhf", queries=5).validate()


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
    assert flat_config(**settings).planned_updates() == updates


def test_the_learner_gets_the_run_derived_ddpg_settings():
    config = flat_config(queries=300, seed=7, lr_decay="linear", batch_size=8, learning_starts=4)
    ddpg = config.learner_ddpg()
    assert ddpg.buffer_size == 300 and ddpg.noise_decay_steps == 300 and ddpg.seed == 7
    assert ddpg.learning_starts == 8 and ddpg.lr_decay_updates == config.planned_updates() > 0
    assert ddpg.gamma == 0.0 and ddpg.noise_sigma == 4.0  # the calibration defaults, not DDPG's
