"""The paper's own stage-2 update ("RLHF" in its GUI loop), kept faithfully as ``--agent paper-rlhf``.

One judged pair is one update (Reinforcement Calibration SimCSE, section 4.4):

1. model similarity x = |cos(e_a, e_b)| of the encoder's mean-pooled embeddings, with gradients;
2. the human label x0 on the 0-1 scale (oracle score / 5; the paper's five buttons are
   0.05 / 0.3 / 0.5 / 0.7 / 0.95, which the ``"paper"`` noise preset reproduces on 0-5);
3. reward = 1 - 100 (x - x0)^2, negative rewards divided by 10, computed from x so it is
   differentiable;
4. an "action" = x rounded to 0.01 (one of 101 bins) with probability 0.95, else a
   uniformly random bin;
5. a probability estimator counts actions per bin; p = count[bin] / total, counted after
   adding this action, a constant (no gradient);
6. loss = -k p reward with k = 50, back-propagated into the encoder; one Adam step.

Unlike RC-DDPG, which learns from the environment's reward alone, this agent reads the
oracle's label itself, from ``info["oracle_score"]``, as the paper's GUI loop did: the
reward it optimizes is its own function of x and the label, not the environment's reward.

The encoder is used in whatever train/eval mode it is in (``SentenceEncoder.from_pretrained``
leaves it in eval mode, so no dropout); the x that picks the action is the same forward pass
that the loss back-propagates through, as in the paper.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from agents.torch_rewards import paper_reward_tensor
from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.envs.similarity import action_to_score, score_to_action
from rcsim_env.errors import LabelBudgetExhaustedError
from rcsim_env.validation import MAX_SCORE, validate_score, validate_sentence


class ProbabilityEstimator:
    """Counts actions over ``bins`` bins; the probability of a bin is its share of all counted actions.

    Args:
        bins: the number of bins (the paper: 101, similarities 0.00 ... 1.00); at least 1.
    """

    def __init__(self, bins: int = 101):
        if int(bins) < 1:
            raise ValueError(f"bins must be at least 1, got {bins}")
        self.bins = int(bins)
        self._counts = np.zeros(self.bins, dtype=np.int64)

    def _check(self, bin_index: int) -> int:
        if isinstance(bin_index, (bool, np.bool_)) or not isinstance(bin_index, (int, np.integer)):
            raise TypeError(f"bin must be an integer, got {type(bin_index).__name__}")
        if not 0 <= int(bin_index) < self.bins:
            raise ValueError(f"bin {bin_index} is outside [0, {self.bins - 1}]")
        return int(bin_index)

    def add(self, bin_index: int) -> float:
        """Count one action in ``bin_index`` (an int in [0, bins)); returns its probability after counting."""
        index = self._check(bin_index)
        self._counts[index] += 1
        return self.probability(index)

    def _remove(self, bin_index: int) -> None:
        """Undo one :meth:`add` (used when an update is abandoned before the optimizer step)."""
        index = self._check(bin_index)
        if self._counts[index] == 0:
            raise ValueError(f"bin {index} has no count to remove")
        self._counts[index] -= 1

    def probability(self, bin_index: int) -> float:
        """count[bin] / total for an int bin in [0, bins); 0.0 while nothing has been counted."""
        index = self._check(bin_index)
        total = self.total
        return float(self._counts[index]) / total if total else 0.0

    @property
    def counts(self) -> np.ndarray:
        """A copy of the per-bin counts, int64 of shape (bins,)."""
        return self._counts.copy()

    @property
    def total(self) -> int:
        """The number of actions counted so far."""
        return int(self._counts.sum())

    def state_dict(self) -> dict[str, Any]:
        """The estimator's state as plain Python values: ``{"bins": int, "counts": list[int]}``."""
        return {"bins": self.bins, "counts": [int(c) for c in self._counts]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; its bin count must match this estimator's."""
        counts = np.asarray(state["counts"], dtype=np.int64)
        if int(state["bins"]) != self.bins or counts.shape != (self.bins,):
            raise ValueError(f"state has {state['bins']} bins, this estimator has {self.bins}")
        if np.any(counts < 0):
            raise ValueError("state holds negative counts")
        self._counts = counts.copy()


@dataclass
class PaperRLHFConfig:
    """Settings of the paper's update (``--agent paper-rlhf``)."""

    k: float = field(
        default=50.0,
        metadata={"flag": "--paper-k", "help": "loss scale k in loss = -k p reward (the paper: 50)"},
    )
    greedy: float = field(
        default=0.95,
        metadata={
            "flag": "--paper-greedy",
            "help": "probability of answering x rounded to a bin, else a random bin (the paper: 0.95)",
        },
    )
    bins: int = field(
        default=101,
        metadata={
            "flag": "--paper-bins",
            "help": "action bins over the 0-1 similarity (the paper: 101, step 0.01)",
        },
    )
    lr: float = field(
        default=2e-5,
        metadata={
            "flag": "--paper-lr",
            "help": "Adam learning rate; our choice, the paper does not give its stage-2 rate",
        },
    )
    seed: int = field(default=0, metadata={"cli": False, "help": "seed of the greedy/random action choice"})

    def __post_init__(self) -> None:
        if not math.isfinite(self.k) or self.k <= 0:
            raise ValueError(f"k must be a finite positive number, got {self.k}")
        if not 0.0 <= self.greedy <= 1.0:
            raise ValueError(f"greedy must be in [0, 1], got {self.greedy}")
        if int(self.bins) < 2:
            raise ValueError(f"bins must be at least 2, got {self.bins}")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise ValueError(f"lr must be a finite positive number, got {self.lr}")


def paper_rlhf_loss(x: Tensor, x0: Tensor | float, p: Tensor | float, k: float) -> Tensor:
    """The paper's loss -k p reward(x, x0), with ``p`` treated as a constant (detached).

    Expects ``x`` the model's similarity on the 0-1 scale (gradients flow through it),
    ``x0`` the label on the 0-1 scale, ``p`` the estimator's probability of the chosen
    action, ``k`` the scale. Returns a tensor of the broadcast shape (0-d for scalars).
    Example: x = 0.5, x0 = 0.9 gives reward (1 - 16) / 10 = -1.5 and loss 75 p for k = 50.
    """
    p = torch.as_tensor(p, dtype=x.dtype, device=x.device).detach()
    return -float(k) * p * paper_reward_tensor(x, x0)


def _sentences(observation: dict) -> tuple[str, str]:
    """The two sentences of a text observation ``{"sentence_a": str, "sentence_b": str}``."""
    if not isinstance(observation, dict) or not {"sentence_a", "sentence_b"} <= observation.keys():
        raise TypeError(
            "the paper agent needs text observations {'sentence_a': str, 'sentence_b': str}; "
            'create the environment with observation="text"'
        )
    return (
        validate_sentence(observation["sentence_a"], "observation['sentence_a']"),
        validate_sentence(observation["sentence_b"], "observation['sentence_b']"),
    )


@dataclass
class _Pending:
    """What :meth:`PaperRLHFAgent.act` remembers for the following :meth:`PaperRLHFAgent.learn`."""

    sentences: tuple[str, str]
    x: Tensor
    bin_index: int


class PaperRLHFAgent:
    """The paper's update on a :class:`SentenceEncoder`, fine-tuned in place with Adam.

    Use with a ``SentenceSimilarityEnv`` in text mode: ``action = agent.act(obs)``, step
    the env, then ``agent.learn(obs, action, label)`` with ``label = info["oracle_score"]``
    (``None`` or NaN when the oracle skipped).

    Args:
        encoder: the encoder to fine-tune (its parameters are updated in place).
        config: the update's settings (default :class:`PaperRLHFConfig`).
    """

    def __init__(self, encoder: SentenceEncoder, config: PaperRLHFConfig | None = None):
        self.encoder = encoder
        self.config = config if config is not None else PaperRLHFConfig()
        self.bins = int(self.config.bins)
        self.estimator = ProbabilityEstimator(self.bins)
        self.optimizer = torch.optim.Adam(self.encoder.parameters(), lr=self.config.lr)
        self.rng = np.random.default_rng(self.config.seed)
        self.updates = 0
        self._pending: _Pending | None = None

    # ------------------------------------------------------------------ acting
    def similarity(self, sentence_a: str, sentence_b: str) -> Tensor:
        """x = |cos(e_a, e_b)| as a 0-d tensor (with gradients when grad mode is on)."""
        embeddings = self.encoder.embed([sentence_a, sentence_b])
        cosine = torch.nn.functional.cosine_similarity(embeddings[0], embeddings[1], dim=0)
        return cosine.abs()

    def greedy_bin(self, x: float) -> int:
        """The bin of similarity ``x`` in [0, 1]: x rounded to the nearest 1 / (bins - 1), clipped."""
        if not math.isfinite(x):
            raise FloatingPointError(f"the encoder's similarity is {x}; its weights hold NaN or inf")
        return int(min(max(math.floor(x * (self.bins - 1) + 0.5), 0), self.bins - 1))

    def choose_bin(self, x: float) -> int:
        """With probability ``greedy`` the greedy bin of ``x``, else a uniformly random bin (from ``rng``)."""
        greedy = self.greedy_bin(x)
        if self.rng.random() < self.config.greedy:
            return greedy
        return int(self.rng.integers(self.bins))

    def bin_to_action(self, bin_index: int) -> np.ndarray:
        """The environment action in [-1, 1], shape (1,), float32, for a bin: score = bin / (bins - 1) * 5."""
        return score_to_action(int(bin_index) / (self.bins - 1) * MAX_SCORE)

    def action_to_bin(self, action: np.ndarray) -> int:
        """The bin nearest to an environment action (the inverse of :meth:`bin_to_action`)."""
        return self.greedy_bin(action_to_score(action, clip=True) / MAX_SCORE)

    def act(self, observation: dict) -> np.ndarray:
        """Answer a text observation: the env action (shape (1,), float32, in [-1, 1]) of the chosen bin.

        Remembers the pair, the similarity x (with its graph) and the bin for :meth:`learn`.
        """
        sentences = _sentences(observation)
        x = self.similarity(*sentences)
        bin_index = self.choose_bin(float(x.detach()))
        self._pending = _Pending(sentences, x, bin_index)
        return self.bin_to_action(bin_index)

    # ------------------------------------------------------------------ learning
    def learn(self, observation: dict, action: np.ndarray, oracle_score: float | None) -> dict | None:
        """One update from a judged pair; returns ``{"loss", "reward", "p", "x", "bin"}``, or None on a skip.

        ``observation`` is the text observation the action answered, ``action`` the env
        action (its bin is what the estimator counts), ``oracle_score`` the label on 0-5
        (``None`` or NaN: the oracle skipped, nothing is learned). Reuses the forward pass
        of the preceding :meth:`act` on the same pair, else runs a new one. Raises
        ``FloatingPointError`` before any optimizer step when the loss is not finite.
        """
        pending, self._pending = self._pending, None
        if oracle_score is None or (
            isinstance(oracle_score, numbers.Real) and math.isnan(float(oracle_score))
        ):
            return None
        x0 = validate_score(oracle_score, "oracle_score") / MAX_SCORE
        sentences = _sentences(observation)
        bin_index = self.action_to_bin(action)
        if pending is not None and pending.sentences == sentences and pending.x.requires_grad:
            x = pending.x
        else:
            with torch.enable_grad():
                x = self.similarity(*sentences)
        p = self.estimator.add(bin_index)
        with torch.enable_grad():
            reward = paper_reward_tensor(x, x0)
            loss = paper_rlhf_loss(x, x0, p, self.config.k)
        if not torch.isfinite(loss):
            self.estimator._remove(bin_index)
            raise FloatingPointError(
                f"the paper loss is {float(loss.detach())} (x = {float(x.detach())}, label = {oracle_score}, "
                f"p = {p}); "
                "no optimizer step was taken: the encoder's weights or embeddings hold NaN or inf"
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.updates += 1
        return {
            "loss": float(loss.detach()),
            "reward": float(reward.detach()),
            "p": p,
            "x": float(x.detach()),
            "bin": bin_index,
        }

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: encoder and optimizer states, estimator counts, RNG state, config."""
        return {
            "encoder": self.encoder.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "estimator": self.estimator.state_dict(),
            "rng": self.rng.bit_generator.state,
            "updates": self.updates,
            "config": asdict(self.config),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (the bin count must match this agent's config)."""
        if int(state["config"]["bins"]) != self.bins:
            raise ValueError(f"checkpoint has {state['config']['bins']} bins, this agent has {self.bins}")
        self.encoder.load_state_dict(state["encoder"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.estimator.load_state_dict(state["estimator"])
        self.rng.bit_generator.state = state["rng"]
        self.updates = int(state["updates"])
        self._pending = None


def run_paper_rlhf(
    env, agent: PaperRLHFAgent, queries: int, progress: bool = True, seed: int | None = None
) -> dict[str, Any]:
    """Play ``queries`` oracle queries of ``agent`` on a text-mode ``SentenceSimilarityEnv``, one update each.

    Expects the env (or a wrapper of it) with ``observation="text"``; it is reset at the
    start (with ``seed``) and whenever an episode is truncated. Stops early, without
    raising, when the env's label budget is spent. Skipped pairs count as queries but
    give no update. Returns ``{"queries", "updates", "skipped", "mean_reward"`` (the env's
    reward), ``"mean_paper_reward"``, ``"mean_loss"``, ``"seconds"``, ``"budget_exhausted"}``.
    """
    base = getattr(env, "unwrapped", env)
    if getattr(base, "observation_mode", None) != "text":
        raise ValueError('run_paper_rlhf needs a SentenceSimilarityEnv created with observation="text"')
    if int(queries) < 1:
        raise ValueError(f"queries must be at least 1, got {queries}")
    budget = getattr(base, "budget_left", None)
    if budget == 0:
        raise LabelBudgetExhaustedError("the environment's label budget is already spent")
    planned = int(queries) if budget is None else min(int(queries), int(budget))

    from tqdm.auto import tqdm

    env_rewards: list[float] = []
    paper_rewards: list[float] = []
    losses: list[float] = []
    skipped = 0
    start = time.perf_counter()
    observation, _ = env.reset(seed=seed)
    bar = tqdm(total=planned, desc="paper-rlhf", unit="query", disable=not progress)
    for step in range(planned):
        action = agent.act(observation)
        next_observation, reward, terminated, truncated, info = env.step(action)
        env_rewards.append(float(reward))
        label = None if info.get("skipped") else info["oracle_score"]
        stats = agent.learn(observation, action, label)
        if stats is None:
            skipped += 1
        else:
            paper_rewards.append(stats["reward"])
            losses.append(stats["loss"])
            bar.set_postfix(loss=f"{stats['loss']:.3f}", x=f"{stats['x']:.2f}", refresh=False)
        bar.update(1)
        observation = next_observation
        if (terminated or truncated) and step + 1 < planned:
            observation, _ = env.reset()
    bar.close()

    def mean(values: list[float]) -> float:
        return float(np.mean(values)) if values else math.nan

    return {
        "queries": len(env_rewards),
        "updates": len(losses),
        "skipped": skipped,
        "mean_reward": mean(env_rewards),
        "mean_paper_reward": mean(paper_rewards),
        "mean_loss": mean(losses),
        "seconds": time.perf_counter() - start,
        "budget_exhausted": getattr(base, "budget_left", None) == 0,
    }
