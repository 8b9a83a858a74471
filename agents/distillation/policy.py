"""The keep/drop policy (the paper's Actor): a two-layer network, REINFORCE with a baseline,
online and target copies joined by the paper's soft update, and the pretraining heuristic.

The state of word t is [c_{t-1}, h_{t-1}, w_t]: the critic's first LSTM layer's cell
and hidden state after the words kept so far, and the word's vector (section 2.2).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F

from agents.ddpg.polyak import polyak_update


class KeepDropPolicy(nn.Module):
    """pi(keep | s) = sigmoid(w2 . tanh(W1 s + b1) + b2).

    Args:
        state_dim: size of the state [c, h, w] (2 * LSTM hidden + word vector size).
        hidden_size: width of the hidden layer.
    """

    def __init__(self, state_dim: int, hidden_size: int = 64):
        super().__init__()
        if state_dim < 1 or hidden_size < 1:
            raise ValueError(f"state_dim and hidden_size must be >= 1, got {state_dim} and {hidden_size}")
        self.state_dim = int(state_dim)
        self.net = nn.Sequential(nn.Linear(state_dim, hidden_size), nn.Tanh(), nn.Linear(hidden_size, 1))

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """Keep logits (..., ) for states (..., state_dim): log(pi(keep) / pi(drop))."""
        return self.net(states).squeeze(-1)


def action_log_probs(logits: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """log pi(a | s) of the taken actions: log sigmoid(z) where kept, log sigmoid(-z) where dropped."""
    return torch.where(keep, F.logsigmoid(logits), F.logsigmoid(-logits))


def leave_one_out_baseline(rewards: torch.Tensor) -> torch.Tensor:
    """Baselines for a (pairs, samples) reward table: each sample's is the mean of the others' rewards.

    With one sample per pair, the baseline is the mean reward of the whole batch. The
    leave-one-out mean does not depend on the sample's own actions, so the policy
    gradient stays unbiased. Returns a tensor shaped like ``rewards``.
    """
    if rewards.ndim != 2:
        raise ValueError(f"rewards must be (pairs, samples), got shape {tuple(rewards.shape)}")
    samples = rewards.shape[1]
    if samples == 1:
        return torch.full_like(rewards, rewards.mean().item())
    return (rewards.sum(dim=1, keepdim=True) - rewards) / (samples - 1)


def reinforce_loss(
    log_prob_sums: torch.Tensor, rewards: torch.Tensor, baselines: torch.Tensor
) -> torch.Tensor:
    """REINFORCE with a baseline: -mean[(R - b) * sum_t log pi(a_t | s_t)].

    All three are (N,) (one entry per episode: a pair's two sentences); the reward and
    baseline carry no gradient. Intermediate rewards are 0 and there is no discount,
    so every step's return is the terminal reward R. Returns a scalar.
    """
    advantages = (rewards - baselines).detach()
    return -(advantages * log_prob_sums).mean()


def pretraining_actions(
    lengths: torch.Tensor, width: int, keep_first: int, drop_probability: float, generator: torch.Generator
) -> torch.Tensor:
    """The paper's pretraining targets: keep the first ``keep_first`` words, drop each later one at random.

    ``lengths`` (B,) word counts, ``width`` >= max(lengths). Returns (B, width) bool: True =
    keep, False at padding. Each word after the first ``keep_first`` is dropped with
    probability ``drop_probability``.
    """
    if keep_first < 0 or not 0.0 <= drop_probability <= 1.0:
        raise ValueError(
            f"need keep_first >= 0 and 0 <= drop_probability <= 1, got {keep_first} and {drop_probability}"
        )
    positions = torch.arange(width).unsqueeze(0)
    coin = torch.rand(lengths.shape[0], width, generator=generator) >= drop_probability
    real = positions < lengths.unsqueeze(1)
    return real & ((positions < keep_first) | coin)


class SoftUpdatedPolicy:
    """Online and target copies of a policy, updated the way the paper's section 2.5 describes.

    Before each batch :meth:`begin_batch` copies the target into the online network; the
    online network then samples and learns on the batch; :meth:`end_batch` moves the
    target toward it, target <- (1 - beta) target + beta online. The target is the
    policy used for evaluation and for distilling the critic's training sentences.

    Args:
        policy: the network to wrap (it becomes the online copy; the target is a deep copy).
        beta: soft-update rate, 0 < beta <= 1 (1: the target becomes the online network).
    """

    def __init__(self, policy: KeepDropPolicy, beta: float):
        if not 0.0 < beta <= 1.0:
            raise ValueError(f"beta must satisfy 0 < beta <= 1, got {beta}")
        self.online = policy
        self.target = copy.deepcopy(policy)
        for parameter in self.target.parameters():
            parameter.requires_grad_(False)
        self.beta = float(beta)

    def begin_batch(self) -> None:
        """Copy the target's weights into the online network."""
        self.online.load_state_dict(self.target.state_dict())

    def end_batch(self) -> None:
        """Soft update: target <- (1 - beta) target + beta online."""
        polyak_update(self.online, self.target, self.beta)

    def sync(self) -> None:
        """Make the target equal to the online network (after supervised pretraining)."""
        self.target.load_state_dict(self.online.state_dict())
