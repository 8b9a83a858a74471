"""Sentence distillation (Chen et al. 2020): a keep/drop policy in front of a Siamese co-attention LSTM.

- :mod:`~rcsim_env.encoders.words`: words, the vocabulary and word vectors;
- :mod:`~agents.distillation.data`: pairs as padded word-id tensors;
- :mod:`~agents.distillation.siamese`: the critic and its pure pieces (co-attention,
  regularisers, Manhattan similarity, contrastive loss);
- :mod:`~agents.distillation.policy`: the policy, REINFORCE, the soft update, pretraining targets;
- :mod:`~agents.distillation.rollout`: walking sentences word by word;
- :mod:`~agents.distillation.trainer` and :mod:`~agents.distillation.config`: the schedule;
- :mod:`~agents.distillation.env_critic`: the critic as ``RCSim/SentenceDistillation-v0`` sees it.
"""

from agents.distillation.config import DistillationConfig
from agents.distillation.data import PairTensors, encode_pairs
from agents.distillation.env_critic import SiameseEnvCritic, untrained_critic
from agents.distillation.policy import KeepDropPolicy, SoftUpdatedPolicy
from agents.distillation.siamese import SiameseLSTM
from agents.distillation.trainer import DistillationTrainer, Prediction
from rcsim_env.encoders.words import WordVocabulary, encoder_word_vectors, split_words

__all__ = [
    "DistillationConfig",
    "DistillationTrainer",
    "KeepDropPolicy",
    "PairTensors",
    "Prediction",
    "SiameseEnvCritic",
    "SiameseLSTM",
    "SoftUpdatedPolicy",
    "WordVocabulary",
    "encode_pairs",
    "encoder_word_vectors",
    "split_words",
    "untrained_critic",
]
