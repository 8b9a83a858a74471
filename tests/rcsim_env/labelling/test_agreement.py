"""Agreement: Krippendorff's alpha against published and hand-computed values, correlations, stores."""

import math

import numpy as np
import pytest
from scipy import stats

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.labelling.agreement import (
    agreement_from_scores,
    correlations,
    krippendorff_alpha_interval,
    store_agreement,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, missing values; the paper gives alpha = 0.849 for interval data.
N = None
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    "C": [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
}


def test_alpha_matches_krippendorffs_published_example():
    units = list(zip(*KRIPPENDORFF_2011.values(), strict=True))
    assert krippendorff_alpha_interval(units) == pytest.approx(0.849, abs=5e-4)


def test_alpha_matches_a_hand_computation():
    # units {1, 2} and {3, 3}: n = 4 pairable values.
    # D_o = (1/4) * [ (1-2)^2 + (2-1)^2 ] / (2-1) = 0.5
    # D_e = (1/(4*3)) * sum over ordered pairs of all values {1,2,3,3} = 22/12
    # alpha = 1 - 0.5 / (22/12) = 8/11
    assert krippendorff_alpha_interval([[1, 2], [3, 3]]) == pytest.approx(8 / 11, abs=1e-12)


def test_alpha_edge_cases():
    assert krippendorff_alpha_interval([[1, 1], [4, 4], [2, 2, 2]]) == pytest.approx(1.0)
    assert math.isnan(krippendorff_alpha_interval([[3, 3], [3, 3]]))  # no variation: undefined
    assert math.isnan(krippendorff_alpha_interval([[1], [2]]))  # nothing pairable
    # units with a single value (or only missing ones) do not count
    with_lonely = krippendorff_alpha_interval([[1, 2], [3, 3], [5], [None, float("nan")]])
    assert with_lonely == pytest.approx(8 / 11)
    # systematic disagreement is below chance
    assert krippendorff_alpha_interval([[0, 5], [5, 0], [0, 5]]) < 0


def test_correlations_use_scipy_and_refuse_degenerate_input():
    x = [0, 1, 2, 3, 4, 5]
    y = [0.5, 0.7, 2.5, 2.9, 4.1, 4.0]
    pearson, spearman = correlations(x, y)
    assert pearson == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert spearman == pytest.approx(stats.spearmanr(x, y)[0])
    assert all(math.isnan(v) for v in correlations([1, 2], [1, 2]))
    assert all(math.isnan(v) for v in correlations([3, 3, 3], [1, 2, 3]))
    with pytest.raises(ValueError, match="differ in length"):
        correlations([1, 2, 3], [1, 2])


def test_pairwise_and_gold_figures_from_scores():
    scores = {
        "ann": {1: 0.0, 2: 2.0, 3: 4.0, 4: 5.0},
        "bob": {1: 1.0, 2: 2.0, 3: 4.0, 4: 5.0},
        "cid": {1: 5.0, 2: 3.0, 3: 1.0},
    }
    gold = {1: 0.0, 2: 2.0, 3: 4.0, 4: 5.0}
    report = agreement_from_scores(scores, gold)
    assert report.annotators == ["ann", "bob", "cid"]
    assert report.judgements == 11 and report.alpha_units == 4
    ann_bob = report.pairwise[0]
    assert (ann_bob.annotator_a, ann_bob.annotator_b, ann_bob.n) == ("ann", "bob", 4)
    assert ann_bob.mean_absolute_difference == pytest.approx(0.25)
    assert ann_bob.spearman == pytest.approx(1.0)
    ann_cid = report.pairwise[1]
    assert ann_cid.n == 3 and ann_cid.pearson < -0.9
    ann_gold = report.gold[0]
    assert ann_gold.pearson == pytest.approx(1.0) and ann_gold.mean_absolute_error == 0.0
    text = report.format_text()
    assert "Krippendorff's alpha (interval)" in text and "against gold" in text and "ann" in text


def test_store_agreement_ignores_skips_and_retractions_and_averages_repeats(store):
    ids = store.add_pairs([ScoredPair(f"a{i}", f"b{i}", float(i), f"f:{i}") for i in range(5)])
    for pair_id, score in zip(ids, [0, 1, 2, 3, 4], strict=True):
        store.record_judgement(pair_id, "ann", score, origin="page")
        store.record_judgement(pair_id, "bob", score, origin="page")
    store.record_judgement(ids[0], "bob", skipped=True, origin="api")  # a skip: ignored
    store.record_judgement(ids[1], "ann", 5, origin="api")  # then retracted: ignored
    store.undo_last("ann")
    request_id = store.create_request(ids[2])  # a repeat through the live queue: 2 and 4 average to 3
    store.record_judgement(ids[2], "bob", 2, request_id=request_id, origin="page")
    store.record_judgement(ids[2], "bob", 4, request_id=store.create_request(ids[2]), origin="page")
    report = store_agreement(store)
    assert report.annotators == ["ann", "bob"]
    assert report.judgements == 10
    expected = krippendorff_alpha_interval([[0, 0], [1, 1], [2, 8 / 3], [3, 3], [4, 4]])
    assert report.alpha == pytest.approx(expected)
    assert report.gold[0].pearson == pytest.approx(1.0)
    assert report.gold[1].mean_absolute_error == pytest.approx((8 / 3 - 2) / 5)
