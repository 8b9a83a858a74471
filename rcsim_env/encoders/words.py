"""Words and their vectors: the unit a sentence-distillation policy keeps or drops.

A *word* is what :func:`split_words` returns: the lower-cased sentence cut at whitespace
and at punctuation (a number such as ``1.8`` and a word such as ``don't`` stay whole;
each punctuation mark is a word of its own, which the policy is free to drop). This is
closer to the paper's segmented words than the encoder's wordpieces. A word's vector
is the mean of its wordpieces' rows in the encoder's input embedding matrix
(:func:`encoder_word_vectors`), or a random vector when training from scratch
(:func:`random_word_vectors`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

from rcsim_env.validation import validate_sentence

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
_WORD = re.compile(r"\d+(?:[.,:]\d+)+|\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)


def split_words(sentence: str) -> list[str]:
    """Lower-case ``sentence`` and cut it into words and punctuation marks, in order.

    Expects a non-empty, non-blank ``str`` (else :class:`~rcsim_env.errors.InvalidSentenceError`).
    Returns at least one word (a sentence of visible characters always has one).
    """
    return _WORD.findall(validate_sentence(sentence).lower())


class WordVocabulary:
    """A word <-> id table whose id 0 is padding and id 1 stands for any unknown word.

    Args:
        words: the known words, in the order their ids should follow (duplicates and the
            two reserved names are skipped).
    """

    def __init__(self, words: Iterable[str]):
        self.words: list[str] = [PAD, UNK]
        self._ids: dict[str, int] = {PAD: PAD_ID, UNK: UNK_ID}
        for word in words:
            if not isinstance(word, str) or not word:
                raise ValueError(f"vocabulary words must be non-empty str, got {word!r:.40}")
            if word not in self._ids:
                self._ids[word] = len(self.words)
                self.words.append(word)

    @classmethod
    def from_sentences(cls, sentences: Iterable[str], min_count: int = 1) -> WordVocabulary:
        """Build the vocabulary of every word occurring at least ``min_count`` times, most frequent first."""
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        counts = Counter(word for sentence in sentences for word in split_words(sentence))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls(word for word, count in ranked if count >= min_count)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._ids

    def ids(self, words: Sequence[str]) -> list[int]:
        """The ids of ``words`` (unknown words map to :data:`UNK_ID`)."""
        return [self._ids.get(word, UNK_ID) for word in words]


def encoder_word_vectors(vocabulary: WordVocabulary, encoder) -> torch.Tensor:
    """Word vectors taken from a :class:`~rcsim_env.encoders.SentenceEncoder`'s input embedding matrix.

    Each word is tokenized on its own (no special tokens); its vector is the mean of its
    wordpieces' embedding rows. A word the tokenizer turns into nothing gets the
    tokenizer's unknown-token row (zeros if it has none); the padding row is zeros.
    Returns a detached float32 CPU tensor of shape (len(vocabulary), hidden size).
    """
    matrix = encoder.model.get_input_embeddings().weight.detach().float().cpu()
    tokenizer = encoder.tokenizer
    unk = getattr(tokenizer, "unk_token_id", None)
    fallback = matrix[unk] if unk is not None else torch.zeros(matrix.shape[1])
    pieces = (
        tokenizer(vocabulary.words[2:], add_special_tokens=False)["input_ids"] if len(vocabulary) > 2 else []
    )
    vectors = torch.zeros(len(vocabulary), matrix.shape[1])
    vectors[UNK_ID] = fallback
    for row, ids in enumerate(pieces, start=2):
        vectors[row] = matrix[ids].mean(dim=0) if ids else fallback
    return vectors


def random_word_vectors(vocabulary: WordVocabulary, dim: int, generator: torch.Generator) -> torch.Tensor:
    """Word vectors to train from scratch: N(0, 1/dim) entries, a zero padding row; shape (len, dim)."""
    if dim < 1:
        raise ValueError(f"word vector dim must be at least 1, got {dim}")
    vectors = torch.randn(len(vocabulary), dim, generator=generator) / dim**0.5
    vectors[PAD_ID] = 0.0
    return vectors
