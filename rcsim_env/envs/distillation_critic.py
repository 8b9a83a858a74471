"""The distillation environment's default critic: averaged word vectors, nothing to train.

``RCSim/SentenceDistillation-v0`` needs a critic (see
:class:`~rcsim_env.envs.distillation.DistillationCritic`). Learned critics (the Siamese
co-attention LSTM) live with the agents; this one makes the environment usable on its own:
a sentence is judged by the mean of its kept words' unit vectors, the classic
averaged-word-vectors baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.words import WordVocabulary, encoder_word_vectors, split_words


class AveragedWordVectorCritic:
    """Judge a pair by the L1 distance between the means of its words' unit vectors.

    Word vectors are the mean of each word's wordpiece rows in the encoder's input embeddings,
    scaled to unit length; an unknown word shares the unknown-word row
    (:data:`~rcsim_env.encoders.words.UNK_ID`), and an all-zero row stays zero. The "first layer"
    the environment's observation shows is a running state over the kept words: the cell is the sum
    of their vectors (each entry bounded by the word count) and the hidden state is that sum's
    direction (unit length, or zero).

    Args:
        vocabulary: the known words.
        vectors: (len(vocabulary), E) word vectors whose rows follow ``vocabulary``.
    """

    def __init__(self, vocabulary: WordVocabulary, vectors: np.ndarray):
        vectors = np.asarray(vectors, dtype=np.float64)
        if vectors.ndim != 2 or vectors.shape[0] != len(vocabulary):
            raise ValueError(f"need one vector row per word ({len(vocabulary)}), got shape {vectors.shape}")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self._vectors = np.where(norms > 0, vectors / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
        self.vocabulary = vocabulary
        self.hidden_size = self.word_dim = int(vectors.shape[1])
        self.word_bound = 1.0

    @classmethod
    def from_pairs(cls, pairs: Sequence[ScoredPair], encoder: object = None) -> AveragedWordVectorCritic:
        """The critic over every word of ``pairs``, vectors from ``encoder`` (a SentenceEncoder, a
        folder or hub id, or None for the bundled all-MiniLM-L6-v2)."""
        from rcsim_env.encoders import SentenceEncoder

        if not isinstance(encoder, SentenceEncoder):
            encoder = SentenceEncoder.from_pretrained(encoder, device="cpu")
        vocabulary = WordVocabulary.from_sentences(
            s for pair in pairs for s in (pair.sentence_a, pair.sentence_b)
        )
        return cls(vocabulary, encoder_word_vectors(vocabulary, encoder).numpy())

    def split_words(self, sentence: str) -> list[str]:
        """The words of ``sentence`` (:func:`~rcsim_env.encoders.words.split_words`)."""
        return split_words(sentence)

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """(len(words), E) float32 unit vectors of ``words`` (unknown words share the unknown-word row)."""
        return self._vectors[self.vocabulary.ids(list(words))].reshape(len(words), self.word_dim)

    def first_layer_step(
        self, vector: np.ndarray, hidden: np.ndarray, cell: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add one word's vector to the running sum (the cell); the hidden state is its direction."""
        total = np.asarray(cell, dtype=np.float32) + np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(total))
        direction = total / norm if norm > 0 else np.zeros_like(total)
        return direction.astype(np.float32), total.astype(np.float32)

    def _mean(self, words: Sequence[str]) -> np.ndarray:
        return self.word_vectors(words).mean(axis=0) if len(words) else np.zeros(self.word_dim, np.float32)

    def distance(self, words_a: Sequence[str], words_b: Sequence[str]) -> float:
        """||mean(a) - mean(b)||_1 >= 0 (an empty word list is the zero vector)."""
        return float(np.abs(self._mean(words_a) - self._mean(words_b)).sum())
