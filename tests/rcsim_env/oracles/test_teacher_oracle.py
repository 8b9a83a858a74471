import numpy as np
import pytest

from rcsim_env.oracles import AnnotatorNoise, TeacherOracle


def test_teacher_scores_with_its_encoder(tiny_encoder):
    oracle = TeacherOracle(tiny_encoder)
    a, b = "a man plays guitar", "the dog runs in the park"
    cosine = float(tiny_encoder.similarity([a], [b])[0])
    assert oracle.judge(a, b) == pytest.approx(5 * min(max(cosine, 0.0), 1.0), abs=1e-5)
    assert oracle.judge(a, a) == pytest.approx(5.0, abs=1e-4)


def test_teacher_noise_rounds_to_levels(tiny_encoder):
    oracle = TeacherOracle(tiny_encoder, noise=AnnotatorNoise(sigma=0.5, levels="six"))
    answers = {oracle.judge("a red car", "two people sit", rng=np.random.default_rng(s)) for s in range(30)}
    assert answers <= {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}
