import json
import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import rcsim_env
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs.common import build_pair_pool
from rcsim_env.envs.similarity import (
    EpisodeStateError,
    SentenceSimilarityEnv,
    action_to_score,
    score_to_action,
)
from rcsim_env.errors import (
    DataFormatError,
    InvalidActionError,
    InvalidLabelError,
    InvalidSentenceError,
    LabelBudgetExhaustedError,
    UnknownPoolError,
)
from rcsim_env.oracles import AnnotatorNoise, DatasetOracle, ReplayOracle

WORDS = "a man woman dog cat plays guitar runs in park eats food sleeps house car red blue big small".split()


def make_pool(n=12):
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(n):
        a = " ".join(rng.choice(WORDS, 5))
        b = " ".join(rng.choice(WORDS, 4))
        pairs.append(ScoredPair(f"{a} {i}", b, float(i % 6), f"p{i}"))
    return pairs


POOL = make_pool()


def make_env(**kwargs):
    kwargs.setdefault("pairs", POOL)
    return SentenceSimilarityEnv(**kwargs)


# ------------------------------------------------------------------ API conformance
@pytest.mark.parametrize("render_mode", [None, "rgb_array"])
@pytest.mark.parametrize("mode", ["text", "tokens", "embedding"])
def test_gymnasium_checker_passes_without_warnings(mode, render_mode, tiny_encoder):
    env = gym.make(
        rcsim_env.SENTENCE_SIMILARITY_ID,
        pairs=POOL,
        observation=mode,
        encoder=tiny_encoder,
        token_length=16,
        render_mode=render_mode,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check_env(env.unwrapped)  # also makes and renders every declared render mode


@pytest.mark.parametrize("mode", ["tokens", "embedding"])
def test_sb3_checker_passes_without_warnings(mode, tiny_encoder):
    env = gym.make(
        rcsim_env.SENTENCE_SIMILARITY_ID,
        pairs=POOL,
        observation=mode,
        encoder=tiny_encoder,
        token_length=16,
        render_mode="rgb_array",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_check_env(env, skip_render_check=False)
        sb3_check_env(env.unwrapped, skip_render_check=False)


def test_sb3_cannot_read_text_observations_as_the_docstring_says():
    assert "SB3 policies cannot read" in SentenceSimilarityEnv.__doc__
    with pytest.raises(AssertionError, match="numpy array"):
        sb3_check_env(make_env(observation="text"))


@pytest.mark.parametrize("mode", ["text", "tokens", "embedding"])
def test_a_sync_vector_env_serves_every_observation_mode(mode, tiny_encoder):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        envs = gym.make_vec(
            rcsim_env.SENTENCE_SIMILARITY_ID,
            num_envs=3,
            vectorization_mode="sync",
            pairs=POOL,
            observation=mode,
            encoder=tiny_encoder,
            token_length=16,
            episode_length=4,
            render_mode="rgb_array",
        )
        observations, infos = envs.reset(seed=5)
        assert observations in envs.observation_space and len(infos["pair_id"]) == 3
        truncations = 0
        for _ in range(10):
            observations, rewards, terminated, truncated, infos = envs.step(envs.action_space.sample())
            assert observations in envs.observation_space
            assert rewards.shape == (3,) and np.all(np.isfinite(rewards)) and not terminated.any()
            truncations += int(truncated.sum())
        frames = envs.render()
        envs.close()
    assert truncations == 6  # each env truncates after steps 4 and 9 (step 5 is the autoreset)
    assert len(frames) == 3 and all(f.shape == (480, 640, 3) and f.dtype == np.uint8 for f in frames)


def test_spaces(tiny_encoder):
    env = make_env(observation="embedding", encoder=tiny_encoder)
    assert env.action_space == gym.spaces.Box(-1, 1, (1,), np.float32)
    assert env.observation_space.shape == (64,) and env.observation_space.dtype == np.float32
    tokens = make_env(observation="tokens", encoder=tiny_encoder, token_length=16).observation_space
    assert set(tokens.spaces) == {"input_ids_a", "attention_mask_a", "input_ids_b", "attention_mask_b"}
    assert tokens["input_ids_a"].shape == (16,) and tokens["input_ids_a"].dtype == np.int64


def test_text_observations_accept_any_character_in_the_pool():
    pairs = [("Ça coûte 5 € — “quoted” 日本", "naïve façade ü"), ("x", "y")]
    env = make_env(pairs=pairs, oracle=ReplayOracle([]))
    obs, _ = env.reset(seed=0)
    assert obs in env.observation_space
    for pair in pairs:
        assert {"sentence_a": pair[0], "sentence_b": pair[1]} in env.observation_space


def test_embedding_observation_dot_product_is_the_encoders_cosine(tiny_encoder):
    env = make_env(observation="embedding", encoder=tiny_encoder)
    obs, info = env.reset(seed=3)
    pair = next(p for p in POOL if p.pair_id == info["pair_id"])
    cosine = tiny_encoder.similarity([pair.sentence_a], [pair.sentence_b])[0]
    assert float(obs[:32] @ obs[32:]) == pytest.approx(float(cosine), abs=1e-5)


# ------------------------------------------------------------------ episodes and pairs
def test_episode_truncates_after_n_pairs_and_never_terminates():
    env = make_env(episode_length=4)
    env.reset(seed=0)
    flags = [env.step(np.zeros(1, np.float32))[2:4] for _ in range(4)]
    assert flags == [(False, False)] * 3 + [(False, True)]


def test_pairs_are_drawn_without_replacement_and_reshuffled_per_pass():
    env = make_env(episode_length=len(POOL))
    _, info = env.reset(seed=1)
    seen = [info["pair_id"]]
    passes = []
    for _ in range(2):
        ids = []
        for _ in range(len(POOL)):
            _, _, _, truncated, info = env.step(np.zeros(1, np.float32))
            ids.append(info["pair_id"])
        passes.append(ids)
        env.reset()
    assert seen[0] == passes[0][0]
    assert sorted(passes[0]) == sorted(p.pair_id for p in POOL)
    assert sorted(passes[1]) == sorted(passes[0]) and passes[1] != passes[0]


def test_a_reset_without_seed_continues_with_the_next_unjudged_pair():
    env = make_env(episode_length=3)
    env.reset(seed=2)
    last = None
    for _ in range(3):
        obs, _, _, _, last = env.step(np.zeros(1, np.float32))
    _, info = env.reset()
    assert info["pair_id"] != last["pair_id"]
    assert obs == {
        "sentence_a": env.pairs[env._current_index()].sentence_a,
        "sentence_b": env.pairs[env._current_index()].sentence_b,
    }


def test_same_seed_same_pairs_and_labels():
    def run(seed):
        env = make_env(noise=AnnotatorNoise(sigma=0.8, random_answer_rate=0.2))
        env.reset(seed=seed)
        return [env.step(np.array([0.1], np.float32))[4]["oracle_score"] for _ in range(8)]

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_pair_ids_option_serves_exactly_those_pairs():
    env = make_env(episode_length=10)
    _, info = env.reset(options={"pair_ids": ["p5", "p2"]})
    assert info["pair_id"] == "p5"
    first = env.step(np.zeros(1, np.float32))
    second = env.step(np.zeros(1, np.float32))
    assert (first[4]["pair_id"], second[4]["pair_id"]) == ("p5", "p2")
    assert (first[3], second[3]) == (False, True)


# ------------------------------------------------------------------ rewards, oracle, info
def test_action_maps_linearly_to_a_score():
    assert [action_to_score(a) for a in (-1.0, 0.0, 1.0, np.array([0.2], np.float32))] == pytest.approx(
        [0.0, 2.5, 5.0, 3.0]
    )
    assert action_to_score(score_to_action(3.7)) == pytest.approx(3.7, abs=1e-6)


@pytest.mark.parametrize("name", ["squared", "absolute", "paper"])
def test_reward_and_info_with_an_exact_oracle(name):
    from rcsim_env.rewards import REWARD_FUNCTIONS

    env = make_env(reward=name, noise="exact")
    _, info = env.reset(seed=0)
    gold = next(p.score for p in POOL if p.pair_id == info["pair_id"])
    _, reward, terminated, truncated, info = env.step(np.array([0.2], np.float32))
    assert reward == pytest.approx(REWARD_FUNCTIONS[name](3.0, gold), abs=1e-6)
    assert info["oracle_score"] == gold == info["gold_score"]
    assert info["agent_score"] == pytest.approx(3.0)
    assert info["skipped"] is False and info["episode_queries"] == 1 and info["budget_exhausted"] is False


def test_user_reward_callable():
    env = make_env(reward=lambda agent, oracle: 10.0 - abs(agent - oracle), noise="exact")
    _, info = env.reset(seed=0)
    gold = next(p.score for p in POOL if p.pair_id == info["pair_id"])
    assert env.step(np.array([1.0], np.float32))[1] == pytest.approx(10.0 - abs(5.0 - gold))


def test_a_skip_gives_skip_reward_and_nan_label():
    env = make_env(oracle=ReplayOracle([]), skip_reward=-0.5)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.zeros(1, np.float32))
    assert reward == -0.5 and info["skipped"] is True and math.isnan(info["oracle_score"])


@pytest.mark.parametrize("garbage", [float("nan"), float("inf"), -0.5, 5.5, "3", True, [3.0]])
def test_an_oracle_answering_garbage_is_refused_and_spends_no_label(garbage):
    class Broken:
        nondeterministic = False
        calls = 0

        def judge(self, a, b, *, rng=None):
            self.calls += 1
            return garbage

    oracle = Broken()
    env = make_env(oracle=oracle, label_budget=3)
    env.reset(seed=0)
    for asked in (1, 2):  # no label came: nothing is spent, and the next step asks again
        with pytest.raises(InvalidLabelError, match="Broken"):
            env.step(np.zeros(1, np.float32))
        assert oracle.calls == asked and env.queries_used == 0 and env.budget_left == 3


# ------------------------------------------------------------------ label budget
def test_label_budget_is_counted_across_episodes_then_refused():
    env = make_env(episode_length=3, label_budget=5)
    _, info = env.reset(seed=0)
    assert info["budget_left"] == 5 and info["queries_used"] == 0
    for _ in range(3):
        *_, truncated, info = env.step(np.zeros(1, np.float32))
    assert truncated and not info["budget_exhausted"]
    _, info = env.reset()
    assert info == {**info, "queries_used": 3, "budget_left": 2}
    env.step(np.zeros(1, np.float32))
    *_, truncated, info = env.step(np.zeros(1, np.float32))
    assert truncated and info["budget_exhausted"] and env.budget_left == 0
    env.reset()
    with pytest.raises(LabelBudgetExhaustedError, match="label budget of 5"):
        env.step(np.zeros(1, np.float32))
    assert env.queries_used == 5


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        (np.array([np.nan], np.float32), "nan"),
        (np.array([np.inf], np.float32), "inf"),
        (np.array([1.5], np.float32), "outside"),
        (np.array([-3.0]), "outside"),
        (np.zeros(2, np.float32), "shape"),
        (np.zeros((1, 1), np.float32), "shape"),
        ("0.5", "number"),
        (None, "number"),
        (True, "number"),
    ],
)
def test_bad_actions_are_refused_and_cost_no_label(action, fragment):
    env = make_env()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=fragment):
        env.step(action)
    assert env.queries_used == 0
    env.step(np.zeros(1, np.float32))  # the episode goes on


def test_clip_actions_clips_out_of_range_values():
    env = make_env(clip_actions=True)
    env.reset(seed=0)
    assert env.step(np.array([7.0], np.float32))[4]["agent_score"] == 5.0
    with pytest.raises(InvalidActionError):
        env.step(np.array([np.nan]))


def test_step_before_reset_and_after_the_end():
    env = make_env(episode_length=1)
    with pytest.raises(EpisodeStateError, match="before reset"):
        env.step(np.zeros(1, np.float32))
    env.reset(seed=0)
    env.step(np.zeros(1, np.float32))
    with pytest.raises(EpisodeStateError, match="after the episode ended"):
        env.step(np.zeros(1, np.float32))


def test_made_env_enforces_reset_first():
    env = gym.make(rcsim_env.SENTENCE_SIMILARITY_ID, pairs=POOL)
    with pytest.raises(gym.error.ResetNeeded):
        env.step(np.zeros(1, np.float32))


@pytest.mark.parametrize(
    "options", [{"shuffle": False}, {"pair_ids": ["nope"]}, {"pair_ids": []}, {"pair_ids": "p1"}]
)
def test_bad_reset_options_are_refused(options):
    with pytest.raises(ValueError, match="option"):
        make_env().reset(options=options)


@pytest.mark.parametrize(
    ("pairs", "error"),
    [
        ([("", "b")], InvalidSentenceError),
        ([("   ", "b")], InvalidSentenceError),
        ([(None, "b")], InvalidSentenceError),
        ([("a", 7)], InvalidSentenceError),
        ([], ValueError),
        (["just one string"], TypeError),
    ],
)
def test_bad_pools_are_refused_with_the_pair_index(pairs, error):
    with pytest.raises(error):
        make_env(pairs=pairs, oracle=ReplayOracle([]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"observation": "pixels"},
        {"episode_length": 0},
        {"label_budget": -1},
        {"render_mode": "rgb"},
        {"render_mode": "RGB_ARRAY"},
        {"render_mode": ""},
        {"noise": "loud"},
        {"reward": "huber"},
        {"skip_reward": float("nan")},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        make_env(**kwargs)


@pytest.mark.parametrize("mode", ["text", "tokens", "embedding"])
def test_a_100k_character_sentence_is_served(mode, tiny_encoder):
    huge = "the dog runs in the park " * 4000
    env = make_env(
        pairs=[(huge, "a dog runs", 4.0), ("a cat", "a car", 0.5)],
        observation=mode,
        encoder=tiny_encoder,
        token_length=32,
    )
    obs, _ = env.reset(seed=0)
    assert obs in env.observation_space
    obs, reward, *_ = env.step(np.zeros(1, np.float32))
    assert obs in env.observation_space and math.isfinite(reward)


def test_render_modes():
    env = make_env(render_mode="ansi", noise="exact")
    env.reset(seed=0)
    env.step(np.zeros(1, np.float32))
    text = env.render()
    assert "A: " in text and "B: " in text and "oracle" in text and "queries used 1" in text


def test_rgb_array_render_draws_the_ansi_text_on_a_frame_of_fixed_size():
    env = make_env(render_mode="rgb_array", noise="exact")
    assert env.metadata["render_modes"] == ["ansi", "human", "rgb_array"]
    env.reset(seed=0)
    before = env.render()
    env.step(np.zeros(1, np.float32))
    after = env.render()
    for frame in (before, after):
        assert isinstance(frame, np.ndarray) and frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert (after < 128).any() and (after == 255).mean() > 0.5  # dark text on a white page
    assert not np.array_equal(before, after)  # the judgement line and the next pair appeared
    huge = make_env(pairs=[("the dog " * 20000, "a cat", 1.0), ("x", "y", 2.0)], render_mode="rgb_array")
    huge.reset(seed=0)
    assert huge.render().shape == (480, 640, 3)


def test_frame_wrappers_collect_one_frame_per_step():
    env = gym.wrappers.RenderCollection(
        gym.make(rcsim_env.SENTENCE_SIMILARITY_ID, pairs=POOL, render_mode="rgb_array", episode_length=3)
    )
    env.reset(seed=0)
    for _ in range(3):
        env.step(np.zeros(1, np.float32))
    frames = env.render()
    assert len(frames) == 4 and all(f.shape == (480, 640, 3) and f.dtype == np.uint8 for f in frames)
    assert len({f.tobytes() for f in frames}) == 4  # every step drew something new


def test_default_env_serves_sts_b_train(shared_data_dir):
    env = gym.make(rcsim_env.SENTENCE_SIMILARITY_ID, data_dir=str(shared_data_dir))
    assert len(env.unwrapped.pairs) == 5749
    assert isinstance(env.unwrapped.oracle, DatasetOracle)
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert 0.0 <= info["oracle_score"] <= 5.0 and info["pair_id"].startswith("sts-train.csv:")


def test_stream_state_lets_a_fresh_env_continue_exactly():
    first = make_env(noise="mild", episode_length=4)
    first.reset(seed=3)
    for _ in range(6):  # into the second episode, mid-pass
        _, _, _, truncated, _ = first.step(np.zeros(1, dtype=np.float32))
        if truncated:
            first.reset()
    state = first.stream_state()
    second = make_env(noise="mild", episode_length=4)
    second.reset(seed=99)
    second.load_stream_state(state)
    assert second.queries_used == first.queries_used == 6
    for _ in range(10):
        a = first.step(np.full(1, 0.3, dtype=np.float32))
        b = second.step(np.full(1, 0.3, dtype=np.float32))
        assert a[0] == b[0] and a[1:4] == b[1:4] and a[4] == b[4]
        if a[3]:
            assert first.reset()[0] == second.reset()[0]


def test_stream_state_from_another_pool_is_refused():
    state = make_env().stream_state()
    other = SentenceSimilarityEnv(pairs=make_pool(5), noise="exact")
    with pytest.raises(ValueError, match="pool of 12 pairs"):
        other.load_stream_state(state)


# ------------------------------------------------------------------ pools by name or file
@pytest.mark.parametrize("suffix", [".tsv", ".csv", ".jsonl"])
@pytest.mark.parametrize("as_path", [False, True])
def test_pairs_may_be_a_pairs_file(tmp_path, suffix, as_path):
    rows = [
        ("q1", "A man plays a guitar.", "A man is playing music.", 4.2),
        ("q2", "A dog runs.", "A car is red.", 0.4),
    ]
    path = tmp_path / f"my_pairs{suffix}"
    if suffix == ".jsonl":
        path.write_text(
            "".join(json.dumps({"id": i, "s1": a, "s2": b, "score": s}) + "\n" for i, a, b, s in rows)
        )
    else:
        sep = "\t" if suffix == ".tsv" else ","
        path.write_text(
            sep.join(["id", "sentence1", "sentence2", "score"])
            + "\n"
            + "".join(sep.join(map(str, r)) + "\n" for r in rows)
        )
    env = gym.make(rcsim_env.SENTENCE_SIMILARITY_ID, pairs=path if as_path else str(path), noise="exact")
    assert [(p.pair_id, p.score) for p in env.unwrapped.pairs] == [("q1", 4.2), ("q2", 0.4)]
    env.reset(seed=0, options={"pair_ids": ["q2"]})
    _, _, _, _, info = env.step(score_to_action(0.4))
    assert info["pair_id"] == "q2" and info["oracle_score"] == pytest.approx(0.4)


def test_pairs_may_name_a_registered_pool(shared_data_dir):
    env = gym.make(rcsim_env.SENTENCE_SIMILARITY_ID, pairs="sick-train", data_dir=str(shared_data_dir))
    pairs = env.unwrapped.pairs
    assert len(pairs) == 4500 and pairs[0].pair_id == "SICK_train.txt:2"
    assert all(1.0 <= pair.score <= 5.0 for pair in pairs)
    env.reset(seed=0)
    _, _, _, _, info = env.step(env.action_space.sample())
    assert info["pair_id"].startswith("SICK_train.txt:")


def test_a_named_pool_is_found_through_the_data_dir_argument(tmp_path):
    sick = tmp_path / "sts" / "SICK" / "SICK_trial.txt"
    sick.parent.mkdir(parents=True)
    sick.write_text(
        "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
        "7\tA b.\tC d.\t3.5\tNEUTRAL\n"
    )
    env = SentenceSimilarityEnv(pairs="sick-trial", data_dir=tmp_path)
    assert env.pairs == [ScoredPair("A b.", "C d.", 3.5, "SICK_trial.txt:2")]


@pytest.mark.parametrize("pairs", ["sick-trian", "no_such_file.tsv"])
def test_an_unknown_pool_lists_the_pool_names(no_data_anywhere, pairs):
    with pytest.raises(
        UnknownPoolError, match=r"neither a pair pool name nor an existing file.*stsb-train.*mrpc-test"
    ):
        gym.make(rcsim_env.SENTENCE_SIMILARITY_ID, pairs=pairs)


def test_a_bad_pairs_file_names_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("s1,s2,score\nA.,B.,1\nC.,,2\n")
    with pytest.raises(DataFormatError, match=r"bad.csv:3: sentence 2 is empty"):
        SentenceSimilarityEnv(pairs=str(path))


def test_the_pool_builder_refuses_a_name_with_a_pointer_to_load_pool():
    with pytest.raises(TypeError, match=r"rcsim_env.data.load_pool"):
        build_pair_pool("sick-train")
