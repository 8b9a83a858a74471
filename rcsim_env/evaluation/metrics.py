"""Pure metric functions on arrays: correlations for STS tasks, threshold accuracy and F1 for paraphrases.

Every figure is returned x100 (the convention of STS papers), as a plain Python ``float``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

ArrayLike = Sequence[float] | np.ndarray


def _finite_vector(values: ArrayLike, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D float64 array, raising ValueError if it is not 1-D or holds NaN/inf."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def _paired(
    a: ArrayLike, b: ArrayLike, names: tuple[str, str], minimum: int
) -> tuple[np.ndarray, np.ndarray]:
    """Validate two equally long finite vectors with at least ``minimum`` items and return them as arrays."""
    first, second = _finite_vector(a, names[0]), _finite_vector(b, names[1])
    if len(first) != len(second):
        raise ValueError(f"{names[0]} has {len(first)} items but {names[1]} has {len(second)}")
    if len(first) < minimum:
        raise ValueError(f"need at least {minimum} items, got {len(first)}")
    return first, second


def _binary_labels(labels: ArrayLike) -> np.ndarray:
    """Return ``labels`` as a bool array, raising ValueError unless every label is 0 or 1."""
    array = _finite_vector(labels, "labels")
    if not np.all((array == 0) | (array == 1)):
        raise ValueError("labels must all be 0 or 1")
    return array == 1


def correlations(predicted: ArrayLike, gold: ArrayLike) -> dict[str, float | int]:
    """Spearman and Pearson correlations of ``predicted`` against ``gold``, both x100.

    Expects two equally long 1-D sequences of finite numbers, at least two items each.
    Returns ``{"spearman": float, "pearson": float, "n": int}``. When either input is
    constant (for instance collapsed embeddings, whose cosines are all equal) the
    correlation is undefined and reported as NaN, without a warning.
    """
    x, y = _paired(predicted, gold, ("predicted", "gold"), minimum=2)
    if np.all(x == x[0]) or np.all(y == y[0]):
        return {"spearman": math.nan, "pearson": math.nan, "n": len(x)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        spearman = stats.spearmanr(x, y).statistic
        pearson = stats.pearsonr(x, y).statistic
    return {"spearman": 100.0 * float(spearman), "pearson": 100.0 * float(pearson), "n": len(x)}


def best_threshold(scores: ArrayLike, labels: ArrayLike) -> float:
    """Return the threshold ``t`` maximizing the accuracy of "positive iff score >= t" on these pairs.

    Expects finite ``scores`` and 0/1 ``labels`` of equal, non-zero length. Candidates are
    the smallest score (everything positive), the midpoint between each two consecutive
    distinct scores, and the next float above the largest score (everything negative).

    Tie rule: when several candidates reach the best accuracy, the **highest** one is
    returned (the fewest pairs called positive), which is also what
    sentence-transformers' ``BinaryClassificationEvaluator`` picks.
    """
    values, truth = _paired(scores, labels, ("scores", "labels"), minimum=1)
    truth = _binary_labels(truth)
    order = np.argsort(values, kind="stable")
    values, truth = values[order], truth[order]
    unique, starts = np.unique(values, return_index=True)
    # A cut at sorted position p calls items [p, n) positive; cuts sit at group starts and at n.
    cuts = np.append(starts, len(values))
    negatives_before = np.concatenate(([0], np.cumsum(~truth)))[cuts]
    positives_before = np.concatenate(([0], np.cumsum(truth)))[cuts]
    correct = negatives_before + (truth.sum() - positives_before)
    best = len(cuts) - 1 - int(np.argmax(correct[::-1]))  # the last maximum: the highest threshold
    return _threshold_at(unique, best)


def _threshold_at(unique: np.ndarray, cut: int) -> float:
    """Threshold between ``unique[:cut]`` (negative) and ``unique[cut:]`` (positive); ``unique`` is sorted."""
    if cut == 0:
        return float(unique[0])
    if cut == len(unique):
        return float(np.nextafter(unique[-1], np.inf))
    low, high = unique[cut - 1], unique[cut]
    middle = (low + high) / 2.0
    return float(middle if middle > low else high)  # adjacent floats: the midpoint may round down to ``low``


def binary_metrics(scores: ArrayLike, labels: ArrayLike, threshold: float) -> dict[str, float]:
    """Accuracy and F1 (of the positive class) of "positive iff score >= threshold", both x100.

    Expects finite ``scores`` and 0/1 ``labels`` of equal, non-zero length. Returns
    ``{"accuracy": float, "f1": float}``; F1 is 2TP / (2TP + FP + FN), and 0 when there
    is neither a positive prediction nor a positive label.
    """
    values, truth = _paired(scores, labels, ("scores", "labels"), minimum=1)
    truth = _binary_labels(truth)
    predicted = values >= threshold
    true_positives = int(np.sum(predicted & truth))
    errors = int(np.sum(predicted != truth))
    denominator = 2 * true_positives + errors
    f1 = 2 * true_positives / denominator if denominator else 0.0
    return {"accuracy": 100.0 * float(np.mean(predicted == truth)), "f1": 100.0 * f1}
