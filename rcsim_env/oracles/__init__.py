"""Oracles: the judges that say how similar two sentences really are."""

from rcsim_env.oracles.base import Oracle, UnknownPairError, checked_judgement
from rcsim_env.oracles.dataset import DatasetOracle
from rcsim_env.oracles.mixed import MixedOracle
from rcsim_env.oracles.noise import PAPER_FIVE_LEVELS, SIX_POINT_LEVELS, AnnotatorNoise
from rcsim_env.oracles.replay import ReplayOracle
from rcsim_env.oracles.reward_model import EncoderEnsemble, RewardModel, RewardModelOracle
from rcsim_env.oracles.teacher import TeacherOracle

__all__ = [
    "PAPER_FIVE_LEVELS",
    "SIX_POINT_LEVELS",
    "AnnotatorNoise",
    "DatasetOracle",
    "EncoderEnsemble",
    "MixedOracle",
    "Oracle",
    "ReplayOracle",
    "RewardModel",
    "RewardModelOracle",
    "TeacherOracle",
    "UnknownPairError",
    "checked_judgement",
]
