import numpy as np
import pytest

from agents.calibration.plots import moving_average, plot_learning_curve, plot_scores_against_labels

PNG = b"\x89PNG\r\n\x1a\n"


def test_moving_average_is_a_trailing_mean():
    assert moving_average([1, 2, 3, 4], 2) == pytest.approx([1.0, 1.5, 2.5, 3.5])
    assert moving_average([], 5).size == 0
    assert moving_average([2.0, 4.0], 10) == pytest.approx([2.0, 3.0])


def test_learning_curve_and_label_plot_are_pngs(tmp_path):
    queries = [{"query": str(i), "reward": str(-1.0 / i), "skipped": "False"} for i in range(1, 30)]
    metrics = [{"query": "0", "eval/dev_spearman": "80.1"}, {"query": "29", "eval/dev_spearman": "81.0"}]
    curve = plot_learning_curve(queries, metrics, tmp_path / "c.png")
    assert curve.read_bytes()[:8] == PNG
    labels = plot_scores_against_labels(
        {"a": [(250, 82.0), (500, np.nan)], "b": [(250, 83.0)]}, tmp_path / "l.png", "t", baseline=82.0
    )
    assert labels.read_bytes()[:8] == PNG
