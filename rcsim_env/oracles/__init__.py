"""Oracles: the judges that say how similar two sentences really are."""

from rcsim_env.oracles.base import Oracle, UnknownPairError, checked_judgement
from rcsim_env.oracles.dataset import DatasetOracle
from rcsim_env.oracles.noise import PAPER_FIVE_LEVELS, SIX_POINT_LEVELS, AnnotatorNoise
from rcsim_env.oracles.replay import ReplayOracle
from rcsim_env.oracles.teacher import TeacherOracle

__all__ = [
    "PAPER_FIVE_LEVELS",
    "SIX_POINT_LEVELS",
    "AnnotatorNoise",
    "DatasetOracle",
    "Oracle",
    "ReplayOracle",
    "TeacherOracle",
    "UnknownPairError",
    "checked_judgement",
]
