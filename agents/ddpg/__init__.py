"""A generic DDPG core: replay buffer, exploration noise, Polyak targets, TD target, the agent.

The agent (:class:`DDPG`) works with any critic that splits into ``encode_state`` and
``q_value`` (see :mod:`agents.ddpg.agent`): plain MLPs for classic control
(:mod:`agents.ddpg.mlp`, :mod:`agents.ddpg.pendulum`) or an encoder critic over sentence pairs.
"""

from agents.ddpg.agent import DDPG, DDPGConfig, NonFiniteLossError, default_obs_to_input
from agents.ddpg.buffer import ReplayBatch, ReplayBuffer
from agents.ddpg.mlp import MLPActor, MLPCritic
from agents.ddpg.noise import DecaySchedule, GaussianNoise, OrnsteinUhlenbeckNoise, ZeroNoise, make_noise
from agents.ddpg.polyak import polyak_update
from agents.ddpg.td import td_target

__all__ = [
    "DDPG",
    "DDPGConfig",
    "DecaySchedule",
    "GaussianNoise",
    "MLPActor",
    "MLPCritic",
    "NonFiniteLossError",
    "OrnsteinUhlenbeckNoise",
    "ReplayBatch",
    "ReplayBuffer",
    "ZeroNoise",
    "default_obs_to_input",
    "make_noise",
    "polyak_update",
    "td_target",
]
