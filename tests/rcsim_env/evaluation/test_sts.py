"""Tests of rcsim_env.evaluation.sts: scoring pairs, SentEval's 'all' setting, MRPC, running tasks by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from rcsim_env.data import locate
from rcsim_env.data.loaders import load_mrpc
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataNotFoundError
from rcsim_env.evaluation.metrics import best_threshold, binary_metrics, correlations
from rcsim_env.evaluation.sts import (
    TASKS,
    available_tasks,
    default_sick_split,
    evaluate_mrpc,
    evaluate_pairs,
    evaluate_senteval_year,
    evaluate_sick,
    evaluate_stsb,
    pair_cosines,
    run_benchmarks,
    senteval_root_for,
    spearman_of,
)


def test_evaluate_pairs_correlates_cosines_with_gold(fake_encoder) -> None:
    cosines, gold = [0.9, 0.1, 0.5, 0.7], [4.0, 1.0, 3.5, 2.0]
    pairs = [
        (fake_encoder.ANCHOR, fake_encoder.probe(c), g) for c, g in zip(cosines, gold, strict=True)
    ]  # tuples are accepted
    result = evaluate_pairs(fake_encoder, pairs)
    expected = correlations(cosines, gold)
    assert result["n"] == 4
    assert result["spearman"] == pytest.approx(expected["spearman"]) == pytest.approx(80.0)
    assert result["pearson"] == pytest.approx(expected["pearson"], abs=1e-5)


def test_evaluate_pairs_needs_gold_scores(fake_encoder) -> None:
    pairs = [
        ScoredPair(fake_encoder.ANCHOR, fake_encoder.probe(0.1), 1.0, "p0"),
        ScoredPair(fake_encoder.ANCHOR, fake_encoder.probe(0.2), None, "p1"),
    ]
    with pytest.raises(ValueError, match="pair p1 has no gold score"):
        evaluate_pairs(fake_encoder, pairs)


def test_pair_cosines_match_the_encoder_similarity(tiny_encoder, tiny_pairs) -> None:
    pairs = [ScoredPair(a, b, s, str(i)) for i, (a, b, s) in enumerate(tiny_pairs)]
    expected = tiny_encoder.similarity([p.sentence_a for p in pairs], [p.sentence_b for p in pairs])
    cosines = pair_cosines(tiny_encoder, pairs, batch_size=3)
    assert cosines.shape == (len(tiny_pairs),)
    np.testing.assert_allclose(cosines, expected, atol=1e-6)


def test_spearman_of_scores_without_dropout_and_restores_the_mode(tiny_encoder, tiny_pairs) -> None:
    pairs = [ScoredPair(a, b, s, str(i)) for i, (a, b, s) in enumerate(tiny_pairs)]
    tiny_encoder.eval()
    expected = evaluate_pairs(tiny_encoder, pairs)["spearman"]
    tiny_encoder.train()
    try:
        assert spearman_of(tiny_encoder, pairs) == pytest.approx(expected)
        assert tiny_encoder.training
    finally:
        tiny_encoder.eval()


def test_spearman_of_gives_each_submodule_its_mode_back(tiny_model_dir, tiny_pairs) -> None:
    from rcsim_env.encoders import SentenceEncoder

    encoder = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
    encoder.train()
    encoder.model.embeddings.eval()  # partly frozen, as a trainer may leave it
    before = [module.training for module in encoder.modules()]
    pairs = [ScoredPair(a, b, s, str(i)) for i, (a, b, s) in enumerate(tiny_pairs)]
    spearman_of(encoder, pairs)
    assert [module.training for module in encoder.modules()] == before


def test_progress_is_off_in_library_calls_and_changes_no_figure(
    tiny_encoder, tiny_pairs, tiny_data_dir, capsys
):
    pairs = [ScoredPair(a, b, s, str(i)) for i, (a, b, s) in enumerate(tiny_pairs)]
    quiet = spearman_of(tiny_encoder, pairs)
    quiet_stsb = evaluate_stsb(tiny_encoder, "dev", tiny_data_dir)
    assert capsys.readouterr().err == ""
    loud = spearman_of(tiny_encoder, pairs, show_progress=True, description="dev Spearman")
    assert "dev Spearman:" in capsys.readouterr().err
    loud_stsb = evaluate_stsb(tiny_encoder, "dev", tiny_data_dir, show_progress=True)
    assert "STS-B dev:" in capsys.readouterr().err
    assert loud == quiet and loud_stsb == quiet_stsb  # bit-identical figures


# --- SentEval 'all' setting ------------------------------------------------------------------------


def _pooled(sts13_data: dict) -> tuple[list[float], list[float]]:
    """The scored pairs of the STS13 tree concatenated in subset order, blank gold lines dropped."""
    rows = [(c, float(g)) for subset in sts13_data.values() for c, g in subset if g]
    return [c for c, _ in rows], [g for _, g in rows]


def test_senteval_all_setting_is_one_correlation_over_the_concatenated_subsets(
    fake_encoder, senteval_root: Path, sts13_data: dict
) -> None:
    result = evaluate_senteval_year(fake_encoder, 13, senteval_root)
    cosines, gold = _pooled(sts13_data)
    assert result["split"] == "all"
    assert result["n"] == 9  # 10 lines, one with a blank gold score
    assert list(result["subsets"]) == ["FNWN", "headlines", "OnWN"]
    assert [figures["n"] for figures in result["subsets"].values()] == [3, 3, 3]
    # within each subset the order is perfect (so the blank line was dropped from input and gold alike) ...
    assert all(figures["spearman"] == pytest.approx(100.0) for figures in result["subsets"].values())
    # ... but pooled, the subsets' levels disagree
    by_hand = 100 * np.corrcoef(stats.rankdata(cosines), stats.rankdata(gold))[0, 1]
    assert by_hand == pytest.approx(-53.556954, abs=1e-5)
    assert result["spearman"] == pytest.approx(by_hand, abs=1e-6)
    assert result["pearson"] == pytest.approx(100 * np.corrcoef(cosines, gold)[0, 1], abs=1e-4)
    subset_mean = np.mean([figures["spearman"] for figures in result["subsets"].values()])
    assert abs(result["spearman"] - subset_mean) > 100


def test_senteval_year_accepts_the_year_folder_itself(fake_encoder, senteval_root: Path) -> None:
    direct = evaluate_senteval_year(fake_encoder, "STS13", senteval_root / "STS13-en-test")
    assert direct["n"] == 9 and direct["spearman"] == pytest.approx(-53.556954, abs=1e-5)


def test_senteval_root_for_names_a_missing_year(senteval_root: Path) -> None:
    assert senteval_root_for(13, senteval_root) == senteval_root
    with pytest.raises(DataNotFoundError, match="STS12-en-test is not in .*STS13"):
        senteval_root_for(12, senteval_root)


# --- STS-B, SICK, MRPC on tiny files ---------------------------------------------------------------


def test_evaluate_stsb_on_a_tiny_file(tiny_encoder, tiny_data_dir: Path, tiny_pairs) -> None:
    result = evaluate_stsb(tiny_encoder, "dev", tiny_data_dir)
    cosines = tiny_encoder.similarity([a for a, _, _ in tiny_pairs], [b for _, b, _ in tiny_pairs])
    expected = correlations(cosines, [s for _, _, s in tiny_pairs])
    assert result["split"] == "dev" and result["n"] == len(tiny_pairs)
    assert result["spearman"] == pytest.approx(expected["spearman"], abs=1e-6)


def test_evaluate_sick_records_the_split_it_used(
    tiny_encoder, tiny_data_dir: Path, sandbox: Path, tiny_pairs
) -> None:
    assert default_sick_split(tiny_data_dir) == "trial"  # nothing else is searched inside the sandbox
    chosen = evaluate_sick(tiny_encoder, data_dir=tiny_data_dir)
    assert chosen["split"] == "trial" and chosen["n"] == len(tiny_pairs) and "trial" in chosen["note"]
    explicit = evaluate_sick(tiny_encoder, "trial", tiny_data_dir)
    assert "note" not in explicit and explicit["spearman"] == chosen["spearman"]
    (tiny_data_dir / locate.SICK_FILES["test"]).write_bytes(
        (tiny_data_dir / locate.SICK_FILES["trial"]).read_bytes()
    )
    assert evaluate_sick(tiny_encoder, data_dir=tiny_data_dir)["split"] == "test"


def test_evaluate_mrpc_uses_the_train_threshold(tiny_encoder, tiny_data_dir: Path) -> None:
    result = evaluate_mrpc(tiny_encoder, tiny_data_dir)
    train, test = load_mrpc("train", tiny_data_dir), load_mrpc("test", tiny_data_dir)
    labels = [p.score for p in train]
    expected_threshold = best_threshold(pair_cosines(tiny_encoder, train), labels)
    assert result["threshold"] == pytest.approx(expected_threshold, abs=1e-6)
    expected = binary_metrics(pair_cosines(tiny_encoder, test), [p.score for p in test], result["threshold"])
    assert result["split"] == "test" and result["n"] == len(test) and result["n_train"] == len(train)
    assert result["accuracy"] == pytest.approx(expected["accuracy"])
    assert result["f1"] == pytest.approx(expected["f1"])
    assert 50.0 <= result["train_accuracy"] <= 100.0  # a chosen threshold is never worse than one side


# --- running by name ------------------------------------------------------------------------------


def test_available_tasks_lists_only_what_is_found(
    tiny_data_dir: Path, senteval_root: Path, sandbox: Path
) -> None:
    assert available_tasks() == []
    assert available_tasks(tiny_data_dir, senteval_root) == ["stsb-dev", "stsb-test", "sick", "sts13", "mrpc"]


def test_run_benchmarks_records_failures_and_goes_on(
    tiny_encoder, tiny_data_dir: Path, senteval_root: Path, sandbox: Path, tiny_pairs, sts13_data
) -> None:
    (tiny_data_dir / locate.STSB_FILES["dev"]).write_text("only\tthree\tfields\n", encoding="utf-8")
    tasks = ["stsb-dev", "stsb-test", "sts12", "sick", "sts13", "mrpc"]
    results = run_benchmarks(
        tiny_encoder, tasks, tiny_data_dir, senteval_root, show_progress=False, batch_size=4
    )
    assert list(results) == tasks
    assert "sts-dev.csv:1" in results["stsb-dev"]["error"]  # malformed file: DataFormatError
    assert "STS12-en-test is not in" in results["sts12"]["error"]  # missing data: DataNotFoundError
    assert results["stsb-test"]["n"] == results["sick"]["n"] == results["mrpc"]["n"] == len(tiny_pairs)
    assert results["sts13"]["n"] == 9 and set(results["sts13"]["subsets"]) == set(sts13_data)
    assert all(result["seconds"] >= 0 for result in results.values())


def test_run_benchmarks_rejects_unknown_tasks_before_running(fake_encoder) -> None:
    with pytest.raises(ValueError, match="unknown task 'sts17'"):
        run_benchmarks(fake_encoder, ["stsb-test", "sts17"], show_progress=False)
    assert TASKS == ("stsb-dev", "stsb-test", "sick", "sts12", "sts13", "sts14", "sts15", "sts16", "mrpc")
