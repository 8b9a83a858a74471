"""Shared fixtures: a tiny random BERT encoder built in the test session, and the real data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def one_torch_thread():
    """Tiny networks: one intra-op thread is fastest and immune to a busy machine.

    Test modules opt in with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TINY_WORDS = (
    "a the man woman dog cat is are plays playing guitar piano runs running in on field park "
    "eats food sleeps house car red blue big small two three people child sits reads book "
    "and with of to . , ! ?"
).split()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a 2-layer, hidden-32 random BERT and a WordPiece tokenizer over a small vocabulary."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS]
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    BertTokenizer(str(vocab_file)).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_encoder(tiny_model_dir: Path):
    """A :class:`SentenceEncoder` over the tiny model, on the CPU (shared: do not train it in place)."""
    from rcsim_env.encoders import SentenceEncoder

    return SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")


@pytest.fixture
def no_data_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make every data-directory search come up empty; returns the new working directory.

    The working directory becomes ``tmp_path/work``, ``$RCSIM_DATA`` is unset and the per-user
    data folder moves to ``tmp_path/cache/data`` (``$RCSIM_CACHE_DIR``), which does not exist
    until a test creates it.
    """
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("RCSIM_DATA", raising=False)
    monkeypatch.setenv("RCSIM_CACHE_DIR", str(tmp_path / "cache"))
    return work


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The reference data folder (../shared/data beside the checkout); skips when it is absent."""
    from rcsim_env.data.locate import candidate_data_dirs

    for folder in candidate_data_dirs():
        if (folder / "sts" / "STSBenchmark" / "sts-test.csv").is_file():
            return folder
    pytest.skip("the reference data (../shared/data or $RCSIM_DATA) is not present on this machine")
