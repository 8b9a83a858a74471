"""Stable-baselines3 works on the environment as it is."""

import numpy as np
from stable_baselines3 import TD3
from stable_baselines3.common.monitor import Monitor

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs import SentenceSimilarityEnv

WORDS = "a man woman dog cat plays guitar runs in park eats food sleeps house car red blue big small".split()


def test_td3_trains_a_few_hundred_steps_on_embedding_observations(tiny_encoder):
    rng = np.random.default_rng(0)
    pool = [
        ScoredPair(
            " ".join(rng.choice(WORDS, 5)), " ".join(rng.choice(WORDS, 5)), float(rng.uniform(0, 5)), str(i)
        )
        for i in range(40)
    ]
    env = Monitor(
        SentenceSimilarityEnv(pairs=pool, observation="embedding", encoder=tiny_encoder, episode_length=10)
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
