import json

import pytest

from rcsim_env.config import dataclass_from_dict


def flat(bench, **settings):
    """The benchmark's config from settings named as on its command line."""
    return dataclass_from_dict(bench.LabelEfficiencyConfig, settings)


def test_every_method_runs_at_every_budget_and_writes_json_and_png(
    load_benchmark, tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    bench = load_benchmark("label_efficiency")
    out = tmp_path / "le.json"
    argv = ["--encoder", str(tiny_model_dir), "--data-dir", str(shared_data_dir), "--budgets", "16,32"]
    argv += ["--device", "cpu", "--no-show-progress", "--batch-size", "8", "--learning-starts", "8"]
    argv += ["--draws", "1", "--results", str(out)]
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
    config = flat(bench, budgets=(5, 10), data_dir=str(shared_data_dir), noise="mild")
    pairs, labels = bench.draw_labelled_pairs(config)
    again_pairs, again_labels = bench.draw_labelled_pairs(config)
    assert len(pairs) == 10 and pairs == again_pairs and labels == again_labels
    assert all(label in {0.0, 1.0, 2.0, 3.0, 4.0, 5.0} for label in labels)


def test_unknown_methods_and_oversized_budgets_are_refused(load_benchmark, shared_data_dir):
    bench = load_benchmark("label_efficiency")
    with pytest.raises(ValueError, match="unknown methods"):
        bench.run(flat(bench, methods=("magic",), data_dir=str(shared_data_dir)))
    with pytest.raises(ValueError, match="exceeds the 5749"):
        bench.draw_labelled_pairs(flat(bench, budgets=(10_000,), data_dir=str(shared_data_dir)))


def test_several_draws_give_per_seed_rows_and_a_verdict_on_their_means(
    load_benchmark, tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    bench = load_benchmark("label_efficiency")
    out = tmp_path / "draws.json"
    argv = ["--encoder", str(tiny_model_dir), "--data-dir", str(shared_data_dir), "--budgets", "16"]
    argv += ["--methods", "supervised,rc-ddpg", "--draws", "2", "--seed", "3", "--device", "cpu"]
    argv += ["--no-show-progress", "--batch-size", "8", "--learning-starts", "8", "--results", str(out)]
    assert bench.main(argv) == 0
    result = json.loads(out.read_text())
    by_seed = {(row["method"], row["seed"]): row for row in result["rows"][1:]}
    assert set(by_seed) == {(m, s) for m in ("supervised", "rc-ddpg") for s in (3, 4)}
    means = {row["method"]: row for row in result["means"]}
    for method in ("supervised", "rc-ddpg"):
        scores = [by_seed[(method, seed)]["test_spearman"] for seed in (3, 4)]
        assert means[method]["draws"] == 2
        assert means[method]["test_spearman"] == pytest.approx(sum(scores) / 2)
    assert result["acceptance"]["rc_ddpg_spearman"] == pytest.approx(means["rc-ddpg"]["test_spearman"])
    assert "mean over 2 draws" in capsys.readouterr().out


def test_mean_over_draws_on_hand_made_rows(load_benchmark):
    bench = load_benchmark("label_efficiency")
    rows = [
        {"method": "untouched", "labels": 0, "seed": None, "test_spearman": 80.0, "seconds": 0.0},
        {"method": "supervised", "labels": 10, "seed": 0, "test_spearman": 82.0, "seconds": 10.0},
        {"method": "supervised", "labels": 10, "seed": 1, "test_spearman": 84.0, "seconds": 30.0},
    ]
    untouched, supervised = bench.mean_over_draws(rows)
    assert untouched["test_spearman"] == 80.0 and untouched["draws"] == 1
    assert untouched["test_spearman_std"] == 0.0
    assert supervised["test_spearman"] == 83.0 and supervised["seconds"] == 20.0
    assert supervised["test_spearman_std"] == pytest.approx(2**0.5)  # sample std of 82 and 84


def test_zero_draws_are_refused(load_benchmark, shared_data_dir):
    bench = load_benchmark("label_efficiency")
    with pytest.raises(ValueError, match="draws must be at least 1"):
        bench.run(flat(bench, draws=0, data_dir=str(shared_data_dir)))


def test_the_benchmark_row_is_what_the_command_gives(
    load_benchmark, tiny_model_dir, shared_data_dir, tmp_path
):
    import shlex

    import train_rl

    bench = load_benchmark("label_efficiency")
    out, kept = tmp_path / "le.json", tmp_path / "encoders"
    argv = ["--encoder", str(tiny_model_dir), "--data-dir", str(shared_data_dir), "--budgets", "24"]
    argv += ["--methods", "rc-ddpg", "--draws", "1", "--seed", "2", "--device", "cpu", "--no-show-progress"]
    argv += ["--batch-size", "8", "--learning-starts", "8", "--dev-pairs", "60"]
    argv += ["--results", str(out), "--save-encoders", str(kept)]
    assert bench.main(argv) == 0
    row = json.loads(out.read_text())["rows"][1]
    command = shlex.split(row["command"])
    assert command[:2] == ["rcsim", "calibrate"] and "--noise" in command and "rounded" in command
    assert train_rl.main([*command[1:], "--output", str(tmp_path / "command")]) == 0
    by_command = json.loads((tmp_path / "command" / "report.json").read_text())
    assert by_command["after"]["test_spearman"] == row["test_spearman"]
    assert by_command["exported"] == row["exported"]
    kept_report = json.loads((kept / "rc-ddpg-24-seed2" / "report.json").read_text())
    assert kept_report["after"] == by_command["after"] and (kept / "rc-ddpg-24-seed2" / "encoder").is_dir()
    command_rows = (tmp_path / "command" / "queries.csv").read_text()
    assert command_rows == (kept / "rc-ddpg-24-seed2" / "queries.csv").read_text()
