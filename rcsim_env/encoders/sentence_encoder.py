"""The sentence encoder (the paper's PerceptualBERT): a BERT-family model, attention-masked mean pooling."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rcsim_env.encoders.resolve import INSTALL_HINT, resolve_model_name
from rcsim_env.errors import InvalidSentenceError, ModelNotFoundError
from rcsim_env.validation import validate_sentence


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """Return ``torch.device(device)``; ``"auto"`` picks CUDA when available, else the CPU."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average ``hidden`` (batch, seq, dim) over the sequence axis, counting only tokens where the mask is 1.

    Returns a (batch, dim) tensor; an all-zero mask row gives a zero vector, not NaN.
    """
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1e-9)
    return summed / counts


def _check_sentences(sentences: Sequence[str]) -> list[str]:
    if isinstance(sentences, str):
        raise InvalidSentenceError("expected a list of sentences, got a single str; wrap it in a list")
    return [validate_sentence(s, f"sentences[{i}]") for i, s in enumerate(sentences)]


class SentenceEncoder(nn.Module):
    """A transformer encoder whose sentence embedding is the attention-masked mean of its last hidden states.

    Build one with :meth:`from_pretrained`. Inputs longer than ``max_length`` tokens are
    truncated to their first ``max_length`` tokens (a 100,000-character sentence is
    accepted and encoded from its beginning).

    Args:
        model: a ``transformers`` base model (``AutoModel``) returning ``last_hidden_state``.
        tokenizer: the matching tokenizer.
        max_length: maximum tokens per sentence, special tokens included.
        device: where the model runs (``"auto"``: CUDA when present).
    """

    def __init__(self, model: nn.Module, tokenizer, max_length: int, device: str | torch.device = "auto"):
        super().__init__()
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2 tokens, got {max_length}")
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.model.to(pick_device(device))

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike[str] | None = None,
        device: str | torch.device = "auto",
        max_length: int | None = None,
    ) -> SentenceEncoder:
        """Load an encoder from a local folder or a hub id (``None``: the bundled all-MiniLM-L6-v2).

        ``max_length`` defaults to the folder's ``sentence_bert_config.json`` value, else the
        smaller of the tokenizer's and the model's position limits. Raises
        :class:`ModelNotFoundError` saying what to install or pass when nothing loads.
        """
        from transformers import AutoModel, AutoTokenizer

        source = resolve_model_name(name_or_path)
        tokenizer = _load_or_explain(AutoTokenizer, source)
        model = _load_or_explain(AutoModel, source)
        if max_length is None:
            max_length = cls._default_max_length(source, tokenizer, model)
        return cls(model, tokenizer, max_length=max_length, device=device)

    @staticmethod
    def _default_max_length(source: str, tokenizer, model: nn.Module) -> int:
        st_config = Path(source) / "sentence_bert_config.json"
        if st_config.is_file():
            value = json.loads(st_config.read_text(encoding="utf-8")).get("max_seq_length")
            if isinstance(value, int) and value > 1:
                return value
        limits = [getattr(model.config, "max_position_embeddings", 512), 512]
        tokenizer_limit = getattr(tokenizer, "model_max_length", None)
        if isinstance(tokenizer_limit, int) and tokenizer_limit < 100_000:
            limits.append(tokenizer_limit)
        return min(limits)

    @property
    def device(self) -> torch.device:
        """The device holding the model's parameters."""
        return next(self.model.parameters()).device

    @property
    def dim(self) -> int:
        """The embedding size (the model's hidden size)."""
        return int(self.model.config.hidden_size)

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

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **extra: torch.Tensor
    ) -> torch.Tensor:
        """Return (batch, dim) mean-pooled sentence embeddings for a tokenized batch (gradients flow)."""
        output = self.model(input_ids=input_ids, attention_mask=attention_mask, **extra)
        return mean_pool(output.last_hidden_state, attention_mask)

    def embed(self, sentences: Sequence[str]) -> torch.Tensor:
        """Embed one batch of sentences with gradients enabled (the training path); returns (batch, dim)."""
        return self(**self.tokenize(sentences))

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 64,
        normalize: bool = False,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Embed many sentences for inference; returns a float32 array (len(sentences), dim) in input order.

        Sentences are tokenized once, sorted by token length and batched so that
        padding is minimal; the forward passes run under ``torch.inference_mode``.
        ``normalize`` scales each row to unit length.
        """
        checked = _check_sentences(sentences)
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if not checked:
            return np.zeros((0, self.dim), dtype=np.float32)
        encoded = self.tokenizer(checked, truncation=True, max_length=self.max_length)
        order = np.argsort([-len(ids) for ids in encoded["input_ids"]], kind="stable")
        out = np.empty((len(checked), self.dim), dtype=np.float32)
        starts = range(0, len(checked), batch_size)
        if show_progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="encoding", unit="batch")
        with torch.inference_mode():
            for start in starts:
                index = order[start : start + batch_size]
                features = {key: [encoded[key][i] for i in index] for key in encoded.keys()}
                batch = self.tokenizer.pad(features, padding=True, return_tensors="pt")
                batch = {key: value.to(self.device) for key, value in batch.items()}
                embeddings = self(**batch).float()
                if normalize:
                    embeddings = nn.functional.normalize(embeddings, dim=-1)
                out[index] = embeddings.cpu().numpy()
        return out

    def similarity(
        self,
        sentences_a: Sequence[str],
        sentences_b: Sequence[str],
        batch_size: int = 64,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Cosine similarity of each pair ``(sentences_a[i], sentences_b[i])``; returns a float64 array.

        Both sides are encoded in one batched call (one progress bar with ``show_progress``).
        """
        if len(sentences_a) != len(sentences_b):
            raise ValueError(
                f"got {len(sentences_a)} first sentences but {len(sentences_b)} second sentences"
            )
        sentences = list(sentences_a) + list(sentences_b)
        embeddings = self.encode(
            sentences, batch_size=batch_size, normalize=True, show_progress=show_progress
        )
        n = len(sentences_a)
        return np.sum(embeddings[:n] * embeddings[n:], axis=1, dtype=np.float64)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the encoder to folder ``path`` and return it.

        The folder loads with ``transformers.AutoModel.from_pretrained`` and with
        ``sentence_transformers.SentenceTransformer`` (mean pooling, same max length),
        and with :meth:`SentenceEncoder.from_pretrained`.
        """
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        pooling = {
            "word_embedding_dimension": self.dim,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        }
        modules = [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        ]
        (folder / "1_Pooling").mkdir(exist_ok=True)
        _write_json(folder / "1_Pooling" / "config.json", pooling)
        _write_json(folder / "modules.json", modules)
        _write_json(
            folder / "sentence_bert_config.json", {"max_seq_length": self.max_length, "do_lower_case": False}
        )
        _write_json(
            folder / "config_sentence_transformers.json", {"similarity_fn_name": "cosine", "rcsim": True}
        )
        return folder


def load_tokenizer(name_or_path: str | os.PathLike[str] | None = None):
    """Load only an encoder's tokenizer (names and errors as :meth:`SentenceEncoder.from_pretrained`)."""
    from transformers import AutoTokenizer

    return _load_or_explain(AutoTokenizer, resolve_model_name(name_or_path))


def _load_or_explain(loader, source: str):
    """``loader.from_pretrained(source)``, turning a failure into :class:`ModelNotFoundError` with a hint."""
    try:
        return loader.from_pretrained(source)
    except (OSError, ValueError) as exc:
        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
        why = " (HF_HUB_OFFLINE is set, so hub ids cannot be fetched)" if offline else ""
        raise ModelNotFoundError(f"could not load encoder {source!r}{why}: {exc}\n{INSTALL_HINT}") from exc


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
