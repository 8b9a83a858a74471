import math

import pytest
import torch

from agents.distillation.baselines import mean_vector_cosines, tfidf_cosines
from rcsim_env.encoders.words import WordVocabulary


def test_tfidf_cosines_on_hand_computed_cases():
    corpus = ["a b", "a c"]
    idf_b = math.log(3 / 2) + 1.0  # n = 2 documents, b occurs in one; a occurs in both: idf 1
    cosines = tfidf_cosines([("a b", "a c"), ("a b", "b a"), ("b", "c")], corpus)
    assert cosines.tolist() == pytest.approx([1.0 / (1.0 + idf_b**2), 1.0, 0.0])


def test_mean_vector_cosines_on_hand_made_vectors():
    vocabulary = WordVocabulary(["x", "y"])
    vectors = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # pad, unk, x, y
    cosines = mean_vector_cosines([("x", "y"), ("x y", "x"), ("zebra", "x")], vocabulary, vectors)
    assert cosines.tolist() == pytest.approx([0.0, math.sqrt(0.5), 0.0])  # an all-unknown sentence: 0
