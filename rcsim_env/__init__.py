"""rcsim_env: sentence-pair similarity judgement as a reinforcement-learning problem.

Importing this package registers the Gymnasium environments ``RCSim/SentenceSimilarity-v0`` and
``RCSim/SentenceDistillation-v0``; ``gymnasium.make("rcsim_env:RCSim/SentenceSimilarity-v0")``
imports it for you. It also makes forked worker processes (an ``AsyncVectorEnv`` or SB3's
``SubprocVecEnv`` with the ``fork`` start method) run torch with one intra-op thread, so that they
cannot deadlock in OpenMP: see :mod:`rcsim_env.fork_safety`.
"""

from __future__ import annotations

import gymnasium

from rcsim_env import fork_safety  # noqa: F401  (registers the fork hook)

__version__ = "0.1.0"

SENTENCE_SIMILARITY_ID = "RCSim/SentenceSimilarity-v0"
SENTENCE_DISTILLATION_ID = "RCSim/SentenceDistillation-v0"


def _register() -> None:
    if SENTENCE_SIMILARITY_ID not in gymnasium.registry:
        gymnasium.register(
            id=SENTENCE_SIMILARITY_ID,
            entry_point="rcsim_env.envs.similarity:SentenceSimilarityEnv",
            nondeterministic=False,
        )
    if SENTENCE_DISTILLATION_ID not in gymnasium.registry:
        gymnasium.register(
            id=SENTENCE_DISTILLATION_ID,
            entry_point="rcsim_env.envs.distillation:SentenceDistillationEnv",
            nondeterministic=False,
        )


_register()

__all__ = ["SENTENCE_DISTILLATION_ID", "SENTENCE_SIMILARITY_ID", "__version__"]
