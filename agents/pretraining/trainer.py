"""One trainer for both stage-1 losses: corpus in, encoder folder out.

``PretrainRun(config).run()`` returns an exit status (0 done, 1 stopped by a non-finite loss
or gradient, 130 stopped by Ctrl-C with a checkpoint saved) and leaves the output folder:

=========================  =====================================================================
``config.json``, weights,  the pretrained encoder (``SentenceEncoder.save``): loads with
tokenizer, ``modules.json``  ``SentenceEncoder.from_pretrained``, ``transformers`` and
                           ``SentenceTransformer``, and as ``rcsim-train calibrate --encoder``
``pretrain_report.json``   status, losses, sentences per second, dev history, STS-B test before/after
``pretrain_config.json``   the settings the run began with (``--resume`` reuses them)
``checkpoint.pt``          only while the run is unfinished (written atomically)
``best-dev/``              only while the run is unfinished: the best dev encoder so far
=========================  =====================================================================

The same code runs alone or under ``torchrun`` / ``accelerate launch``
(see :mod:`agents.pretraining.distributed`): only rank 0 writes, evaluates and shows progress.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import math
import os
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn

from agents.checkpoint import capture_rng_state, load_checkpoint, restore_rng_state, save_checkpoint
from agents.interrupts import first_ctrl_c_calls
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
from agents.schedules import lr_factor
from rcsim_env.config import dataclass_from_json
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.text_lines import text_lines
from rcsim_env.encoders.sentence_encoder import SentenceEncoder, mean_pool
from rcsim_env.errors import DataFormatError, DataNotFoundError, RCSimError
from rcsim_env.jsonio import write_json

EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130
REPORT_NAME = "pretrain_report.json"
CONFIG_NAME = "pretrain_config.json"
CHECKPOINT_NAME = "checkpoint.pt"
BEST_DIR_NAME = "best-dev"


class PretrainFolderError(RCSimError, ValueError):
    """The output folder does not fit the request (not empty, a finished run, nothing to resume)."""


# --------------------------------------------------------------------------------------------- corpus
def read_corpus(path: str | os.PathLike[str]) -> tuple[list[str], int]:
    """Read a one-sentence-per-line UTF-8 corpus; returns ``(sentences, blank_lines_skipped)``.

    Blank and whitespace-only lines are skipped and counted (the policy: they are not
    sentences, and a trailing empty line is common). Sentences are kept as written.

    Raises:
        DataNotFoundError: ``path`` is not a file.
        DataFormatError: a line is not valid UTF-8 or holds a NUL byte (the message names the
            file and line), or the file holds fewer than two sentences.
    """
    path = Path(path)
    sentences: list[str] = []
    blank = 0
    for number, line in text_lines(path):
        if not line.strip():
            blank += 1
            continue
        if "\x00" in line:
            raise DataFormatError(path, number, "holds a NUL byte; is this a binary file?")
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
    ``(output, input_view)``: ``output`` (batch, dim) is the attention-masked mean of the last
    hidden states (as :class:`SentenceEncoder` pools); ``input_view`` (batch, dim, no gradient)
    is the attention-masked mean of an embedding layer's output, or None when not wanted.

    ``input_view="frozen"`` (the default) takes it from a frozen copy of the starting model's
    embedding layer, in eval mode (no dropout): a fixed "perceptual" network, as in perceptual
    losses, so the estimated similarity of two sentences never changes during training.
    ``"live"`` takes it from the embedding layer being trained (``hidden_states[0]`` of the same
    forward pass, with its dropout), the literal reading of the paper's code; its estimated
    similarities drift as the embedding weights learn. Either way there is one forward pass
    through the transformer. This is the module DDP wraps.
    """

    def __init__(self, model: nn.Module, input_view: str = "frozen") -> None:
        super().__init__()
        if input_view not in INPUT_VIEWS:
            raise ValueError(f"input_view must be one of {INPUT_VIEWS}, got {input_view!r}")
        self.model = model
        self.input_view = input_view
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
        output = mean_pool(result.last_hidden_state, attention_mask)
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
    """The settings saved in ``folder/pretrain_config.json`` (to resume a run with its own settings)."""
    path = Path(folder) / CONFIG_NAME
    if not path.is_file():
        raise PretrainFolderError(f"cannot resume: {path} does not exist (is {folder} a pretraining output?)")
    return dataclass_from_json(PretrainConfig, path)


# --------------------------------------------------------------------------------------------- the run
class PretrainRun:
    """One pretraining run (see the module docstring).

    Args:
        config: the settings (validated when the run starts, against the process count).
        resume: continue from ``config.output/checkpoint.pt``.
        sentences: train on these instead of reading ``config.corpus``.
        dev_pairs, test_pairs: evaluate on these instead of STS-B dev / test.

    After :meth:`run` (on rank 0): ``encoder`` is the exported encoder, ``last_encoder_test``
    the STS-B test Spearman of the encoder after the last step (when tested), ``report_data``
    the report. Subclasses may override :meth:`evaluate` and :meth:`after_step`.
    """

    def __init__(
        self,
        config: PretrainConfig,
        resume: bool = False,
        *,
        sentences: Sequence[str] | None = None,
        dev_pairs: Sequence[ScoredPair] | None = None,
        test_pairs: Sequence[ScoredPair] | None = None,
    ) -> None:
        self.config = config
        self.resume = resume
        self.root = Path(config.output)
        self._given_sentences = list(sentences) if sentences is not None else None
        self._given_dev = list(dev_pairs) if dev_pairs is not None else None
        self._given_test = list(test_pairs) if test_pairs is not None else None
        self._stop_requested = False
        self.context = DistributedContext()
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self.sentences_trained = 0
        self.train_seconds = 0.0
        self.eval_seconds = 0.0
        self.losses: list[dict[str, float]] = []
        self.dev_history: list[dict[str, float]] = []
        self.best: dict[str, float] | None = None
        self.before: dict[str, float] = {}
        self.after: dict[str, float] = {}
        self.pulled_sum = 0.0
        self.exported = "last"
        self.last_encoder_test: float | None = None
        self.report_data: dict[str, Any] = {}

    # ----------------------------------------------------------------- paths
    @property
    def checkpoint_path(self) -> Path:
        """``output/checkpoint.pt``."""
        return self.root / CHECKPOINT_NAME

    @property
    def report_path(self) -> Path:
        """``output/pretrain_report.json``."""
        return self.root / REPORT_NAME

    @property
    def best_dir(self) -> Path:
        """``output/best-dev``: the best dev encoder while the run is unfinished."""
        return self.root / BEST_DIR_NAME

    def _say(self, message: str) -> None:
        if self.context.is_main:
            print(message, flush=True)

    # ----------------------------------------------------------------- setup
    def _check_folder(self) -> None:
        has_checkpoint = self.checkpoint_path.exists()
        if self.resume:
            if not has_checkpoint:
                raise PretrainFolderError(f"cannot resume: {self.checkpoint_path} does not exist")
            return
        if has_checkpoint or self.report_path.exists():
            raise PretrainFolderError(
                f"{self.root} already holds a pretraining run; pass --resume to continue it "
                "or choose another --output"
            )
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise PretrainFolderError(f"{self.root} exists and is not an empty folder; choose a new --output")

    def _load_sentences(self) -> None:
        from rcsim_env.data.loaders import find_wiki_corpus

        config = self.config
        if self._given_sentences is not None:
            self.corpus_source, self.blank_lines = "(given sentences)", 0
            sentences = [s for s in self._given_sentences if s.strip()]
        else:
            path = Path(config.corpus) if config.corpus else find_wiki_corpus(config.data_dir)
            sentences, self.blank_lines = read_corpus(path)
            self.corpus_source = str(path)
        if config.max_sentences is not None:
            sentences = sentences[: int(config.max_sentences)]
        if len(sentences) < 2:
            raise ValueError(f"pretraining needs at least 2 sentences, got {len(sentences)}")
        self.sentences = sentences
        skipped = f", {self.blank_lines} blank lines skipped" if self.blank_lines else ""
        self._say(f"corpus {self.corpus_source}: {len(sentences)} sentences{skipped}")

    def _load_evaluation(self) -> None:
        from rcsim_env.data.loaders import load_stsb

        config = self.config
        self.dev_pairs: list[ScoredPair] | None = None
        self.test_pairs: list[ScoredPair] | None = None
        self.evaluation_note = "no evaluation requested"
        wants_dev = config.eval_every > 0 and config.dev_pairs != 0
        if not self.context.is_main or not (wants_dev or config.test):
            return
        dev, test = self._given_dev, self._given_test
        try:
            if wants_dev and dev is None:
                dev = load_stsb("dev", config.data_dir)
            if config.test and test is None:
                test = load_stsb("test", config.data_dir)
        except DataNotFoundError as exc:
            self.evaluation_note = f"STS-B not found, no dev/test evaluation: {str(exc).splitlines()[0]}"
            self._say(self.evaluation_note)
            return
        if wants_dev and dev:
            self.dev_pairs = dev[: int(config.dev_pairs)] if config.dev_pairs is not None else dev
        if config.test and test:
            self.test_pairs = test
        parts = []
        if self.dev_pairs:
            parts.append(f"STS-B dev ({len(self.dev_pairs)} pairs) every {config.eval_every} steps")
        if self.test_pairs:
            parts.append(f"STS-B test ({len(self.test_pairs)} pairs) before and after")
        self.evaluation_note = "; ".join(parts) or "no evaluation requested"

    def _build(self) -> None:
        config, context = self.config, self.context
        torch.manual_seed(config.seed)
        np.random.seed(config.seed % 2**32)
        random.seed(config.seed)
        self._load_sentences()
        self.encoder = SentenceEncoder.from_pretrained(config.encoder, device=context.device)
        self.max_length = min(int(config.max_length), self.encoder.max_length)
        if self.max_length < int(config.max_length):
            self._say(
                f"max_length {config.max_length} capped at the encoder's limit of {self.max_length} tokens"
            )
        self.net = wrap_model(EmbeddingNet(self.encoder.model, config.input_view), context)
        self.optimizer = torch.optim.AdamW(
            parameter_groups(self.encoder.model, config.weight_decay), lr=config.lr
        )
        self.steps_per_epoch = len(
            global_batches(len(self.sentences), config.batch_size, 0, config.seed, context.world_size)
        )
        self.total_steps = self.steps_per_epoch * int(config.epochs)
        warmup = math.ceil(self.total_steps * config.warmup_fraction)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_factor(step, warmup, self.total_steps, config.schedule)
        )
        self._load_evaluation()
        torch.manual_seed(config.seed + context.rank)  # dropout differs between processes

    # ----------------------------------------------------------------- evaluation
    def evaluate(self, pairs: Sequence[ScoredPair]) -> float:
        """STS-B-style Spearman x100 of the encoder's cosine against the gold scores of ``pairs``."""
        from rcsim_env.evaluation.sts import spearman_of

        return spearman_of(self.encoder, pairs)

    def _timed_evaluate(self, pairs: Sequence[ScoredPair]) -> float:
        started = time.perf_counter()
        try:
            return self.evaluate(pairs)
        finally:
            self.eval_seconds += time.perf_counter() - started

    def _evaluate_dev(self) -> None:
        """Rank 0: score dev, keep the best encoder in ``best-dev/``; every process waits at a barrier."""
        if self.context.is_main and self.dev_pairs:
            score = self._timed_evaluate(self.dev_pairs)
            self.dev_history.append({"step": self.step, "dev_spearman": score})
            if self.config.keep_best and (self.best is None or score > self.best["dev_spearman"]):
                self.best = {"step": self.step, "dev_spearman": score}
                self._save_best()
        self.context.barrier()

    def _save_best(self) -> None:
        started = time.perf_counter()
        temporary = self.root / (BEST_DIR_NAME + ".tmp")
        shutil.rmtree(temporary, ignore_errors=True)
        self.encoder.save(temporary)
        write_json(temporary / "best.json", self.best)
        shutil.rmtree(self.best_dir, ignore_errors=True)
        os.replace(temporary, self.best_dir)
        self.eval_seconds += time.perf_counter() - started

    # ----------------------------------------------------------------- checkpoints
    def _check_weights_finite(self) -> None:
        if not all(bool(torch.isfinite(p).all()) for p in self.encoder.parameters()):
            raise FloatingPointError(
                f"the encoder's weights hold NaN or inf after step {self.step}; the checkpoint was not "
                "overwritten (lower --lr or keep --max-grad-norm on)"
            )

    def save_checkpoint(self) -> None:
        """Write ``checkpoint.pt`` atomically (rank 0): weights, optimizer, schedule, position, RNG states.

        Every process must call it (their RNG states are gathered). Refuses
        (``FloatingPointError``) when the weights are not finite, so a diverged model never
        replaces the last good checkpoint.
        """
        self._check_weights_finite()
        rng_states = self.context.all_gather_object(capture_rng_state())
        if self.context.is_main:
            save_checkpoint(
                self.checkpoint_path,
                {
                    "model": self.encoder.model.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(),
                    "trainer": self._trainer_state(),
                    "rng": rng_states,
                    "world_size": self.context.world_size,
                    "corpus_digest": corpus_digest(self.sentences),
                },
            )
        self.context.barrier()

    def _trainer_state(self) -> dict[str, Any]:
        keys = (
            "step",
            "epoch",
            "batch_in_epoch",
            "sentences_trained",
            "train_seconds",
            "eval_seconds",
            "losses",
            "dev_history",
            "before",
            "pulled_sum",
        )
        return {key: getattr(self, key) for key in keys}

    def _restore(self) -> None:
        state = load_checkpoint(self.checkpoint_path, map_location="cpu")
        if state.get("corpus_digest") != corpus_digest(self.sentences):
            raise PretrainFolderError(
                f"cannot resume {self.root}: the corpus differs from the one the run began with"
            )
        self.encoder.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        for key, value in state["trainer"].items():
            setattr(self, key, value)
        rng_states = state["rng"]
        if len(rng_states) == self.context.world_size:
            restore_rng_state(rng_states[self.context.rank])
        else:
            torch.manual_seed(self.config.seed + self.context.rank + 7919 * self.step)
            self._say(
                f"the checkpoint came from {len(rng_states)} processes, this run has "
                f"{self.context.world_size}: dropout is reseeded"
            )
        best_file = self.best_dir / "best.json"
        if best_file.is_file():
            self.best = json.loads(best_file.read_text(encoding="utf-8"))
        self._say(f"resuming {self.root} at step {self.step}/{self.total_steps}")

    # ----------------------------------------------------------------- the loop
    def request_stop(self) -> None:
        """Ask the loop to stop after the current step, save a checkpoint and return 130."""
        self._stop_requested = True

    def after_step(self) -> None:
        """Called after every optimizer step (and its evaluation and checkpoint); a hook for subclasses."""

    def run(self) -> int:
        """Train for ``epochs`` passes over the corpus (or until stopped); returns the exit status."""
        owns_group = not (dist.is_available() and dist.is_initialized())
        self.context = init_distributed(self.config.device)
        try:
            self.config.validate(self.context.world_size)
            self._check_folder()
            self.context.barrier()  # every process has checked the folder before rank 0 writes to it
            self._build()
            if self.resume:
                self._restore()
            else:
                self._start()
            with first_ctrl_c_calls(self.request_stop):
                status = self._loop()
            if status == EXIT_DONE:
                self._finish()
            self.context.barrier()
            return status
        finally:
            if owns_group:
                cleanup_distributed(self.context)

    def _start(self) -> None:
        if self.context.is_main:
            self.root.mkdir(parents=True, exist_ok=True)
            write_json(self.root / CONFIG_NAME, asdict(self.config))
            if self.test_pairs:
                self.before["test_spearman"] = self._timed_evaluate(self.test_pairs)
        self._evaluate_dev()
        if self.dev_history:
            self.before["dev_spearman"] = self.dev_history[-1]["dev_spearman"]
        if self.before:
            shown = ", ".join(f"{key} {value:.2f}" for key, value in self.before.items())
            self._say(f"before training: {shown}")

    def _loop(self) -> int:
        from tqdm.auto import tqdm

        config, context = self.config, self.context
        self.encoder.train()
        bar = tqdm(
            total=self.total_steps,
            initial=self.step,
            desc=f"pretraining ({config.loss})",
            unit="step",
            disable=not (config.show_progress and context.is_main),
        )
        try:
            while self.epoch < int(config.epochs):
                batches = global_batches(
                    len(self.sentences), config.batch_size, self.epoch, config.seed, context.world_size
                )
                while self.batch_in_epoch < len(batches):
                    if context.any(self._stop_requested):
                        bar.close()
                        return self._stop_here()
                    batch = batches[self.batch_in_epoch]
                    loss, grad_norm = self._train_step(local_shard(batch, context.rank, context.world_size))
                    self.batch_in_epoch += 1
                    self.step += 1
                    self.sentences_trained += len(batch)
                    if self.step % config.log_every == 0 or self.step == 1 or self.step == self.total_steps:
                        self.losses.append({"step": self.step, "loss": loss, "grad_norm": grad_norm})
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
                    if (
                        config.eval_every
                        and self.step % config.eval_every == 0
                        and self.step < self.total_steps
                    ):
                        self._evaluate_dev()
                    if config.checkpoint_every and self.step % config.checkpoint_every == 0:
                        if self.step < self.total_steps:
                            self.save_checkpoint()
                    self.after_step()
                self.epoch += 1
                self.batch_in_epoch = 0
        except FloatingPointError as exc:
            bar.close()
            kept = (
                f"the last good checkpoint {self.checkpoint_path} is intact"
                if self.checkpoint_path.exists()
                else "no checkpoint had been saved yet"
            )
            message = f"pretraining stopped at step {self.step + 1}: {exc}; {kept}"
            self._say(message)
            self._write_report("failed", error=message)
            return EXIT_FAILED
        except KeyboardInterrupt:
            bar.close()  # a second Ctrl-C mid-step: the step's state is unknown, keep the last checkpoint
            self._write_report(
                "interrupted", error="interrupted mid-step; the last periodic checkpoint is kept"
            )
            self._say(
                f"\ninterrupted mid-step; resume from the last checkpoint with --resume --output {self.root}"
            )
            return EXIT_INTERRUPTED
        bar.close()
        return EXIT_DONE

    def _train_step(self, indices: Tensor) -> tuple[float, float]:
        """One optimizer step on this process's share of a global batch; returns the loss and gradient norm.

        Both are global (the same on every process); the norm is measured before clipping.

        Raises FloatingPointError, before stepping, when the loss or the gradient norm is not finite.
        """
        config, context = self.config, self.context
        started = time.perf_counter()
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
        self.train_seconds += time.perf_counter() - started
        return value, norm

    def _stop_here(self) -> int:
        self.save_checkpoint()
        self._write_report("interrupted")
        self._say(
            f"\nstopped at step {self.step}/{self.total_steps}; checkpoint saved to {self.checkpoint_path}\n"
            f"continue with: rcsim-pretrain --resume --output {self.root}"
        )
        return EXIT_INTERRUPTED

    # ----------------------------------------------------------------- the end
    def _finish(self) -> None:
        digests = self.context.all_gather_object(weights_digest(self.encoder.model))
        if self.context.is_main:
            self._export(digests)

    def _export(self, digests: list[str]) -> None:
        if self.dev_pairs and (not self.dev_history or self.dev_history[-1]["step"] != self.step):
            score = self._timed_evaluate(self.dev_pairs)
            self.dev_history.append({"step": self.step, "dev_spearman": score})
            if self.config.keep_best and (self.best is None or score > self.best["dev_spearman"]):
                self.best = {"step": self.step, "dev_spearman": score}
        if self.dev_history:
            self.after["last_dev_spearman"] = self.dev_history[-1]["dev_spearman"]
        if self.test_pairs:
            self.last_encoder_test = self._timed_evaluate(self.test_pairs)
            self.after["last_test_spearman"] = self.last_encoder_test
        if self.config.keep_best and self.best is not None and self.best["step"] != self.step:
            best = SentenceEncoder.from_pretrained(self.best_dir, device=self.context.device)
            self.encoder.model.load_state_dict(best.model.state_dict())
            self.exported = f"best dev, step {int(self.best['step'])}"
            if self.test_pairs:
                self.after["test_spearman"] = self._timed_evaluate(self.test_pairs)
        elif self.test_pairs:
            self.after["test_spearman"] = self.last_encoder_test
        self.encoder.save(self.root)
        self.checkpoint_path.unlink(missing_ok=True)
        shutil.rmtree(self.best_dir, ignore_errors=True)
        shutil.rmtree(self.root / (BEST_DIR_NAME + ".tmp"), ignore_errors=True)
        self._write_report("done", distributed=self._distributed_summary(digests))
        self._print_summary()
        if len(set(digests)) > 1:
            print(
                f"WARNING: the {len(digests)} processes ended with different weights: {digests}", flush=True
            )

    def _distributed_summary(self, digests: list[str]) -> dict[str, Any]:
        return {
            "world_size": self.context.world_size,
            "backend": self.context.backend,
            "weight_digests": digests,
            "ranks_agree": len(set(digests)) == 1,
        }

    def report(self, status: str, **extra: Any) -> dict[str, Any]:
        """The JSON-ready report of the run so far, with ``status`` and any ``extra`` fields."""
        seconds = self.train_seconds
        data: dict[str, Any] = {
            "status": status,
            "loss": self.config.loss,
            "steps": self.step,
            "total_steps": self.total_steps,
            "sentences_trained": self.sentences_trained,
            "train_seconds": seconds,
            "sentences_per_second": self.sentences_trained / seconds if seconds > 0 else None,
            "eval_seconds": self.eval_seconds,
            "max_length_used": self.max_length,
            "corpus": {
                "source": self.corpus_source,
                "sentences": len(self.sentences),
                "blank_lines_skipped": self.blank_lines,
            },
            "losses": self.losses,
            "dev_history": self.dev_history,
            "best": self.best,
            "before": self.before,
            "after": self.after,
            "exported": self.exported,
            "evaluation": self.evaluation_note,
            "world_size": self.context.world_size,
            "config": asdict(self.config),
        }
        if self.config.loss == "force":
            data["mean_pulled_fraction"] = self.pulled_sum / self.step if self.step else None
        data.update(extra)
        return data

    def _write_report(self, status: str, **extra: Any) -> None:
        self.report_data = self.report(status, **extra)
        if self.context.is_main:
            write_json(self.report_path, self.report_data)

    def _print_summary(self) -> None:
        data = self.report_data
        rate = data["sentences_per_second"]
        lines = [
            f"pretraining done ({self.config.loss}): {self.step} steps, {self.sentences_trained} sentences, "
            f"{self.train_seconds:.1f} s ({rate:.1f} sentences/s)"
            if rate
            else f"pretraining done: {self.step} steps",
        ]
        if self.losses:
            lines.append(f"  loss: first {self.losses[0]['loss']:.4g}, last {self.losses[-1]['loss']:.4g}")
        for key in ("dev_spearman", "test_spearman"):
            if key in self.before:
                after = self.after.get(key if key == "test_spearman" else "last_dev_spearman")
                shown = f"{after:.2f}" if after is not None else "-"
                lines.append(
                    f"  STS-B {key.split('_')[0]} Spearman: before {self.before[key]:.2f}  after {shown}"
                )
        lines.append(f"  encoder ({self.exported}) saved to {self.root}; report {self.report_path}")
        print("\n".join(lines), flush=True)
