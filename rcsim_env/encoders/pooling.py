"""Pooling: how a sentence embedding is made from a transformer's token states and the attention mask.

The modes and their names are those of sentence-transformers' ``Pooling`` module, computed
the same way (for right-padded batches, which every BERT-family tokenizer produces), so an
encoder pooled here gives the embeddings ``SentenceTransformer`` gives for the same folder.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from rcsim_env.registry import Registry

Pooler = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``(hidden (batch, seq, dim), attention_mask (batch, seq)) -> (batch, dim)``."""

POOLING_MODES: Registry[Pooler] = Registry("pooling mode")
"""Pooling functions by their sentence-transformers names: mean, cls, max, mean_sqrt_len_tokens, ..."""


def _mask(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The attention mask as a (batch, seq, 1) tensor of ``hidden``'s dtype."""
    return attention_mask.unsqueeze(-1).to(hidden.dtype)


@POOLING_MODES.register("mean", help="average of the token states under the mask")
def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average ``hidden`` (batch, seq, dim) over the sequence axis, counting only tokens where the mask is 1.

    Returns a (batch, dim) tensor; an all-zero mask row gives a zero vector, not NaN.
    """
    mask = _mask(hidden, attention_mask)
    summed = (hidden * mask).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1e-9)
    return summed / counts


@POOLING_MODES.register("cls", help="the state of the first token ([CLS])")
def cls_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The state of each row's first unmasked token (the [CLS] token); returns (batch, dim)."""
    first = attention_mask.to(torch.int).argmax(dim=1)
    index = first.view(-1, 1, 1).expand(-1, 1, hidden.shape[-1])
    return torch.gather(hidden, 1, index).squeeze(1)


@POOLING_MODES.register("max", help="element-wise maximum over the unmasked tokens")
def max_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Element-wise maximum of ``hidden`` over the unmasked tokens; returns (batch, dim).

    As in sentence-transformers, a row whose mask is all zero gives ``-inf``.
    """
    masked = hidden.masked_fill(attention_mask.unsqueeze(-1) == 0, float("-inf"))
    return masked.max(dim=1).values


@POOLING_MODES.register(
    "mean_sqrt_len_tokens", help="sum of the unmasked token states divided by the square root of their count"
)
def mean_sqrt_len_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Sum of the unmasked token states divided by the square root of their count; returns (batch, dim)."""
    mask = _mask(hidden, attention_mask)
    summed = (hidden * mask).sum(dim=1)
    return summed / torch.sqrt(mask.sum(dim=1).clamp(min=1e-9))


@POOLING_MODES.register("weightedmean", help="mean weighted by position: the n-th token counts n times")
def weighted_mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Position-weighted mean: the n-th real token (1-based) has weight n; returns (batch, dim)."""
    positions = torch.arange(1, hidden.shape[1] + 1, device=hidden.device, dtype=hidden.dtype).view(1, -1, 1)
    first = attention_mask.to(torch.int32).argmax(dim=1)  # left padding shifts the first real token
    weights = _mask(hidden, attention_mask) * (positions - first.view(-1, 1, 1).to(hidden.dtype))
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


@POOLING_MODES.register("lasttoken", help="the state of the last unmasked token")
def last_token_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The state of each row's last unmasked token; returns (batch, dim) (zeros for an all-zero mask row)."""
    length = hidden.shape[1]
    found, from_end = attention_mask.flip(1).max(dim=1)
    from_end = torch.where(found == 0, length - 1, from_end)
    index = (length - from_end - 1).view(-1, 1, 1).expand(-1, 1, hidden.shape[-1])
    return torch.gather(hidden * _mask(hidden, attention_mask), 1, index).squeeze(1)
