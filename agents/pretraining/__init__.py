"""Stage-1, label-free pretraining of the sentence encoder: the paper's ForceBasedInfoNCE and SimCSE.

- :mod:`agents.pretraining.losses`: the pure loss functions and their ``nn.Module`` wrappers;
- :mod:`agents.pretraining.config`: :class:`PretrainConfig`, the typed settings;
- :mod:`agents.pretraining.trainer`: :class:`PretrainRun`, one trainer for both losses;
- :mod:`agents.pretraining.distributed`: torchrun / ``accelerate launch`` support (DDP);
- :mod:`agents.pretraining.cli`: ``rcsim pretrain`` (alias ``rcsim-pretrain``).
"""

from agents.pretraining.config import PretrainConfig
from agents.pretraining.losses import (
    ForceBasedInfoNCE,
    SimCSEInfoNCE,
    force_based_infonce,
    force_field_potential,
    simcse_infonce,
)

__all__ = [
    "ForceBasedInfoNCE",
    "PretrainConfig",
    "SimCSEInfoNCE",
    "force_based_infonce",
    "force_field_potential",
    "simcse_infonce",
]
