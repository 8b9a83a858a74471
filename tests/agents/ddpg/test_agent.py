from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from torch import nn

from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.ddpg.agent import DDPG, DDPGConfig, NonFiniteLossError, default_obs_to_input
from agents.ddpg.buffer import ReplayBatch
from agents.ddpg.mlp import MLPActor, MLPCritic

ACTIONS = spaces.Box(-1.0, 1.0, (1,), np.float32)
OBSERVATIONS = spaces.Box(-1.0, 1.0, (2,), np.float32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make_agent(seed: int = 0, critic: nn.Module | None = None, **overrides) -> DDPG:
    torch.manual_seed(seed)
    settings = {"batch_size": 32, "buffer_size": 1000, "learning_starts": 0, "noise_sigma": 0.2, "seed": seed}
    settings.update(overrides)
    actor = MLPActor(2, 1, hidden=(32, 32))
    critic = critic if critic is not None else MLPCritic(2, 1, hidden=(32, 32))
    return DDPG(actor, critic, ACTIONS, DDPGConfig(**settings), observation_space=OBSERVATIONS)


def bandit_batch(rng: np.random.Generator, size: int) -> ReplayBatch:
    """Reward -(a - s0)^2: the best action copies the first observation coordinate."""
    obs = rng.uniform(-1, 1, (size, 2)).astype(np.float32)
    actions = rng.uniform(-1, 1, (size, 1)).astype(np.float32)
    rewards = -((actions[:, 0] - obs[:, 0]) ** 2)
    zeros = np.zeros(size, np.float32)
    return ReplayBatch(obs, actions, rewards.astype(np.float32), obs, zeros, zeros)


def snapshot(*modules: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for module in modules for p in module.parameters()]


def same(first: list[torch.Tensor], second: list[torch.Tensor]) -> bool:
    return len(first) == len(second) and all(torch.equal(a, b) for a, b in zip(first, second))


class PoisonableCritic(MLPCritic):
    """An MLP critic whose values turn NaN once ``poisoned`` is set."""

    poisoned = False

    def q_value(self, state, action):
        q = super().q_value(state, action)
        return q * float("nan") if self.poisoned else q


class EncoderCritic(nn.Module):
    """A toy encoder critic: a linear 'encoder' (own lr), a frozen projection, and an MLP head."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(2, 2)
        self.frozen = nn.Linear(2, 2).requires_grad_(False)
        self.head = MLPCritic(2, 1, hidden=(16,))

    def encoder_parameters(self):
        return self.encoder.parameters()

    def encode_state(self, obs):
        return self.frozen(self.encoder(obs))

    def q_value(self, state, action):
        return self.head.q_value(state, action)


def test_updates_reduce_the_critic_loss_on_a_bandit():
    agent = make_agent(gamma=0.0, critic_lr=3e-3)
    rng = np.random.default_rng(0)
    held_out = bandit_batch(rng, 512)

    def held_out_loss() -> float:
        with torch.no_grad():
            obs, actions = torch.as_tensor(held_out.observations), torch.as_tensor(held_out.actions)
            q = agent.critic.q_value(obs, actions)
            return float(((q - torch.as_tensor(held_out.rewards)) ** 2).mean())

    before = held_out_loss()
    for _ in range(300):
        metrics = agent.update(bandit_batch(rng, 64))
    after = held_out_loss()
    assert after < 0.2 * before
    assert metrics["train/updates"] == 300.0 and agent.updates == 300
    assert set(metrics) >= {
        "train/critic_loss",
        "train/actor_loss",
        "train/q_mean",
        "train/td_target_mean",
        "train/critic_grad_norm",
        "train/updates",
    }
    # the actor followed the critic toward a = s0
    probe = torch.tensor([[0.5, 0.0], [-0.5, 0.0]])
    with torch.no_grad():
        actions = agent.actor(probe)[:, 0]
    assert actions[0] > actions[1] + 0.3


def test_actor_update_leaves_the_critic_as_a_critic_only_update_would():
    rng = np.random.default_rng(1)
    batch = bandit_batch(rng, 32)
    with_actor = make_agent(seed=3, policy_delay=1)
    without_actor = make_agent(seed=3, policy_delay=2)  # first update: critic only
    actor_before = snapshot(with_actor.actor)
    first = with_actor.update(batch)
    second = without_actor.update(batch)
    assert same(snapshot(with_actor.critic), snapshot(without_actor.critic))
    assert same(snapshot(with_actor.target_critic), snapshot(without_actor.target_critic))
    assert not same(snapshot(with_actor.actor), actor_before)
    assert same(snapshot(without_actor.actor), actor_before)
    assert "train/actor_loss" in first and "train/actor_loss" not in second
    assert first["train/critic_loss"] == second["train/critic_loss"]
    # the second update of the delayed agent does train the actor
    assert "train/actor_loss" in without_actor.update(batch)


def test_separate_learning_rates_and_the_encoder_is_trained_by_the_critic():
    agent = make_agent(critic=EncoderCritic(), critic_lr=1e-3, encoder_lr=2e-5, actor_lr=5e-4)
    groups = {g["name"]: g for g in agent.critic_optimizer.param_groups}
    assert set(groups) == {"head", "encoder"}
    assert groups["encoder"]["lr"] == 2e-5 and groups["head"]["lr"] == 1e-3
    encoder_ids = {id(p) for p in agent.critic.encoder.parameters()}
    assert {id(p) for p in groups["encoder"]["params"]} == encoder_ids
    frozen_ids = {id(p) for p in agent.critic.frozen.parameters()}
    assert not frozen_ids & {id(p) for g in groups.values() for p in g["params"]}
    actor_groups = agent.actor_optimizer.param_groups
    assert [g["name"] for g in actor_groups] == ["head"] and actor_groups[0]["lr"] == 5e-4

    encoder_before = snapshot(agent.critic.encoder)
    frozen_before = snapshot(agent.critic.frozen)
    agent.update(bandit_batch(np.random.default_rng(2), 32))
    assert not same(snapshot(agent.critic.encoder), encoder_before)
    assert same(snapshot(agent.critic.frozen), frozen_before)


def test_linear_lr_decay_scales_every_group_from_its_base_rate_to_zero():
    agent = make_agent(critic=EncoderCritic(), critic_lr=1e-3, encoder_lr=2e-5, lr_decay_updates=4)
    rng = np.random.default_rng(3)
    seen = []
    for _ in range(5):
        agent.update(bandit_batch(rng, 32))
        seen.append({g["name"]: g["lr"] for g in agent.critic_optimizer.param_groups})
    # update k (counted from 0) steps with 1 - k/4: 1, 0.75, 0.5, 0.25, then 0 past the horizon
    for k, lrs in enumerate(seen):
        scale = max(0.0, 1.0 - k / 4)
        assert lrs["head"] == pytest.approx(1e-3 * scale) and lrs["encoder"] == pytest.approx(2e-5 * scale)
    assert agent.actor_optimizer.param_groups[0]["lr"] == 0.0
    # at scale 0 an update leaves the critic's weights where they were
    before = snapshot(agent.critic)
    agent.update(bandit_batch(rng, 32))
    assert same(snapshot(agent.critic), before)
    constant = make_agent(critic=EncoderCritic(), encoder_lr=2e-5)
    constant.update(bandit_batch(rng, 32))
    assert constant.lr_scale() == 1.0 and constant.critic_optimizer.param_groups[1]["lr"] == 2e-5


def test_combined_replay_puts_each_new_transition_into_the_next_update():
    agent = make_agent(learning_starts=4, train_every=4, batch_size=8, replay_newest=4)
    seen: list[float] = []
    original = agent.update

    def record(batch):
        seen.extend(batch.rewards.tolist())
        return original(batch)

    agent.update = record
    for step in range(40):
        obs = np.full(2, step / 100, np.float32)
        agent.observe(obs, [0.0], -float(step), obs, False)
    assert set(seen) == {-float(step) for step in range(40)}


def test_nan_guard_raises_before_any_step_and_the_checkpoint_survives(tmp_path):
    critic = PoisonableCritic(2, 1, hidden=(32, 32))
    agent = make_agent(critic=critic)
    rng = np.random.default_rng(4)
    for _ in range(3):
        agent.update(bandit_batch(rng, 32))
    path = save_checkpoint(tmp_path / "agent.pt", agent.state_dict())

    critic.poisoned = True
    before = snapshot(agent.actor, agent.critic, agent.target_actor, agent.target_critic)
    adam_steps = [s["step"].clone() for s in agent.critic_optimizer.state.values()]
    with pytest.raises(NonFiniteLossError, match=r"critic_loss at update 4: nan") as caught:
        agent.update(bandit_batch(rng, 32))
    assert caught.value.name == "critic_loss" and caught.value.update == 4
    assert same(snapshot(agent.actor, agent.critic, agent.target_actor, agent.target_critic), before)
    assert [s["step"] for s in agent.critic_optimizer.state.values()] == adam_steps
    assert agent.updates == 3

    fresh = make_agent(seed=9, critic=PoisonableCritic(2, 1, hidden=(32, 32)))
    fresh.load_state_dict(load_checkpoint(path))
    assert fresh.updates == 3
    assert same(snapshot(fresh.critic), snapshot(agent.critic))


def test_gamma_zero_uses_the_reward_and_leaves_the_targets_alone():
    agent = make_agent(gamma=0.0)
    targets_before = snapshot(agent.target_actor, agent.target_critic)
    batch = bandit_batch(np.random.default_rng(5), 32)
    metrics = agent.update(batch)
    assert metrics["train/td_target_mean"] == pytest.approx(float(batch.rewards.mean()), abs=1e-6)
    assert same(snapshot(agent.target_actor, agent.target_critic), targets_before)


def test_td_target_bootstraps_through_truncation_but_not_termination():
    agent = make_agent(gamma=0.5)
    obs = np.array([[0.1, 0.2], [0.1, 0.2]], np.float32)
    next_obs = np.array([[0.3, -0.4], [0.3, -0.4]], np.float32)
    batch = ReplayBatch(
        obs,
        np.zeros((2, 1), np.float32),
        np.array([1.0, 1.0], np.float32),
        next_obs,
        terminated=np.array([1.0, 0.0], np.float32),
        truncated=np.array([0.0, 1.0], np.float32),
    )
    with torch.no_grad():
        state = torch.as_tensor(next_obs[:1])
        next_q = agent.target_critic.q_value(state, agent.target_actor(state)).item()
    metrics = agent.update(batch)
    # mean of [1 (terminated), 1 + 0.5 * next_q (truncated: still bootstraps)]
    assert metrics["train/td_target_mean"] == pytest.approx((1.0 + 1.0 + 0.5 * next_q) / 2, abs=1e-6)


def test_act_shapes_bounds_noise_and_modes():
    agent = make_agent(noise_sigma=50.0)
    obs = np.array([0.3, -0.2], np.float32)
    greedy = agent.act(obs, explore=False)
    assert greedy.shape == (1,) and greedy.dtype == np.float32
    np.testing.assert_array_equal(agent.act(obs, explore=False), greedy)
    assert agent.noise.step == 0
    noisy = np.stack([agent.act(obs) for _ in range(50)])
    assert agent.noise.step == 50
    assert noisy.min() == -1.0 and noisy.max() == 1.0  # huge noise, clipped to the bounds
    assert not agent.actor.training and not agent.critic.training
    batch = agent.act_batch(np.zeros((4, 2), np.float32), explore=False)
    assert batch.shape == (4, 1)
    np.testing.assert_allclose(batch, np.repeat(agent.act(np.zeros(2), explore=False)[None], 4, axis=0))
    agent.update(bandit_batch(np.random.default_rng(0), 32))
    assert agent.actor.training and agent.critic.training


class CountingCritic(MLPCritic):
    """An MLP critic that counts the observations it encodes."""

    encoded = 0

    def encode_state(self, obs):
        self.encoded += len(obs)
        return super().encode_state(obs)


def test_acting_skips_the_forward_pass_only_where_the_noise_alone_decides_the_action():
    wide = make_agent(critic=CountingCritic(2, 1, hidden=(8,)), noise_sigma=3.0, seed=7)
    reference = make_agent(critic=CountingCritic(2, 1, hidden=(8,)), noise_sigma=3.0, seed=7)
    observations = np.random.default_rng(1).uniform(-1, 1, (200, 2)).astype(np.float32)
    actions = wide.act_batch(observations)
    # the reference adds the same noise draws to answers computed for every row
    with torch.no_grad():
        answers = reference.actor(reference.critic.encode_state(torch.as_tensor(observations))).numpy()
    noise = np.stack([reference.noise.sample() for _ in range(200)])
    np.testing.assert_array_equal(actions, np.clip(answers + noise, -1.0, 1.0))
    decided = np.abs(noise[:, 0]) >= 2.0  # the action range is 2 wide
    assert 0 < decided.sum() < 200
    assert wide.critic.encoded == 200 - decided.sum()
    # one at a time, and without exploration every row is encoded
    assert wide.act(observations[0]).shape == (1,) and wide.critic.encoded <= 201
    before = wide.critic.encoded
    wide.act_batch(observations[:5], explore=False)
    assert wide.critic.encoded == before + 5


def test_observe_trains_on_schedule():
    agent = make_agent(learning_starts=5, train_every=2, gradient_steps=3, batch_size=4)
    results = []
    for step in range(8):
        obs = np.full(2, step / 10, np.float32)
        results.append(agent.observe(obs, [0.1], -1.0, obs, False, step == 7))
    assert [r is not None for r in results] == [False, False, False, False, False, True, False, True]
    assert agent.steps == 8 and len(agent.buffer) == 8 and agent.updates == 6
    assert results[-1]["train/updates"] == 6.0
    assert agent.buffer.truncated[7] == 1.0 and agent.buffer.terminated.sum() == 0


def test_object_observations_with_a_custom_obs_to_input():
    """Sentence-pair style observations: dicts of strings, turned into features by obs_to_input."""

    def featurize(pairs):
        return torch.tensor([[len(p["sentence_a"]) / 10, len(p["sentence_b"]) / 10] for p in pairs])

    torch.manual_seed(0)
    config = DDPGConfig(batch_size=4, buffer_size=50, learning_starts=4, seed=0)
    agent = DDPG(MLPActor(2, 1, (8,)), MLPCritic(2, 1, (8,)), ACTIONS, config, obs_to_input=featurize)
    assert agent.buffer.storage_kind == "object"
    pair = {"sentence_a": "a man plays", "sentence_b": "a dog"}
    metrics = None
    for _ in range(4):
        action = agent.act(pair)
        metrics = agent.observe(pair, action, -0.5, pair, terminated=True)
    assert metrics is not None and np.isfinite(metrics["train/critic_loss"])


def test_default_obs_to_input():
    as_tensor = default_obs_to_input(np.zeros((2, 3), np.float64))
    assert as_tensor.dtype == torch.float32 and as_tensor.shape == (2, 3)
    tokens = default_obs_to_input({"ids": np.ones((2, 4), np.int64)})
    assert tokens["ids"].dtype == torch.int64
    assert default_obs_to_input([np.zeros(3), np.ones(3)]).shape == (2, 3)


def test_state_dict_resume_is_bit_identical_even_with_dropout():
    class DropoutCritic(MLPCritic):
        def __init__(self):
            super().__init__(2, 1, hidden=(16,))
            self.dropout = nn.Dropout(0.2)

        def encode_state(self, obs):
            return self.dropout(obs)

    def rollout(agent: DDPG, start: int, stop: int) -> None:
        for step in range(start, stop):
            obs = np.array([np.sin(step), np.cos(step)], np.float32)
            action = agent.act(obs)
            reward = -float((action[0] - obs[0]) ** 2)
            agent.observe(obs, action, reward, obs, False, step % 10 == 9)
            if step % 10 == 9:
                agent.episode_start()

    def build(seed: int) -> DDPG:
        torch.manual_seed(seed)
        return make_agent(seed=seed, critic=DropoutCritic(), learning_starts=8, batch_size=8, noise="ou")

    straight = build(0)
    rollout(straight, 0, 40)

    first = build(0)
    rollout(first, 0, 20)
    state = first.state_dict()
    rollout(first, 20, 25)  # the saved state must be a copy, unaffected by this
    resumed = build(123)
    resumed.load_state_dict(state)
    rollout(resumed, 20, 40)
    modules = ("actor", "critic", "target_actor", "target_critic")
    for name in modules:
        assert same(snapshot(getattr(resumed, name)), snapshot(getattr(straight, name))), name
    assert resumed.steps == straight.steps == 40 and resumed.updates == straight.updates
    np.testing.assert_array_equal(resumed.buffer.actions, straight.buffer.actions)
    np.testing.assert_array_equal(resumed.noise.state, straight.noise.state)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"tau": 0.0}, "tau"),
        ({"gamma": 1.5}, "gamma"),
        ({"noise": "pink"}, "noise"),
        ({"policy_delay": 0}, "policy_delay"),
        ({"max_grad_norm": 0.0}, "max_grad_norm"),
        ({"replay_newest": 33, "batch_size": 32}, "replay_newest"),
        ({"replay_newest": -1}, "replay_newest"),
        ({"lr_decay_updates": -1}, "lr_decay_updates"),
        ({"noise_decay": "exponential", "noise_final_scale": 0.0, "noise_decay_steps": 10}, "exponential"),
    ],
)
def test_config_validation(overrides, match):
    with pytest.raises(ValueError, match=match):
        DDPGConfig(**overrides)


def test_gradient_clipping_and_constructor_checks():
    agent = make_agent(max_grad_norm=1e-3)
    before = snapshot(agent.critic)
    metrics = agent.update(bandit_batch(np.random.default_rng(0), 32))
    assert metrics["train/critic_grad_norm"] > 1e-3  # reported before clipping
    clipped_norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in agent.critic.parameters()]))
    assert clipped_norm <= 1e-3 * 1.01
    assert not same(snapshot(agent.critic), before)
    with pytest.raises(TypeError, match="encode_state"):
        DDPG(MLPActor(2, 1), nn.Linear(3, 1), ACTIONS, DDPGConfig())
    with pytest.raises(ValueError, match="bounded"):
        DDPG(MLPActor(2, 1), MLPCritic(2, 1), spaces.Box(-np.inf, np.inf, (1,)), DDPGConfig())
