"""The Siamese critic of Chen et al. (2020): a shared two-layer LSTM, co-attention with n matrices,
the Manhattan similarity exp(-||h_a - h_b||_1) and a contrastive loss.

The core pieces are pure functions on tensors (:func:`masked_softmax`,
:func:`co_attention_weights`, :func:`attend`, :func:`frobenius_penalty`,
:func:`scatter_penalty`, :func:`manhattan_distance`, :func:`contrastive_loss`);
:class:`SiameseLSTM` wires them together.

Co-attention (the paper's section 2.3): with the second LSTM layer's states of the two
sentences stacked as rows, H_a (T_a x H) and H_b (T_b x H), each weighting matrix W_k
(H x H) gives the T_a x T_b matrix M_k = H_a W_k H_b^T; the sums of its rows, through a
softmax over the positions of sentence a, weight a's states, and the sums of its
columns weight b's. Padding positions take no part in the sums and get weight 0.
Sentence a's vector is the n weighted sums of its states concatenated, each divided by
n, so that ||h_a - h_b||_1 is the mean over the matrices of each one's L1 distance and
the similarity's scale does not grow with n.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rcsim_env.encoders.words import PAD_ID

REGULARISERS = ("frobenius", "scatter", "none")


def length_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """A (B, width) bool mask, True at positions ``t < lengths[b]``."""
    return torch.arange(width, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis counting only positions where ``mask`` is True.

    ``scores`` (..., T) float and ``mask`` (..., T) bool (broadcastable). Masked
    positions get weight 0; a row with no True position gets all zeros (not NaN).
    """
    filled = scores.masked_fill(~mask, float("-inf"))
    has_any = mask.any(dim=-1, keepdim=True)
    filled = torch.where(has_any, filled, torch.zeros_like(filled))
    return torch.softmax(filled, dim=-1) * has_any


def co_attention_weights(
    states_a: torch.Tensor,
    mask_a: torch.Tensor,
    states_b: torch.Tensor,
    mask_b: torch.Tensor,
    matrices: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The co-attention weightings of both sentences, one per weighting matrix.

    Args:
        states_a: (B, Ta, H) second-layer LSTM states of the first sentences.
        mask_a: (B, Ta) bool, True at real words.
        states_b: (B, Tb, H) states of the second sentences.
        mask_b: (B, Tb) bool.
        matrices: (n, H, H) weighting matrices W_k.

    Returns:
        ``(weights_a, weights_b)`` of shapes (B, n, Ta) and (B, n, Tb): for each k,
        softmax over a's real positions of the row sums of H_a W_k H_b^T, and softmax over
        b's real positions of its column sums (the paper's softmax(sum(H1^T Ws H2))).
    """
    a = states_a * mask_a.unsqueeze(-1)
    b = states_b * mask_b.unsqueeze(-1)
    # sum_j (H_a W_k H_b^T)[i, j] = H_a[i] W_k (sum_j H_b[j]); likewise for the columns.
    row_sums = torch.einsum("bih,khg,bg->bki", a, matrices, b.sum(dim=1))
    column_sums = torch.einsum("bh,khg,bjg->bkj", a.sum(dim=1), matrices, b)
    return masked_softmax(row_sums, mask_a.unsqueeze(1)), masked_softmax(column_sums, mask_b.unsqueeze(1))


def attend(states: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Sentence vectors from (B, T, H) ``states`` and (B, n, T) ``weights``.

    Returns (B, n * H): the n weighted sums of the states, concatenated, each divided by n.
    """
    pooled = torch.einsum("bkt,bth->bkh", weights, states) / weights.shape[1]
    return pooled.reshape(pooled.shape[0], -1)


def frobenius_penalty(weights: torch.Tensor) -> torch.Tensor:
    """||A A^T - I||_F^2 for each (n, T) weighting A in the (B, n, T) batch; returns (B,).

    The structured self-attention penalty (Lin et al. 2017): the off-diagonal entries of
    A A^T are the overlaps of two matrices' weightings (pushed to 0: the weightings move
    apart), the diagonal ones each weighting's sum of squares (pushed to 1: each one
    focuses). With n = 1 only the focusing term remains.
    """
    gram = weights @ weights.transpose(1, 2)
    identity = torch.eye(weights.shape[1], dtype=weights.dtype, device=weights.device)
    return ((gram - identity) ** 2).sum(dim=(1, 2))


def scatter_penalty(weights: torch.Tensor, epsilon: float = 0.1) -> torch.Tensor:
    """The paper's regulariser: 1 / (epsilon + mean_k ||A_k - mean_j A_j||_2); returns (B,).

    Chen et al. borrow LDA's between-class scatter: the n weightings should lie far from
    their mean, so the loss adds the reciprocal of their mean distance to it (``epsilon``
    keeps identical weightings finite). With n = 1 there is no scatter and the penalty is 0.
    """
    if weights.shape[1] < 2:
        return torch.zeros(weights.shape[0], dtype=weights.dtype, device=weights.device)
    centre = weights.mean(dim=1, keepdim=True)
    spread = torch.linalg.vector_norm(weights - centre, dim=2).mean(dim=1)
    return 1.0 / (epsilon + spread)


def manhattan_distance(vectors_a: torch.Tensor, vectors_b: torch.Tensor) -> torch.Tensor:
    """||h_a - h_b||_1 row by row; (B, D) and (B, D) give (B,)."""
    return (vectors_a - vectors_b).abs().sum(dim=-1)


def similarity_from_distance(distance: torch.Tensor) -> torch.Tensor:
    """The paper's similarity d = exp(-||h_a - h_b||_1), in (0, 1]."""
    return torch.exp(-distance)


def contrastive_loss(distance: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
    """The contrastive loss (1 / 2N) sum_n [y D^2 + (1 - y) max(margin - D, 0)^2].

    ``distance`` (N,) is the Manhattan distance D = ||h_a - h_b||_1 (the paper writes d
    for both the similarity and this distance; its text says the loss grows when similar
    pairs lie far apart, which is the distance), ``labels`` (N,) in [0, 1] (1 = same
    meaning; STS scores divided by 5 are allowed), ``margin`` > 0. Returns a scalar.
    """
    similar = labels * distance**2
    different = (1.0 - labels) * torch.clamp(margin - distance, min=0.0) ** 2
    return 0.5 * (similar + different).mean()


@dataclass
class SiameseOutput:
    """What :meth:`SiameseLSTM.forward` returns for a batch of B pairs.

    Attributes:
        distance: (B,) Manhattan distances of the sentence vectors.
        similarity: (B,) exp(-distance).
        weights_a: (B, n, Ta) co-attention weightings of the first sentences.
        weights_b: (B, n, Tb) those of the second sentences.
        mask_a: (B, Ta) bool, real words of the first sentences.
        mask_b: (B, Tb) bool.
    """

    distance: torch.Tensor
    similarity: torch.Tensor
    weights_a: torch.Tensor
    weights_b: torch.Tensor
    mask_a: torch.Tensor
    mask_b: torch.Tensor

    def penalty(self, kind: str) -> torch.Tensor:
        """The mean regulariser ``kind`` (frobenius, scatter or none) over both sentences' weightings.

        Sentences with fewer than two real words are left out (one word admits one weighting).
        """
        if kind not in REGULARISERS:
            raise ValueError(f"regulariser must be one of {REGULARISERS}, got {kind!r}")
        if kind == "none":
            return self.distance.new_zeros(())
        function = frobenius_penalty if kind == "frobenius" else scatter_penalty
        values = torch.cat([function(self.weights_a), function(self.weights_b)])
        counted = torch.cat([self.mask_a.sum(dim=1) >= 2, self.mask_b.sum(dim=1) >= 2]).to(values.dtype)
        return (values * counted).sum() / counted.sum().clamp(min=1.0)


class SiameseLSTM(nn.Module):
    """Both sentences through one two-layer LSTM, then co-attention and the Manhattan similarity.

    Args:
        word_vectors: (V, E) initial word vectors; row 0 is padding.
        hidden_size: H, the size of both LSTM layers.
        matrices: n, the number of co-attention weighting matrices (>= 1).
        train_word_vectors: fine-tune the word vectors (else they stay frozen).
    """

    def __init__(
        self,
        word_vectors: torch.Tensor,
        hidden_size: int = 64,
        matrices: int = 3,
        train_word_vectors: bool = False,
    ):
        super().__init__()
        if word_vectors.ndim != 2 or word_vectors.shape[0] < 2:
            raise ValueError(f"word_vectors must be (vocabulary >= 2, dim), got {tuple(word_vectors.shape)}")
        if hidden_size < 1 or matrices < 1:
            raise ValueError(f"hidden_size and matrices must be >= 1, got {hidden_size} and {matrices}")
        self.embedding = nn.Embedding.from_pretrained(
            word_vectors.detach().clone().float(), freeze=not train_word_vectors, padding_idx=PAD_ID
        )
        self.word_dim = int(word_vectors.shape[1])
        self.hidden_size = int(hidden_size)
        self.first = nn.LSTM(self.word_dim, self.hidden_size, batch_first=True)
        self.second = nn.LSTM(self.hidden_size, self.hidden_size, batch_first=True)
        self.matrices = nn.Parameter(torch.randn(matrices, hidden_size, hidden_size) / hidden_size)

    @property
    def n_matrices(self) -> int:
        """n, the number of co-attention weighting matrices."""
        return int(self.matrices.shape[0])

    def first_layer_step(
        self, vectors: torch.Tensor, hidden: torch.Tensor, cell: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Feed one word per row into the first LSTM layer.

        ``vectors`` (B, E), ``hidden`` and ``cell`` (B, H); returns the new ``(hidden, cell)``,
        exactly what :meth:`layer_states` computes word after word.
        """
        _, (h, c) = self.first(vectors.unsqueeze(1), (hidden.unsqueeze(0), cell.unsqueeze(0)))
        return h.squeeze(0), c.squeeze(0)

    def layer_states(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Second-layer LSTM states of right-padded word ids.

        ``ids`` (B, T) int64, ``lengths`` (B,) with 0 <= lengths <= T (0: every word was
        dropped). Returns ``(states, mask)``: (B, T, H) states, zero at padding, and the
        (B, T) bool mask of real words. Padding never changes a real word's state.
        """
        width = ids.shape[1]
        packed_lengths = lengths.clamp(min=1).cpu()
        vectors = self.embedding(ids)
        packed = pack_padded_sequence(vectors, packed_lengths, batch_first=True, enforce_sorted=False)
        first, _ = self.first(packed)
        second, _ = self.second(first)
        states, _ = pad_packed_sequence(second, batch_first=True, total_length=width)
        mask = length_mask(lengths, width)
        return states * mask.unsqueeze(-1), mask

    def forward(
        self,
        ids_a: torch.Tensor,
        lengths_a: torch.Tensor,
        ids_b: torch.Tensor,
        lengths_b: torch.Tensor,
    ) -> SiameseOutput:
        """Judge B pairs of right-padded word-id sentences (see :meth:`layer_states`)."""
        states_a, mask_a = self.layer_states(ids_a, lengths_a)
        states_b, mask_b = self.layer_states(ids_b, lengths_b)
        weights_a, weights_b = co_attention_weights(states_a, mask_a, states_b, mask_b, self.matrices)
        distance = manhattan_distance(attend(states_a, weights_a), attend(states_b, weights_b))
        return SiameseOutput(
            distance, similarity_from_distance(distance), weights_a, weights_b, mask_a, mask_b
        )
