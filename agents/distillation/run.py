"""``rcsim distill``: train the Siamese critic and the keep/drop policy as a run, epoch by epoch.

The paper's schedule (see :class:`~agents.distillation.config.DistillationConfig`) is a list of
epochs, each of one phase: critic epochs on full sentences, policy pretraining epochs, then
rounds of policy epochs and critic epochs on distilled sentences. :class:`DistillRun` trains
one epoch per unit of the shared run lifecycle (:class:`~agents.runs.lifecycle.TrainingRun`), so a
distillation gets checkpoints, exact resume, Ctrl-C, keep-best on a dev split and a report like
every other run. The exported ``model/`` holds the critic, both policies and the vocabulary; it
loads with :func:`load_critic` (for ``RCSim/SentenceDistillation-v0``) or into a trainer.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.distillation.config import DistillationConfig
from agents.distillation.evaluation import is_binary, score_similarities
from agents.runs.config import DataConfig, RunConfig
from agents.runs.evaluation import hold_out, load_named_or_file, optional_pairs
from agents.runs.lifecycle import TrainingRun
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.words import WordVocabulary

MODEL_FILE = "distiller.pt"


@dataclass
class DistillConfig:
    """Everything ``rcsim distill`` needs: the data, the word vectors, the schedule and the run."""

    train: str = field(
        default="mrpc-train",
        metadata={
            "help": "training pairs: a data set name (mrpc-train, stsb-train, ...) or a scored pairs file"
        },
    )
    label_scale: float | None = field(
        default=None,
        metadata={
            "help": "labels are score / this; none = 1 when every score is 0 or 1 (paraphrase), else 5"
        },
    )
    dev_split: float = field(
        default=0.1,
        metadata={"help": "share of the training pairs held out as the dev set for keep-best (0 = none)"},
    )
    encoder: str | None = field(
        default=None,
        metadata={"help": "encoder whose input embeddings give the word vectors; none = bundled MiniLM"},
    )
    data: DataConfig = field(default_factory=lambda: DataConfig(dev=None, test="mrpc-test"))
    training: DistillationConfig = field(default_factory=DistillationConfig)
    run: RunConfig = field(
        default_factory=lambda: RunConfig(
            output="runs/distill", checkpoint_every=1, eval_every=1, device="cpu"
        )
    )

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work."""
        if not 0.0 <= self.dev_split < 1.0:
            raise ValueError(f"dev_split must be in [0, 1), got {self.dev_split}")
        if self.label_scale is not None and not (math.isfinite(self.label_scale) and self.label_scale > 0):
            raise ValueError(f"label_scale must be a finite positive number or none, got {self.label_scale}")
        self.data.validate()
        self.run.validate()

    def trainer_config(self) -> DistillationConfig:
        """:attr:`training` with the run's seed, device and progress setting."""
        return dataclasses.replace(
            self.training, seed=self.run.seed, device=self.run.device, show_progress=False
        )


def schedule(config: DistillationConfig) -> list[str]:
    """The phase of every epoch, in order: ``critic-full``, ``policy-pretrain``, then rounds of
    ``policy`` and ``critic-distilled``."""
    rounds = ["policy"] * config.policy_epochs_per_round + [
        "critic-distilled"
    ] * config.critic_epochs_per_round
    return (
        ["critic-full"] * config.critic_epochs
        + ["policy-pretrain"] * config.policy_pretrain_epochs
        + rounds * config.rounds
    )


def save_distiller(folder: Path, trainer: Any, vocabulary: WordVocabulary, label_scale: float) -> Path:
    """Write the critic, both policies, the vocabulary and the settings to ``folder/distiller.pt``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    torch.save(
        {
            "critic": trainer.critic.state_dict(),
            "policy_online": trainer.policy.online.state_dict(),
            "policy_target": trainer.policy.target.state_dict(),
            "words": vocabulary.words[2:],
            "config": dataclasses.asdict(trainer.config),
            "label_scale": label_scale,
        },
        path,
    )
    return path


def load_critic(folder: str | Path, device: str = "cpu"):
    """The critic saved by ``rcsim distill`` (``FOLDER`` or ``FOLDER/model``), ready for the
    distillation environment: ``gym.make("RCSim/SentenceDistillation-v0", critic=load_critic(...))``."""
    from agents.distillation.env_critic import SiameseEnvCritic
    from agents.distillation.siamese import SiameseLSTM

    folder = Path(folder)
    path = folder / MODEL_FILE if (folder / MODEL_FILE).is_file() else folder / "model" / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"no {MODEL_FILE} in {folder} or {folder / 'model'}: is it an rcsim distill run?"
        )
    saved = torch.load(path, map_location=device, weights_only=False)
    config = DistillationConfig(**{**saved["config"], "device": device})
    vocabulary = WordVocabulary(saved["words"])
    vectors = saved["critic"]["embedding.weight"]
    model = SiameseLSTM(vectors, config.hidden_size, config.matrices, config.train_word_vectors).to(device)
    model.load_state_dict(saved["critic"])
    return SiameseEnvCritic(model.eval(), vocabulary)


class DistillRun(TrainingRun):
    """One distillation run (see the module docstring); the dev score is the critic's Spearman
    correlation with the dev labels (rank-biserial for binary labels), on full sentences before
    the policy exists and on distilled ones after."""

    unit = "epoch"
    command = "rcsim distill"
    model_dir_name = "model"
    loop_state = ("history",)

    def __init__(self, config: DistillConfig, resume: bool = False, overwrite: bool = False):
        config.validate()
        super().__init__(config, resume=resume, overwrite=overwrite)
        self.phases = schedule(config.training)
        self.history: list[dict] = []

    @property
    def total(self) -> int:
        """Epochs in the whole schedule."""
        return len(self.phases)

    @property
    def progress_description(self) -> str:
        """``distilling``."""
        return "distilling"

    # ----------------------------------------------------------------- setup
    def _load_data(self) -> None:
        config = self.config
        pairs = load_named_or_file(config.train, config.data.data_dir, config.data.score_scale)
        scored = [p for p in pairs if p.score is not None and math.isfinite(p.score)]
        if len(scored) < len(pairs):
            raise ValueError(
                f"{config.train}: {len(pairs) - len(scored)} pairs have no score; "
                "distillation trains on labels"
            )
        top = max(p.score for p in scored) if scored else 1.0
        self.label_scale = config.label_scale or (top if is_binary(scored) and top > 0 else 5.0)
        if config.dev_split > 0:
            scored, self.dev = hold_out(scored, config.dev_split, config.run.seed)
        else:
            self.dev = None
        self.train_pairs = scored
        self.test, self.test_note = optional_pairs(
            config.data.test, config.data.data_dir, "test", config.data.score_scale
        )

    def build(self) -> None:
        """Load the pairs, the vocabulary and word vectors, and the trainer (critic, policy, optimizers)."""
        from agents.distillation.data import encode_pairs
        from agents.distillation.trainer import DistillationTrainer
        from rcsim_env.encoders import SentenceEncoder
        from rcsim_env.encoders.words import encoder_word_vectors, random_word_vectors

        self._load_data()
        training = self.config.trainer_config()
        sentences = [s for p in self.train_pairs for s in (p.sentence_a, p.sentence_b)]
        self.vocabulary = WordVocabulary.from_sentences(sentences)
        if training.word_vectors == "encoder":
            encoder = SentenceEncoder.from_pretrained(self.config.encoder, device="cpu")
            vectors = encoder_word_vectors(self.vocabulary, encoder)
        else:
            generator = torch.Generator().manual_seed(training.seed)
            vectors = random_word_vectors(self.vocabulary, training.random_word_dim, generator)

        def encode(pairs: list[ScoredPair] | None):
            if not pairs:
                return None
            return encode_pairs(pairs, self.vocabulary, self.label_scale, training.max_words)

        self.train_data, self.dev_data, self.test_data = (
            encode(self.train_pairs),
            encode(self.dev),
            encode(self.test),
        )
        self.trainer = DistillationTrainer(training, self.train_data, vectors)

    # ----------------------------------------------------------------- one epoch
    @property
    def _policy_trained(self) -> bool:
        return any(phase in ("policy", "critic-distilled") for phase in self.phases[: self.position])

    def train_unit(self) -> dict[str, float]:
        """Train the epoch the schedule has at this position; returns its mean loss (or reward)."""
        phase = self.phases[self.position]
        trainer = self.trainer
        if phase == "critic-full":
            value = trainer.train_critic(1, distilled=False)[0]
        elif phase == "critic-distilled":
            value = trainer.train_critic(1, distilled=True)[0]
        elif phase == "policy-pretrain":
            value = trainer.pretrain_policy(1)[0]
        else:
            value = trainer.train_policy(1)[0]
        if not math.isfinite(value):
            raise FloatingPointError(f"the {phase} epoch ended with a mean of {value}")
        self.history = trainer.history
        return {f"train/{phase}": value}

    def progress_postfix(self) -> dict[str, str]:
        """The phase of the next epoch."""
        return {"phase": self.phases[self.position]} if self.position < self.total else {}

    # ----------------------------------------------------------------- evaluation
    def _similarity(self, data) -> np.ndarray:
        return self.trainer.predict(data, distilled=self._policy_trained).similarity

    def evaluate_dev(self) -> float | None:
        """Spearman x100 of the critic's similarity with the dev labels (None without a dev split)."""
        if self.dev_data is None:
            return None
        from rcsim_env.evaluation.metrics import correlations

        gold = np.array([p.score for p in self.dev], dtype=np.float64)
        return float(correlations(self._similarity(self.dev_data), gold)["spearman"])

    def evaluate_test(self) -> float | None:
        """Test Spearman x100; keeps the full scores (accuracy and F1 for binary labels) and the share
        of words kept for the report."""
        if self.test_data is None:
            return None
        from rcsim_env.evaluation.metrics import correlations

        prediction = self.trainer.predict(self.test_data, distilled=self._policy_trained)
        self.test_scores = score_similarities(
            prediction.similarity, self.test, self._similarity(self.train_data), self.train_pairs
        )
        self.test_scores["keep_fraction"] = prediction.keep_fraction
        gold = np.array([p.score for p in self.test], dtype=np.float64)
        return float(correlations(prediction.similarity, gold)["spearman"])

    # ----------------------------------------------------------------- state
    def training_state(self) -> dict[str, Any]:
        """Critic, both policies, optimizers and the trainer's generators."""
        trainer = self.trainer
        return {
            "critic": trainer.critic.state_dict(),
            "policy_online": trainer.policy.online.state_dict(),
            "policy_target": trainer.policy.target.state_dict(),
            "critic_optimizer": trainer.critic_optimizer.state_dict(),
            "policy_optimizer": trainer.policy_optimizer.state_dict(),
            "generator": trainer.generator.get_state(),
            "sampler": trainer.sampler.get_state(),
        }

    def load_training_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`training_state`."""
        trainer = self.trainer
        trainer.critic.load_state_dict(state["critic"])
        trainer.policy.online.load_state_dict(state["policy_online"])
        trainer.policy.target.load_state_dict(state["policy_target"])
        trainer.critic_optimizer.load_state_dict(state["critic_optimizer"])
        trainer.policy_optimizer.load_state_dict(state["policy_optimizer"])
        trainer.generator.set_state(state["generator"])
        trainer.sampler.set_state(state["sampler"])

    def restore(self) -> None:
        """Restore the checkpoint, then hand the saved history back to the trainer."""
        super().restore()
        self.trainer.history = self.history

    def check_finite(self) -> None:
        """Refuse (FloatingPointError) when the critic's or the policy's weights are not finite."""
        for name, module in (("critic", self.trainer.critic), ("policy", self.trainer.policy.online)):
            if not all(bool(torch.isfinite(p).all()) for p in module.parameters()):
                raise FloatingPointError(f"the {name}'s weights hold NaN or inf after epoch {self.position}")

    def save_model(self, folder: Path) -> None:
        """Write ``distiller.pt`` (critic, policies, vocabulary, settings) into ``folder``."""
        save_distiller(folder, self.trainer, self.vocabulary, self.label_scale)

    def load_model(self, folder: Path) -> None:
        """Load the critic and the policies saved in ``folder``."""
        saved = torch.load(folder / MODEL_FILE, map_location=self.trainer.device, weights_only=False)
        self.trainer.critic.load_state_dict(saved["critic"])
        self.trainer.policy.online.load_state_dict(saved["policy_online"])
        self.trainer.policy.target.load_state_dict(saved["policy_target"])

    def report_extra(self) -> dict[str, Any]:
        """Data sizes, the schedule, per-epoch history, test scores and the share of words kept."""
        extra: dict[str, Any] = {"schedule": self.phases, "history": self.history}
        if hasattr(self, "train_pairs"):
            extra["pairs"] = {
                "train": len(self.train_pairs),
                "dev": len(self.dev or []),
                "test": len(self.test or []),
                "label_scale": self.label_scale,
                "test_set": self.test_note,
            }
        if hasattr(self, "test_scores"):
            extra["test_scores"] = self.test_scores
        return extra
