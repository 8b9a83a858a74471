"""A :class:`SiameseLSTM` seen through the environment's ``DistillationCritic`` protocol (NumPy in, out)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from agents.distillation.siamese import SiameseLSTM
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.sentence_encoder import eval_mode
from rcsim_env.encoders.words import (
    PAD_ID,
    WordVocabulary,
    encoder_word_vectors,
    split_words,
)


class SiameseEnvCritic:
    """Serve ``RCSim/SentenceDistillation-v0`` from a Siamese critic and its vocabulary.

    Every call runs without gradients on the model's device and returns NumPy arrays or
    floats; the model is shared, not copied, so a critic trained elsewhere is seen as it
    is now. Words outside the vocabulary get the unknown-word vector.

    Args:
        model: the Siamese critic.
        vocabulary: the word table its embedding rows follow.
    """

    def __init__(self, model: SiameseLSTM, vocabulary: WordVocabulary):
        if len(vocabulary) != model.embedding.num_embeddings:
            raise ValueError(
                f"the vocabulary has {len(vocabulary)} words, "
                f"the model {model.embedding.num_embeddings} embedding rows"
            )
        self.model = model
        self.vocabulary = vocabulary
        self.hidden_size = model.hidden_size
        self.word_dim = model.word_dim

    @property
    def word_bound(self) -> float:
        """The largest absolute entry of the word vectors as they are now (at least 1e-6)."""
        return max(float(self.model.embedding.weight.detach().abs().max()), 1e-6)

    @property
    def _device(self) -> torch.device:
        return next(self.model.parameters()).device

    def split_words(self, sentence: str) -> list[str]:
        """The words of ``sentence`` (:func:`~rcsim_env.encoders.words.split_words`)."""
        return split_words(sentence)

    @torch.no_grad()
    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """(len(words), E) float32 vectors of ``words``."""
        ids = torch.tensor(self.vocabulary.ids(list(words)), dtype=torch.long, device=self._device)
        return self.model.embedding(ids).float().cpu().numpy()

    @torch.no_grad()
    def first_layer_step(
        self, vector: np.ndarray, hidden: np.ndarray, cell: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """One word (E,) through the first LSTM layer from state (hidden, cell), each (H,)."""

        def tensor(array: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.asarray(array, dtype=np.float32), device=self._device).unsqueeze(0)

        new_hidden, new_cell = self.model.first_layer_step(tensor(vector), tensor(hidden), tensor(cell))
        return new_hidden[0].cpu().numpy(), new_cell[0].cpu().numpy()

    @torch.no_grad()
    def distance(self, words_a: Sequence[str], words_b: Sequence[str]) -> float:
        """||h_a - h_b||_1 of two word lists (an empty list is judged as the zero vector)."""

        def batch(words: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
            ids = self.vocabulary.ids(list(words)) or [PAD_ID]
            return (
                torch.tensor([ids], dtype=torch.long, device=self._device),
                torch.tensor([len(words)], dtype=torch.long, device=self._device),
            )

        with eval_mode(self.model):
            return float(self.model(*batch(words_a), *batch(words_b)).distance[0])


def untrained_critic(
    pairs: Sequence[ScoredPair],
    encoder: object = None,
    hidden_size: int = 32,
    matrices: int = 3,
    seed: int = 0,
) -> SiameseEnvCritic:
    """A fresh critic over the words of ``pairs``, word vectors from ``encoder``'s input embeddings.

    ``encoder``: a :class:`~rcsim_env.encoders.SentenceEncoder`, a model folder or hub id,
    or None for the bundled all-MiniLM-L6-v2. The LSTM and the weighting matrices are
    drawn with ``seed`` without touching the global torch random state.
    """
    from rcsim_env.encoders import SentenceEncoder

    if not isinstance(encoder, SentenceEncoder):
        encoder = SentenceEncoder.from_pretrained(encoder, device="cpu")
    sentences = [s for pair in pairs for s in (pair.sentence_a, pair.sentence_b)]
    vocabulary = WordVocabulary.from_sentences(sentences)
    vectors = encoder_word_vectors(vocabulary, encoder)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SiameseLSTM(vectors, hidden_size=hidden_size, matrices=matrices)
    model.eval()
    return SiameseEnvCritic(model, vocabulary)
