"""Algorithms and runs that judge sentence pairs in the rcsim environments, and calibrate encoders.

``agents.calibrate(pool="my_pairs.tsv", queries=500, output="runs/mine")`` is the one-call way
to calibrate an encoder; the commands (``rcsim calibrate``, ``pretrain``, ``distill``, ``demo``)
are the same code.
"""

from agents.baselines import CosineAgent, RandomAgent
from agents.calibration.api import CalibrationFailedError, calibrate

__all__ = ["CalibrationFailedError", "CosineAgent", "RandomAgent", "calibrate"]
