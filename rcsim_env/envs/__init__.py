"""Gymnasium environments of rcsim.

Importing this package makes forked worker processes (Gymnasium's ``AsyncVectorEnv`` with the
default ``fork`` start method) run torch with one intra-op thread: see
:mod:`rcsim_env.envs.fork_safety`.
"""

from rcsim_env.envs import fork_safety  # noqa: F401  (registers the fork hook)
from rcsim_env.envs.distillation import SentenceDistillationEnv
from rcsim_env.envs.similarity import SentenceSimilarityEnv, action_to_score, score_to_action

__all__ = ["SentenceDistillationEnv", "SentenceSimilarityEnv", "action_to_score", "score_to_action"]
