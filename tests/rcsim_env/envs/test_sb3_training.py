"""Stable-baselines3 works on the environments as SB3 users call them."""

import warnings

import numpy as np
import pytest
from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

import rcsim_env
from agents.distillation.env_critic import untrained_critic
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs import SentenceSimilarityEnv

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WORDS = "a man woman dog cat plays guitar runs in park eats food sleeps house car red blue big small".split()


def make_pool(n: int = 40, scale: float = 5.0) -> list[ScoredPair]:
    rng = np.random.default_rng(0)
    return [
        ScoredPair(
            " ".join(rng.choice(WORDS, 5)),
            " ".join(rng.choice(WORDS, 5)),
            float(rng.uniform(0, scale)),
            str(i),
        )
        for i in range(n)
    ]


POOL = make_pool()


def small(**settings) -> dict:
    """Tiny networks on the CPU; a fresh dict each time (SB3 writes into policy_kwargs)."""
    return {"policy_kwargs": {"net_arch": [16]}, "seed": 0, "device": "cpu", **settings}


SIMILARITY_ALGORITHMS = {
    "PPO": lambda env: PPO("MlpPolicy", env, **small(n_steps=32, batch_size=32, n_epochs=2)),
    "A2C": lambda env: A2C("MlpPolicy", env, **small(n_steps=8)),
    "SAC": lambda env: SAC("MlpPolicy", env, **small(learning_starts=50, batch_size=32)),
    "TD3": lambda env: TD3("MlpPolicy", env, **small(learning_starts=50, batch_size=32)),
    "DDPG": lambda env: DDPG("MlpPolicy", env, **small(learning_starts=50, batch_size=32)),
}


def assert_frames_come_back(envs, n_envs: int) -> None:
    """What SB3's VecVideoRecorder records: the vector env's render(), one RGB image of every env."""
    assert envs.render_mode == "rgb_array"
    tiled = envs.render()
    assert isinstance(tiled, np.ndarray) and tiled.dtype == np.uint8 and tiled.ndim == 3
    frames = envs.get_images()
    assert len(frames) == n_envs and all(frame.shape == (480, 640, 3) for frame in frames)


@pytest.fixture(scope="module")
def similarity_envs(tiny_encoder):
    def make(n_envs: int):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return make_vec_env(
                rcsim_env.SENTENCE_SIMILARITY_ID,
                n_envs=n_envs,
                seed=0,
                env_kwargs={
                    "pairs": POOL,
                    "observation": "embedding",
                    "encoder": tiny_encoder,
                    "episode_length": 10,
                },
            )

    return make


def test_make_vec_env_builds_checked_similarity_envs_that_render_rgb(similarity_envs):
    envs = similarity_envs(2)
    assert isinstance(envs, DummyVecEnv) and envs.num_envs == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_check_env(envs.envs[0], skip_render_check=False)
    envs.reset()
    envs.step(np.zeros((2, 1), np.float32))
    assert_frames_come_back(envs, 2)


@pytest.mark.parametrize("name", sorted(SIMILARITY_ALGORITHMS))
def test_every_continuous_algorithm_learns_on_make_vec_env(similarity_envs, name):
    envs = similarity_envs(2)
    model = SIMILARITY_ALGORITHMS[name](envs)
    model.learn(total_timesteps=200)
    assert model.num_timesteps >= 200
    returns = [r for monitor in envs.envs for r in monitor.get_episode_rewards()]
    assert len(returns) >= 18 and np.all(np.isfinite(returns))
    assert all(-10.0 <= r <= 0.0 for r in returns)  # 10 squared-error rewards in [-1, 0] each
    actions, _ = model.predict(envs.reset(), deterministic=True)
    assert actions.shape == (2, 1) and np.all(np.abs(actions) <= 1.0)
    assert_frames_come_back(envs, 2)


@pytest.mark.parametrize("algorithm", [PPO, A2C, DQN])
def test_discrete_algorithms_learn_on_make_vec_env_of_the_distillation_env(tiny_encoder, algorithm):
    pool = make_pool(8, scale=1.0)
    critic = untrained_critic(pool, tiny_encoder, hidden_size=6, matrices=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        envs = make_vec_env(
            rcsim_env.SENTENCE_DISTILLATION_ID,
            n_envs=2,
            seed=0,
            env_kwargs={"pairs": pool, "critic": critic, "drop_bonus": 0.1},
        )
        sb3_check_env(envs.envs[0], skip_render_check=False)
    settings = {PPO: {"n_steps": 32, "batch_size": 32, "n_epochs": 2}, A2C: {}, DQN: {"learning_starts": 50}}
    model = algorithm("MlpPolicy", envs, **small(**settings[algorithm]))
    model.learn(total_timesteps=200)
    returns = [r for monitor in envs.envs for r in monitor.get_episode_rewards()]
    assert model.num_timesteps >= 200 and len(returns) >= 10 and np.all(np.isfinite(returns))
    assert_frames_come_back(envs, 2)


def test_td3_trains_a_few_hundred_steps_on_embedding_observations(tiny_encoder):
    env = Monitor(
        SentenceSimilarityEnv(pairs=POOL, observation="embedding", encoder=tiny_encoder, episode_length=10)
    )
    model = TD3(
        "MlpPolicy",
        env,
        learning_starts=50,
        train_freq=1,
        batch_size=32,
        seed=0,
        policy_kwargs={"net_arch": [32, 32]},
        device="cpu",
    )
    model.learn(total_timesteps=300)
    returns = env.get_episode_rewards()
    assert len(returns) == 30
    assert np.all(np.isfinite(returns))
    assert all(-10.0 <= r <= 0.0 for r in returns)  # 10 squared-error rewards in [-1, 0] each
    action, _ = model.predict(env.reset(seed=1)[0], deterministic=True)
    assert action.shape == (1,) and -1.0 <= float(action[0]) <= 1.0
