"""Fixtures for calibration runs on the tiny encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.calibration.config import CalibrationConfig
from rcsim_env.config import dataclass_from_dict


@pytest.fixture
def tiny_run_config(tiny_model_dir: Path, shared_data_dir: Path, tmp_path: Path):
    """A factory of short calibration configs on the tiny encoder and the real STS-B files.

    Settings are given by field name, whichever nested config holds them (``output=``,
    ``batch_size=``, ``noise=``...).
    """

    def make(**overrides) -> CalibrationConfig:
        values = dict(
            encoder=str(tiny_model_dir),
            data_dir=str(shared_data_dir),
            queries=40,
            batch_size=8,
            learning_starts=8,
            train_every=4,
            eval_every=20,
            dev_pairs=40,
            checkpoint_every=0,
            device="cpu",
            show_progress=False,
            tensorboard=False,
            output=str(tmp_path / "run"),
        )
        values.update(overrides)
        return dataclass_from_dict(CalibrationConfig, values)

    return make


def flat_config(**settings) -> CalibrationConfig:
    """A calibration config from settings named as on the command line (``oracle="human"``)."""
    return dataclass_from_dict(CalibrationConfig, settings)
