import json

import pytest


def test_every_method_runs_at_every_budget_and_writes_json_and_png(
    load_benchmark, tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    bench = load_benchmark("label_efficiency")
    out = tmp_path / "le.json"
    argv = ["--encoder", str(tiny_model_dir), "--data-dir", str(shared_data_dir), "--budgets", "16,32"]
    argv += ["--device", "cpu", "--no-show-progress", "--batch-size", "8", "--learning-starts", "8"]
    argv += ["--output", str(out)]
    assert bench.main(argv) == 0
    result = json.loads(out.read_text())
    rows = {(row["method"], row["labels"]): row for row in result["rows"]}
    expected = {("untouched", 0)} | {(m, b) for m in bench.METHODS for b in (16, 32)}
    assert set(rows) == expected
    for row in result["rows"]:
        assert -100 <= row["test_spearman"] <= 100 and row["seconds"] >= 0
    assert rows[("supervised", 32)]["steps"] == 2 * 2  # 2 epochs of 32 labels in batches of 16
    assert rows[("rc-ddpg", 32)]["updates"] > 0
    verdict = result["acceptance"]
    assert verdict["evaluated"] and verdict["labels"] == 32
    assert verdict["time_ratio"] == pytest.approx(
        rows[("rc-ddpg", 32)]["seconds"] / rows[("supervised", 32)]["seconds"]
    )
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "acceptance at 32 labels" in printed and "sb3-td3" in printed


def test_labels_are_nested_across_budgets_and_deterministic(load_benchmark, shared_data_dir):
    bench = load_benchmark("label_efficiency")
    config = bench.LabelEfficiencyConfig(budgets=(5, 10), data_dir=str(shared_data_dir), noise="mild")
    pairs, labels = bench.draw_labelled_pairs(config)
    again_pairs, again_labels = bench.draw_labelled_pairs(config)
    assert len(pairs) == 10 and pairs == again_pairs and labels == again_labels
    assert all(label in {0.0, 1.0, 2.0, 3.0, 4.0, 5.0} for label in labels)


def test_unknown_methods_and_oversized_budgets_are_refused(load_benchmark, shared_data_dir):
    bench = load_benchmark("label_efficiency")
    with pytest.raises(ValueError, match="unknown methods"):
        bench.run(bench.LabelEfficiencyConfig(methods=("magic",), data_dir=str(shared_data_dir)))
    with pytest.raises(ValueError, match="exceeds the 5749"):
        bench.draw_labelled_pairs(
            bench.LabelEfficiencyConfig(budgets=(10_000,), data_dir=str(shared_data_dir))
        )
