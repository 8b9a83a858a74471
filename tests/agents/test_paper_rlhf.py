from __future__ import annotations

import copy
import io
import math

import numpy as np
import pytest
import torch

from agents.paper_rlhf import (
    PaperRLHFAgent,
    PaperRLHFConfig,
    ProbabilityEstimator,
    paper_reward_tensor,
    paper_rlhf_loss,
    run_paper_rlhf,
)
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders import SentenceEncoder
from rcsim_env.envs import SentenceSimilarityEnv, action_to_score
from rcsim_env.rewards import paper_reward

OBS = {"sentence_a": "a man plays the guitar .", "sentence_b": "two dogs are running in the park ."}
WORDS = "a man woman dog cat plays guitar runs in park eats food sleeps house car red blue big small".split()


@pytest.fixture
def encoder(tiny_model_dir) -> SentenceEncoder:
    """A fresh tiny encoder per test, so training never touches the shared fixture."""
    return SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")


def small_pool(n: int = 12) -> list[ScoredPair]:
    rng = np.random.default_rng(0)
    return [
        ScoredPair(
            " ".join(rng.choice(WORDS, 5)), " ".join(rng.choice(WORDS, 4)), float(rng.uniform(0, 5)), str(i)
        )
        for i in range(n)
    ]


# ---------------------------------------------------------------------------- the loss


@pytest.mark.parametrize(
    ("x", "x0", "reward"),
    [
        (0.5, 0.6, 0.0),  # 1 - 100 * 0.01
        (0.5, 0.5, 1.0),
        (0.55, 0.5, 0.75),  # 1 - 100 * 0.0025
        (0.5, 0.9, -1.5),  # (1 - 16) / 10
        (0.0, 1.0, -9.9),  # (1 - 100) / 10
    ],
)
def test_paper_loss_by_hand(x, x0, reward):
    p = 0.25
    xt = torch.tensor(x, dtype=torch.float64)
    assert float(paper_reward_tensor(xt, x0)) == pytest.approx(reward, abs=1e-12)
    assert float(paper_rlhf_loss(xt, x0, p, k=50.0)) == pytest.approx(-50.0 * p * reward, abs=1e-10)
    # the same reward the environment computes with reward="paper" on the 0-5 scale
    assert paper_reward(5 * x, 5 * x0) == pytest.approx(reward, abs=1e-12)


def test_paper_loss_gradient_pulls_x_toward_the_label_and_p_is_constant():
    x = torch.tensor([0.5, 0.5], dtype=torch.float64, requires_grad=True)
    p = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    loss = paper_rlhf_loss(x, torch.tensor([0.55, 0.9], dtype=torch.float64), p, k=50.0).sum()
    loss.backward()
    # d loss / dx = -k p dR/dx; R = 1 - 100 d^2 -> dR/dx = -200 d; the negative branch is divided by 10
    assert x.grad.tolist() == pytest.approx([-50 * 0.5 * (-200 * -0.05), -50 * 0.5 * (-200 * -0.4) / 10])
    assert p.grad is None


# ---------------------------------------------------------------------------- the estimator


def test_probability_estimator_counts_after_adding():
    estimator = ProbabilityEstimator(bins=101)
    assert estimator.total == 0 and estimator.probability(3) == 0.0
    assert estimator.add(50) == 1.0
    assert estimator.add(50) == 1.0
    assert estimator.add(7) == pytest.approx(1 / 3)
    assert estimator.probability(50) == pytest.approx(2 / 3)
    assert estimator.add(50) == pytest.approx(3 / 4)
    counts = estimator.counts
    assert counts.shape == (101,) and counts[50] == 3 and counts[7] == 1
    assert counts.sum() == estimator.total == 4
    counts[0] = 99  # a copy
    assert estimator.probability(0) == 0.0
    with pytest.raises(ValueError, match="outside"):
        estimator.add(101)
    with pytest.raises(TypeError):
        estimator.add(2.0)
    restored = ProbabilityEstimator(bins=101)
    restored.load_state_dict(estimator.state_dict())
    np.testing.assert_array_equal(restored.counts, estimator.counts)
    with pytest.raises(ValueError, match="bins"):
        ProbabilityEstimator(bins=5).load_state_dict(estimator.state_dict())


# ---------------------------------------------------------------------------- acting


def test_greedy_and_random_bins_come_at_the_configured_rates(tiny_encoder):
    agent = PaperRLHFAgent(tiny_encoder, PaperRLHFConfig(greedy=0.95, seed=3))
    assert agent.greedy_bin(0.424) == 42 and agent.greedy_bin(0.426) == 43
    assert agent.greedy_bin(1.0000001) == 100 and agent.greedy_bin(0.0) == 0
    bins = np.array([agent.choose_bin(0.42) for _ in range(20_000)])
    greedy_share = np.mean(bins == 42)
    assert greedy_share == pytest.approx(0.95 + 0.05 / 101, abs=0.006)
    others = np.bincount(bins[bins != 42], minlength=101)
    assert others[42] == 0 and (others > 0).sum() >= 95  # the random bins spread over the range
    again = PaperRLHFAgent(tiny_encoder, PaperRLHFConfig(greedy=0.95, seed=3))
    assert [again.choose_bin(0.42) for _ in range(200)] == bins[:200].tolist()
    always = PaperRLHFAgent(tiny_encoder, PaperRLHFConfig(greedy=1.0))
    assert all(always.choose_bin(0.3) == 30 for _ in range(500))


def test_act_answers_the_rounded_absolute_cosine(tiny_encoder):
    agent = PaperRLHFAgent(tiny_encoder, PaperRLHFConfig(greedy=1.0))
    action = agent.act(OBS)
    assert action.shape == (1,) and action.dtype == np.float32 and -1.0 <= action[0] <= 1.0
    cosine = float(tiny_encoder.similarity([OBS["sentence_a"]], [OBS["sentence_b"]])[0])
    assert action_to_score(action) == pytest.approx(round(abs(cosine), 2) * 5, abs=1e-5)
    assert agent.action_to_bin(action) == round(abs(cosine) * 100)
    with pytest.raises(TypeError, match="text observations"):
        agent.act(np.zeros(4))


# ---------------------------------------------------------------------------- learning


def test_learn_moves_the_similarity_toward_the_label(encoder):
    agent = PaperRLHFAgent(encoder, PaperRLHFConfig(lr=1e-3, greedy=1.0))
    with torch.no_grad():
        before = float(agent.similarity(OBS["sentence_a"], OBS["sentence_b"]))
    label = 0.0 if before > 0.5 else 5.0
    action = agent.act(OBS)
    stats = agent.learn(OBS, action, label)
    assert set(stats) == {"loss", "reward", "p", "x", "bin"}
    assert stats["x"] == pytest.approx(before, abs=1e-6) and stats["p"] == 1.0
    assert stats["reward"] == pytest.approx(paper_reward(5 * before, label), abs=1e-5)
    assert stats["loss"] == pytest.approx(-50.0 * stats["reward"], rel=1e-6)
    with torch.no_grad():
        after = float(agent.similarity(OBS["sentence_a"], OBS["sentence_b"]))
    assert abs(after - label / 5) < abs(before - label / 5) - 1e-3
    assert agent.updates == 1 and agent.estimator.total == 1


def test_learn_without_act_runs_its_own_forward_pass(encoder):
    agent = PaperRLHFAgent(encoder, PaperRLHFConfig(lr=1e-3))
    with torch.no_grad():
        action = agent.act(OBS)  # no graph kept
    stats = agent.learn(OBS, action, 2.5)
    assert stats is not None and agent.updates == 1
    assert agent.learn(OBS, action, 2.5) is not None  # a second call on the same pair recomputes x


def test_skipped_labels_change_nothing(encoder):
    agent = PaperRLHFAgent(encoder, PaperRLHFConfig(lr=1e-3))
    weights = copy.deepcopy(encoder.state_dict())
    for label in (None, math.nan, np.float32("nan")):
        action = agent.act(OBS)
        assert agent.learn(OBS, action, label) is None
    assert agent.updates == 0 and agent.estimator.total == 0
    for name, value in encoder.state_dict().items():
        assert torch.equal(value, weights[name]), name


def test_a_non_finite_loss_raises_before_stepping(encoder, monkeypatch):
    agent = PaperRLHFAgent(encoder, PaperRLHFConfig(lr=1e-3))
    action = agent.act(OBS)
    weights = copy.deepcopy(encoder.state_dict())
    nan = torch.tensor(math.nan, requires_grad=True)
    monkeypatch.setattr(agent, "similarity", lambda a, b: nan * 1.0)
    with pytest.raises(FloatingPointError, match="no optimizer step"):
        agent.learn({"sentence_a": "a cat", "sentence_b": "a dog"}, action, 3.0)
    assert agent.updates == 0 and agent.estimator.total == 0
    for name, value in encoder.state_dict().items():
        assert torch.equal(value, weights[name]), name


def test_bad_labels_and_actions_are_refused(encoder):
    agent = PaperRLHFAgent(encoder)
    action = agent.act(OBS)
    with pytest.raises(ValueError, match="oracle_score"):
        agent.learn(OBS, action, 7.0)
    with pytest.raises(ValueError):
        agent.learn(OBS, np.array([math.inf], np.float32), 3.0)
    with pytest.raises(ValueError):
        PaperRLHFConfig(greedy=1.5)


def test_state_round_trip_reproduces_the_next_update(tiny_model_dir):
    first = PaperRLHFAgent(
        SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu"), PaperRLHFConfig(lr=1e-3, seed=5)
    )
    for label in (1.0, 4.0, 2.5):
        first.learn(OBS, first.act(OBS), label)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    second = PaperRLHFAgent(
        SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu"), PaperRLHFConfig(lr=1e-3, seed=99)
    )
    second.load_state_dict(torch.load(buffer))
    assert second.updates == 3 and second.estimator.total == 3
    np.testing.assert_array_equal(second.estimator.counts, first.estimator.counts)
    for _ in range(3):
        a1, a2 = first.act(OBS), second.act(OBS)
        np.testing.assert_array_equal(a1, a2)
        s1, s2 = first.learn(OBS, a1, 0.25), second.learn(OBS, a2, 0.25)
        assert s1 == pytest.approx(s2, rel=1e-5)


# ---------------------------------------------------------------------------- the loop


def test_run_paper_rlhf_plays_the_budget_and_resets_between_episodes(encoder):
    env = SentenceSimilarityEnv(
        pairs=small_pool(),
        observation="text",
        reward="paper",
        noise="paper",
        episode_length=4,
        label_budget=10,
    )
    agent = PaperRLHFAgent(encoder, PaperRLHFConfig(lr=1e-4))
    summary = run_paper_rlhf(env, agent, queries=25, progress=False, seed=0)
    assert summary["queries"] == 10 and summary["updates"] == 10 and summary["skipped"] == 0
    assert summary["budget_exhausted"] is True
    assert -9.9 <= summary["mean_reward"] <= 1.0 and math.isfinite(summary["mean_loss"])
    assert summary["seconds"] > 0 and agent.estimator.total == 10


def test_run_paper_rlhf_counts_skips_and_needs_text_observations(encoder, tiny_encoder):
    from rcsim_env.oracles import AnnotatorNoise

    env = SentenceSimilarityEnv(
        pairs=small_pool(), observation="text", noise=AnnotatorNoise(skip_rate=1.0), episode_length=3
    )
    summary = run_paper_rlhf(env, PaperRLHFAgent(encoder), queries=5, progress=False, seed=0)
    assert summary["queries"] == 5 and summary["skipped"] == 5 and summary["updates"] == 0
    embedding_env = SentenceSimilarityEnv(pairs=small_pool(), observation="embedding", encoder=tiny_encoder)
    with pytest.raises(ValueError, match="text"):
        run_paper_rlhf(embedding_env, PaperRLHFAgent(encoder), queries=2, progress=False)
