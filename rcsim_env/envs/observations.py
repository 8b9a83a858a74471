"""What the agent sees of a sentence pair: raw text, token ids, or sentence embeddings.

Each observer owns its Gymnasium space and turns a pair index into an observation
that is a member of that space. Observations are new objects on every call.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np
from gymnasium import spaces

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.sentence_encoder import SentenceEncoder


class TextObserver:
    """Observations ``{"sentence_a": str, "sentence_b": str}``.

    The ``Text`` spaces' charset is printable ASCII plus every character that occurs
    in the pool, and their maximum length is the pool's longest sentence, so every
    pool sentence is a member (Gymnasium's default charset admits letters and digits only).
    """

    def __init__(self, pairs: Sequence[ScoredPair]):
        self.pairs = pairs
        sentences = [s for p in pairs for s in (p.sentence_a, p.sentence_b)]
        charset = set(string.printable) | {c for s in sentences for c in s}
        text = spaces.Text(
            min_length=1, max_length=max(len(s) for s in sentences), charset=frozenset(charset)
        )
        self.space = spaces.Dict({"sentence_a": text, "sentence_b": text})

    def observe(self, index: int, upcoming: Sequence[int] = ()) -> dict[str, str]:
        """The pair's two sentences."""
        pair = self.pairs[index]
        return {"sentence_a": pair.sentence_a, "sentence_b": pair.sentence_b}


class TokenObserver:
    """Observations as a ``Dict`` of four int64 ``Box``es of fixed length ``length``.

    Keys ``input_ids_a``, ``attention_mask_a``, ``input_ids_b``, ``attention_mask_b``;
    sentences are padded with the tokenizer's pad id and truncated to ``length`` tokens
    (special tokens included). Stable-baselines3's ``MultiInputPolicy`` reads this space.
    """

    def __init__(self, pairs: Sequence[ScoredPair], tokenizer, length: int = 128):
        if length < 2:
            raise ValueError(f"token length must be at least 2, got {length}")
        self.pairs = pairs
        self.tokenizer = tokenizer
        self.length = int(length)
        ids = spaces.Box(0, len(tokenizer) - 1, shape=(self.length,), dtype=np.int64)
        mask = spaces.Box(0, 1, shape=(self.length,), dtype=np.int64)
        self.space = spaces.Dict(
            {"input_ids_a": ids, "attention_mask_a": mask, "input_ids_b": ids, "attention_mask_b": mask}
        )

    def observe(self, index: int, upcoming: Sequence[int] = ()) -> dict[str, np.ndarray]:
        """Token ids and attention masks of the pair, each of shape (length,)."""
        pair = self.pairs[index]
        batch = self.tokenizer(
            [pair.sentence_a, pair.sentence_b],
            padding="max_length",
            truncation=True,
            max_length=self.length,
            return_tensors="np",
        )
        ids = batch["input_ids"].astype(np.int64)
        mask = batch["attention_mask"].astype(np.int64)
        return {
            "input_ids_a": ids[0],
            "attention_mask_a": mask[0],
            "input_ids_b": ids[1],
            "attention_mask_b": mask[1],
        }


class EmbeddingObserver:
    """Observations as one float32 vector ``[unit(e_a); unit(e_b)]`` of length ``2 * dim``, in [-1, 1].

    Their dot product is the encoder's cosine similarity. Embeddings are computed in
    batches: when a pair is not cached, it is encoded together with up to
    ``chunk_size - 1`` of the pairs the environment will show next, so a pass over the
    pool costs about as much as encoding it in one batched call.
    """

    def __init__(
        self,
        pairs: Sequence[ScoredPair],
        encoder: SentenceEncoder,
        chunk_size: int = 512,
        batch_size: int = 64,
    ):
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        self.pairs = pairs
        self.encoder = encoder
        self.chunk_size = int(chunk_size)
        self.batch_size = int(batch_size)
        self.dim = encoder.dim
        self._cache = np.zeros((len(pairs), 2 * self.dim), dtype=np.float32)
        self._cached = np.zeros(len(pairs), dtype=bool)
        self.space = spaces.Box(-1.0, 1.0, shape=(2 * self.dim,), dtype=np.float32)

    def precompute(self, show_progress: bool = False) -> None:
        """Encode every pair of the pool now (one batched pass)."""
        self._encode([i for i in range(len(self.pairs)) if not self._cached[i]], show_progress=show_progress)

    def _encode(self, indices: Sequence[int], show_progress: bool = False) -> None:
        if not indices:
            return
        sentences = [self.pairs[i].sentence_a for i in indices] + [self.pairs[i].sentence_b for i in indices]
        vectors = self.encoder.encode(
            sentences, batch_size=self.batch_size, normalize=True, show_progress=show_progress
        )
        n = len(indices)
        self._cache[indices] = np.clip(np.concatenate([vectors[:n], vectors[n:]], axis=1), -1.0, 1.0)
        self._cached[indices] = True

    def observe(self, index: int, upcoming: Sequence[int] = ()) -> np.ndarray:
        """The pair's unit embeddings, concatenated; encodes a chunk of ``upcoming`` pairs when needed."""
        if not self._cached[index]:
            chunk = [index] + [i for i in dict.fromkeys(upcoming) if i != index and not self._cached[i]]
            self._encode(chunk[: self.chunk_size])
        return self._cache[index].copy()
