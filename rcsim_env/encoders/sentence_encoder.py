"""The sentence encoder (the paper's PerceptualBERT): a BERT-family model pooled into sentence embeddings.

It embeds sentences as the model's sentence-transformers files say (pooling mode, Normalize),
so a folder gives the same embeddings here as in ``SentenceTransformer``; a plain
transformers checkpoint is mean-pooled. :meth:`SentenceEncoder.save` writes a folder both
libraries load, with a model card.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from rcsim_env.encoders.layout import EncoderLayout, FileFinder, folder_finder, read_layout, write_layout
from rcsim_env.encoders.model_card import ModelCard, render_card
from rcsim_env.encoders.pooling import POOLING_MODES, mean_pool
from rcsim_env.encoders.quiet import quiet_transformers
from rcsim_env.encoders.resolve import (
    DEFAULT_ALIASES,
    DEFAULT_MODEL_ID,
    FOLDER_HINT,
    INSTALL_HINT,
    check_model_folder,
    local_folder,
    looks_like_path,
    resolve_model_name,
)
from rcsim_env.errors import InvalidSentenceError, ModelNotFoundError
from rcsim_env.validation import validate_sentence

__all__ = ["SentenceEncoder", "eval_mode", "load_tokenizer", "mean_pool", "pick_device"]

LOAD_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, TypeError, KeyError, RuntimeError)
"""What transformers raises for a hub checkpoint it cannot load (missing or malformed files).

From a local folder any exception while reading it is reported as a problem of that folder
(a damaged safetensors file raises its own error type, a damaged pickle another)."""


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """Return ``torch.device(device)``; ``"auto"`` picks CUDA when available, else the CPU."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Run the block with ``module`` in eval mode (no dropout); give every submodule its own mode back after.

    Restores each submodule's ``training`` flag as it was, so a module that was partly in
    eval mode (a train-mode wrapper around an eval-mode model) comes back the same.
    """
    modes = [(child, child.training) for child in module.modules()]  # parents before their children
    module.eval()
    try:
        yield module
    finally:
        for child, training in modes:
            child.train(training)


def _check_sentences(sentences: Sequence[str]) -> list[str]:
    if isinstance(sentences, str):
        raise InvalidSentenceError("expected a list of sentences, got a single str; wrap it in a list")
    return [validate_sentence(s, f"sentences[{i}]") for i, s in enumerate(sentences)]


class SentenceEncoder(nn.Module):
    """A transformer encoder whose sentence embedding is its pooled last hidden states (maybe unit length).

    Build one with :meth:`from_pretrained`. How token states become the sentence embedding
    (the pooling mode, Normalize) comes from ``layout``; the default is attention-masked mean
    pooling without normalization. Inputs longer than ``max_length`` tokens are truncated to
    their first ``max_length`` tokens (a 100,000-character sentence is accepted and encoded
    from its beginning).

    Args:
        model: a ``transformers`` base model (``AutoModel``) returning ``last_hidden_state``.
        tokenizer: the matching tokenizer.
        max_length: maximum tokens per sentence, special tokens included.
        device: where the model runs (``"auto"``: CUDA when present).
        layout: pooling mode and normalization (see :class:`~rcsim_env.encoders.layout.EncoderLayout`).
        name_or_path: the name it was loaded from, recorded as the base model of exports.

    The encoder starts in the train/eval mode of ``model`` (``from_pretrained`` gives eval mode).
    """

    def __init__(
        self,
        model: nn.Module,
        tokenizer,
        max_length: int,
        device: str | torch.device = "auto",
        *,
        layout: EncoderLayout | None = None,
        name_or_path: str | None = None,
    ):
        super().__init__()
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2 tokens, got {max_length}")
        self.layout = layout or EncoderLayout()
        POOLING_MODES.check(self.layout.pooling)
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.name_or_path = name_or_path
        self.model.to(pick_device(device))
        self.train(self.model.training)

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike[str] | None = None,
        device: str | torch.device = "auto",
        max_length: int | None = None,
    ) -> SentenceEncoder:
        """Load an encoder from a local folder or a hub id (``None``: the bundled all-MiniLM-L6-v2).

        A sentence-transformers model (``modules.json``) is pooled with its own Pooling mode
        (mean, cls, max, mean_sqrt_len_tokens, weightedmean or lasttoken) and normalized when
        it has a Normalize module, so its embeddings equal ``SentenceTransformer``'s; other
        pipelines (Dense layers, several pooling modes, a default prompt) are refused with a
        message naming them. A plain transformers checkpoint, without sentence-transformers
        files, is mean-pooled and not normalized.

        ``max_length`` defaults to the ``max_seq_length`` of ``sentence_bert_config.json``, else,
        for a sentence-transformers model, the tokenizer's limit capped at the model's position
        limit, else the smaller of those two and 512. A name that looks like a path (it exists,
        starts with ``.`` or ``~``, or holds a path separator and is not a ``namespace/name``
        hub id) must be a model folder. Raises :class:`ModelNotFoundError` saying what is wrong
        with the folder, or what to install or pass when a hub id does not load.
        """
        from transformers import AutoModel, AutoTokenizer

        source, find, is_folder = _locate(name_or_path)
        layout = read_layout(source, find)
        load_from, extra = source, {}
        if is_folder:
            load_from = str(check_model_folder(Path(source) / layout.transformer_path))
        elif layout.transformer_path:
            extra = {"subfolder": layout.transformer_path}
        with quiet_transformers():
            tokenizer = _load_or_explain(AutoTokenizer, load_from, is_folder, **extra)
            model = _load_or_explain(AutoModel, load_from, is_folder, **extra)
        hidden_size = int(model.config.hidden_size)
        if layout.dimension is not None and layout.dimension != hidden_size:
            raise ModelNotFoundError(
                f"cannot use encoder {source}: its Pooling module expects {layout.dimension}-dimensional "
                f"token states but the transformer's hidden size is {hidden_size}"
            )
        if layout.do_lower_case:
            _lowercase_inputs(tokenizer, source)
        if max_length is None:
            max_length = _default_max_length(layout, tokenizer, model)
        name = DEFAULT_MODEL_ID if name_or_path in DEFAULT_ALIASES else source
        return cls(model, tokenizer, max_length=max_length, device=device, layout=layout, name_or_path=name)

    @property
    def device(self) -> torch.device:
        """The device holding the model's parameters."""
        return next(self.model.parameters()).device

    @property
    def dim(self) -> int:
        """The embedding size (the model's hidden size: every supported pooling mode keeps it)."""
        return int(self.model.config.hidden_size)

    @property
    def pooling(self) -> str:
        """The pooling mode's name (a :data:`~rcsim_env.encoders.pooling.POOLING_MODES` key)."""
        return self.layout.pooling

    @property
    def normalizes(self) -> bool:
        """Whether the sentence embeddings are scaled to unit length (the model has a Normalize module)."""
        return self.layout.normalize

    def tokenize(self, sentences: Sequence[str]) -> dict[str, torch.Tensor]:
        """Tokenize, pad to the longest sentence, truncate to ``max_length``; tensors on :attr:`device`."""
        batch = self.tokenizer(
            _check_sentences(sentences),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return {key: value.to(self.device) for key, value in batch.items()}

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Sentence embeddings (batch, dim) from token states (batch, seq, dim): pooled, normalized if set."""
        pooled = POOLING_MODES[self.layout.pooling](hidden, attention_mask)
        return nn.functional.normalize(pooled, p=2, dim=-1) if self.layout.normalize else pooled

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **extra: torch.Tensor
    ) -> torch.Tensor:
        """Return (batch, dim) sentence embeddings for a tokenized batch (gradients flow)."""
        output = self.model(input_ids=input_ids, attention_mask=attention_mask, **extra)
        return self.pool(output.last_hidden_state, attention_mask)

    def embed(self, sentences: Sequence[str]) -> torch.Tensor:
        """Embed one batch of sentences with gradients enabled (the training path); returns (batch, dim)."""
        return self(**self.tokenize(sentences))

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 64,
        normalize: bool = False,
        show_progress: bool | str = False,
    ) -> np.ndarray:
        """Embed many sentences for inference; returns a float32 array (len(sentences), dim) in input order.

        Each distinct sentence is encoded once (a repeated sentence gets the very same row).
        The distinct sentences are tokenized once, sorted by token length and batched so
        that padding is minimal; the forward passes run under ``torch.inference_mode``.
        ``normalize`` scales each row to unit length (rows already are when the model has a
        Normalize module). ``show_progress`` draws a tqdm bar counting sentences, removed
        when done; a string is the bar's label (``True``: "encoding").
        """
        checked = _check_sentences(sentences)
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if not checked:
            return np.zeros((0, self.dim), dtype=np.float32)
        distinct = list(dict.fromkeys(checked))
        encoded = self.tokenizer(distinct, truncation=True, max_length=self.max_length)
        order = np.argsort([-len(ids) for ids in encoded["input_ids"]], kind="stable")
        out = np.empty((len(distinct), self.dim), dtype=np.float32)
        label = show_progress if isinstance(show_progress, str) else "encoding"
        bar = tqdm(total=len(distinct), desc=label, unit="sentence", leave=False, disable=not show_progress)
        with bar, torch.inference_mode():
            for start in range(0, len(distinct), batch_size):
                index = order[start : start + batch_size]
                features = {key: [encoded[key][i] for i in index] for key in encoded.keys()}
                batch = self.tokenizer.pad(features, padding=True, return_tensors="pt")
                batch = {key: value.to(self.device) for key, value in batch.items()}
                embeddings = self(**batch).float()
                if normalize and not self.layout.normalize:
                    embeddings = nn.functional.normalize(embeddings, dim=-1)
                out[index] = embeddings.cpu().numpy()
                bar.update(len(index))
        if len(distinct) == len(checked):
            return out
        row_of = {sentence: row for row, sentence in enumerate(distinct)}
        return out[[row_of[sentence] for sentence in checked]]

    def similarity(
        self,
        sentences_a: Sequence[str],
        sentences_b: Sequence[str],
        batch_size: int = 64,
        show_progress: bool | str = False,
    ) -> np.ndarray:
        """Cosine similarity of each pair ``(sentences_a[i], sentences_b[i])``; returns a float64 array.

        Both sides are encoded in one batched call (one progress bar with ``show_progress``,
        as in :meth:`encode`); a sentence on both sides is encoded once.
        """
        if len(sentences_a) != len(sentences_b):
            raise ValueError(
                f"got {len(sentences_a)} first sentences but {len(sentences_b)} second sentences"
            )
        sentences = list(sentences_a) + list(sentences_b)
        embeddings = self.encode(
            sentences,
            batch_size=batch_size,
            normalize=True,
            show_progress=show_progress,
        )
        n = len(sentences_a)
        return np.sum(embeddings[:n] * embeddings[n:], axis=1, dtype=np.float64)

    def save(self, path: str | os.PathLike[str], card: ModelCard | None = None) -> Path:
        """Write the encoder to folder ``path`` and return it.

        The folder loads with ``transformers.AutoModel.from_pretrained``, with
        ``sentence_transformers.SentenceTransformer`` (same pooling mode, Normalize when this
        encoder has it, same max length: the same embeddings) and with
        :meth:`SentenceEncoder.from_pretrained`. ``README.md`` is the model card rendered from
        ``card`` (default: one naming only the base model this encoder was loaded from).
        """
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        with quiet_transformers():
            self.model.save_pretrained(folder)
            self.tokenizer.save_pretrained(folder)
        write_layout(folder, self.layout, self.dim, self.max_length)
        card = card if card is not None else ModelCard(base_model=self.name_or_path)
        text = render_card(
            card,
            dimension=self.dim,
            max_length=self.max_length,
            pooling=self.pooling,
            normalize=self.normalizes,
        )
        (folder / "README.md").write_text(text, encoding="utf-8")
        return folder


def _default_max_length(layout: EncoderLayout, tokenizer, model: nn.Module) -> int:
    """The ``max_length`` an encoder gets when none is given (see :meth:`SentenceEncoder.from_pretrained`)."""
    if layout.max_seq_length is not None:
        return layout.max_seq_length
    limits = [getattr(model.config, "max_position_embeddings", 512)]
    if not layout.sentence_transformers:
        limits.append(512)
    tokenizer_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tokenizer_limit, int) and tokenizer_limit < 100_000:
        limits.append(tokenizer_limit)
    return min(limits)


def _hub_finder(hub_id: str) -> FileFinder:
    """A :data:`FileFinder` over a hub model's files, local cache first; None for a file it does not have."""

    def find(name: str) -> Path | None:
        from transformers.utils import cached_file

        try:
            found = cached_file(
                hub_id,
                name,
                _raise_exceptions_for_missing_entries=False,
                _raise_exceptions_for_connection_errors=False,
            )
        except LOAD_ERRORS:
            return None
        return Path(found) if found else None

    return find


def _locate(name_or_path: str | os.PathLike[str] | None) -> tuple[str, FileFinder, bool]:
    """``(source, find, is_folder)`` for an encoder name: a checked local folder or a hub id.

    A path-like name must name an existing folder (ModelNotFoundError saying what is
    wrong otherwise, without mentioning the hub).
    """
    if name_or_path not in DEFAULT_ALIASES and looks_like_path(name_or_path):
        folder = local_folder(name_or_path)
        if not folder.is_dir():
            check_model_folder(folder)  # raises: missing, or a file
        return str(folder), folder_finder(folder), True
    source = resolve_model_name(name_or_path)
    if Path(source).is_dir():
        return source, folder_finder(Path(source)), True
    return source, _hub_finder(source), False


def _lowercase_inputs(tokenizer, where: str) -> None:
    """Make ``tokenizer`` lowercase its inputs (``do_lower_case``), as sentence-transformers does."""
    if getattr(tokenizer, "is_fast", False):
        from tokenizers import normalizers

        current = tokenizer.backend_tokenizer.normalizer
        parts = list(current) if isinstance(current, normalizers.Sequence) else [current] if current else []
        if not any(isinstance(part, normalizers.Lowercase) for part in parts):
            tokenizer.backend_tokenizer.normalizer = normalizers.Sequence([normalizers.Lowercase(), *parts])
        return
    for holder in (tokenizer, getattr(tokenizer, "basic_tokenizer", None)):
        try:
            if holder is not None and hasattr(holder, "do_lower_case"):
                holder.do_lower_case = True
                return
        except AttributeError:
            continue
    raise ModelNotFoundError(
        f"cannot use encoder {where}: sentence_bert_config.json asks for lowercased inputs (do_lower_case) "
        f"but its {type(tokenizer).__name__} cannot be told to lowercase"
    )


def load_tokenizer(name_or_path: str | os.PathLike[str] | None = None):
    """Load only an encoder's tokenizer (names and errors as :meth:`SentenceEncoder.from_pretrained`)."""
    from transformers import AutoTokenizer

    source, find, is_folder = _locate(name_or_path)
    layout = read_layout(source, find)
    extra = {"subfolder": layout.transformer_path} if layout.transformer_path and not is_folder else {}
    load_from = source
    if is_folder:
        load_from = str(check_model_folder(Path(source) / layout.transformer_path, weights=False))
    with quiet_transformers():
        tokenizer = _load_or_explain(AutoTokenizer, load_from, is_folder, **extra)
    if layout.do_lower_case:
        _lowercase_inputs(tokenizer, source)
    return tokenizer


def _load_or_explain(loader, source: str, is_folder: bool, **kwargs):
    """``loader.from_pretrained(source)``, turning a failure into :class:`ModelNotFoundError` that says why.

    A folder's message names the folder and its problem, and never the hub; a hub id's says
    whether hub access was switched off and what to install or pass instead.
    """
    try:
        return loader.from_pretrained(source, **kwargs)
    except Exception as exc:
        if is_folder:
            problem = f"{source}: {type(exc).__name__}: {exc}"
            raise ModelNotFoundError(f"could not load encoder folder: {problem}\n{FOLDER_HINT}") from exc
        if not isinstance(exc, LOAD_ERRORS):
            raise
        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
        why = " (HF_HUB_OFFLINE is set, so hub ids cannot be fetched)" if offline else ""
        raise ModelNotFoundError(f"could not load encoder {source!r}{why}: {exc}\n{INSTALL_HINT}") from exc
