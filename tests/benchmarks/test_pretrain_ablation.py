import json

import pytest

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _argv(tiny_model_dir, shared_data_dir, out, *extra):
    argv = ["--encoder", str(tiny_model_dir), "--data-dir", str(shared_data_dir), "--max-sentences", "32"]
    argv += ["--batch-size", "16", "--device", "cpu", "--no-show-progress", "--results", str(out)]
    return [*argv, *extra]


def test_every_row_runs_and_the_table_and_step_cost_are_written(
    load_benchmark, tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    bench = load_benchmark("pretrain_ablation")
    out = tmp_path / "ablation.json"
    kept = tmp_path / "encoders"
    argv = _argv(tiny_model_dir, shared_data_dir, out, "--step-repeats", "2", "--encoders-dir", str(kept))
    assert bench.main(argv) == 0
    result = json.loads(out.read_text())
    rows = {row["row"]: row for row in result["rows"]}
    assert list(rows) == list(bench.ROWS)
    assert rows["force-paper-lr"]["lr"] == 1e-7 and rows["force-tuned-lr"]["lr"] == 1e-5
    assert rows["simcse"]["lr"] == 3e-5 and rows["simcse"]["loss"] == "simcse"
    for name in ("force-paper-lr", "force-tuned-lr", "simcse"):
        row = rows[name]
        assert row["status"] == "done" and row["steps"] == 2  # 32 sentences in batches of 16
        assert row["sentences_per_second"] > 0 and row["seconds"] > 0
        assert -100 <= row["test_spearman"] <= 100
        assert (kept / name / "report.json").is_file() and (kept / name / "encoder" / "config.json").is_file()
    assert 0 <= rows["force-tuned-lr"]["mean_pulled_fraction"] <= 1
    cost = result["step_cost"]
    assert cost["batch"] == 16 and len(cost["all_seconds"]["force"]) == 2
    assert cost["ratio"] == pytest.approx(cost["force_seconds"] / cost["simcse_seconds"])
    assert cost["met"] == (cost["ratio"] <= 1.2)
    expected = rows["force-tuned-lr"]["test_spearman"] - rows["untouched"]["test_spearman"]
    assert result["verdict"]["force-tuned-lr_minus_untouched"] == pytest.approx(expected)
    printed = capsys.readouterr().out
    assert "step cost on one batch of 16" in printed and "force-tuned-lr vs untouched" in printed
    assert "Spearman" in printed and "sent/s" in printed


def test_calibration_follows_each_row_when_asked(load_benchmark, tiny_model_dir, shared_data_dir, tmp_path):
    bench = load_benchmark("pretrain_ablation")
    out = tmp_path / "ablation.json"
    argv = _argv(tiny_model_dir, shared_data_dir, out, "--rows", "untouched,force-tuned-lr")
    assert bench.main([*argv, "--calibrate-queries", "12", "--step-repeats", "0"]) == 0
    result = json.loads(out.read_text())
    assert [row["row"] for row in result["rows"]] == ["untouched", "force-tuned-lr"]
    for row in result["rows"]:
        assert -100 <= row["calibrated_test_spearman"] <= 100 and row["calibration_seconds"] > 0
    assert result["step_cost"] is None


def test_unknown_rows_are_refused(load_benchmark, shared_data_dir):
    bench = load_benchmark("pretrain_ablation")
    with pytest.raises(ValueError, match="unknown rows"):
        bench.run(bench.PretrainAblationConfig(rows=("magic",)))
