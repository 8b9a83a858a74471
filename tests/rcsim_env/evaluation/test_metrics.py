"""Tests of rcsim_env.evaluation.metrics on hand-computed cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from rcsim_env.evaluation.metrics import best_threshold, binary_metrics, correlations


def test_correlations_hand_computed_with_a_tie() -> None:
    # gold ranks with the tie at 7: [1, 2, 3.5, 5, 3.5]; Spearman = 8 / sqrt(10 * 9.5)
    # Pearson on the raw values: 6 / sqrt(10 * 5.2)
    result = correlations([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
    assert result["n"] == 5
    assert result["spearman"] == pytest.approx(100 * 8 / math.sqrt(95), abs=1e-9)
    assert result["pearson"] == pytest.approx(100 * 6 / math.sqrt(52), abs=1e-9)


def test_correlations_monotone_but_not_linear() -> None:
    result = correlations(np.array([1.0, 2.0, 3.0, 4.0]), [1.0, 4.0, 9.0, 16.0])
    assert result["spearman"] == pytest.approx(100.0)
    assert 95.0 < result["pearson"] < 100.0
    assert correlations([1, 2, 3, 4], [16, 9, 4, 1])["spearman"] == pytest.approx(-100.0)


def test_correlations_returns_plain_python_numbers() -> None:
    result = correlations(np.float32([0.1, 0.5, 0.2]), [1, 3, 2])
    assert type(result["spearman"]) is float and type(result["pearson"]) is float and type(result["n"]) is int


def test_constant_predictions_give_nan_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = correlations([0.5, 0.5, 0.5], [1.0, 2.0, 3.0])
    assert math.isnan(result["spearman"]) and math.isnan(result["pearson"]) and result["n"] == 3


@pytest.mark.parametrize(
    ("predicted", "gold", "message"),
    [
        ([1, 2, 3], [1, 2], "has 3 items but gold has 2"),
        ([1.0], [2.0], "at least 2"),
        ([1.0, float("nan")], [1.0, 2.0], "NaN or infinite"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "one-dimensional"),
    ],
)
def test_correlations_rejects_bad_input(predicted: list, gold: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        correlations(predicted, gold)


def test_best_threshold_hand_computed_and_tie_rule() -> None:
    # sorted: 0.1 (0), 0.35 (1), 0.4 (0), 0.8 (1). Accuracy by threshold:
    # 0.1 -> 2/4, 0.225 -> 3/4, 0.375 -> 2/4, 0.6 -> 3/4, above 0.8 -> 2/4. Tie: the highest wins.
    scores, labels = [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]
    threshold = best_threshold(scores, labels)
    assert threshold == pytest.approx(0.6)
    assert binary_metrics(scores, labels, threshold)["accuracy"] == pytest.approx(75.0)
    assert binary_metrics(scores, labels, 0.225)["accuracy"] == pytest.approx(75.0)


def test_best_threshold_separable_and_one_sided_cases() -> None:
    assert best_threshold([0.2, 0.9, 0.3, 0.7], [0, 1, 0, 1]) == pytest.approx(0.5)
    assert best_threshold([0.2, 0.9, 0.3], [1, 1, 1]) == 0.2  # everything positive: the lowest score
    above = best_threshold([0.2, 0.9, 0.3], [0, 0, 0])  # everything negative: just above the highest score
    assert above > 0.9 and above == np.nextafter(0.9, np.inf)
    assert binary_metrics([0.2, 0.9, 0.3], [0, 0, 0], above)["accuracy"] == 100.0


def test_best_threshold_with_tied_scores() -> None:
    # three equal scores cannot be split: calling all positive is right 2 times out of 3
    threshold = best_threshold([0.5, 0.5, 0.5], [1, 0, 1])
    assert threshold == 0.5
    assert binary_metrics([0.5, 0.5, 0.5], [1, 0, 1], threshold)["accuracy"] == pytest.approx(200 / 3)


def test_best_threshold_agrees_with_sentence_transformers() -> None:
    module = pytest.importorskip(
        "sentence_transformers.sentence_transformer.evaluation.binary_classification"
    )
    find = module.BinaryClassificationEvaluator.find_best_acc_and_threshold
    rng = np.random.default_rng(0)
    for _ in range(20):
        labels = rng.integers(0, 2, size=60)
        scores = np.round(labels * 0.3 + rng.normal(0.5, 0.25, size=60), 2)  # rounding makes ties
        accuracy, expected = find(scores, labels, True)
        threshold = best_threshold(scores, labels)
        assert threshold == pytest.approx(float(expected), abs=1e-12)
        assert binary_metrics(scores, labels, threshold)["accuracy"] == pytest.approx(100 * accuracy)


def test_best_threshold_rejects_non_binary_labels() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        best_threshold([0.1, 0.2], [0, 2])
    with pytest.raises(ValueError, match="at least 1"):
        best_threshold([], [])


def test_binary_metrics_hand_computed() -> None:
    # predictions at 0.5: [1, 1, 0, 1, 0] vs labels [1, 0, 1, 1, 0]: TP 2, FP 1, FN 1, TN 1
    result = binary_metrics([0.9, 0.8, 0.3, 0.6, 0.1], [1, 0, 1, 1, 0], 0.5)
    assert result["accuracy"] == pytest.approx(60.0)
    assert result["f1"] == pytest.approx(100 * 4 / 6)


def test_binary_metrics_counts_a_score_equal_to_the_threshold_as_positive() -> None:
    assert binary_metrics([0.5, 0.4], [1, 0], 0.5) == {"accuracy": 100.0, "f1": 100.0}


def test_binary_metrics_f1_is_zero_without_positives() -> None:
    assert binary_metrics([0.1, 0.2], [0, 0], 0.5) == {"accuracy": 100.0, "f1": 0.0}
