"""The supervised baseline: fine-tune the encoder on labelled pairs as sentence-transformers does.

This mirrors sentence-transformers' ``CosineSimilarityLoss`` fine-tuning (its classic
``model.fit`` recipe): the loss is the mean squared error between cos(u, v) and the gold
score scaled to 0-1; AdamW with weight decay on every parameter but biases and LayerNorm
weights; the learning rate warms up linearly, then decays linearly to 0 (its
``WarmupLinear`` schedule); gradients are clipped to ``max_grad_norm``; the pairs are
reshuffled every epoch; the encoder trains in train mode (dropout on).
It is the yardstick the RL agents are measured against: the same labels, given directly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from agents.schedules import warmup_linear
from rcsim_env.data.pairs import ScoredPair, coerce_pair
from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.validation import MAX_SCORE, validate_score


@dataclass
class SupervisedConfig:
    """Settings of supervised fine-tuning (defaults: sentence-transformers' STS-B recipe)."""

    batch_size: int = field(default=16, metadata={"help": "pairs per optimizer step"})
    lr: float = field(default=2e-5, metadata={"help": "peak AdamW learning rate"})
    epochs: int = field(default=2, metadata={"help": "passes over the labelled pairs"})
    weight_decay: float = field(
        default=0.01, metadata={"help": "AdamW weight decay (not applied to biases and LayerNorm weights)"}
    )
    warmup_fraction: float = field(
        default=0.0, metadata={"help": "share of all steps spent warming the learning rate up from 0"}
    )
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient-norm clip; 0 turns clipping off"})
    seed: int = field(default=0, metadata={"help": "seed of the shuffling and of dropout"})
    show_progress: bool = field(default=True, metadata={"help": "show a tqdm bar"})

    def __post_init__(self) -> None:
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if int(self.epochs) < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise ValueError(f"lr must be a finite positive number, got {self.lr}")
        if not 0.0 <= self.warmup_fraction <= 1.0:
            raise ValueError(f"warmup_fraction must be in [0, 1], got {self.warmup_fraction}")
        if not math.isfinite(self.weight_decay) or self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if not math.isfinite(self.max_grad_norm) or self.max_grad_norm < 0:
            raise ValueError(f"max_grad_norm must be >= 0, got {self.max_grad_norm}")


def cosine_similarity_loss(emb_a: Tensor, emb_b: Tensor, labels01: Tensor) -> Tensor:
    """Mean squared error between cos(emb_a[i], emb_b[i]) and ``labels01[i]``; a 0-d tensor.

    Expects two (batch, dim) embedding tensors and (batch,) labels on the 0-1 scale
    (gold score / 5), as sentence-transformers' ``CosineSimilarityLoss`` does.
    """
    if emb_a.shape != emb_b.shape or emb_a.ndim != 2:
        raise ValueError(
            f"need two (batch, dim) embedding tensors of one shape, got {tuple(emb_a.shape)} "
            f"and {tuple(emb_b.shape)}"
        )
    labels = labels01.to(device=emb_a.device, dtype=emb_a.dtype).reshape(-1)
    if labels.shape[0] != emb_a.shape[0]:
        raise ValueError(f"got {labels.shape[0]} labels for {emb_a.shape[0]} pairs")
    cosine = torch.nn.functional.cosine_similarity(emb_a, emb_b, dim=-1)
    return torch.nn.functional.mse_loss(cosine, labels)


def _labelled(pairs: Sequence[ScoredPair]) -> tuple[list[ScoredPair], Tensor]:
    """Validate ``pairs`` (each with a 0-5 score) and return them with their labels on the 0-1 scale."""
    checked = [coerce_pair(item, index) for index, item in enumerate(pairs)]
    if not checked:
        raise ValueError("finetune_supervised got no pairs; pass at least one labelled pair")
    labels = []
    for index, pair in enumerate(checked):
        if pair.score is None:
            raise ValueError(
                f"pairs[{index}] ({pair.pair_id}) has no score; supervised training needs labels"
            )
        labels.append(validate_score(pair.score, f"pairs[{index}].score") / MAX_SCORE)
    return checked, torch.tensor(labels, dtype=torch.float32)


def _parameter_groups(encoder: SentenceEncoder, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: decay on matrices, none on 1-D parameters (in BERT: the biases and LayerNorm weights)."""
    trainable = [p for p in encoder.parameters() if p.requires_grad]
    return [
        {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
    ]


def batch_loss(encoder: SentenceEncoder, pairs: Sequence[ScoredPair], labels01: Tensor) -> Tensor:
    """The cosine-similarity loss of one batch of pairs, with gradients through ``encoder``.

    Expects validated pairs and their (batch,) labels on the 0-1 scale; both sides are
    embedded in one forward pass. Returns a 0-d tensor.
    """
    sentences = [pair.sentence_a for pair in pairs] + [pair.sentence_b for pair in pairs]
    embeddings = encoder.embed(sentences)
    return cosine_similarity_loss(embeddings[: len(pairs)], embeddings[len(pairs) :], labels01)


def _fork_devices(device: torch.device) -> list[int]:
    """The CUDA device indices whose RNG :func:`torch.random.fork_rng` must save for ``device``."""
    if device.type != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]


def finetune_supervised(
    encoder: SentenceEncoder, pairs: Sequence[ScoredPair], config: SupervisedConfig | None = None
) -> dict[str, Any]:
    """Fine-tune ``encoder`` in place on labelled ``pairs`` (scores 0-5) with the cosine-similarity MSE loss.

    Runs ``epochs * ceil(len(pairs) / batch_size)`` optimizer steps; the last batch of an
    epoch may be smaller. Seeding uses a forked torch RNG, so the global RNG is left as it
    was, and the encoder's train/eval mode is restored afterwards. Raises ``ValueError``
    on an empty list or an unlabelled pair, ``FloatingPointError`` on a non-finite loss
    (before any step with it). Returns ``{"steps", "final_loss"`` (mean loss over the last
    epoch), ``"epoch_losses"``, ``"seconds"}``.
    """
    from tqdm.auto import tqdm

    config = config if config is not None else SupervisedConfig()
    checked, labels = _labelled(pairs)
    n, batch_size = len(checked), int(config.batch_size)
    total_steps = int(config.epochs) * math.ceil(n / batch_size)
    warmup_steps = math.ceil(total_steps * config.warmup_fraction)
    optimizer = torch.optim.AdamW(_parameter_groups(encoder, config.weight_decay), lr=config.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: warmup_linear(step, warmup_steps, total_steps)
    )
    shuffler = torch.Generator().manual_seed(int(config.seed))

    modes = {module: module.training for module in encoder.modules()}
    epoch_losses: list[float] = []
    step = 0
    start = time.perf_counter()
    bar = tqdm(total=total_steps, desc="supervised", unit="step", disable=not config.show_progress)
    try:
        with torch.random.fork_rng(devices=_fork_devices(encoder.device)):
            torch.manual_seed(int(config.seed))  # dropout
            encoder.train()
            for _ in range(int(config.epochs)):
                order = torch.randperm(n, generator=shuffler)
                losses = []
                for index in order.split(batch_size):
                    loss = batch_loss(encoder, [checked[i] for i in index.tolist()], labels[index])
                    if not torch.isfinite(loss):
                        raise FloatingPointError(
                            f"supervised loss is {float(loss.detach())} at step {step}; no optimizer step "
                            "was taken with it: the encoder's weights or the learning rate are broken"
                        )
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    if config.max_grad_norm > 0:
                        torch.nn.utils.clip_grad_norm_(encoder.parameters(), config.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    step += 1
                    losses.append(float(loss.detach()))
                    bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
                    bar.update(1)
                epoch_losses.append(sum(losses) / len(losses))
    finally:
        bar.close()
        for module, training in modes.items():
            module.train(training)
    return {
        "steps": step,
        "final_loss": epoch_losses[-1],
        "epoch_losses": epoch_losses,
        "seconds": time.perf_counter() - start,
    }
