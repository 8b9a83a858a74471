"""Reference similarities without training: averaged word vectors and TF-IDF, both by cosine."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch

from rcsim_env.encoders.words import WordVocabulary, split_words


def _cosines(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two (N, D) arrays; a zero row gives 0."""
    norms = np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1)
    dots = np.sum(first * second, axis=1)
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


def mean_vector_cosines(
    pairs: Sequence[tuple[str, str]], vocabulary: WordVocabulary, vectors: torch.Tensor
) -> np.ndarray:
    """Cosine of the two sentences' mean word vectors, for each ``(sentence_a, sentence_b)``.

    ``vectors`` (len(vocabulary), E) are the word vectors (unknown words use the unknown
    row). Returns a float64 array of ``len(pairs)``.
    """
    table = vectors.detach().double().cpu().numpy()

    def mean(sentence: str) -> np.ndarray:
        return table[vocabulary.ids(split_words(sentence))].mean(axis=0)

    first = np.stack([mean(a) for a, _ in pairs]) if pairs else np.zeros((0, table.shape[1]))
    second = np.stack([mean(b) for _, b in pairs]) if pairs else np.zeros((0, table.shape[1]))
    return _cosines(first, second)


def tfidf_cosines(pairs: Sequence[tuple[str, str]], corpus: Sequence[str]) -> np.ndarray:
    """Cosine of the two sentences' TF-IDF vectors, for each ``(sentence_a, sentence_b)``.

    Term frequency = count of the word in the sentence; idf = log((1 + n) / (1 + df)) + 1
    with document frequencies df over ``corpus`` (the training sentences; n of them).
    Words are those of :func:`~rcsim_env.encoders.words.split_words`. Returns float64.
    """
    documents = len(corpus)
    frequency = Counter(word for sentence in corpus for word in set(split_words(sentence)))

    def weights(sentence: str) -> dict[str, float]:
        counts = Counter(split_words(sentence))
        return {
            w: c * (math.log((1 + documents) / (1 + frequency.get(w, 0))) + 1.0) for w, c in counts.items()
        }

    out = np.zeros(len(pairs))
    for i, (a, b) in enumerate(pairs):
        first, second = weights(a), weights(b)
        dot = sum(value * second.get(word, 0.0) for word, value in first.items())
        norm = math.sqrt(sum(v * v for v in first.values())) * math.sqrt(sum(v * v for v in second.values()))
        out[i] = dot / norm if norm > 0 else 0.0
    return out
