"""Sentence pairs as padded word-id tensors, the form the Siamese critic and the policy read."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from rcsim_env.data.pairs import ScoredPair, coerce_pair
from rcsim_env.encoders.words import PAD_ID, WordVocabulary, split_words


@dataclass
class PairTensors:
    """N sentence pairs as word ids, right-padded with :data:`~rcsim_env.encoders.words.PAD_ID`.

    Attributes:
        ids_a: (N, Ta) int64 word ids of the first sentences.
        lengths_a: (N,) int64 word counts of the first sentences (each >= 1).
        ids_b: (N, Tb) int64 word ids of the second sentences.
        lengths_b: (N,) int64 word counts of the second sentences.
        labels: (N,) float32 labels in [0, 1] (1 = same meaning).
        words_a: the first sentences' words (after the ``max_words`` cut), for display.
        words_b: the second sentences' words.
    """

    ids_a: torch.Tensor
    lengths_a: torch.Tensor
    ids_b: torch.Tensor
    lengths_b: torch.Tensor
    labels: torch.Tensor
    words_a: list[list[str]]
    words_b: list[list[str]]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def select(self, index: torch.Tensor) -> PairTensors:
        """The pairs at ``index`` (a 1-D int64 tensor), padding trimmed to the longest selected sentence."""
        rows = index.tolist()
        len_a, len_b = self.lengths_a[index], self.lengths_b[index]
        return PairTensors(
            self.ids_a[index][:, : int(len_a.max())],
            len_a,
            self.ids_b[index][:, : int(len_b.max())],
            len_b,
            self.labels[index],
            [self.words_a[i] for i in rows],
            [self.words_b[i] for i in rows],
        )


def _pad(rows: Sequence[list[int]]) -> torch.Tensor:
    width = max(len(row) for row in rows)
    out = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def encode_pairs(
    pairs: Sequence[ScoredPair | tuple | dict],
    vocabulary: WordVocabulary,
    label_scale: float = 1.0,
    max_words: int = 30,
) -> PairTensors:
    """Split, cut and look up ``pairs``; labels become ``score / label_scale``.

    Expects pairs with gold scores in ``[0, label_scale]`` (MRPC: scale 1; STS-B: 5), at
    least one pair, and ``max_words >= 1``: each sentence keeps its first ``max_words``
    words (the paper cut its inputs at 30). Bad sentences raise
    :class:`~rcsim_env.errors.InvalidSentenceError`; missing or out-of-range scores ValueError.
    """
    if not pairs:
        raise ValueError("no pairs to encode; pass at least one sentence pair")
    if not (math.isfinite(label_scale) and label_scale > 0):
        raise ValueError(f"label_scale must be a finite positive number, got {label_scale}")
    if int(max_words) < 1:
        raise ValueError(f"max_words must be at least 1, got {max_words}")
    checked = [coerce_pair(item, i) for i, item in enumerate(pairs)]
    labels = []
    for i, pair in enumerate(checked):
        if pair.score is None or not 0.0 <= pair.score <= label_scale:
            raise ValueError(f"pairs[{i}] needs a score in [0, {label_scale}], got {pair.score}")
        labels.append(pair.score / label_scale)
    words_a = [split_words(p.sentence_a)[:max_words] for p in checked]
    words_b = [split_words(p.sentence_b)[:max_words] for p in checked]
    return PairTensors(
        _pad([vocabulary.ids(w) for w in words_a]),
        torch.tensor([len(w) for w in words_a], dtype=torch.long),
        _pad([vocabulary.ids(w) for w in words_b]),
        torch.tensor([len(w) for w in words_b], dtype=torch.long),
        torch.tensor(labels, dtype=torch.float32),
        words_a,
        words_b,
    )


def minibatches(
    size: int, batch_size: int, generator: torch.Generator | None = None
) -> Iterator[torch.Tensor]:
    """Yield index tensors covering ``range(size)`` in batches; shuffled when a ``generator`` is given."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = torch.randperm(size, generator=generator) if generator is not None else torch.arange(size)
    yield from order.split(batch_size)
