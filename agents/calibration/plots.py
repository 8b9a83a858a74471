"""Pictures of a run: the learning curve (reward and dev Spearman against oracle queries)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing mean over up to ``window`` values (shorter at the start); same length as ``values``."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return data
    window = max(1, int(window))
    sums = np.cumsum(np.insert(data, 0, 0.0))
    ends = np.arange(1, data.size + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def plot_learning_curve(
    query_rows: Sequence[Mapping[str, str]],
    metric_rows: Sequence[Mapping[str, str]],
    path: Path,
    title: str = "calibration",
) -> Path:
    """Draw mean reward (moving average over 50 queries) and STS-B dev Spearman against queries.

    ``query_rows`` and ``metric_rows`` are the rows of ``queries.csv`` and ``metrics.csv``
    (strings, as read back by :class:`~agents.runs.folder.CsvLog`). Returns ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    judged = [row for row in query_rows if row.get("skipped") not in ("True", "1")]
    queries = [int(row["query"]) for row in judged]
    rewards = [float(row["reward"]) for row in judged]
    dev = [
        (int(row["query"]), float(row["eval/dev_spearman"]))
        for row in metric_rows
        if row.get("eval/dev_spearman") not in (None, "")
    ]
    figure, reward_axis = plt.subplots(figsize=(7, 4), dpi=120)
    if queries:
        reward_axis.plot(queries, moving_average(rewards, 50), color="tab:blue", label="reward (mean of 50)")
    reward_axis.set_xlabel("oracle queries")
    reward_axis.set_ylabel("reward", color="tab:blue")
    dev_axis = reward_axis.twinx()
    if dev:
        xs, ys = zip(*dev, strict=True)
        dev_axis.plot(xs, ys, "o-", color="tab:red", label="STS-B dev Spearman")
    dev_axis.set_ylabel("STS-B dev Spearman x100", color="tab:red")
    reward_axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def plot_scores_against_labels(
    series: Mapping[str, Sequence[tuple[int, float]]], path: Path, title: str, baseline: float | None = None
) -> Path:
    """Plot one line per method of (labels, STS-B test Spearman) points, with an optional baseline line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4), dpi=120)
    for name, points in series.items():
        points = [(x, y) for x, y in points if y is not None and math.isfinite(y)]
        if points:
            xs, ys = zip(*sorted(points), strict=True)
            axis.plot(xs, ys, "o-", label=name)
    if baseline is not None:
        axis.axhline(baseline, color="grey", linestyle="--", label="untouched encoder")
    axis.set_xlabel("oracle labels")
    axis.set_ylabel("STS-B test Spearman x100")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
