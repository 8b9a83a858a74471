import numpy as np
import pytest
from scipy.stats import pearsonr

from rcsim_env.oracles.noise import PAPER_FIVE_LEVELS, AnnotatorNoise


def test_exact_noise_returns_gold():
    rng = np.random.default_rng(0)
    assert AnnotatorNoise.exact().apply(3.37, rng) == pytest.approx(3.37)


def test_six_point_rounding():
    noise = AnnotatorNoise(levels="six")
    assert [noise.round(x) for x in (0.2, 0.5, 1.51, 4.49, 4.8)] == [0.0, 0.0, 2.0, 4.0, 5.0]


def test_paper_five_bins():
    noise = AnnotatorNoise.paper()
    assert PAPER_FIVE_LEVELS == (0.25, 1.5, 2.5, 3.5, 4.75)
    assert [noise.round(x) for x in (0.0, 0.9, 2.2, 3.1, 4.2, 5.0)] == [0.25, 1.5, 2.5, 3.5, 4.75, 4.75]


def test_answers_stay_on_levels_and_in_range():
    noise = AnnotatorNoise(sigma=2.0, random_answer_rate=0.3)
    rng = np.random.default_rng(1)
    answers = {noise.apply(g, rng) for g in np.linspace(0, 5, 500)}
    assert answers <= {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}


def test_same_seed_same_answers_and_skips():
    noise = AnnotatorNoise(sigma=0.7, random_answer_rate=0.1, skip_rate=0.2)
    golds = np.linspace(0, 5, 200)
    first = [noise.apply(g, np.random.default_rng(5)) for g in golds]
    second = [noise.apply(g, np.random.default_rng(5)) for g in golds]
    assert first == second
    rng = np.random.default_rng(9)
    skipped = sum(noise.apply(2.5, rng) is None for _ in range(2000))
    assert 300 < skipped < 500  # about 20%


def test_mild_annotator_agrees_with_gold_like_a_person():
    rng = np.random.default_rng(0)
    gold = rng.uniform(0, 5, 3000)
    noise = AnnotatorNoise.mild()
    answers = np.array([noise.apply(g, rng) for g in gold])
    r = pearsonr(gold, answers).statistic
    assert 0.8 < r < 0.97


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sigma": -1.0},
        {"sigma": float("nan")},
        {"random_answer_rate": 1.5},
        {"skip_rate": -0.1},
        {"levels": "seven"},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        AnnotatorNoise(**kwargs)


def test_rounded_preset_rounds_gold_to_six_points_and_nothing_else():
    rng = np.random.default_rng(0)
    noise = AnnotatorNoise.rounded()
    assert [noise.apply(g, rng) for g in (0.2, 1.6, 3.37, 4.5001, 4.9)] == [0.0, 2.0, 3.0, 5.0, 5.0]
