"""Encoder test fixtures: tiny sentence-transformers models built with sentence-transformers' own modules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SENTENCES = [
    "a man plays guitar",
    "the dog runs",
    "two people sit in the park and read a big red book",
    "a cat",
    "A Woman Plays The Piano",
]


def st_modules():
    """sentence-transformers' Transformer, Pooling, Normalize and Dense (6.x names, else older ones)."""
    try:
        from sentence_transformers.base.modules import Dense, Normalize, Transformer
        from sentence_transformers.sentence_transformer.modules import Pooling
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Dense, Normalize, Pooling, Transformer
    return Transformer, Pooling, Normalize, Dense


@pytest.fixture
def st_folder(tiny_model_dir: Path, tmp_path: Path) -> Callable[..., Path]:
    """Build and save a SentenceTransformer over the tiny BERT; returns a factory of folders.

    ``st_folder(pooling="cls", normalize=True, dense=False, max_seq_length=40, **transformer_kwargs)``
    saves Transformer -> Pooling(pooling) [-> Dense] [-> Normalize] with ``SentenceTransformer.save``.
    """
    from sentence_transformers import SentenceTransformer

    Transformer, Pooling, Normalize, Dense = st_modules()
    count = 0

    def build(
        pooling: str = "mean",
        normalize: bool = False,
        dense: bool = False,
        max_seq_length: int = 40,
        **transformer_kwargs,
    ) -> Path:
        nonlocal count
        count += 1
        modules = [
            Transformer(str(tiny_model_dir), max_seq_length=max_seq_length, **transformer_kwargs),
            Pooling(32, pooling_mode=pooling),
        ]
        if dense:
            modules.append(Dense(32, 16))
        if normalize:
            modules.append(Normalize())
        folder = tmp_path / f"st-{count}-{pooling}{'-normalized' if normalize else ''}"
        SentenceTransformer(modules=modules, device="cpu").save(str(folder))
        return folder

    return build
