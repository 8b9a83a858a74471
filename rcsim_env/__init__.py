"""rcsim_env: sentence-pair similarity judgement as a reinforcement-learning problem.

Importing this package registers the Gymnasium environments ``RCSim/SentenceSimilarity-v0`` and
``RCSim/SentenceDistillation-v0``; ``gymnasium.make("rcsim_env:RCSim/SentenceSimilarity-v0")``
imports it for you.
"""

from __future__ import annotations

import gymnasium

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
