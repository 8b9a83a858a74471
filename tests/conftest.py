"""Shared fixtures: a tiny random BERT encoder built in the test session, and the real data directory."""

from __future__ import annotations

import json
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


# Every word a test feeds the tiny model must be here (see ``tiny_vocabulary``): an unknown word
# becomes [UNK], and sentences that differ only in unknown words get the same embedding.
TINY_WORDS = (
    "a the man men woman dog dogs cat cats is are plays play playing played guitar piano runs run "
    "running in on field park eats eat food sleeps sleep sleeping house car red blue big small people "
    "child sits sit reads read reading book and with of to "
    "minus point zero one two three four five six seven eight nine "
    ". , ! ?"
).split()
TINY_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
TINY_VOCABULARY = (*TINY_SPECIAL_TOKENS, *TINY_WORDS)


def build_tiny_tokenizer():
    """A ``tokenizers.Tokenizer`` over :data:`TINY_VOCABULARY` with every stage spelled out.

    BERT's normalizer (lower case, accents kept), BERT's pre-tokenizer (split on whitespace and
    punctuation), a WordPiece model with ``##`` continuations and ``[UNK]`` for the rest, and the
    ``[CLS] A [SEP] (B [SEP])`` template. Saved as tokenizer.json, it means the same thing to every
    ``tokenizers`` and ``transformers`` version, so no test depends on a library's defaults.
    """
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    vocab = {token: index for index, token in enumerate(TINY_VOCABULARY)}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix="##"))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return tokenizer


class TinyVocabulary:
    """Checks that sentences meant for the tiny model hold no word it does not know."""

    def __init__(self) -> None:
        self.tokenizer = build_tiny_tokenizer()

    def unknown_words(self, sentence: str) -> list[str]:
        """The pieces of ``sentence`` that the tiny tokenizer turns into ``[UNK]``."""
        encoding = self.tokenizer.encode(sentence, add_special_tokens=False)
        return [
            sentence[start:end]
            for token, (start, end) in zip(encoding.tokens, encoding.offsets)
            if token == "[UNK]"
        ]

    def check(self, sentences):
        """Return ``sentences`` (any iterable of strings, as a list); raise AssertionError naming each
        sentence that holds an unknown word, and the words, so a test never compares [UNK] with [UNK]."""
        sentences = list(sentences)
        bad = {sentence: words for sentence in sentences if (words := self.unknown_words(sentence))}
        if bad:
            lines = "\n".join(f"  {sentence!r}: {words}" for sentence, words in bad.items())
            raise AssertionError(
                "these sentences for the tiny test model hold words outside its vocabulary "
                f"(add the words to TINY_WORDS in tests/conftest.py or reword the sentences):\n{lines}"
            )
        return sentences


@pytest.fixture(scope="session")
def tiny_vocabulary() -> TinyVocabulary:
    """A :class:`TinyVocabulary`: ``tiny_vocabulary.check(sentences)`` fails loudly on an unknown word."""
    return TinyVocabulary()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a 2-layer, hidden-32 random BERT and the tokenizer of :func:`build_tiny_tokenizer`.

    The tokenizer is written file by file, not by a library's ``save_pretrained``: tokenizer.json
    (:func:`build_tiny_tokenizer`), a tokenizer_config.json naming the generic fast tokenizer, so
    ``AutoTokenizer`` loads tokenizer.json exactly as written in transformers 4 and 5 alike, and
    vocab.txt for code that reads a BERT vocabulary file.
    """
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(TINY_VOCABULARY),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    build_tiny_tokenizer().save(str(folder / "tokenizer.json"))
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": config.max_position_embeddings,
        "unk_token": "[UNK]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "mask_token": "[MASK]",
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2), encoding="utf-8")
    (folder / "vocab.txt").write_text("\n".join(TINY_VOCABULARY) + "\n", encoding="utf-8")
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
    """The reference data folder, found like any data (``$RCSIM_DATA``, which ``make test`` sets);
    skips when it is absent."""
    from rcsim_env.data.locate import candidate_data_dirs

    for folder in candidate_data_dirs():
        if (folder / "sts" / "STSBenchmark" / "sts-test.csv").is_file():
            return folder
    pytest.skip("no reference data here: set RCSIM_DATA (make test does) or run rcsim data download")
