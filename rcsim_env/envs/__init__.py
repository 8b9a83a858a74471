"""Gymnasium environments of rcsim (importing ``rcsim_env`` registers their ids)."""

from rcsim_env.envs.distillation import SentenceDistillationEnv
from rcsim_env.envs.similarity import SentenceSimilarityEnv, action_to_score, score_to_action

__all__ = ["SentenceDistillationEnv", "SentenceSimilarityEnv", "action_to_score", "score_to_action"]
