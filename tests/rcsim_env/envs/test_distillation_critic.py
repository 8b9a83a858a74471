"""The distillation environment's default critic: averaged unit word vectors, built without agents."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.words import WordVocabulary
from rcsim_env.envs.distillation_critic import AveragedWordVectorCritic

WORDS = ["a", "man", "plays", "guitar", "dog", "runs", "park"]


def critic(seed: int = 0) -> AveragedWordVectorCritic:
    vocabulary = WordVocabulary(WORDS)
    vectors = np.random.default_rng(seed).normal(size=(len(vocabulary), 5))
    vectors[0] = 0.0  # padding
    return AveragedWordVectorCritic(vocabulary, vectors)


sentences = st.lists(st.sampled_from(WORDS + ["unknown"]), min_size=0, max_size=12)


@settings(max_examples=60, deadline=None)
@given(sentences, sentences)
def test_distance_is_a_symmetric_l1_between_means_and_zero_on_itself(words_a, words_b):
    judge = critic()
    d = judge.distance(words_a, words_b)
    assert d >= 0.0 and d == pytest.approx(judge.distance(words_b, words_a))
    assert judge.distance(words_a, words_a) == 0.0
    expected = np.abs(
        (judge.word_vectors(words_a).mean(0) if words_a else 0)
        - (judge.word_vectors(words_b).mean(0) if words_b else 0)
    ).sum()
    assert d == pytest.approx(float(expected), abs=1e-5)


@settings(max_examples=60, deadline=None)
@given(sentences)
def test_the_running_state_stays_within_the_environment_s_bounds(words):
    judge = critic()
    hidden = cell = np.zeros(judge.hidden_size, np.float32)
    for vector in judge.word_vectors(words):
        assert np.all(np.abs(vector) <= judge.word_bound + 1e-6)
        hidden, cell = judge.first_layer_step(vector, hidden, cell)
        assert np.linalg.norm(hidden) <= 1.0 + 1e-5
    assert np.all(np.abs(cell) <= max(len(words), 1) + 1e-5)


def test_word_vectors_are_unit_length_and_unknown_words_share_one_row():
    judge = critic()
    vectors = judge.word_vectors(["man", "unknown", "also-unknown", "<pad>"])
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors[:3], axis=1) == pytest.approx([1.0, 1.0, 1.0])
    assert np.array_equal(vectors[1], vectors[2]) and not np.array_equal(vectors[0], vectors[1])


def test_the_environment_builds_it_by_default_from_the_encoder(tiny_encoder):
    import gymnasium as gym

    import rcsim_env  # noqa: F401

    pool = [ScoredPair("a man plays the guitar .", "a man is playing piano .", 1.0, "p0")]
    env = gym.make("RCSim/SentenceDistillation-v0", pairs=pool, encoder=tiny_encoder)
    assert isinstance(env.unwrapped.critic, AveragedWordVectorCritic)
    observation, _ = env.reset(seed=0)
    assert env.observation_space.contains(observation)
    terminated = truncated = False
    while not (terminated or truncated):
        observation, reward, terminated, truncated, _ = env.step(1)
        assert env.observation_space.contains(observation)
    judge = env.unwrapped.critic
    distance = judge.distance(judge.split_words(pool[0].sentence_a), judge.split_words(pool[0].sentence_b))
    assert reward == pytest.approx(-0.5 * distance**2)  # every word kept, label 1: the contrastive loss


def test_a_vector_table_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="one vector row per word"):
        AveragedWordVectorCritic(WordVocabulary(WORDS), np.zeros((3, 5)))
