"""Scoring a distillation critic's similarities: Spearman (graded labels), accuracy and F1 (binary)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rcsim_env.data.pairs import ScoredPair

PAPER_THRESHOLD = 0.5
"""The paper's cut on the similarity exp(-||h_a - h_b||_1): at least 0.5 means similar."""


def is_binary(pairs: Sequence[ScoredPair]) -> bool:
    """Whether the gold scores are paraphrase labels: each 0 or 1, or each 0 or 5 (MRPC as a pool)."""
    scores = {pair.score for pair in pairs}
    return scores <= {0.0, 1.0} or scores <= {0.0, 5.0}


def score_similarities(
    similarity: np.ndarray,
    pairs: Sequence[ScoredPair],
    train_similarity: np.ndarray | None = None,
    train_pairs: Sequence[ScoredPair] | None = None,
) -> dict[str, float]:
    """Score predicted similarities against the gold scores of ``pairs``.

    Graded labels give ``spearman`` (x100). Binary labels give ``accuracy`` and ``f1`` at
    :data:`PAPER_THRESHOLD` and, when train predictions are given, at the threshold best on
    the train pairs (``tuned_threshold``, ``accuracy_tuned``, ``f1_tuned``), all in percent.
    """
    from rcsim_env.evaluation.metrics import best_threshold, binary_metrics, correlations

    gold = np.array([pair.score for pair in pairs], dtype=np.float64)
    if not is_binary(pairs):
        return {"spearman": correlations(similarity, gold)["spearman"]}
    gold = (gold > 0).astype(np.float64)
    at_paper = binary_metrics(similarity, gold, PAPER_THRESHOLD)
    scores = {"accuracy": at_paper["accuracy"], "f1": at_paper["f1"]}
    if train_similarity is not None and train_pairs is not None:
        train_gold = (np.array([pair.score for pair in train_pairs], dtype=np.float64) > 0).astype(np.float64)
        threshold = best_threshold(train_similarity, train_gold)
        tuned = binary_metrics(similarity, gold, threshold)
        scores.update(tuned_threshold=threshold, accuracy_tuned=tuned["accuracy"], f1_tuned=tuned["f1"])
    return scores
