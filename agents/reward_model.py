"""Train a reward model on the judgements collected so far: an ensemble of fine-tuned bi-encoders.

Each member starts from the same encoder and is fine-tuned with the supervised recipe
(:func:`agents.supervised.finetune_supervised`) on all the labels, with its own seed, so members
differ in data order and dropout; their spread on a pair is the reward model's uncertainty.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agents.supervised import SupervisedConfig, finetune_supervised
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.oracles.reward_model import EncoderEnsemble


@dataclass
class RewardModelConfig:
    """Settings of the reward model: how many members and how each is fine-tuned."""

    members: int = field(default=3, metadata={"help": "ensemble members (1 works; spread is then 0)"})
    training: SupervisedConfig = field(
        default_factory=lambda: SupervisedConfig(show_progress=False),
        metadata={"help": "supervised fine-tuning of each member; member k uses seed + k"},
    )

    def __post_init__(self) -> None:
        if isinstance(self.members, bool) or int(self.members) < 1:
            raise ValueError(f"members must be at least 1, got {self.members}")


def train_encoder_ensemble(
    base: SentenceEncoder, pairs: Sequence[ScoredPair], config: RewardModelConfig | None = None
) -> tuple[EncoderEnsemble, dict[str, Any]]:
    """Fine-tune ``config.members`` copies of ``base`` on the labelled ``pairs``; ``base`` is untouched.

    Member k trains with ``config.training`` at seed ``config.training.seed + k``. Returns the
    ensemble and ``{"members", "pairs", "seconds", "member_reports"}`` (each member's
    :func:`finetune_supervised` report). Raises what :func:`finetune_supervised` raises on bad pairs.
    """
    config = config if config is not None else RewardModelConfig()
    start = time.perf_counter()
    members, reports = [], []
    for k in range(int(config.members)):
        member = copy.deepcopy(base)
        reports.append(
            finetune_supervised(member, pairs, replace(config.training, seed=int(config.training.seed) + k))
        )
        member.eval()
        members.append(member)
    report = {
        "members": len(members),
        "pairs": len(pairs),
        "seconds": time.perf_counter() - start,
        "member_reports": reports,
    }
    return EncoderEnsemble(members), report
