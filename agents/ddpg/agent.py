"""DDPG (Lillicrap et al. 2016) with a pluggable critic: actor mu(s), critic Q(s, a), Polyak targets.

The agent is generic over what an observation is. The critic owns the state encoder:

* ``critic.encode_state(obs_input) -> Tensor (B, F)``: observation batch to state
  features (for sentence pairs this holds the pretrained encoder; in updates it runs
  with gradient, so the critic's TD error fine-tunes it);
* ``critic.q_value(state, action) -> Tensor (B,)``: the action value;
* optionally ``critic.td_loss(q, target, state, action) -> Tensor``: how to measure the TD
  error, given the batch's state features and actions too (default the mean squared error
  ``mean (Q(s, a) - y)^2``).

The actor maps those features to actions, ``actor(state) -> (B, action_dim)`` within the
action space's bounds, and never trains the encoder (it sees detached features). Either
module may offer ``encoder_parameters()``: those parameters get ``encoder_lr``, the rest
``actor_lr``/``critic_lr`` (two parameter groups of one Adam).

One update (:meth:`DDPG.update`), on a batch from the replay buffer::

    s  = critic.encode_state(obs)                         (with gradient)
    y  = r + gamma * (1 - terminated) * Q'(s', mu'(s')),  s' = critic'.encode_state(next_obs)
    critic loss = mean (Q(s, a) - y)^2                    (or critic.td_loss(Q(s, a), y))
    actor loss  = -mean Q(sg(s), mu(sg(s)))               (every policy_delay updates; sg = detach)
    targets     <- tau * online + (1 - tau) * targets

Both losses are evaluated against the same (pre-update) critic and checked for NaN/inf
*before* any optimizer step, so a bad batch raises :class:`NonFiniteLossError` and leaves
every parameter, optimizer state and target untouched. (SB3 and CleanRL step the critic
first and evaluate the actor loss on the stepped critic; the difference is one critic
step and immaterial in practice, and it is what makes the guard exact.) The actor loss is
back-propagated into the actor's parameters only (``backward(inputs=...)``), so it never
leaks into the critic's gradients and no critic weight gradients are computed for it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import Tensor, nn

from agents.checkpoint import capture_rng_state, restore_rng_state
from agents.ddpg.buffer import ReplayBatch, ReplayBuffer
from agents.ddpg.noise import NOISE_KINDS, ActionNoise, DecaySchedule, make_noise
from agents.ddpg.polyak import polyak_update
from agents.ddpg.td import td_target
from agents.schedules import warmup_linear


class NonFiniteLossError(FloatingPointError):
    """A loss (or gradient norm) came out NaN or infinite; raised before any optimizer step.

    ``name`` is which quantity (``"critic_loss"``, ``"actor_loss"``, ...), ``update`` the
    number the failed update would have had, ``value`` the offending value.
    """

    def __init__(self, name: str, update: int, value: float):
        super().__init__(
            f"non-finite {name} at update {update}: {value}; no optimizer stepped, parameters unchanged"
        )
        self.name = name
        self.update = update
        self.value = value


@dataclass
class DDPGConfig:
    """Hyper-parameters of :class:`DDPG` (the defaults follow the DDPG/TD3 literature)."""

    gamma: float = field(
        default=0.99, metadata={"help": "discount factor in [0, 1]; 0 = bandit (target = r)"}
    )
    tau: float = field(default=0.005, metadata={"help": "Polyak rate of the target networks, in (0, 1]"})
    actor_lr: float = field(default=1e-3, metadata={"help": "Adam learning rate of the actor (non-encoder)"})
    critic_lr: float = field(
        default=1e-3, metadata={"help": "Adam learning rate of the critic (non-encoder)"}
    )
    encoder_lr: float = field(
        default=2e-5, metadata={"help": "learning rate of parameters listed by encoder_parameters()"}
    )
    batch_size: int = field(default=128, metadata={"help": "transitions per gradient step"})
    buffer_size: int = field(
        default=1_000_000, metadata={"cli": False, "help": "replay buffer capacity (transitions)"}
    )
    learning_starts: int = field(
        default=1000, metadata={"help": "no update until the buffer holds this many transitions"}
    )
    train_every: int = field(default=1, metadata={"help": "run updates every this many observed steps"})
    gradient_steps: int = field(default=1, metadata={"help": "updates per training round"})
    lr_decay_updates: int = field(
        default=0,
        metadata={
            "cli": False,
            "help": "decay every learning rate linearly to 0 over this many updates; 0 = constant",
        },
    )
    replay_newest: int = field(
        default=0,
        metadata={
            "help": "put the k newest transitions in every batch (combined experience replay); 0 = uniform"
        },
    )
    policy_delay: int = field(default=1, metadata={"help": "update the actor every this many critic updates"})
    max_grad_norm: float | None = field(
        default=None,
        metadata={"help": "clip each network's gradient to this global norm; none = no clipping"},
    )
    noise: str = field(
        default="gaussian",
        metadata={"flag": "--noise-kind", "help": "exploration noise: gaussian, ou or none"},
    )
    noise_sigma: float = field(
        default=0.1,
        metadata={
            "help": "exploration noise std in action units (absolute, not relative); a calibration's "
            "actions [-1, 1] span the 0-5 score, so 4.0 is 2.0 on the 0-1 scale"
        },
    )
    noise_decay: str = field(
        default="constant", metadata={"help": "noise scale schedule: constant, linear or exponential"}
    )
    noise_final_scale: float = field(
        default=1.0, metadata={"help": "noise multiplier reached after noise_decay_steps samples"}
    )
    noise_decay_steps: int = field(
        default=1, metadata={"cli": False, "help": "samples over which the noise decays"}
    )
    seed: int = field(
        default=0, metadata={"cli": False, "help": "seed of the replay sampling and noise generators"}
    )

    def __post_init__(self) -> None:
        checks = [
            (0.0 <= self.gamma <= 1.0, "gamma must be in [0, 1]"),
            (0.0 < self.tau <= 1.0, "tau must be in (0, 1]"),
            (self.actor_lr > 0 and self.critic_lr > 0, "actor_lr and critic_lr must be > 0"),
            (self.encoder_lr >= 0, "encoder_lr must be >= 0 (0 freezes the encoder in effect)"),
            (self.batch_size >= 1 and self.buffer_size >= 1, "batch_size and buffer_size must be >= 1"),
            (self.learning_starts >= 0, "learning_starts must be >= 0"),
            (
                self.train_every >= 1 and self.gradient_steps >= 1,
                "train_every and gradient_steps must be >= 1",
            ),
            (self.policy_delay >= 1, "policy_delay must be >= 1"),
            (0 <= self.replay_newest <= self.batch_size, "replay_newest must be in 0..batch_size"),
            (self.lr_decay_updates >= 0, "lr_decay_updates must be >= 0"),
            (self.max_grad_norm is None or self.max_grad_norm > 0, "max_grad_norm must be > 0 or None"),
            (self.noise in NOISE_KINDS, f"noise must be one of {NOISE_KINDS}"),
            (self.noise_sigma >= 0, "noise_sigma must be >= 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"{message} (config: {self})")
        self.schedule()  # validates the decay fields

    def schedule(self) -> DecaySchedule:
        """The noise decay schedule described by the ``noise_decay*`` fields."""
        return DecaySchedule(self.noise_decay, self.noise_final_scale, self.noise_decay_steps)


def default_obs_to_input(observations: Any, device: torch.device | str = "cpu") -> Any:
    """Turn a buffer batch into tensors: arrays and lists as float32, dicts key by key (dtype kept).

    Lists of non-numeric objects (sentences) need a custom ``obs_to_input``.
    """
    if isinstance(observations, Mapping):
        return {key: torch.as_tensor(np.asarray(value), device=device) for key, value in observations.items()}
    if isinstance(observations, list):
        observations = np.asarray(observations, dtype=np.float32)
    return torch.as_tensor(observations, dtype=torch.float32, device=device)


def _grad_norm(parameters: Sequence[Tensor]) -> float:
    """Global L2 norm of the gradients present on ``parameters`` (0.0 when none has one)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))


class DDPG:
    """Deep deterministic policy gradient over any observation type (see the module docstring).

    Expects an ``actor`` and a ``critic`` following the protocol above, the Box
    ``action_space`` whose bounds clip every action, and a :class:`DDPGConfig`.
    ``observation_space`` picks the replay layout (see :meth:`ReplayBuffer.for_spaces`;
    without it observations are stored as Python objects). ``obs_to_input`` turns what the
    buffer returns (array, dict of arrays or list of objects) into what
    ``critic.encode_state`` expects; the default makes float32 tensors on ``device``.

    Public state: ``buffer``, ``noise``, ``steps`` (observed transitions), ``updates``
    (gradient updates done), the networks and their targets, both optimizers.
    """

    def __init__(
        self,
        actor: nn.Module,
        critic: nn.Module,
        action_space: spaces.Box,
        config: DDPGConfig,
        observation_space: spaces.Space | None = None,
        obs_to_input: Callable[[Any], Any] | None = None,
        device: torch.device | str = "cpu",
    ):
        for method in ("encode_state", "q_value"):
            if not callable(getattr(critic, method, None)):
                raise TypeError(f"the critic must have a {method}() method (see agents.ddpg.agent)")
        if not isinstance(action_space, spaces.Box):
            raise TypeError(f"DDPG needs a Box action space, got {action_space}")
        if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
            raise ValueError("DDPG needs a bounded action space")
        self.config = config
        self.device = torch.device(device)
        self.action_space = action_space
        self.action_dim = int(np.prod(action_space.shape))
        self.action_low = np.asarray(action_space.low, dtype=np.float32).reshape(-1)
        self.action_high = np.asarray(action_space.high, dtype=np.float32).reshape(-1)
        self.actor = actor.to(self.device)
        self.critic = critic.to(self.device)
        self.target_actor = copy.deepcopy(self.actor).requires_grad_(False).eval()
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False).eval()
        self.actor_optimizer = self._make_optimizer(self.actor, config.actor_lr, "actor")
        self.critic_optimizer = self._make_optimizer(self.critic, config.critic_lr, "critic")
        self._actor_params = [p for group in self.actor_optimizer.param_groups for p in group["params"]]
        self._critic_params = [p for group in self.critic_optimizer.param_groups for p in group["params"]]
        buffer_seed, noise_seed = (
            int(s.generate_state(1)[0]) for s in np.random.SeedSequence(config.seed).spawn(2)
        )
        if observation_space is not None:
            self.buffer = ReplayBuffer.for_spaces(
                observation_space, action_space, config.buffer_size, buffer_seed
            )
        else:
            self.buffer = ReplayBuffer(config.buffer_size, self.action_dim, None, seed=buffer_seed)
        self.noise: ActionNoise = make_noise(
            config.noise, self.action_dim, config.noise_sigma, config.schedule(), seed=noise_seed
        )
        self.obs_to_input = obs_to_input if obs_to_input is not None else self._default_obs_to_input
        self.steps = 0
        self.updates = 0

    def _make_optimizer(self, module: nn.Module, lr: float, name: str) -> torch.optim.Adam:
        """One Adam: ``head`` group at ``lr``, ``encoder`` group at ``encoder_lr``; empty ones skipped."""
        encoder_method = getattr(module, "encoder_parameters", None)
        encoder_all = list(encoder_method()) if callable(encoder_method) else []
        encoder_ids = {id(p) for p in encoder_all}
        encoder = [p for p in encoder_all if p.requires_grad]
        head = [p for p in module.parameters() if p.requires_grad and id(p) not in encoder_ids]
        groups: list[dict[str, Any]] = []
        if head:
            groups.append({"params": head, "lr": lr, "base_lr": lr, "name": "head"})
        if encoder:
            encoder_lr = self.config.encoder_lr
            groups.append({"params": encoder, "lr": encoder_lr, "base_lr": encoder_lr, "name": "encoder"})
        if not groups:
            raise ValueError(f"the {name} has no trainable parameters")
        try:  # the fused kernel is faster; older torch or unusual devices/dtypes lack it
            return torch.optim.Adam(groups, lr=lr, fused=True)
        except (RuntimeError, TypeError, ValueError):
            return torch.optim.Adam(groups, lr=lr)

    def _default_obs_to_input(self, observations: Any) -> Any:
        return default_obs_to_input(observations, self.device)

    def _set_training(self, training: bool) -> None:
        """Put every submodule of the actor and the critic in train (or eval) mode.

        Always all of them, whatever the top-level flags say: a wrapped model can sit in another
        mode than its wrapper (a pretrained encoder loads in eval mode), and dropout must be on in
        every update and off in every action, whatever happened before.
        """
        self.actor.train(training)
        self.critic.train(training)

    def module_modes(self) -> dict[str, list[bool]]:
        """The train/eval flag of every submodule of the actor and the critic, in module order."""
        return {
            "actor": [module.training for module in self.actor.modules()],
            "critic": [module.training for module in self.critic.modules()],
        }

    def load_module_modes(self, modes: Mapping[str, Sequence[bool]]) -> None:
        """Restore :meth:`module_modes` (into an identically built agent)."""
        for name, network in (("actor", self.actor), ("critic", self.critic)):
            modules = list(network.modules())
            flags = list(modes[name])
            if len(flags) != len(modules):
                raise ValueError(f"the saved {name} has {len(flags)} modules, this one {len(modules)}")
            for module, training in zip(modules, flags, strict=True):
                module.training = bool(training)

    # ------------------------------------------------------------------ acting

    def act_batch(self, observations: Sequence[Any] | np.ndarray, explore: bool = True) -> np.ndarray:
        """Actions for a batch of ``B`` observations: float32 ``(B, action_dim)`` within the bounds.

        Runs the actor on ``critic.encode_state`` features, both in eval mode without
        gradient; with ``explore`` one noise sample per row is added; then clips. A row
        whose noise alone pushes every coordinate past a bound (so that any in-bounds actor
        answer would clip to the same action) skips the forward pass: the result is the same
        action, and wide exploration saves most of its acting cost.
        """
        rows = list(observations)
        noise = np.stack([self.noise.sample() for _ in rows]).astype(np.float32) if explore and rows else None
        actions = np.zeros((len(rows), self.action_dim), dtype=np.float32)
        needed = np.arange(len(rows))
        if noise is not None:
            pushed_high = self.action_low + noise >= self.action_high  # even the lowest answer ends high
            pushed_low = self.action_high + noise <= self.action_low
            actions = np.where(pushed_high, self.action_high, np.where(pushed_low, self.action_low, actions))
            needed = np.flatnonzero(~(pushed_high | pushed_low).all(axis=1))
        if len(needed):
            batch = self.buffer.stack_observations([rows[i] for i in needed])
            self._set_training(False)
            with torch.no_grad():
                state = self.critic.encode_state(self.obs_to_input(batch))
                answers = self.actor(state).detach().to("cpu", torch.float32).numpy()
            actions[needed] = answers.reshape(-1, self.action_dim)
            if noise is not None:
                actions[needed] += noise[needed]
        return np.clip(actions, self.action_low, self.action_high).astype(np.float32, copy=False)

    def act(self, observation: Any, explore: bool = True) -> np.ndarray:
        """The action for one (unbatched) observation: float32 of the action space's shape."""
        return self.act_batch([observation], explore)[0].reshape(self.action_space.shape)

    def episode_start(self) -> None:
        """Call at every episode start: resets temporally correlated (OU) noise."""
        self.noise.reset()

    # ---------------------------------------------------------------- learning

    def observe(
        self,
        observation: Any,
        action: Any,
        reward: float,
        next_observation: Any,
        terminated: bool,
        truncated: bool = False,
    ) -> dict[str, float] | None:
        """Store one transition, count it, and train when due; returns the last update's metrics or None.

        Training is due when the buffer holds ``learning_starts`` transitions and the step
        count is a multiple of ``train_every``; it then runs ``gradient_steps`` updates.
        Pass ``terminated`` only for real episode ends, ``truncated`` for time limits.
        """
        self.buffer.add(observation, action, reward, next_observation, terminated, truncated)
        self.steps += 1
        metrics = None
        config = self.config
        if len(self.buffer) >= config.learning_starts and self.steps % config.train_every == 0:
            for _ in range(config.gradient_steps):
                newest = min(config.replay_newest, len(self.buffer))
                metrics = self.update(self.buffer.sample(config.batch_size, newest=newest))
        return metrics

    def _check_finite(self, name: str, value: float) -> None:
        if not math.isfinite(value):
            raise NonFiniteLossError(name, self.updates + 1, value)

    def lr_scale(self) -> float:
        """The learning-rate multiplier of the next update: 1 - updates / lr_decay_updates (floor 0),
        or 1 when ``lr_decay_updates`` is 0."""
        horizon = self.config.lr_decay_updates
        return 1.0 if horizon == 0 else warmup_linear(self.updates, 0, horizon)

    def _apply_lr_decay(self) -> None:
        """Set every parameter group's learning rate to its base rate times :meth:`lr_scale`."""
        if self.config.lr_decay_updates == 0:
            return
        scale = self.lr_scale()
        for optimizer in (self.actor_optimizer, self.critic_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = group["base_lr"] * scale

    def _clip(self, parameters: Sequence[Tensor]) -> float:
        """Global gradient norm of ``parameters`` (before clipping), clipping to ``max_grad_norm`` if set."""
        if self.config.max_grad_norm is None:
            return _grad_norm(parameters)
        return float(torch.nn.utils.clip_grad_norm_(parameters, self.config.max_grad_norm))

    def update(self, batch: ReplayBatch) -> dict[str, float]:
        """One gradient update of the critic (and, every ``policy_delay``, the actor) on ``batch``.

        Returns metrics: ``train/critic_loss``, ``train/q_mean``, ``train/td_target_mean``,
        ``train/critic_grad_norm``, ``train/updates`` and, when the actor was updated,
        ``train/actor_loss`` and ``train/actor_grad_norm``. Raises
        :class:`NonFiniteLossError` before any optimizer step if a loss or gradient norm is
        not finite. With ``gamma == 0`` the target is the reward: the target networks are
        neither evaluated nor Polyak-updated, since nothing reads them.
        """
        config = self.config
        self._set_training(True)
        actions = torch.as_tensor(batch.actions, dtype=torch.float32, device=self.device)
        rewards = torch.as_tensor(batch.rewards, dtype=torch.float32, device=self.device)
        state = self.critic.encode_state(self.obs_to_input(batch.observations))
        q = self.critic.q_value(state, actions)
        if q.shape != rewards.shape:
            raise ValueError(f"critic.q_value must return shape {tuple(rewards.shape)}, got {tuple(q.shape)}")
        if config.gamma == 0.0:
            target = rewards
        else:
            terminated = torch.as_tensor(batch.terminated, dtype=torch.float32, device=self.device)
            with torch.no_grad():
                next_state = self.target_critic.encode_state(self.obs_to_input(batch.next_observations))
                next_q = self.target_critic.q_value(next_state, self.target_actor(next_state))
            target = td_target(rewards, terminated, next_q, config.gamma)
        td_loss = getattr(self.critic, "td_loss", None)
        critic_loss = td_loss(q, target, state, actions) if callable(td_loss) else F.mse_loss(q, target)
        update_actor = (self.updates + 1) % config.policy_delay == 0
        actor_loss = None
        if update_actor:
            features = state.detach()
            actor_loss = -self.critic.q_value(features, self.actor(features)).mean()

        critic_loss_value = critic_loss.item()
        self._check_finite("critic_loss", critic_loss_value)
        actor_loss_value = actor_loss.item() if actor_loss is not None else None
        if actor_loss_value is not None:
            self._check_finite("actor_loss", actor_loss_value)

        self.critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_grad_norm = self._clip(self._critic_params)
        self._check_finite("critic_grad_norm", critic_grad_norm)
        if actor_loss is not None:
            self.actor_optimizer.zero_grad(set_to_none=True)
            actor_loss.backward(inputs=self._actor_params)
            actor_grad_norm = self._clip(self._actor_params)
            self._check_finite("actor_grad_norm", actor_grad_norm)

        self._apply_lr_decay()
        self.critic_optimizer.step()
        if actor_loss is not None:
            self.actor_optimizer.step()
        self.updates += 1
        if config.gamma > 0.0:
            polyak_update(self.critic, self.target_critic, config.tau)
            polyak_update(self.actor, self.target_actor, config.tau)

        metrics = {
            "train/critic_loss": critic_loss_value,
            "train/q_mean": float(q.detach().mean()),
            "train/td_target_mean": float(target.mean()),
            "train/critic_grad_norm": critic_grad_norm,
            "train/updates": float(self.updates),
        }
        if actor_loss_value is not None:
            metrics["train/actor_loss"] = actor_loss_value
            metrics["train/actor_grad_norm"] = actor_grad_norm
        return metrics

    # ------------------------------------------------------------- persistence

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue bit-identically, as copies (safe to keep while training goes on).

        Networks, targets, both optimizers, the replay buffer, the noise, the counters
        ``steps``/``updates``, every submodule's train/eval flag, the global Python/numpy/torch
        RNG states and the config.
        """
        return {
            "actor": copy.deepcopy(self.actor.state_dict()),
            "critic": copy.deepcopy(self.critic.state_dict()),
            "target_actor": copy.deepcopy(self.target_actor.state_dict()),
            "target_critic": copy.deepcopy(self.target_critic.state_dict()),
            "actor_optimizer": copy.deepcopy(self.actor_optimizer.state_dict()),
            "critic_optimizer": copy.deepcopy(self.critic_optimizer.state_dict()),
            "buffer": self.buffer.state_dict(),
            "noise": self.noise.state_dict(),
            "steps": self.steps,
            "updates": self.updates,
            "modes": self.module_modes(),
            "rng": capture_rng_state(),
            "config": asdict(self.config),
        }

    def load_state_dict(self, state: Mapping[str, Any], restore_rng: bool = True) -> None:
        """Restore from :meth:`state_dict` output into this (identically built) agent.

        With ``restore_rng`` the global Python/numpy/torch RNG states are put back too.
        """
        self.actor.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        self.target_actor.load_state_dict(state["target_actor"])
        self.target_critic.load_state_dict(state["target_critic"])
        self.actor_optimizer.load_state_dict(state["actor_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.buffer.load_state_dict(state["buffer"])
        self.noise.load_state_dict(state["noise"])
        self.steps = int(state["steps"])
        self.updates = int(state["updates"])
        if "modes" in state:  # train/eval flags of every submodule (checkpoints of 0.1 lack them)
            self.load_module_modes(state["modes"])
        if restore_rng:
            restore_rng_state(state["rng"])
