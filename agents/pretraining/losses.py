"""Stage-1 pretraining losses: the paper's ForceBasedInfoNCE and the unsupervised SimCSE InfoNCE.

Each loss is a pure function on embeddings (testable on its own) plus a thin ``nn.Module``
wrapper, in the style of sentence-transformers' losses.

**ForceBasedInfoNCE** ("Reinforcement Calibration SimCSE", sections 3.1-3.2 and 4.2.2).
For a batch of k sentences:

- the *estimated* similarity S = |cos| between the mean-pooled **input** token embeddings
  (the embedding layer's output: a fixed, "perceptual" view). S is treated as a constant:
  no gradient flows into it, so the loss cannot lower itself by rearranging the input view;
- the potential field G(x) = (x - T)^2 for x < T and -(T^2 / (T - 1)^2)(x - 1)^2 for x >= T,
  with threshold T = 0.95. Negative G pulls a pair together, positive G pushes it apart;
- D = pairwise Euclidean distances of the **output** sentence embeddings;
- the force matrix F = G / D with the diagonal set to 0; the loss is the sum of F.

Minimising G / D makes D smaller where G < 0 (the pair is pulled together) and larger where
G > 0 (pushed apart). Numerical safety: D is computed as sqrt(max(|a - b|^2, eps^2)) with
``eps`` = 1e-6 by default, so coinciding outputs (D = 0 off the diagonal) give a large but
finite force and a zero, not NaN, gradient; the diagonal is masked to exactly 0 (no 0/0).
An all-zero input embedding has cosine 0 with everything (no NaN), so it is pushed away.
The loss is computed in float32 even under half-precision autocast.

**SimCSE InfoNCE** (Gao et al. 2021, unsupervised): two dropout views of each sentence;
view_a[i] and view_b[i] are a positive pair, every view_b[j], j != i, is an in-batch negative;
loss = cross-entropy over cos(view_a[i], view_b[j]) / temperature, temperature 0.05.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from rcsim_env.encoders.pooling import mean_pool

DEFAULT_THRESHOLD = 0.95
"""The paper's similarity threshold T: pairs whose input |cos| reaches it are pulled together."""
DEFAULT_TEMPERATURE = 0.05
"""SimCSE's temperature."""
DISTANCE_EPS = 1e-6
"""Smallest output distance divided by (a numerical guard, not a modelling choice)."""


def _check_threshold(threshold: float) -> float:
    value = float(threshold)
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(f"threshold must be strictly between 0 and 1, got {threshold}")
    return value


def _check_embeddings(name: str, embeddings: Tensor) -> None:
    if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
        shape = tuple(embeddings.shape) if isinstance(embeddings, Tensor) else type(embeddings).__name__
        raise ValueError(f"{name} must be a (batch, dim) tensor, got {shape}")
    if embeddings.shape[0] < 1:
        raise ValueError(f"{name} holds no rows; a batch needs at least one sentence")


def force_field_potential(similarity: Tensor, threshold: float = DEFAULT_THRESHOLD) -> Tensor:
    """The paper's potential field G, elementwise on a similarity tensor (any shape, values in [0, 1]).

    Returns G(x) = (x - T)^2 where x < T (positive: push apart) and
    -(T^2 / (T - 1)^2)(x - 1)^2 where x >= T (negative: pull together), same shape and dtype.
    G is 0 at x = T from below, -T^2 at x = T from above, and 0 again at x = 1.
    Raises ValueError unless 0 < T < 1.
    """
    t = _check_threshold(threshold)
    pull_scale = t * t / ((t - 1.0) ** 2)
    push = (similarity - t).square()
    pull = -pull_scale * (similarity - 1.0).square()
    return torch.where(similarity < t, push, pull)


def estimated_similarity(input_embeddings: Tensor) -> Tensor:
    """|cos| between every pair of rows of ``input_embeddings`` (k, dim); returns a (k, k) float32 matrix.

    No gradient flows (the input view is a fixed target). A row of zeros has similarity 0 with
    every row, itself included, instead of NaN. Values are clamped to [0, 1].
    """
    _check_embeddings("input_embeddings", input_embeddings)
    with torch.no_grad():
        unit = nn.functional.normalize(input_embeddings.detach().float(), dim=-1, eps=1e-12)
        return (unit @ unit.T).abs().clamp(max=1.0)


def pairwise_distances(embeddings: Tensor, eps: float = DISTANCE_EPS) -> Tensor:
    """Euclidean distances between every pair of rows of ``embeddings`` (k, dim); returns (k, k) float32.

    Computed as sqrt(max(|a|^2 + |b|^2 - 2 a.b, eps^2)) after subtracting the batch mean (which
    changes no distance but shrinks the rounding error of the Gram form): never below ``eps``
    (the diagonal is ``eps`` too), and the gradient is 0 rather than NaN where two rows coincide.
    """
    _check_embeddings("embeddings", embeddings)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite positive number, got {eps}")
    x = embeddings.float()
    x = x - x.mean(dim=0, keepdim=True).detach()  # distances ignore a shift; smaller norms round less
    squared_norms = x.square().sum(dim=-1)
    squared = squared_norms[:, None] + squared_norms[None, :] - 2.0 * (x @ x.T)
    return squared.clamp(min=eps * eps).sqrt()


def force_matrix(
    input_embeddings: Tensor,
    output_embeddings: Tensor,
    threshold: float = DEFAULT_THRESHOLD,
    eps: float = DISTANCE_EPS,
) -> Tensor:
    """The force matrix F = G(S) / D with a zero diagonal; returns (k, k) float32.

    Expects the mean-pooled input embeddings (k, d_in) and the output sentence embeddings
    (k, d_out) of the same k sentences in the same order. Gradients flow into
    ``output_embeddings`` only.
    """
    _check_embeddings("output_embeddings", output_embeddings)
    similarity = estimated_similarity(input_embeddings)
    if similarity.shape[0] != output_embeddings.shape[0]:
        raise ValueError(
            f"got {similarity.shape[0]} input embeddings but {output_embeddings.shape[0]} output embeddings"
        )
    potential = force_field_potential(similarity, threshold).to(output_embeddings.device)
    forces = potential / pairwise_distances(output_embeddings, eps)
    diagonal = torch.eye(forces.shape[0], dtype=torch.bool, device=forces.device)
    return forces.masked_fill(diagonal, 0.0)


def force_based_infonce(
    input_embeddings: Tensor,
    output_embeddings: Tensor,
    threshold: float = DEFAULT_THRESHOLD,
    eps: float = DISTANCE_EPS,
) -> Tensor:
    """The ForceBasedInfoNCE loss: the sum of :func:`force_matrix`; returns a 0-d float32 tensor.

    ``input_embeddings`` (k, d_in): the mean-pooled input token embeddings (the embedding
    layer's output); ``output_embeddings`` (k, d_out): the encoder's sentence embeddings.
    The loss is a sum (not a mean), as the paper specifies, so its scale grows with k^2.
    """
    return force_matrix(input_embeddings, output_embeddings, threshold, eps).sum()


def pulled_fraction(input_embeddings: Tensor, threshold: float = DEFAULT_THRESHOLD) -> float:
    """The share of off-diagonal pairs whose estimated similarity reaches ``threshold`` (pulled together).

    A diagnostic: 0.0 means the batch is pushed apart everywhere. Returns 0.0 for a single row.
    """
    similarity = estimated_similarity(input_embeddings)
    k = similarity.shape[0]
    if k < 2:
        return 0.0
    off_diagonal = ~torch.eye(k, dtype=torch.bool, device=similarity.device)
    return float((similarity[off_diagonal] >= _check_threshold(threshold)).float().mean())


def simcse_infonce(view_a: Tensor, view_b: Tensor, temperature: float = DEFAULT_TEMPERATURE) -> Tensor:
    """Unsupervised SimCSE's InfoNCE with in-batch negatives; returns a 0-d float32 tensor.

    Expects two (k, dim) tensors: the embeddings of the same k sentences under two dropout
    masks, row i of each being a positive pair. The loss is the mean over i of
    -log softmax_j(cos(view_a[i], view_b[j]) / temperature)[i]. A zero row has cosine 0 with
    everything (no NaN). Raises ValueError on mismatched shapes or a non-positive temperature.
    """
    _check_embeddings("view_a", view_a)
    _check_embeddings("view_b", view_b)
    if view_a.shape != view_b.shape:
        raise ValueError(
            f"the two views must have one shape, got {tuple(view_a.shape)} and {tuple(view_b.shape)}"
        )
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite positive number, got {temperature}")
    a = nn.functional.normalize(view_a.float(), dim=-1, eps=1e-12)
    b = nn.functional.normalize(view_b.float(), dim=-1, eps=1e-12)
    logits = (a @ b.T) / temperature
    targets = torch.arange(logits.shape[0], device=logits.device)
    return nn.functional.cross_entropy(logits, targets)


class ForceBasedInfoNCE(nn.Module):
    """The paper's force-field loss as a module (see :func:`force_based_infonce`).

    Args:
        threshold: the similarity threshold T (0 < T < 1; the paper: 0.95).
        eps: the smallest output distance divided by.

    ``forward(input_embeddings, output_embeddings, attention_mask=None)`` accepts the input
    view either pooled (k, d_in) or per token (k, seq, d_in); per-token input is mean-pooled
    over the tokens where ``attention_mask`` is 1 (the paper averages over the sequence axis).
    Returns the 0-d loss.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, eps: float = DISTANCE_EPS) -> None:
        super().__init__()
        self.threshold = _check_threshold(threshold)
        if not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"eps must be a finite positive number, got {eps}")
        self.eps = float(eps)

    def forward(
        self, input_embeddings: Tensor, output_embeddings: Tensor, attention_mask: Tensor | None = None
    ) -> Tensor:
        """Return the ForceBasedInfoNCE loss of one batch (0-d tensor)."""
        if input_embeddings.ndim == 3:
            mask = (
                attention_mask
                if attention_mask is not None
                else input_embeddings.new_ones(input_embeddings.shape[:2])
            )
            input_embeddings = mean_pool(input_embeddings, mask)
        return force_based_infonce(input_embeddings, output_embeddings, self.threshold, self.eps)

    def extra_repr(self) -> str:
        """The module's settings, shown by ``print(module)``."""
        return f"threshold={self.threshold}, eps={self.eps}"


class SimCSEInfoNCE(nn.Module):
    """Unsupervised SimCSE's InfoNCE as a module (see :func:`simcse_infonce`).

    Args:
        temperature: the softmax temperature (SimCSE: 0.05).

    ``forward(view_a, view_b)`` takes two (k, dim) dropout views of the same sentences and
    returns the 0-d loss.
    """

    def __init__(self, temperature: float = DEFAULT_TEMPERATURE) -> None:
        super().__init__()
        if not (math.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature must be a finite positive number, got {temperature}")
        self.temperature = float(temperature)

    def forward(self, view_a: Tensor, view_b: Tensor) -> Tensor:
        """Return the InfoNCE loss of one batch of paired views (0-d tensor)."""
        return simcse_infonce(view_a, view_b, self.temperature)

    def extra_repr(self) -> str:
        """The module's settings, shown by ``print(module)``."""
        return f"temperature={self.temperature}"
