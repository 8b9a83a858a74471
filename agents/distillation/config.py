"""The typed configuration of sentence-distillation training (Chen et al. 2020)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from agents.distillation.siamese import REGULARISERS
from rcsim_env.envs.distillation import DEFAULT_MARGIN, DEFAULT_MAX_WORDS, REWARDS

WORD_VECTORS = ("encoder", "random")


@dataclass
class DistillationConfig:
    """Everything one distillation run needs; invalid values raise ValueError naming the field.

    The schedule (section 2.5 of the paper): ``critic_epochs`` on full sentences, then
    ``policy_pretrain_epochs`` imitating the pretraining heuristic, then ``rounds`` of
    (``policy_epochs_per_round`` of REINFORCE, ``critic_epochs_per_round`` on the sentences
    the target policy distils). The defaults are small enough for a 2-core CPU.
    """

    matrices: int = field(default=3, metadata={"help": "co-attention weighting matrices n (paper: 1, 3, 10)"})
    hidden_size: int = field(default=64, metadata={"help": "size of both LSTM layers"})
    word_vectors: str = field(
        default="encoder",
        metadata={"help": "encoder (mean of the encoder's wordpiece input embeddings) or random"},
    )
    random_word_dim: int = field(default=64, metadata={"help": "word vector size when word_vectors=random"})
    train_word_vectors: bool = field(default=False, metadata={"help": "fine-tune the word vectors"})
    max_words: int = field(
        default=DEFAULT_MAX_WORDS, metadata={"help": "words kept per sentence (paper: 30)"}
    )
    margin: float = field(default=DEFAULT_MARGIN, metadata={"help": "contrastive margin on the L1 distance"})
    regulariser: str = field(
        default="frobenius",
        metadata={"help": "frobenius (||AA^T - I||_F^2), scatter (the paper's 1/scatter) or none"},
    )
    regularisation: float = field(default=0.1, metadata={"help": "weight of the regulariser in the loss"})
    batch_size: int = field(default=64, metadata={"help": "pairs per critic step"})
    critic_lr: float = field(default=2e-3, metadata={"help": "critic learning rate (Adam)"})
    critic_epochs: int = field(default=8, metadata={"help": "critic pretraining epochs on full sentences"})
    policy_hidden: int = field(default=64, metadata={"help": "hidden width of the two-layer policy"})
    policy_lr: float = field(default=1e-2, metadata={"help": "policy learning rate (Adam)"})
    policy_batch_size: int = field(default=32, metadata={"help": "pairs per policy-gradient step"})
    samples_per_pair: int = field(
        default=4, metadata={"help": "distillations sampled per pair (leave-one-out baseline; 1: batch mean)"}
    )
    beta: float = field(
        default=0.5, metadata={"help": "soft update: target <- (1 - beta) target + beta online"}
    )
    reward: str = field(default="contrastive", metadata={"help": "terminal reward: " + ", ".join(REWARDS)})
    drop_bonus: float = field(
        default=0.0, metadata={"help": "reward bonus per share of words dropped (ID-LSTM's; 0: none)"}
    )
    policy_pretrain_epochs: int = field(
        default=1, metadata={"help": "epochs imitating the pretraining heuristic"}
    )
    pretrain_keep_first: int = field(
        default=5, metadata={"help": "pretraining: always keep the first N words"}
    )
    pretrain_drop_probability: float = field(
        default=0.4, metadata={"help": "pretraining: chance of dropping each later word"}
    )
    rounds: int = field(default=2, metadata={"help": "alternations of policy and critic training"})
    policy_epochs_per_round: int = field(default=1, metadata={"help": "policy epochs per round"})
    critic_epochs_per_round: int = field(
        default=1, metadata={"help": "critic epochs per round (distilled input)"}
    )
    max_grad_norm: float = field(default=5.0, metadata={"help": "gradient-norm clip; 0 turns it off"})
    seed: int = field(
        default=0, metadata={"cli": False, "help": "seed of initialisation, shuffling and sampling"}
    )
    device: str = field(default="cpu", metadata={"cli": False, "help": "cpu, cuda or auto"})
    show_progress: bool = field(default=True, metadata={"cli": False, "help": "show progress bars"})

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field that cannot work."""
        positive_ints = (
            "matrices",
            "hidden_size",
            "random_word_dim",
            "max_words",
            "batch_size",
            "policy_hidden",
            "policy_batch_size",
            "samples_per_pair",
        )
        for name in positive_ints:
            _check_int(name, getattr(self, name), minimum=1)
        for name in (
            "critic_epochs",
            "policy_pretrain_epochs",
            "rounds",
            "policy_epochs_per_round",
            "critic_epochs_per_round",
            "pretrain_keep_first",
        ):
            _check_int(name, getattr(self, name), minimum=0)
        for name in ("margin", "critic_lr", "policy_lr"):
            value = getattr(self, name)
            if not (_is_real(value) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite positive number, got {value!r}")
        for name in ("regularisation", "max_grad_norm", "drop_bonus"):
            value = getattr(self, name)
            if not (_is_real(value) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not (_is_real(self.beta) and 0.0 < self.beta <= 1.0):
            raise ValueError(f"beta must satisfy 0 < beta <= 1, got {self.beta!r}")
        if not (_is_real(self.pretrain_drop_probability) and 0.0 <= self.pretrain_drop_probability <= 1.0):
            raise ValueError(
                f"pretrain_drop_probability must be in [0, 1], got {self.pretrain_drop_probability!r}"
            )
        choices = {"word_vectors": WORD_VECTORS, "regulariser": REGULARISERS, "reward": REWARDS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.device not in ("cpu", "cuda", "auto") and not str(self.device).startswith("cuda:"):
            raise ValueError(f"device must be cpu, cuda, cuda:N or auto, got {self.device!r}")


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
