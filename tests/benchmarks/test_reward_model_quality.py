import json

import pytest

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_every_row_is_scored_on_dev_and_written(
    load_benchmark, tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    bench = load_benchmark("reward_model_quality")
    out = tmp_path / "rm.json"
    argv = ["--encoder", str(tiny_model_dir), "--data-dir", str(shared_data_dir), "--budgets", "8,16"]
    argv += [
        "--controls",
        "--members",
        "2",
        "--silver-pairs",
        "8",
        "--batch-size",
        "8",
        "--device",
        "cpu",
        "--results",
        str(out),
    ]
    assert bench.main(argv) == 0
    result = json.loads(out.read_text())
    methods = [(row["method"], row["labels"]) for row in result["rows"]]
    per_budget = [
        "member 0",
        "member 1",
        "ensemble",
        "silver student",
        "untouched teacher",
        "supervised, long",
    ]
    assert methods == [("untouched", 0)] + [(m, n) for n in (8, 16) for m in per_budget]
    for row in result["rows"]:
        assert -100 <= row["dev_spearman"] <= 100
    student = [row for row in result["rows"] if row["method"] == "silver student"]
    assert [row["silver_pairs"] for row in student] == [8, 8]
    assert [row["steps"] for row in student] == [2 * 2, 2 * 3]  # 2 epochs of 8 + 8 and 16 + 8 pairs
    controls = [row for row in result["rows"] if row["method"] in ("untouched teacher", "supervised, long")]
    assert [row["steps"] for row in controls] == [4, 4, 6, 6]  # as many steps as the student
    assert "dev Spearman" in capsys.readouterr().out


def test_labels_come_from_the_annotator_and_the_seed(load_benchmark, shared_data_dir):
    bench = load_benchmark("reward_model_quality")
    from rcsim_env.data.loaders import load_stsb

    train = load_stsb("train", data_dir=shared_data_dir)
    config = bench.RewardModelQualityConfig()
    pairs, labels = bench.draw_labels(config, train, seed=3)
    again, labels_again = bench.draw_labels(config, train, seed=3)
    assert [p.pair_id for p in pairs] == [p.pair_id for p in again] and labels == labels_again
    assert sorted(p.pair_id for p in pairs) == sorted(p.pair_id for p in train)
    assert set(labels) <= {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}  # rounded annotator
    assert all(abs(label - pair.score) <= 0.5 for pair, label in zip(pairs, labels, strict=True))
    other, _ = bench.draw_labels(config, train, seed=4)
    assert [p.pair_id for p in other[:20]] != [p.pair_id for p in pairs[:20]]
