from __future__ import annotations

import numpy as np
import pytest
from stable_baselines3 import A2C, DDPG, PPO, SAC, TD3
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

import rcsim_env
from agents.sb3_callbacks import StopOnLabelBudget
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs import SentenceSimilarityEnv
from rcsim_env.errors import LabelBudgetExhaustedError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WORDS = "a man woman dog cat plays guitar runs in park eats food sleeps house car red blue big small".split()
POOL = [
    ScoredPair(" ".join(np.random.default_rng(i).choice(WORDS, 5)), "a dog runs", float(i % 6), f"p{i}")
    for i in range(16)
]


def small() -> dict:
    """Tiny networks; a fresh dict each time (SB3 writes into policy_kwargs)."""
    return {"policy_kwargs": {"net_arch": [16]}, "seed": 0, "device": "cpu"}


ALGORITHMS = {
    "PPO": (PPO, {"n_steps": 8, "batch_size": 8, "n_epochs": 1}),
    "A2C": (A2C, {"n_steps": 5}),
    "SAC": (SAC, {"learning_starts": 10, "batch_size": 8}),
    "TD3": (TD3, {"learning_starts": 10, "batch_size": 8}),
    "DDPG": (DDPG, {"learning_starts": 10, "batch_size": 8}),
}


def budgeted_envs(tiny_encoder, budgets):
    def make(budget):
        return lambda: Monitor(
            SentenceSimilarityEnv(
                pairs=POOL,
                observation="embedding",
                encoder=tiny_encoder,
                episode_length=7,
                label_budget=budget,
            )
        )

    return DummyVecEnv([make(budget) for budget in budgets])


def spent(envs):
    return envs.get_attr("queries_used")


@pytest.mark.parametrize("n_envs", [1, 3])
@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_learn_stops_cleanly_with_exactly_the_budget_spent(tiny_encoder, name, n_envs):
    algorithm, settings = ALGORITHMS[name]
    envs = budgeted_envs(tiny_encoder, [23] * n_envs)
    model = algorithm("MlpPolicy", envs, **settings, **small())
    callback = StopOnLabelBudget()
    model.learn(total_timesteps=1000, callback=callback)
    assert spent(envs) == [23] * n_envs and envs.get_attr("budget_left") == [0] * n_envs
    assert model.num_timesteps == 23 * n_envs
    assert callback.exhausted_envs == tuple(range(n_envs)) and callback.exhausted_at == 23 * n_envs


def test_without_the_callback_the_error_names_it(tiny_encoder):
    envs = budgeted_envs(tiny_encoder, [12])
    model = PPO("MlpPolicy", envs, n_steps=8, batch_size=8, n_epochs=1, **small())
    with pytest.raises(LabelBudgetExhaustedError, match=r"callback=StopOnLabelBudget\(\)") as caught:
        model.learn(total_timesteps=100)
    assert "agents.sb3_callbacks" in str(caught.value)


def test_with_several_budgets_it_stops_when_the_first_is_spent(tiny_encoder):
    envs = budgeted_envs(tiny_encoder, [40, 17, 30])
    model = TD3("MlpPolicy", envs, learning_starts=10, batch_size=8, **small())
    callback = StopOnLabelBudget()
    model.learn(total_timesteps=1000, callback=callback)
    assert spent(envs) == [17, 17, 17] and envs.get_attr("budget_left") == [23, 0, 13]
    assert callback.exhausted_envs == (1,)


def test_when_learn_ends_at_the_budget_anyway_nothing_is_dropped(tiny_encoder):
    td3_envs = budgeted_envs(tiny_encoder, [20, 20])
    td3 = TD3("MlpPolicy", td3_envs, learning_starts=10, batch_size=8, **small())
    td3.learn(total_timesteps=40, callback=StopOnLabelBudget())
    assert spent(td3_envs) == [20, 20] and td3.replay_buffer.size() == 20  # the last transitions too

    fits = budgeted_envs(tiny_encoder, [16])  # two whole rollouts of 8
    ppo = PPO("MlpPolicy", fits, n_steps=8, batch_size=8, n_epochs=3, **small())
    ppo.learn(total_timesteps=16, callback=StopOnLabelBudget())
    assert spent(fits) == [16] and ppo._n_updates == 2 * 3  # trained on both rollouts

    early = budgeted_envs(tiny_encoder, [16])
    ppo = PPO("MlpPolicy", early, n_steps=8, batch_size=8, n_epochs=3, **small())
    ppo.learn(total_timesteps=64, callback=StopOnLabelBudget())
    assert spent(early) == [16] and ppo._n_updates == 3  # SB3 drops the rollout it stopped in


def test_a_budget_spent_before_learn_is_refused_up_front(tiny_encoder):
    envs = budgeted_envs(tiny_encoder, [5, 0])
    model = A2C("MlpPolicy", envs, n_steps=5, **small())
    with pytest.raises(LabelBudgetExhaustedError, match=r"environment\(s\) \[1\] is already spent"):
        model.learn(total_timesteps=100, callback=StopOnLabelBudget())
    assert spent(envs) == [0, 0]


def test_envs_without_a_budget_train_to_total_timesteps(tiny_encoder):
    envs = make_vec_env(
        rcsim_env.SENTENCE_SIMILARITY_ID,
        n_envs=2,
        seed=0,
        env_kwargs={"pairs": POOL, "observation": "embedding", "encoder": tiny_encoder},
    )
    model = A2C("MlpPolicy", envs, n_steps=5, **small())
    callback = StopOnLabelBudget()
    model.learn(total_timesteps=40, callback=callback)
    assert model.num_timesteps == 40 and callback.exhausted_at is None and callback.exhausted_envs == ()
