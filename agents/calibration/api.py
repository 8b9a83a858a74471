"""Calibrating an encoder from Python in one call: ``agents.calibrate(pool="my_pairs.tsv", ...)``."""

from __future__ import annotations

from typing import Any

from agents.calibration.config import CalibrationConfig
from agents.calibration.trainer import CalibrationRun
from agents.runs.lifecycle import EXIT_DONE
from rcsim_env.config import dataclass_from_dict
from rcsim_env.errors import RCSimError


class CalibrationFailedError(RCSimError, RuntimeError):
    """A calibration ended without exporting an encoder; the message says why and where its report is."""


def calibrate(overwrite: bool = False, **settings: Any) -> CalibrationRun:
    """Run ``rcsim calibrate`` with ``settings`` named as its options (``pool="pairs.tsv"``,
    ``queries=500``, ``noise="rounded"``, ``output="runs/mine"``...) and return the finished run.

    The calibrated encoder is in ``run.folder.model_dir`` (``SentenceTransformer(str(...))``
    loads it) and in memory as ``run.encoder``; ``run.report_data`` is its report. An unknown
    setting is a ValueError listing the known ones. Raises :class:`CalibrationFailedError` when
    the run stopped (diverged, or interrupted by Ctrl-C: resume it with ``rcsim calibrate
    --resume``).
    """
    config = dataclass_from_dict(CalibrationConfig, settings, strict=True)
    run = CalibrationRun(config, overwrite=overwrite)
    status = run.run()
    if status != EXIT_DONE:
        error = run.report_data.get("error", f"status {run.report_data.get('status')}")
        raise CalibrationFailedError(f"the calibration stopped ({error}); see {run.folder.report_path}")
    return run
