import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.monitor import Monitor

import rcsim_env
from agents.distillation.env_critic import SiameseEnvCritic, untrained_critic
from agents.distillation.rollout import compact
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs.distillation import (
    SentenceDistillationEnv,
    distillation_reward,
    episode_reward,
    validate_action,
)
from rcsim_env.envs.similarity import EpisodeStateError
from rcsim_env.errors import InvalidActionError, InvalidSentenceError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

POOL = [
    ScoredPair("a man plays the guitar .", "the man plays a guitar", 1.0, "p0"),
    ScoredPair("a dog runs in the park", "two cats sleep", 0.0, "p1"),
    ScoredPair("the woman reads a book", "a woman reads", 1.0, "p2"),
    ScoredPair("a child eats food", "the red car is big", 0.0, "p3"),
]


@pytest.fixture(scope="module")
def critic(tiny_encoder):
    return untrained_critic(POOL, tiny_encoder, hidden_size=6, matrices=2)


def make_env(critic, **kwargs):
    return SentenceDistillationEnv(pairs=kwargs.pop("pairs", POOL), critic=critic, **kwargs)


def run_episode(env, actions, **reset_kwargs):
    obs, info = env.reset(**reset_kwargs)
    steps = []
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            break
    return steps


# ------------------------------------------------------------------ API conformance
def test_the_id_is_registered_and_exported():
    spec = gym.spec(rcsim_env.SENTENCE_DISTILLATION_ID)
    assert rcsim_env.SENTENCE_DISTILLATION_ID == "RCSim/SentenceDistillation-v0"
    assert spec.entry_point == "rcsim_env.envs.distillation:SentenceDistillationEnv"
    assert "SENTENCE_DISTILLATION_ID" in rcsim_env.__all__


@pytest.mark.parametrize("render_mode", [None, "rgb_array"])
def test_gymnasium_checker_passes_without_warnings(critic, render_mode):
    env = gym.make(rcsim_env.SENTENCE_DISTILLATION_ID, pairs=POOL, critic=critic, render_mode=render_mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check_env(env.unwrapped)  # also makes and renders every declared render mode


def test_sb3_checker_passes_without_warnings(critic):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_check_env(make_env(critic, render_mode="rgb_array"), skip_render_check=False)


def test_spaces_are_discrete_keep_drop_and_a_float32_state(critic):
    env = make_env(critic)
    assert env.action_space == gym.spaces.Discrete(2)
    assert env.observation_space.dtype == np.float32
    assert env.observation_space.shape == (2 * 6 + critic.word_dim,)
    obs, info = env.reset(seed=0)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)


def test_the_default_critic_is_built_from_the_given_encoder(tiny_model_dir):
    env = gym.make(rcsim_env.SENTENCE_DISTILLATION_ID, pairs=POOL, encoder=str(tiny_model_dir))
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2 * 32 + 32,)  # default hidden 32; the tiny BERT's word vectors are 32 wide


# ------------------------------------------------------------------ episodes and rewards
def test_an_episode_walks_sentence_a_then_b_and_rewards_only_the_end(critic):
    env = make_env(critic)
    env.reset(seed=0, options={"pair_id": "p0"})
    words_a, words_b = critic.split_words(POOL[0].sentence_a), critic.split_words(POOL[0].sentence_b)
    actions = [1, 0] * 20
    steps = run_episode(env, actions, seed=0, options={"pair_id": "p0"})
    assert len(steps) == len(words_a) + len(words_b)
    assert [s[4]["sentence"] for s in steps] == ["a"] * len(words_a) + ["b"] * len(words_b)
    assert [s[4]["word"] for s in steps] == words_a + words_b
    assert all(s[1] == 0.0 and not s[2] and not s[3] for s in steps[:-1])
    obs, reward, terminated, truncated, info = steps[-1]
    assert terminated and not truncated and info["judged"]
    kept_a = [w for w, a in zip(words_a, actions) if a]
    kept_b = [w for w, a in zip(words_b, actions[len(words_a) :]) if a]
    assert info["distilled_a"] == " ".join(kept_a) and info["distilled_b"] == " ".join(kept_b)
    distance = critic.distance(kept_a, kept_b)
    assert info["distance"] == pytest.approx(distance) and info["similarity"] == pytest.approx(
        math.exp(-distance)
    )
    assert reward == pytest.approx(distillation_reward(distance, 1.0, "contrastive", 1.0))
    assert info["keep_fraction"] == pytest.approx((len(kept_a) + len(kept_b)) / (len(words_a) + len(words_b)))


def test_the_state_is_the_first_layer_after_the_kept_words_and_resets_between_sentences(critic):
    env = make_env(critic)
    obs, _ = env.reset(seed=0, options={"pair_id": "p2"})
    hidden = critic.hidden_size
    words = critic.split_words(POOL[2].sentence_a)  # the woman reads a book
    vectors = critic.word_vectors(words)
    assert np.all(obs[: 2 * hidden] == 0) and np.allclose(obs[2 * hidden :], vectors[0])
    obs, *_ = env.step(0)  # drop "the": the state stays zero
    assert np.all(obs[: 2 * hidden] == 0)
    obs, *_ = env.step(1)  # keep "woman"
    with torch.no_grad():
        _, (h, c) = critic.model.first(
            critic.model.embedding(torch.tensor([critic.vocabulary.ids(["woman"])]))
        )
    assert np.allclose(obs[:hidden], c[0, 0].numpy(), atol=1e-6)
    assert np.allclose(obs[hidden : 2 * hidden], h[0, 0].numpy(), atol=1e-6)
    for _ in range(len(words) - 2):
        obs, *_ = env.step(1)
    assert np.all(obs[: 2 * hidden] == 0)  # first word of sentence B: a fresh state
    assert np.allclose(obs[2 * hidden :], critic.word_vectors(["a"])[0])


def test_the_environment_judges_exactly_as_the_trainer_does(critic):
    env = make_env(critic)
    words_a, words_b = critic.split_words(POOL[1].sentence_a), critic.split_words(POOL[1].sentence_b)
    actions = [1, 1, 0, 1, 0, 1] + [0, 1, 1]
    steps = run_episode(env, actions, seed=0, options={"pair_id": "p1"})
    keep_a = torch.tensor([actions[: len(words_a)]], dtype=torch.bool)
    keep_b = torch.tensor([actions[len(words_a) :]], dtype=torch.bool)
    ids_a, len_a = compact(torch.tensor([critic.vocabulary.ids(words_a)]), keep_a)
    ids_b, len_b = compact(torch.tensor([critic.vocabulary.ids(words_b)]), keep_b)
    with torch.no_grad():
        distance = critic.model(ids_a, len_a, ids_b, len_b).distance.item()
    assert steps[-1][4]["distance"] == pytest.approx(distance, rel=1e-5)


def test_dropping_every_word_is_judged_and_finite(critic):
    steps = run_episode(make_env(critic), [0] * 50, seed=0, options={"pair_id": "p3"})
    info = steps[-1][4]
    assert steps[-1][2] and info["distilled_a"] == "" and info["keep_fraction"] == 0.0
    assert math.isfinite(steps[-1][1]) and steps[-1][1] <= 0.0


def test_max_steps_truncates_without_a_judgement(critic):
    env = make_env(critic, max_steps=3)
    steps = run_episode(env, [1] * 10, seed=0, options={"pair_id": "p0"})
    assert len(steps) == 3
    _, reward, terminated, truncated, info = steps[-1]
    assert truncated and not terminated and reward == 0.0 and not info["judged"] and "distance" not in info
    with pytest.raises(EpisodeStateError, match="after the episode ended"):
        env.step(1)


def test_max_words_cuts_sentences_before_the_episode(critic):
    steps = run_episode(make_env(critic, max_words=2), [1] * 10, seed=0, options={"pair_id": "p1"})
    assert len(steps) == 4 and [s[4]["word"] for s in steps] == ["a", "dog", "two", "cats"]


def test_the_drop_bonus_and_other_rewards(critic):
    bonus = make_env(critic, drop_bonus=0.5)
    plain = make_env(critic)
    actions = [1, 0] * 20
    with_bonus = run_episode(bonus, actions, seed=0, options={"pair_id": "p0"})[-1]
    without = run_episode(plain, actions, seed=0, options={"pair_id": "p0"})[-1]
    dropped = 1.0 - with_bonus[4]["keep_fraction"]
    assert with_bonus[1] == pytest.approx(without[1] + 0.5 * dropped)
    assert episode_reward(0.3, 1.0, 0.25, "contrastive", 1.0, 0.4) == pytest.approx(-0.5 * 0.09 + 0.1)
    assert distillation_reward(0.1, 1.0, "correct") == 1.0 and distillation_reward(0.1, 0.0, "correct") == 0.0
    assert distillation_reward(math.log(2), 0.25, "absolute") == pytest.approx(-0.25)
    assert distillation_reward(np.array([0.0, 2.0]), np.array([0.0, 0.0]), margin=1.0).tolist() == [-0.5, 0.0]


def test_seeded_resets_repeat_the_pair_order_and_options_pick_a_pair(critic):
    env = make_env(critic)
    order = [env.reset(seed=7)[1]["pair_id"]] + [env.reset()[1]["pair_id"] for _ in range(3)]
    again = [env.reset(seed=7)[1]["pair_id"]] + [env.reset()[1]["pair_id"] for _ in range(3)]
    assert order == again and sorted(order) == ["p0", "p1", "p2", "p3"]
    assert env.reset(options={"pair_id": "p2"})[1]["pair_id"] == "p2"
    with pytest.raises(ValueError, match="not in the pool"):
        env.reset(options={"pair_id": "nope"})
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"pair_ids": ["p0"]})


def test_render_marks_dropped_and_undecided_words(critic):
    env = make_env(critic, render_mode="ansi")
    env.reset(seed=0, options={"pair_id": "p2"})
    env.step(0)
    env.step(1)
    text = env.render()
    assert "A: -the woman ?reads ?a ?book" in text and "B: ?a ?woman ?reads" in text


def test_rgb_array_render_is_an_image_of_the_text(critic):
    env = make_env(critic, render_mode="rgb_array")
    assert env.metadata["render_modes"] == ["ansi", "human", "rgb_array"]
    env.reset(seed=0, options={"pair_id": "p2"})
    first = env.render()
    env.step(0)
    second = env.render()
    assert first.shape == second.shape == (480, 640, 3) and first.dtype == np.uint8
    assert (first < 128).any() and not np.array_equal(first, second)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "action",
    [2, -1, 0.0, 1.0, float("nan"), "1", True, None, np.array([0.5]), np.array([1, 0]), np.float32(1)],
)
def test_bad_actions_raise_a_value_error_naming_them(critic, action):
    env = make_env(critic)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError) as caught:
        env.step(action)
    assert isinstance(caught.value, ValueError) and "action" in str(caught.value)


def test_integer_actions_of_every_common_kind_are_accepted():
    assert [validate_action(a) for a in (0, 1, np.int64(1), np.array(0), np.array([1]))] == [0, 1, 1, 0, 1]


def test_step_before_reset_is_refused(critic):
    with pytest.raises(EpisodeStateError, match="before reset"):
        make_env(critic).step(1)


@pytest.mark.parametrize(
    "pairs, error, message",
    [
        ([("a man", "", 1.0)], InvalidSentenceError, "empty"),
        ([("a man", "   ", 1.0)], InvalidSentenceError, "whitespace"),
        ([(3, "a man", 1.0)], InvalidSentenceError, "must be a str"),
        ([("a man", "a dog")], ValueError, "needs a score"),
        ([("a man", "a dog", 4.0)], ValueError, r"needs a score in \[0, 1.0\]"),
        ([], ValueError, "empty"),
    ],
)
def test_bad_pools_are_refused(critic, pairs, error, message):
    with pytest.raises(error, match=message):
        make_env(critic, pairs=pairs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"reward": "loss"}, "reward must be one of"),
        ({"margin": 0.0}, "margin"),
        ({"margin": float("nan")}, "margin"),
        ({"drop_bonus": -1.0}, "drop_bonus"),
        ({"label_scale": 0}, "label_scale"),
        ({"max_words": 0}, "max_words"),
        ({"max_steps": 0}, "max_steps"),
        ({"render_mode": "rgb"}, "render_mode"),
        ({"render_mode": "RGB_ARRAY"}, "render_mode"),
        ({"render_mode": ""}, "render_mode"),
    ],
)
def test_bad_settings_are_refused(critic, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_env(critic, **kwargs)


def test_a_critic_without_the_protocol_is_refused():
    with pytest.raises(TypeError, match="DistillationCritic"):
        SentenceDistillationEnv(pairs=POOL, critic=object())


def test_stsb_scale_labels_are_divided_by_the_scale(critic):
    pool = [ScoredPair("a man plays", "a man plays", 4.0, "s0")]
    steps = run_episode(make_env(critic, pairs=pool, label_scale=5.0), [1] * 10, seed=0)
    assert steps[-1][4]["label"] == pytest.approx(0.8)


# ------------------------------------------------------------------ stable-baselines3
def test_ppo_trains_a_few_hundred_steps(critic):
    env = Monitor(make_env(critic, drop_bonus=0.1))
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=64,
        batch_size=32,
        n_epochs=2,
        seed=0,
        policy_kwargs={"net_arch": [16]},
        device="cpu",
    )
    model.learn(total_timesteps=256)
    returns = env.get_episode_rewards()
    assert len(returns) >= 10 and np.all(np.isfinite(returns))
    assert all(r <= 0.1 + 1e-9 for r in returns)  # minus a loss (<= 0) plus a bonus of at most 0.1
    action, _ = model.predict(env.reset(seed=1)[0], deterministic=True)
    assert int(action) in (0, 1)


def test_the_env_sees_a_trained_critic_through_the_adapter(critic):
    adapter = SiameseEnvCritic(critic.model, critic.vocabulary)
    ids_a = torch.tensor([critic.vocabulary.ids(["a", "man"])])
    ids_b = torch.tensor([critic.vocabulary.ids(["two", "cats", "sleep"])])
    with torch.no_grad():
        expected = critic.model(ids_a, torch.tensor([2]), ids_b, torch.tensor([3])).distance.item()
    assert adapter.distance(["a", "man"], ["two", "cats", "sleep"]) == pytest.approx(expected)
    assert adapter.word_bound == pytest.approx(float(critic.model.embedding.weight.abs().max()))
    assert adapter.word_vectors(["zebra"]).tolist() == adapter.word_vectors(["<unk>"]).tolist()
    with pytest.raises(ValueError, match="vocabulary has"):
        SiameseEnvCritic(critic.model, type(critic.vocabulary)(["a"]))
