"""One trainer for both stage-1 losses: corpus in, a run folder with the pretrained encoder out.

``PretrainRun(config).run()`` returns an exit status (0 done, 1 stopped by a non-finite loss
or gradient, 130 stopped by Ctrl-C with a checkpoint saved) and leaves a run folder (see
:mod:`agents.runs.folder`): ``encoder/`` (loads with ``SentenceEncoder.from_pretrained``,
``transformers`` and ``SentenceTransformer``, and as ``rcsim calibrate --encoder FOLDER``),
``report.json`` (losses, sentences per second, dev history, STS-B test before and after),
``config.json``, ``metrics.csv``. The loop, checkpoints, Ctrl-C and keep-best come from
:class:`~agents.runs.lifecycle.TrainingRun`.

The same code runs alone or under ``torchrun`` / ``accelerate launch``
(see :mod:`agents.pretraining.distributed`): only rank 0 writes, evaluates and shows progress.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import math
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn

from agents.checkpoint import capture_rng_state, restore_rng_state
from agents.pretraining.config import INPUT_VIEWS, PretrainConfig
from agents.pretraining.distributed import (
    DistributedContext,
    cleanup_distributed,
    gather_with_grad,
    global_batches,
    init_distributed,
    local_shard,
    wrap_model,
)
from agents.pretraining.losses import force_based_infonce, pulled_fraction, simcse_infonce
from agents.runs.evaluation import first, optional_pairs
from agents.runs.lifecycle import RunFolderError, TrainingRun
from agents.schedules import lr_factor
from rcsim_env.config import dataclass_from_json
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.text_lines import text_lines
from rcsim_env.encoders.model_card import ModelCard
from rcsim_env.encoders.pooling import POOLING_MODES, mean_pool
from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.errors import DataFormatError


class PretrainFolderError(RunFolderError):
    """The run folder does not fit the request (a changed corpus, nothing to resume)."""


# --------------------------------------------------------------------------------------------- corpus
def read_corpus(path: str | os.PathLike[str]) -> tuple[list[str], int]:
    """Read a one-sentence-per-line UTF-8 corpus; returns ``(sentences, blank_lines_skipped)``.

    Blank and whitespace-only lines are skipped and counted (the policy: they are not
    sentences, and a trailing empty line is common). Sentences are kept as written.

    Raises:
        DataNotFoundError: ``path`` is not a file.
        DataFormatError: a line is not text (invalid UTF-8, a NUL byte: the message names the
            file and line, see :func:`~rcsim_env.data.text_lines.text_lines`), or the file holds
            fewer than two sentences.
    """
    path = Path(path)
    sentences: list[str] = []
    blank = 0
    for _, line in text_lines(path):
        if not line.strip():
            blank += 1
            continue
        sentences.append(line)
    if len(sentences) < 2:
        raise DataFormatError(
            path,
            None,
            f"holds {len(sentences)} sentence(s) and {blank} blank line(s); pretraining needs at least "
            "2 sentences, one per line",
        )
    return sentences, blank


def corpus_digest(sentences: Sequence[str]) -> str:
    """A SHA-256 of the sentences in order (to refuse resuming on a changed corpus)."""
    digest = hashlib.sha256()
    for sentence in sentences:
        digest.update(sentence.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def weights_digest(module: nn.Module) -> str:
    """A SHA-256 of ``module``'s state dict (names and exact bytes), to compare processes' weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode("utf-8"))
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------- model
class EmbeddingNet(nn.Module):
    """The encoder's transformer, returning the sentence embeddings and, on request, the input view.

    ``forward(input_ids, attention_mask, want_input_view=False, **extra)`` returns
    ``(output, input_view)``: ``output`` (batch, dim) pools the last hidden states with the
    encoder's own pooling mode (``pooling``: mean for plain checkpoints; the encoder's
    ``Normalize``, if any, is left out, so the force field's distances keep their scale);
    ``input_view`` (batch, dim, no gradient) is the attention-masked mean of an embedding
    layer's output (the paper's perceptual view, whatever the pooling), or None when not wanted.

    ``input_view="frozen"`` (the default) takes it from a frozen copy of the starting model's
    embedding layer, in eval mode (no dropout): a fixed "perceptual" network, as in perceptual
    losses, so the estimated similarity of two sentences never changes during training.
    ``"live"`` takes it from the embedding layer being trained (``hidden_states[0]`` of the same
    forward pass, with its dropout), the literal reading of the paper's code; its estimated
    similarities drift as the embedding weights learn. Either way there is one forward pass
    through the transformer. This is the module DDP wraps.
    """

    def __init__(self, model: nn.Module, input_view: str = "frozen", pooling: str = "mean") -> None:
        super().__init__()
        if input_view not in INPUT_VIEWS:
            raise ValueError(f"input_view must be one of {INPUT_VIEWS}, got {input_view!r}")
        self.model = model
        self.input_view = input_view
        self.pool = POOLING_MODES[pooling]
        self.frozen_embeddings: nn.Module | None = None
        if input_view == "frozen":
            embeddings = getattr(model, "embeddings", None)
            if not isinstance(embeddings, nn.Module):
                raise ValueError(
                    f"{type(model).__name__} has no .embeddings layer to freeze; use input_view='live'"
                )
            self.frozen_embeddings = copy.deepcopy(embeddings).eval().requires_grad_(False)
            accepted = inspect.signature(self.frozen_embeddings.forward).parameters
            self._embedding_keys = {"token_type_ids", "position_ids"} & set(accepted)

    def train(self, mode: bool = True) -> EmbeddingNet:
        """Set train/eval mode; the frozen embedding copy always stays in eval mode."""
        super().train(mode)
        if self.frozen_embeddings is not None:
            self.frozen_embeddings.eval()
        return self

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor,
        want_input_view: bool = False,
        **extra: Tensor,
    ) -> tuple[Tensor, Tensor | None]:
        """Embed one tokenized batch; see the class docstring."""
        live_view = want_input_view and self.frozen_embeddings is None
        result = self.model(
            input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=live_view, **extra
        )
        output = self.pool(result.last_hidden_state, attention_mask)
        if not want_input_view:
            return output, None
        if live_view:
            return output, mean_pool(result.hidden_states[0].detach(), attention_mask)
        with torch.no_grad():
            keys = {key: value for key, value in extra.items() if key in self._embedding_keys}
            view = self.frozen_embeddings(input_ids=input_ids, **keys)
        return output, mean_pool(view, attention_mask)


def tokenize(
    tokenizer: Any, sentences: Sequence[str], max_length: int, device: torch.device
) -> dict[str, Tensor]:
    """Tokenize a batch (padded to its longest sentence, cut at ``max_length``); tensors on ``device``."""
    batch = tokenizer(
        list(sentences), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    return {key: value.to(device) for key, value in batch.items()}


def batch_loss(
    net: nn.Module,
    tokens: dict[str, Tensor],
    config: PretrainConfig,
    context: DistributedContext | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """The chosen loss of one (local) tokenized batch over the whole global batch; returns ``(loss, stats)``.

    ``force``: one forward pass gives the output embeddings and the input view, gathered over
    the processes, then :func:`force_based_infonce`; ``stats["pulled_fraction"]`` is the share of
    pairs at or above the threshold. ``simcse``: the batch is duplicated and embedded in one
    pass (two dropout masks), then :func:`simcse_infonce`. The loss is the same value on every
    process; back-propagate ``loss * world_size`` so that DDP's average is the full gradient.
    """
    context = context if context is not None else DistributedContext()
    if config.loss == "force":
        output, view = net(**tokens, want_input_view=True)
        output = gather_with_grad(output, context)
        view = gather_with_grad(view, context)
        loss = force_based_infonce(view, output, config.threshold)
        return loss, {"pulled_fraction": pulled_fraction(view, config.threshold)}
    doubled = {key: torch.cat([value, value]) for key, value in tokens.items()}
    output, _ = net(**doubled)
    view_a, view_b = output.chunk(2)
    loss = simcse_infonce(
        gather_with_grad(view_a, context), gather_with_grad(view_b, context), config.temperature
    )
    return loss, {}


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: ``weight_decay`` on matrices, none on 1-D parameters (biases, LayerNorm weights)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
    ]


def load_pretrain_config(folder: str | os.PathLike[str]) -> PretrainConfig:
    """The settings saved in ``folder/config.json`` (to resume a run with its own settings)."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise PretrainFolderError(f"cannot resume: {path} does not exist (is {folder} a pretraining run?)")
    return dataclass_from_json(PretrainConfig, path)


# --------------------------------------------------------------------------------------------- the run
class PretrainRun(TrainingRun):
    """One pretraining run over the corpus's optimizer steps (see the module docstring).

    Args:
        config: the settings (validated when the run starts, against the process count).
        resume: continue from ``config.run.output/checkpoint.pt``.
        overwrite: start again in a folder holding a run.
        sentences: train on these instead of reading ``config.corpus``.
        dev_pairs, test_pairs: evaluate on these instead of ``config.data``'s dev and test sets.

    After :meth:`run` (on rank 0): ``encoder`` is the exported encoder, ``report_data`` the
    report (``after["final_test_spearman"]`` is the last encoder's test score when the best dev
    encoder was exported instead). Subclasses may override :meth:`evaluate`.
    """

    unit = "step"
    command = "rcsim pretrain"
    model_dir_name = "encoder"
    loop_state = ("epoch", "batch_in_epoch", "sentences_trained", "losses", "pulled_sum")

    def __init__(
        self,
        config: PretrainConfig,
        resume: bool = False,
        overwrite: bool = False,
        *,
        sentences: Sequence[str] | None = None,
        dev_pairs: Sequence[ScoredPair] | None = None,
        test_pairs: Sequence[ScoredPair] | None = None,
    ) -> None:
        super().__init__(config, resume=resume, overwrite=overwrite)
        self._given_sentences = list(sentences) if sentences is not None else None
        self._given_dev = list(dev_pairs) if dev_pairs is not None else None
        self._given_test = list(test_pairs) if test_pairs is not None else None
        self.context = DistributedContext()
        self._owns_group = False
        self.epoch = 0
        self.batch_in_epoch = 0
        self.sentences_trained = 0
        self.losses: list[dict[str, float]] = []
        self.pulled_sum = 0.0
        self.total_steps = 0
        self.digests: list[str] = []
        self._batches: tuple[int, list[Tensor]] | None = None

    # ----------------------------------------------------------------- processes
    @property
    def is_main(self) -> bool:
        """Rank 0 writes, evaluates and prints."""
        return self.context.is_main

    def barrier(self) -> None:
        """Wait for every process."""
        self.context.barrier()

    def any_process(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any process (a Ctrl-C on one stops all)."""
        return self.context.any(flag)

    def rng_states(self) -> list[Any]:
        """Every process's random states (gathered on all)."""
        return self.context.all_gather_object(capture_rng_state())

    def restore_rng_states(self, states: list[Any]) -> None:
        """This process's saved states, or a reseed when the process count changed."""
        if len(states) == self.context.world_size:
            restore_rng_state(states[self.context.rank])
            return
        torch.manual_seed(self.config.run.seed + self.context.rank + 7919 * self.position)
        self.say(
            f"the checkpoint came from {len(states)} processes, this run has "
            f"{self.context.world_size}: dropout is reseeded"
        )

    def run(self) -> int:
        """Join (or start) the process group, train, and leave it; returns the exit status."""
        self._owns_group = not (dist.is_available() and dist.is_initialized())
        self.context = init_distributed(self.config.run.device)
        self.config.validate(self.context.world_size)
        return super().run()

    def close(self) -> None:
        """Leave the process group this run started."""
        if self._owns_group:
            cleanup_distributed(self.context)

    # ----------------------------------------------------------------- setup
    @property
    def total(self) -> int:
        """Optimizer steps over all epochs."""
        return self.total_steps

    @property
    def progress_description(self) -> str:
        """``pretraining (loss)``."""
        return f"pretraining ({self.config.loss})"

    def _load_sentences(self) -> None:
        from rcsim_env.data.loaders import find_wiki_corpus

        config = self.config
        if self._given_sentences is not None:
            self.corpus_source, self.blank_lines = "(given sentences)", 0
            sentences = [s for s in self._given_sentences if s.strip()]
        else:
            path = Path(config.corpus) if config.corpus else find_wiki_corpus(config.data.data_dir)
            sentences, self.blank_lines = read_corpus(path)
            self.corpus_source = str(path)
        if config.max_sentences is not None:
            sentences = sentences[: int(config.max_sentences)]
        if len(sentences) < 2:
            raise ValueError(f"pretraining needs at least 2 sentences, got {len(sentences)}")
        self.sentences = sentences
        skipped = f", {self.blank_lines} blank lines skipped" if self.blank_lines else ""
        self.say(f"corpus {self.corpus_source}: {len(sentences)} sentences{skipped}")

    def _load_evaluation(self) -> None:
        data, settings = self.config.data, self.config.run
        self.dev_pairs: list[ScoredPair] | None = None
        self.test_pairs: list[ScoredPair] | None = None
        notes = []
        if self.is_main:
            if self._given_dev is not None:
                self.dev_pairs = self._given_dev or None
            elif settings.eval_every > 0 or settings.keep_best:
                self.dev_pairs, note = optional_pairs(data.dev, data.data_dir, "dev", data.score_scale)
                notes.append(note)
            self.dev_pairs = first(self.dev_pairs, data.dev_pairs)
            if self._given_test is not None:
                self.test_pairs = self._given_test or None
            else:
                self.test_pairs, note = optional_pairs(data.test, data.data_dir, "test", data.score_scale)
                notes.append(note)
        self.evaluation_note = "; ".join(notes) or "evaluation pairs given by the caller"

    def build(self) -> None:
        """Seed, read the corpus, load the encoder, wrap it for the processes, optimizer and schedule."""
        config, context = self.config, self.context
        torch.manual_seed(config.run.seed)
        np.random.seed(config.run.seed % 2**32)
        random.seed(config.run.seed)
        self._load_sentences()
        self.encoder = SentenceEncoder.from_pretrained(config.encoder, device=context.device)
        self.max_length = min(int(config.max_length), self.encoder.max_length)
        if self.max_length < int(config.max_length):
            self.say(
                f"max_length {config.max_length} capped at the encoder's limit of {self.max_length} tokens"
            )
        self.net = wrap_model(
            EmbeddingNet(self.encoder.model, config.input_view, self.encoder.pooling), context
        )
        self.optimizer = torch.optim.AdamW(
            parameter_groups(self.encoder.model, config.weight_decay), lr=config.lr
        )
        steps_per_epoch = len(
            global_batches(len(self.sentences), config.batch_size, 0, config.run.seed, context.world_size)
        )
        self.total_steps = steps_per_epoch * int(config.epochs)
        warmup = math.ceil(self.total_steps * config.warmup_fraction)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_factor(step, warmup, self.total_steps, config.schedule)
        )
        self._load_evaluation()
        torch.manual_seed(config.run.seed + context.rank)  # dropout differs between processes

    def start(self) -> None:
        """Put the encoder in training mode."""
        self.encoder.train()

    # ----------------------------------------------------------------- evaluation
    def evaluate(self, pairs: Sequence[ScoredPair], description: str = "evaluating") -> float:
        """STS-B-style Spearman x100 of the encoder's cosine against the gold scores of ``pairs``."""
        from rcsim_env.evaluation.sts import spearman_of

        return spearman_of(
            self.encoder, pairs, show_progress=self.settings.show_progress, description=description
        )

    def evaluate_dev(self) -> float | None:
        """:meth:`evaluate` on the dev pairs (None without them)."""
        return self.evaluate(self.dev_pairs, "dev Spearman") if self.dev_pairs else None

    def evaluate_test(self) -> float | None:
        """:meth:`evaluate` on the test pairs (None without them)."""
        return self.evaluate(self.test_pairs, "test Spearman") if self.test_pairs else None

    # ----------------------------------------------------------------- one step
    def _epoch_batches(self) -> list[Tensor]:
        if self._batches is None or self._batches[0] != self.epoch:
            batches = global_batches(
                len(self.sentences),
                self.config.batch_size,
                self.epoch,
                self.config.run.seed,
                self.context.world_size,
            )
            self._batches = (self.epoch, batches)
        return self._batches[1]

    def train_unit(self) -> dict[str, float] | None:
        """One optimizer step on the next global batch; returns the loss and gradient norm every
        ``log_every`` steps (and at the first and last)."""
        self.encoder.train()
        batches = self._epoch_batches()
        batch = batches[self.batch_in_epoch]
        loss, grad_norm = self._train_step(local_shard(batch, self.context.rank, self.context.world_size))
        self.batch_in_epoch += 1
        if self.batch_in_epoch == len(batches):
            self.epoch += 1
            self.batch_in_epoch = 0
        self.sentences_trained += len(batch)
        self._last_loss = loss
        step = self.position + 1
        if step % self.config.log_every == 0 or step == 1 or step == self.total_steps:
            self.losses.append({"step": step, "loss": loss, "grad_norm": grad_norm})
            return {"train/loss": loss, "train/grad_norm": grad_norm}
        return None

    def progress_postfix(self) -> dict[str, str]:
        """The last loss."""
        return {"loss": f"{self._last_loss:.4g}"} if hasattr(self, "_last_loss") else {}

    def _train_step(self, indices: Tensor) -> tuple[float, float]:
        """One optimizer step on this process's share of a global batch; returns the loss and gradient norm.

        Both are global (the same on every process); the norm is measured before clipping.

        Raises FloatingPointError, before stepping, when the loss or the gradient norm is not finite.
        """
        config, context = self.config, self.context
        tokens = tokenize(
            self.encoder.tokenizer,
            [self.sentences[i] for i in indices.tolist()],
            self.max_length,
            context.device,
        )
        loss, stats = batch_loss(self.net, tokens, config, context)
        value = float(loss.detach())
        if context.any(not math.isfinite(value)):
            raise FloatingPointError(
                f"the {config.loss} loss is {value}; no optimizer step was taken with it"
            )
        self.optimizer.zero_grad(set_to_none=True)
        (loss * context.world_size).backward()
        limit = config.max_grad_norm if config.max_grad_norm > 0 else float("inf")
        norm = float(torch.nn.utils.clip_grad_norm_(self.encoder.model.parameters(), limit))
        if context.any(not math.isfinite(norm)):
            self.optimizer.zero_grad(set_to_none=True)
            raise FloatingPointError(f"the gradient norm is {norm}; no optimizer step was taken with it")
        self.optimizer.step()
        self.scheduler.step()
        self.pulled_sum += stats.get("pulled_fraction", 0.0)
        return value, norm

    # ----------------------------------------------------------------- state
    def check_finite(self) -> None:
        """Refuse (FloatingPointError) when the encoder's weights are not finite."""
        if not all(bool(torch.isfinite(p).all()) for p in self.encoder.parameters()):
            raise FloatingPointError(
                f"the encoder's weights hold NaN or inf after step {self.position}; the checkpoint was not "
                "overwritten (lower --lr or keep --max-grad-norm on)"
            )

    def training_state(self) -> dict[str, Any]:
        """Weights, optimizer, schedule, the process count and the corpus's digest."""
        return {
            "model": self.encoder.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "world_size": self.context.world_size,
            "corpus_digest": corpus_digest(self.sentences),
        }

    def load_training_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`training_state`; refuses a corpus that changed since the run began."""
        if state.get("corpus_digest") != corpus_digest(self.sentences):
            raise PretrainFolderError(
                f"cannot resume {self.folder.root}: the corpus differs from the one the run began with"
            )
        self.encoder.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])

    def save_model(self, folder: Path) -> None:
        """Save the encoder."""
        self.encoder.save(folder)

    def export_model(self, folder: Path) -> None:
        """Save the pretrained encoder with a model card: base model, loss, corpus, scores."""
        card = ModelCard(
            base_model=self.config.encoder,
            task=f"stage-1 pretraining without labels, {self.config.loss} loss (rcsim pretrain)",
            data=f"{self.corpus_source}, {len(self.sentences)} sentences, {self.config.epochs} epoch(s)",
            scores=self.score_summary(),
            command=self.invocation,
            notes=f"Evaluation: {self.evaluation_note}. Exported: {self.exported}.",
        )
        self.encoder.save(folder, card=card)

    def load_model(self, folder: Path) -> None:
        """Load the encoder's weights from ``folder``."""
        saved = SentenceEncoder.from_pretrained(folder, device=self.context.device)
        self.encoder.model.load_state_dict(saved.model.state_dict())

    def _finish(self) -> None:
        """Compare the processes' weights, then export (rank 0)."""
        self.digests = self.context.all_gather_object(weights_digest(self.encoder.model))
        super()._finish()
        if self.is_main and len(set(self.digests)) > 1:
            print(f"WARNING: the {len(self.digests)} processes ended with different weights: {self.digests}")

    # ----------------------------------------------------------------- the report
    def report_extra(self) -> dict[str, Any]:
        """Loss, throughput, corpus, losses, processes."""
        seconds = self.train_seconds
        data: dict[str, Any] = {
            "loss": self.config.loss,
            "sentences_trained": self.sentences_trained,
            "sentences_per_second": self.sentences_trained / seconds if seconds > 0 else None,
            "max_length_used": getattr(self, "max_length", None),
            "corpus": {
                "source": getattr(self, "corpus_source", None),
                "sentences": len(getattr(self, "sentences", [])),
                "blank_lines_skipped": getattr(self, "blank_lines", 0),
            },
            "losses": self.losses,
            "evaluation": getattr(self, "evaluation_note", None),
            "distributed": {
                "world_size": self.context.world_size,
                "backend": self.context.backend,
                "weight_digests": self.digests,
                "ranks_agree": len(set(self.digests)) <= 1,
            },
        }
        if self.config.loss == "force":
            data["mean_pulled_fraction"] = self.pulled_sum / self.position if self.position else None
        return data

    def summary_lines(self) -> list[str]:
        """Steps, throughput, first and last loss, before/after scores, where the encoder is."""
        rate = self.sentences_trained / self.train_seconds if self.train_seconds > 0 else 0.0
        lines = [
            f"pretraining done ({self.config.loss}): {self.position} steps, {self.sentences_trained} "
            f"sentences, {self.train_seconds:.1f} s ({rate:.1f} sentences/s)"
        ]
        if self.losses:
            lines.append(f"  loss: first {self.losses[0]['loss']:.4g}, last {self.losses[-1]['loss']:.4g}")
        return lines + super().summary_lines()[1:]
