import json
import math

import numpy as np
import pytest
import torch

from rcsim_env.encoders.words import WordVocabulary

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = ["--train-pairs", "24", "--test-pairs", "20", "--hidden-size", "6", "--policy-hidden", "6"]
TINY += ["--critic-epochs", "1", "--rounds", "1", "--samples-per-pair", "2", "--examples", "3"]


def test_one_run_covers_every_dataset_and_n_and_writes_json_and_png(
    load_benchmark, tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    bench = load_benchmark("distillation")
    out = tmp_path / "distillation.json"
    argv = ["--encoder", str(tiny_model_dir), "--data-dir", str(shared_data_dir), "--matrix-counts", "1,3"]
    argv += [*TINY, "--no-show-progress", "--output", str(out)]
    assert bench.main(argv) == 0
    result = json.loads(out.read_text())
    models = {
        (r["dataset"], r["matrices"], r["policy"]) for r in result["rows"] if r["model"] == "siamese lstm"
    }
    assert models == {(d, n, p) for d in ("mrpc", "stsb") for n in (1, 3) for p in (False, True)}
    references = {(r["dataset"], r["model"]) for r in result["rows"] if r["model"] != "siamese lstm"}
    assert references == {
        ("mrpc", "majority class"),
        ("mrpc", "averaged word vectors"),
        ("mrpc", "tf-idf"),
        ("stsb", "averaged word vectors"),
        ("stsb", "tf-idf"),
    }
    for row in result["rows"]:
        if row["dataset"] == "mrpc":
            assert 0 <= row["accuracy_tuned"] <= 100 and 0 <= row["f1_tuned"] <= 100
        if row["model"] == "siamese lstm":
            assert 0.0 <= row["keep_fraction"] <= 1.0 and row["seconds"] > 0
            if row["dataset"] == "mrpc":
                assert 0 <= row["accuracy"] <= 100 and 0 <= row["f1"] <= 100
            else:
                assert row["spearman"] is None or -100 <= row["spearman"] <= 100
            phases = [record["phase"] for record in row["history"]]
            if row["policy"]:
                assert phases == ["critic-full", "policy-pretrain", "policy", "critic-distilled"]
            else:
                assert row["keep_fraction"] == 1.0 and phases == ["critic-full", "critic-full"]
    assert result["pairs"] == {"mrpc": {"train": 24, "test": 20}, "stsb": {"train": 24, "test": 20}}
    assert [block["matrices"] for block in result["examples"]] == [3]  # the middle of n = 1, 3
    assert len(result["examples"][0]["examples"]) == 3
    for example in result["examples"][0]["examples"]:
        assert set(example["after"].split()) <= set(example["before"].split())
    assert result["references_not_measured_here"]["mrpc_accuracy_averaged_word_embeddings"] == 70.7
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "references from the issue, not measured here" in printed and "before:" in printed


def test_samples_are_seeded_and_the_majority_class_comes_from_train(load_benchmark, shared_data_dir):
    bench = load_benchmark("distillation")
    config = bench.DistillationBenchmarkConfig(
        datasets=("mrpc",), test_pairs=50, train_pairs=30, data_dir=str(shared_data_dir)
    )
    splits = bench.load_splits(config)
    again = bench.load_splits(config)
    assert [p.pair_id for p in splits["mrpc"]["test"]] == [p.pair_id for p in again["mrpc"]["test"]]
    vocabulary = WordVocabulary(["a"])
    rows = bench.reference_rows(splits, vocabulary, torch.zeros(len(vocabulary), 4))
    majority = next(r for r in rows if r["model"] == "majority class")
    majority_label = float(np.mean([p.score for p in splits["mrpc"]["train"]]) >= 0.5)  # from train
    gold = np.array([p.score for p in splits["mrpc"]["test"]])
    assert majority["accuracy"] == pytest.approx(100 * np.mean(gold == majority_label))
    averaged = next(r for r in rows if r["model"] == "averaged word vectors")
    assert averaged["accuracy"] is None and math.isfinite(averaged["accuracy_tuned"])


def test_bad_settings_are_refused_before_any_work(load_benchmark, shared_data_dir):
    bench = load_benchmark("distillation")
    with pytest.raises(ValueError, match="unknown datasets"):
        bench.run(bench.DistillationBenchmarkConfig(datasets=("sick",), data_dir=str(shared_data_dir)))
    with pytest.raises(ValueError, match="matrices"):
        bench.run(bench.DistillationBenchmarkConfig(matrix_counts=(0,), data_dir=str(shared_data_dir)))
    with pytest.raises(ValueError, match="beta"):
        bench.main(["--beta", "2.0", "--data-dir", str(shared_data_dir)])


def test_help_lists_the_options(load_benchmark, capsys):
    bench = load_benchmark("distillation")
    with pytest.raises(SystemExit) as stopped:
        bench.main(["--help"])
    assert stopped.value.code == 0
    text = capsys.readouterr().out
    assert "--matrix-counts" in text and "--quick" in text and "--drop-bonus" in text
