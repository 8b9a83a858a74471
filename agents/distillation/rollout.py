"""Distilling a batch of sentences: the policy walks each sentence word by word, keeping or dropping.

Only kept words enter the critic's first LSTM layer, so the state of word t reflects
the words kept before it. :func:`compact` then closes the gaps, giving the distilled
sentences the critic judges (running its LSTM on them reproduces the states seen here).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from agents.distillation.policy import KeepDropPolicy, action_log_probs
from agents.distillation.siamese import SiameseLSTM, length_mask
from rcsim_env.encoders.words import PAD_ID

MODES = ("sample", "greedy", "forced")


@dataclass
class Rollout:
    """The decisions over a batch of B sentences of width T.

    Attributes:
        keep: (B, T) bool, True where the word was kept (False at padding).
        logits: (B, T) the policy's keep logits (0 at padding), with gradients to the policy.
        log_probs: (B, T) log pi(a_t | s_t) of the taken actions, 0 at padding, with gradients.
        mask: (B, T) bool, the real words.
    """

    keep: torch.Tensor
    logits: torch.Tensor
    log_probs: torch.Tensor
    mask: torch.Tensor


def policy_states(cell: torch.Tensor, hidden: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """The paper's state [c_{t-1}, h_{t-1}, w_t]: (B, H), (B, H) and (B, E) give (B, 2H + E)."""
    return torch.cat([cell, hidden, vectors], dim=-1)


def distil(
    critic: SiameseLSTM,
    policy: KeepDropPolicy,
    ids: torch.Tensor,
    lengths: torch.Tensor,
    mode: str = "sample",
    actions: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Rollout:
    """Walk right-padded sentences ``ids`` (B, T) of ``lengths`` (B,) word by word.

    ``mode``: ``"sample"`` draws keep ~ Bernoulli(pi(keep | s)) with ``generator``;
    ``"greedy"`` keeps when pi(keep | s) >= 0.5; ``"forced"`` takes ``actions`` (B, T) bool
    (the pretraining targets). The critic's LSTM runs without gradients; the policy's
    logits keep theirs. Returns a :class:`Rollout`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "forced" and (actions is None or actions.shape != ids.shape):
        raise ValueError("mode 'forced' needs actions of the same shape as ids")
    batch, width = ids.shape
    mask = length_mask(lengths, width)
    with torch.no_grad():
        vectors = critic.embedding(ids)
    hidden = vectors.new_zeros(batch, critic.hidden_size)
    cell = vectors.new_zeros(batch, critic.hidden_size)
    keeps, logits = [], []
    for t in range(width):
        step_logits = policy(policy_states(cell, hidden, vectors[:, t]))
        if mode == "sample":
            keep = torch.bernoulli(torch.sigmoid(step_logits.detach()), generator=generator).bool()
        elif mode == "greedy":
            keep = step_logits.detach() >= 0.0
        else:
            keep = actions[:, t].bool()
        keep = keep & mask[:, t]
        with torch.no_grad():
            new_hidden, new_cell = critic.first_layer_step(vectors[:, t], hidden, cell)
            hidden = torch.where(keep.unsqueeze(1), new_hidden, hidden)
            cell = torch.where(keep.unsqueeze(1), new_cell, cell)
        keeps.append(keep)
        logits.append(step_logits)
    keep = torch.stack(keeps, dim=1)
    logit_table = torch.stack(logits, dim=1) * mask
    log_probs = action_log_probs(logit_table, keep) * mask
    return Rollout(keep, logit_table, log_probs, mask)


def compact(ids: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Close the gaps left by dropped words.

    ``ids`` (B, T) and ``keep`` (B, T) bool. Returns ``(ids, lengths)``: (B, max(1, most
    kept)) ids with each row's kept words first, in order, then padding, and (B,) the
    counts of kept words (0 when a sentence lost every word).
    """
    order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)
    lengths = keep.sum(dim=1)
    width = max(int(lengths.max()) if lengths.numel() else 0, 1)
    packed = torch.gather(ids, 1, order)[:, :width]
    packed = packed.masked_fill(~length_mask(lengths, width), PAD_ID)
    return packed, lengths
