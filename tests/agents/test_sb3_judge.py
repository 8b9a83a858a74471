from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from stable_baselines3 import TD3

from agents.sb3_judge import (
    TD3JudgeConfig,
    judge_agreement,
    judge_pairs,
    pair_observations,
    train_td3_judge,
)
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs import SentenceSimilarityEnv
from rcsim_env.errors import LabelBudgetExhaustedError

WORDS = "a man woman dog cat plays guitar runs in park eats food sleeps house car red blue big small".split()


def pool(n: int = 40, seed: int = 0) -> list[ScoredPair]:
    rng = np.random.default_rng(seed)
    return [
        ScoredPair(
            " ".join(rng.choice(WORDS, 5)), " ".join(rng.choice(WORDS, 4)), float(rng.uniform(0, 5)), str(i)
        )
        for i in range(n)
    ]


def small_config(**overrides) -> TD3JudgeConfig:
    values = {"queries": 60, "learning_starts": 100, "batch_size": 16, "net_arch": (32, 32), "seed": 0}
    return TD3JudgeConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def trained(tiny_encoder):
    env = SentenceSimilarityEnv(
        pairs=pool(), observation="embedding", encoder=tiny_encoder, episode_length=10, label_budget=60
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # budget == queries: no warning
        model = train_td3_judge(env, small_config())
    return env, model


def test_td3_trains_within_the_label_budget(trained):
    env, model = trained
    assert isinstance(model, TD3)
    assert model.num_timesteps == 60 and env.queries_used == 60 and env.budget_left == 0
    assert model.learning_starts == 15  # capped at queries // 4
    assert model.replay_buffer.buffer_size == 60 and model.gamma == 0.0


def test_the_actor_judges_pairs_with_finite_scores(trained, tiny_encoder):
    _, model = trained
    held_out = pool(30, seed=1)
    scores = judge_pairs(model, tiny_encoder, held_out)
    assert scores.shape == (30,) and scores.dtype == np.float64
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 5))
    agreement = judge_agreement(model, tiny_encoder, held_out)
    assert isinstance(agreement, float) and (math.isnan(agreement) or -100 <= agreement <= 100)
    assert judge_pairs(model, tiny_encoder, []).shape == (0,)
    with pytest.raises(ValueError, match="gold"):
        judge_agreement(model, tiny_encoder, [ScoredPair("a cat", "a dog", None, "x")] * 2)


def test_observations_are_the_environments_own(tiny_encoder):
    pairs = pool(5)
    env = SentenceSimilarityEnv(pairs=pairs, observation="embedding", encoder=tiny_encoder, episode_length=1)
    observations = pair_observations(tiny_encoder, pairs)
    assert observations.shape == (5, 2 * tiny_encoder.dim) and observations.dtype == np.float32
    observation, info = env.reset(options={"pair_ids": ["3"]})
    np.testing.assert_allclose(observations[3], observation, atol=1e-6)
    half = tiny_encoder.dim
    cosine = tiny_encoder.similarity([pairs[3].sentence_a], [pairs[3].sentence_b])[0]
    assert float(observations[3, :half] @ observations[3, half:]) == pytest.approx(cosine, abs=1e-5)


def test_a_budget_smaller_than_the_queries_warns_and_does_not_raise(tiny_encoder):
    env = SentenceSimilarityEnv(
        pairs=pool(), observation="embedding", encoder=tiny_encoder, episode_length=7, label_budget=20
    )
    with pytest.warns(UserWarning, match="label budget leaves 20"):
        model = train_td3_judge(env, small_config(queries=50))
    assert model.num_timesteps == 20 and env.budget_left == 0
    with pytest.raises(LabelBudgetExhaustedError, match="budget"):
        train_td3_judge(env, small_config())


def test_wrong_inputs_are_refused(tiny_encoder, trained):
    text_env = SentenceSimilarityEnv(pairs=pool(), observation="text")
    with pytest.raises(ValueError, match="embedding"):
        train_td3_judge(text_env, small_config())
    assert TD3JudgeConfig(net_arch="64, 32").net_arch == (64, 32)
    with pytest.raises(ValueError, match="net_arch"):
        TD3JudgeConfig(net_arch="big")

    _, model = trained
    with pytest.raises(ValueError, match="observations of shape"):
        judge_pairs(model, _Padded(tiny_encoder), pool(3))


class _Padded:
    """An encoder whose embeddings are twice as long, to provoke the shape check."""

    def __init__(self, encoder):
        self.inner = encoder
        self.dim = encoder.dim * 2

    def encode(self, sentences, batch_size=64, normalize=False, show_progress=False):
        vectors = self.inner.encode(sentences, batch_size=batch_size, normalize=normalize)
        return np.concatenate([vectors, np.zeros_like(vectors)], axis=1)
