"""Stable-Baselines3 TD3 as a pair judge, trained on the environment's embedding observations.

SB3's critic never back-propagates into a shared feature extractor, so TD3 cannot
fine-tune the sentence encoder: the encoder stays frozen and only TD3's actor (an MLP
reading ``[unit(e_a); unit(e_b)]``) learns to answer. This row of the comparison
therefore reports how well that actor judges pairs (:func:`judge_agreement`), not an
encoder's cosine scores.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rcsim_env.data.pairs import ScoredPair, coerce_pair
from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.envs.observations import EmbeddingObserver
from rcsim_env.envs.similarity import action_to_score
from rcsim_env.errors import LabelBudgetExhaustedError
from rcsim_env.evaluation.metrics import correlations


def _parse_net_arch(value: object) -> tuple[int, ...]:
    """Hidden layer sizes from a tuple/list of ints or a comma-separated string such as ``"256,256"``."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        try:
            sizes = tuple(int(part) for part in parts)
        except ValueError as exc:
            raise ValueError(f"net_arch must be comma-separated integers, got {value!r}") from exc
    else:
        sizes = tuple(int(size) for size in value)  # type: ignore[union-attr]
    if not sizes or any(size < 1 for size in sizes):
        raise ValueError(f"net_arch needs at least one positive layer size, got {value!r}")
    return sizes


@dataclass
class TD3JudgeConfig:
    """Settings of the SB3 TD3 judge: TD3 on frozen-encoder embedding observations."""

    queries: int = field(default=1000, metadata={"help": "oracle queries (environment steps) to train on"})
    learning_starts: int = field(
        default=100, metadata={"help": "random-action steps before training (capped at queries // 4)"}
    )
    batch_size: int = field(default=64, metadata={"help": "replay minibatch size"})
    lr: float = field(default=1e-3, metadata={"help": "actor and critic learning rate"})
    noise_sigma: float = field(
        default=0.2, metadata={"help": "std of the Gaussian exploration noise on the [-1, 1] action"}
    )
    net_arch: tuple[int, ...] = field(
        default=(256, 256), metadata={"help": "hidden layer sizes of actor and critic, e.g. 256,256"}
    )
    gamma: float = field(
        default=0.0,
        metadata={
            "help": "discount; pairs are independent (a contextual bandit), so 0; SB3's own default is 0.99"
        },
    )
    seed: int = field(default=0, metadata={"help": "seed of TD3 and of the environment's first reset"})

    def __post_init__(self) -> None:
        self.net_arch = _parse_net_arch(self.net_arch)
        if int(self.queries) < 1:
            raise ValueError(f"queries must be at least 1, got {self.queries}")
        if int(self.learning_starts) < 0:
            raise ValueError(f"learning_starts must be >= 0, got {self.learning_starts}")
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise ValueError(f"lr must be a finite positive number, got {self.lr}")
        if not math.isfinite(self.noise_sigma) or self.noise_sigma < 0:
            raise ValueError(f"noise_sigma must be >= 0, got {self.noise_sigma}")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")


def train_td3_judge(env, config: TD3JudgeConfig | None = None):
    """Train SB3 ``TD3`` (``MlpPolicy``) on a ``SentenceSimilarityEnv`` with embedding observations.

    ``env`` (or the env a wrapper holds) must use ``observation="embedding"``. TD3 takes
    ``min(queries, env.budget_left)`` steps: the step that spends the env's last label
    truncates the episode and SB3 then only resets (which costs no label), so a label
    budget never raises; a budget smaller than ``queries`` gives a warning. The replay
    buffer holds exactly the steps taken. Returns the trained ``TD3`` model.
    """
    from stable_baselines3 import TD3
    from stable_baselines3.common.noise import NormalActionNoise

    config = config if config is not None else TD3JudgeConfig()
    base = getattr(env, "unwrapped", env)
    if getattr(base, "observation_mode", None) != "embedding":
        raise ValueError('train_td3_judge needs a SentenceSimilarityEnv created with observation="embedding"')
    budget = getattr(base, "budget_left", None)
    steps = int(config.queries) if budget is None else min(int(config.queries), int(budget))
    if steps < 1:
        raise LabelBudgetExhaustedError("the environment's label budget is already spent; TD3 cannot train")
    if steps < int(config.queries):
        warnings.warn(
            f"the label budget leaves {steps} queries, fewer than the {config.queries} asked for; "
            f"training on {steps}",
            stacklevel=2,
        )
    action_dim = int(np.prod(env.action_space.shape))
    model = TD3(
        "MlpPolicy",
        env,
        learning_rate=config.lr,
        buffer_size=steps,
        learning_starts=min(int(config.learning_starts), steps // 4),
        batch_size=int(config.batch_size),
        gamma=float(config.gamma),
        action_noise=NormalActionNoise(np.zeros(action_dim), np.full(action_dim, float(config.noise_sigma))),
        policy_kwargs={"net_arch": list(config.net_arch)},
        seed=int(config.seed),
        verbose=0,
    )
    model.learn(total_timesteps=steps)
    return model


def pair_observations(encoder: SentenceEncoder, pairs: Sequence[ScoredPair]) -> np.ndarray:
    """The env's embedding observations of ``pairs``: float32 (n, 2 * dim) rows ``[unit(e_a); unit(e_b)]``.

    Built by the environment's own :class:`~rcsim_env.envs.observations.EmbeddingObserver`,
    so the rows are exactly what a ``SentenceSimilarityEnv`` over these pairs would show.
    """
    checked = [coerce_pair(item, index) for index, item in enumerate(pairs)]
    observer = EmbeddingObserver(checked, encoder)
    if not checked:
        return np.zeros((0, observer.space.shape[0]), dtype=np.float32)
    observer.precompute()
    return np.stack([observer.observe(index) for index in range(len(checked))])


def judge_pairs(model, encoder: SentenceEncoder, pairs: Sequence[ScoredPair]) -> np.ndarray:
    """The trained actor's deterministic 0-5 scores for ``pairs``; a float64 array of ``len(pairs)``.

    ``encoder`` must be the one the training environment observed with (the observation
    sizes must match the model's).
    """
    observations = pair_observations(encoder, pairs)
    expected = tuple(model.observation_space.shape)
    if observations.shape[1:] != expected:
        raise ValueError(
            f"the model reads observations of shape {expected}, but this encoder gives "
            f"{observations.shape[1:]}: judge with the encoder the model was trained on"
        )
    if len(observations) == 0:
        return np.zeros(0, dtype=np.float64)
    actions, _ = model.predict(observations, deterministic=True)
    actions = np.asarray(actions, dtype=np.float64).reshape(len(observations), -1)
    return np.array([action_to_score(action, clip=True) for action in actions], dtype=np.float64)


def judge_agreement(model, encoder: SentenceEncoder, pairs: Sequence[ScoredPair]) -> float:
    """Spearman correlation x100 between the actor's scores and the gold scores of ``pairs``.

    Every pair needs a gold score; at least two pairs. NaN when the actor answers one
    constant score (a correlation with a constant is undefined).
    """
    checked = [coerce_pair(item, index) for index, item in enumerate(pairs)]
    missing = next((pair.pair_id for pair in checked if pair.score is None), None)
    if missing is not None:
        raise ValueError(f"pair {missing} has no gold score; agreement needs scored pairs")
    gold = np.array([pair.score for pair in checked], dtype=np.float64)
    return float(correlations(judge_pairs(model, encoder, checked), gold)["spearman"])
