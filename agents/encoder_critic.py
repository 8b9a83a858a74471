"""The RC-DDPG networks: a critic built on the sentence encoder, and a small actor that judges each pair.

The critic's value is the reward it expects for answering ``a`` when the true score is
the encoder's own cosine similarity ŝ = cos(e_a, e_b):

    Q(s, a) = R(a, ŝ) - softplus(β)

where ``R`` is the environment's reward function on the 0-1 scale (``squared``:
-(a - ŝ)², ``absolute``: -|a - ŝ|, ``paper``: 1 - 100(a - ŝ)² with negatives divided
by 10) and the learned scalar ``softplus(β) >= 0`` absorbs the reward the oracle's own
noise costs on average. Fitting Q to observed rewards moves ŝ, so every TD error is a
gradient on the encoder: a free head on frozen features would leave the encoder as it was.

Why exploration width matters: with the squared reward and an answer a = ŝ + ε, the
``mse`` critic's gradient on ŝ is proportional to (ŝ - y)(2ε + ŝ - y)ε, whose mean over
ε ~ N(0, σ²) is 2σ²(ŝ - y): the supervised direction scaled by σ². Narrow noise leaves
a tiny, mostly random signal. For the default ``root`` loss width decides how often the
reward names the label exactly: an answer clipped to an end of the scale (0 or 1) leaves
one on-scale root, a ± sqrt(-r), and that root is the label. With σ = 2 on the 0-1 scale
(the calibration default) about 80% of answers land on an end and about 2% of replayed
rewards resolve to the wrong root; with σ = 0.4, 33% and 9% (simulated with ŝ = y + N(0, 0.15²)).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from agents.torch_rewards import TORCH_REWARDS
from rcsim_env.encoders.sentence_encoder import SentenceEncoder


def action_to_unit(action: torch.Tensor) -> torch.Tensor:
    """Map actions in [-1, 1] (shape (B, 1) or (B,)) to scores on the 0-1 scale, shape (B,)."""
    return (action.reshape(action.shape[0], -1)[:, 0] + 1.0) / 2.0


def unit_to_action(score01: torch.Tensor) -> torch.Tensor:
    """Map 0-1 scores (B,) to actions in [-1, 1] of shape (B, 1)."""
    return (2.0 * score01 - 1.0).unsqueeze(-1)


def pair_sentences(observations: Sequence[dict[str, str]]) -> tuple[list[str], list[str]]:
    """Split text observations ``{"sentence_a", "sentence_b"}`` into two sentence lists."""
    return [o["sentence_a"] for o in observations], [o["sentence_b"] for o in observations]


TD_LOSSES = ("root", "distance", "mse")
# Tolerance when deciding whether a candidate label lies on the 0-1 score scale (float32 rounding).
_SCALE_TOLERANCE = 1e-5


class EncoderCritic(nn.Module):
    """Q(s, a) = R(a, cos(e_a, e_b)) - softplus(β), with the encoder trainable.

    Args:
        encoder: the :class:`SentenceEncoder` to calibrate (trained in place).
        reward: the environment's reward name (``squared``, ``absolute`` or ``paper``).
        learn_noise_floor: learn the offset β (otherwise Q has no offset; never with ``"distance"``).
        td_loss: how the TD error is measured (``"root"`` and ``"distance"`` for the squared
            reward only; other rewards always use ``"mse"``; both only valid with gamma = 0,
            one-step values, which is how calibration runs):

            - ``"mse"``: (Q - r)². Its gradient on ŝ is the supervised one times a random
              factor 2(a - ŝ)(2a - ŝ - y), mean ~4σ² under exploration noise σ: noisy.
            - ``"distance"``: (sqrt(-Q) - sqrt(-r))² = (|a - ŝ| - |a - y|)². When the noise puts
              ``a`` beyond both ŝ and the oracle's y, its gradient on ŝ is exactly the
              supervised 2(ŝ - y); otherwise it pulls ŝ toward whichever of a ± sqrt(-r) is nearer.
            - ``"root"`` (default): the reward -(a - y)² says the label is one of its two roots
              a ± sqrt(-r). The critic fits ŝ to the root that lies on the 0-1 score scale
              (the only value its Q could explain the reward with), and, when both do, to the
              one nearer ŝ: (ŝ - root)². Answers at or near the ends of the scale (which wide
              exploration produces) thus pin the label down; in the middle it is the distance loss.

    ``encode_state(observations)`` takes a list of text observations and returns the
    state features, shape (B, 1): the cosine ŝ. ``q_value(state, action)`` returns (B,).
    """

    def __init__(
        self,
        encoder: SentenceEncoder,
        reward: str = "squared",
        learn_noise_floor: bool = True,
        td_loss: str = "root",
    ):
        super().__init__()
        if reward not in TORCH_REWARDS:
            raise ValueError(f"the encoder critic supports rewards {sorted(TORCH_REWARDS)}, got {reward!r}")
        if td_loss not in TD_LOSSES:
            raise ValueError(f"td_loss must be one of {TD_LOSSES}, got {td_loss!r}")
        self.td_loss_kind = td_loss if reward == "squared" else "mse"
        self.encoder = encoder
        self.reward_name = reward
        self._reward = TORCH_REWARDS[reward]
        self.noise_floor = nn.Parameter(
            torch.full((), -4.0), requires_grad=learn_noise_floor and self.td_loss_kind == "mse"
        )

    def encoder_parameters(self) -> Iterator[nn.Parameter]:
        """The encoder's parameters (trained with the encoder learning rate)."""
        return self.encoder.parameters()

    def encode_state(self, observations: Sequence[dict[str, str]]) -> torch.Tensor:
        """Cosine similarity of each pair's sentence embeddings, shape (B, 1), with gradients."""
        sentences_a, sentences_b = pair_sentences(observations)
        embeddings = self.encoder.embed([*sentences_a, *sentences_b])
        count = len(sentences_a)
        return F.cosine_similarity(embeddings[:count], embeddings[count:], dim=-1).unsqueeze(-1)

    def q_value(self, state: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Expected reward of answering ``action`` (B, 1) in [-1, 1] given the state (B, 1); shape (B,)."""
        offset = 0.0 if self.td_loss_kind != "mse" else F.softplus(self.noise_floor)
        return self._reward(action_to_unit(action), state[:, 0]) - offset

    def td_loss(
        self,
        q: torch.Tensor,
        target: torch.Tensor,
        state: torch.Tensor | None = None,
        action: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The TD error's loss (see the class docstring).

        ``q`` and ``target`` (the rewards, gamma = 0) have shape (B,); the ``"root"`` loss
        also needs the state features ``state`` (B, 1) and the actions ``action`` (B, 1).
        """
        if self.td_loss_kind == "mse":
            return F.mse_loss(q, target)
        observed = (-target).clamp(min=0.0).sqrt()
        if self.td_loss_kind == "distance":
            predicted = (-q).clamp(min=1e-12).sqrt()
            return F.mse_loss(predicted, observed)
        if state is None or action is None:
            raise ValueError("the root TD loss needs the state features and the actions")
        similarity = state[:, 0]
        return F.mse_loss(similarity, reward_root(action_to_unit(action), observed, similarity.detach()))


def reward_root(answer01: torch.Tensor, distance: torch.Tensor, similarity: torch.Tensor) -> torch.Tensor:
    """The label a squared reward implies: the on-scale root ``answer ± distance`` nearest ``similarity``.

    All arguments have shape (B,): the answers on the 0-1 scale, the distances
    sqrt(-reward) and the critic's current similarities. A root off the scale is ruled
    out; when neither root is on it (a reward the scale cannot explain, e.g. a noisy
    label past the end), the nearer one is returned. Returns (B,), without gradient.
    """
    low, high = answer01 - distance, answer01 + distance
    low_ok = low >= -_SCALE_TOLERANCE
    high_ok = high <= 1.0 + _SCALE_TOLERANCE
    high_nearer = (high - similarity).abs() < (low - similarity).abs()
    pick_high = torch.where(low_ok == high_ok, high_nearer, high_ok)
    return torch.where(pick_high, high, low).detach()


class PairActor(nn.Module):
    """A small actor: answer = clamp(ŝ + f(ŝ), 0, 1) mapped to [-1, 1], f a tiny MLP starting at 0.

    It reads the critic's state features (B, 1) and returns actions (B, 1). Starting
    from f = 0 the actor answers the encoder's cosine; training moves it toward the
    critic's best answer.
    """

    def __init__(self, hidden: int = 16):
        super().__init__()
        self.correction = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.correction[-1].weight)
        nn.init.zeros_(self.correction[-1].bias)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        """Actions in [-1, 1], shape (B, 1), for state features (B, 1)."""
        similarity = state[:, :1]
        score01 = (similarity + self.correction(similarity)).clamp(0.0, 1.0)
        return 2.0 * score01 - 1.0
