import pytest
import torch

from agents.distillation.data import encode_pairs, minibatches
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.words import (
    PAD_ID,
    UNK_ID,
    WordVocabulary,
    encoder_word_vectors,
    random_word_vectors,
    split_words,
)
from rcsim_env.errors import InvalidSentenceError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_split_words_lowercases_and_separates_punctuation_but_keeps_numbers_and_contractions():
    assert split_words("Don't stop: 1.8 litres, NOW!") == [
        "don't",
        "stop",
        ":",
        "1.8",
        "litres",
        ",",
        "now",
        "!",
    ]
    assert split_words("  spaced   out ") == ["spaced", "out"]


@pytest.mark.parametrize("bad", ["", "   ", None, 3, ["a"]])
def test_empty_and_non_string_sentences_are_refused(bad):
    with pytest.raises(InvalidSentenceError):
        split_words(bad)


def test_the_vocabulary_reserves_padding_and_unknown_and_ranks_by_frequency():
    vocabulary = WordVocabulary.from_sentences(["b a a", "c a b"])
    assert vocabulary.words == ["<pad>", "<unk>", "a", "b", "c"]
    assert vocabulary.ids(["a", "c", "zebra"]) == [2, 4, UNK_ID]
    assert "b" in vocabulary and "zebra" not in vocabulary and len(vocabulary) == 5
    assert WordVocabulary.from_sentences(["b a a", "c a b"], min_count=2).words == [
        "<pad>",
        "<unk>",
        "a",
        "b",
    ]
    with pytest.raises(ValueError, match="min_count"):
        WordVocabulary.from_sentences(["a"], min_count=0)
    with pytest.raises(ValueError, match="non-empty str"):
        WordVocabulary(["a", ""])


def test_encoder_word_vectors_average_the_wordpiece_embeddings(tiny_encoder):
    vocabulary = WordVocabulary(["cat", "1.8", "zzzz"])
    vectors = encoder_word_vectors(vocabulary, tiny_encoder)
    matrix = tiny_encoder.model.get_input_embeddings().weight.detach()
    vocab = tiny_encoder.tokenizer.get_vocab()
    unk, dot = vocab["[UNK]"], vocab["."]
    assert vectors.shape == (5, matrix.shape[1]) and vectors.dtype == torch.float32
    assert torch.equal(vectors[PAD_ID], torch.zeros(matrix.shape[1]))
    assert torch.allclose(vectors[2], matrix[vocab["cat"]])
    # "1.8" -> "1" "." "8"; the digits are not in the tiny vocabulary, so [UNK] . [UNK]
    assert torch.allclose(vectors[3], (2 * matrix[unk] + matrix[dot]) / 3, atol=1e-6)
    assert torch.allclose(vectors[4], matrix[unk])


def test_random_word_vectors_have_a_zero_padding_row_and_the_asked_size():
    vectors = random_word_vectors(WordVocabulary(["a", "b"]), 6, torch.Generator().manual_seed(0))
    assert vectors.shape == (4, 6) and vectors[PAD_ID].abs().sum() == 0 and vectors[2].abs().sum() > 0
    with pytest.raises(ValueError, match="dim"):
        random_word_vectors(WordVocabulary(["a"]), 0, torch.Generator())


def test_encode_pairs_pads_cuts_and_scales_labels():
    vocabulary = WordVocabulary.from_sentences(["a b c d", "e"])
    pairs = [ScoredPair("a b c d", "e", 5.0, "p0"), ("e", "a b", 2.5)]
    data = encode_pairs(pairs, vocabulary, label_scale=5.0, max_words=3)
    assert data.ids_a.tolist() == [vocabulary.ids(["a", "b", "c"]), vocabulary.ids(["e"]) + [PAD_ID, PAD_ID]]
    assert data.lengths_a.tolist() == [3, 1] and data.lengths_b.tolist() == [1, 2]
    assert data.labels.tolist() == [1.0, 0.5] and data.words_a[0] == ["a", "b", "c"]
    picked = data.select(torch.tensor([1]))
    assert picked.ids_a.shape == (1, 1) and picked.ids_b.shape == (1, 2) and picked.labels.tolist() == [0.5]


@pytest.mark.parametrize(
    "pairs, kwargs, error, message",
    [
        ([], {}, ValueError, "no pairs"),
        ([("a", "b", 2.0)], {}, ValueError, r"score in \[0, 1.0\]"),
        ([("a", "b")], {}, ValueError, "score"),
        ([("a", "", 1.0)], {}, InvalidSentenceError, "empty"),
        ([("a", 7, 1.0)], {}, InvalidSentenceError, "must be a str"),
        ([("a", "b", 1.0)], {"label_scale": 0.0}, ValueError, "label_scale"),
        ([("a", "b", 1.0)], {"max_words": 0}, ValueError, "max_words"),
    ],
)
def test_encode_pairs_refuses_bad_input(pairs, kwargs, error, message):
    with pytest.raises(error, match=message):
        encode_pairs(pairs, WordVocabulary(["a", "b"]), **kwargs)


def test_minibatches_cover_every_index_once():
    batches = list(minibatches(10, 4, torch.Generator().manual_seed(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    assert torch.cat(list(minibatches(5, 2))).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="batch_size"):
        list(minibatches(5, 0))
