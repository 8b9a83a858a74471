"""A sentence-transformers folder loads with its own pooling and Normalize, and exports to an equal folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rcsim_env.encoders import SentenceEncoder
from rcsim_env.errors import ModelNotFoundError

from .conftest import SENTENCES

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TOLERANCE = 1e-5


def st_encode(folder: Path, sentences=SENTENCES) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu").encode(sentences)


def module_kinds(folder: Path) -> list[str]:
    """The kinds of modules a folder's modules.json lists (the last part of each type name)."""
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    return [module["type"].rsplit(".", 1)[-1] for module in modules]


@pytest.mark.parametrize("normalize", [False, True], ids=["plain", "normalized"])
@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_loading_and_exporting_give_sentence_transformers_embeddings(st_folder, tmp_path, pooling, normalize):
    folder = st_folder(pooling=pooling, normalize=normalize, max_seq_length=40)
    reference = st_encode(folder)

    encoder = SentenceEncoder.from_pretrained(folder, device="cpu")
    assert (encoder.pooling, encoder.normalizes, encoder.dim, encoder.max_length) == (
        pooling,
        normalize,
        32,
        40,
    )
    ours = encoder.encode(SENTENCES)
    assert np.abs(ours - reference).max() < TOLERANCE
    norms = np.linalg.norm(ours, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-6) if normalize else not np.allclose(norms, 1.0, atol=1e-2)

    exported = encoder.save(tmp_path / "exported")
    assert module_kinds(exported) == module_kinds(folder)
    assert np.abs(st_encode(exported) - ours).max() < TOLERANCE
    reloaded = SentenceEncoder.from_pretrained(exported, device="cpu")
    assert (reloaded.pooling, reloaded.normalizes, reloaded.max_length) == (pooling, normalize, 40)
    np.testing.assert_array_equal(reloaded.encode(SENTENCES), ours)


def test_the_pooling_mode_really_changes_the_embeddings(st_folder):
    """Guards the test above: CLS and mean pooling of the same model are far apart."""
    cls = SentenceEncoder.from_pretrained(st_folder(pooling="cls"), device="cpu").encode(SENTENCES)
    mean = SentenceEncoder.from_pretrained(st_folder(pooling="mean"), device="cpu").encode(SENTENCES)
    assert np.abs(cls - mean).max() > 0.1


@pytest.mark.parametrize("pooling", ["max", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"])
def test_the_other_pooling_modes_load_and_export(st_folder, tmp_path, pooling):
    folder = st_folder(pooling=pooling, normalize=True)
    encoder = SentenceEncoder.from_pretrained(folder, device="cpu")
    assert encoder.pooling == pooling
    ours = encoder.encode(SENTENCES)
    assert np.abs(ours - st_encode(folder)).max() < TOLERANCE
    assert np.abs(st_encode(encoder.save(tmp_path / "exported")) - ours).max() < TOLERANCE


def test_a_plain_transformers_checkpoint_is_mean_pooled(tiny_model_dir, tiny_encoder, st_folder):
    assert (tiny_encoder.pooling, tiny_encoder.normalizes) == ("mean", False)
    mean_st = SentenceEncoder.from_pretrained(st_folder(pooling="mean"), device="cpu")
    np.testing.assert_allclose(tiny_encoder.encode(SENTENCES), mean_st.encode(SENTENCES), atol=TOLERANCE)


def test_the_transformer_may_sit_in_a_subfolder(st_folder):
    """Older sentence-transformers saved the transformer in 0_Transformer/."""
    folder = st_folder(pooling="cls", normalize=True)
    (folder / "0_Transformer").mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        shutil.move(folder / name, folder / "0_Transformer" / name)
    if (folder / "sentence_bert_config.json").exists():
        shutil.move(
            folder / "sentence_bert_config.json", folder / "0_Transformer" / "sentence_bert_config.json"
        )
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    modules[0]["path"] = "0_Transformer"
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    encoder = SentenceEncoder.from_pretrained(folder, device="cpu")
    assert encoder.pooling == "cls" and encoder.normalizes
    assert np.abs(encoder.encode(SENTENCES) - st_encode(folder)).max() < TOLERANCE


def test_lowercasing_inputs_is_kept(tiny_model_dir, tmp_path, st_folder):
    """``do_lower_case`` (sentence_bert_config.json) lowercases inputs, as in sentence-transformers, and
    survives export."""
    from transformers import BertTokenizerFast

    folder = st_folder(pooling="mean")
    BertTokenizerFast(str(tiny_model_dir / "vocab.txt"), do_lower_case=False).save_pretrained(folder)
    settings = {"max_seq_length": 40, "do_lower_case": True}  # as sentence-transformers 2.x-5.x write it
    (folder / "sentence_bert_config.json").write_text(json.dumps(settings), encoding="utf-8")
    shouted, quiet = ["A MAN PLAYS GUITAR", "The Dog Runs"], ["a man plays guitar", "the dog runs"]
    reference = st_encode(folder, shouted)
    assert np.abs(reference - st_encode(folder, quiet)).max() < 1e-6  # the reference does lowercase

    encoder = SentenceEncoder.from_pretrained(folder, device="cpu")
    ours = encoder.encode(shouted)
    assert np.abs(ours - reference).max() < TOLERANCE
    exported = encoder.save(tmp_path / "exported")
    assert np.abs(st_encode(exported, shouted) - ours).max() < TOLERANCE
    assert np.abs(SentenceEncoder.from_pretrained(exported, device="cpu").encode(shouted) - ours).max() < 1e-6


def test_a_dense_layer_is_refused_by_name(st_folder):
    with pytest.raises(ModelNotFoundError, match=r"lists a Dense module .*'2_Dense'.*support a Transformer"):
        SentenceEncoder.from_pretrained(st_folder(pooling="mean", dense=True), device="cpu")


def test_a_pooling_dimension_other_than_the_hidden_size_is_refused(st_folder):
    folder = st_folder(pooling="mean")
    config_file = folder / "1_Pooling" / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config.pop("word_embedding_dimension", None)
    config["embedding_dimension"] = 16
    config_file.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(
        ModelNotFoundError, match="expects 16-dimensional token states but .* hidden size is 32"
    ):
        SentenceEncoder.from_pretrained(folder, device="cpu")


def test_the_exported_folder_has_a_model_card(tiny_encoder, tmp_path):
    from huggingface_hub import ModelCard as HubCard

    from rcsim_env.encoders import ModelCard

    card = ModelCard(base_model="sentence-transformers/all-MiniLM-L6-v2", task="RC-DDPG calibration")
    folder = tiny_encoder.save(tmp_path / "exported", card=card)
    parsed = HubCard.load(folder / "README.md")
    assert parsed.data.library_name == "sentence-transformers"
    assert parsed.data.pipeline_tag == "sentence-similarity"
    assert parsed.data.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert "RC-DDPG calibration" in parsed.text and "32-dimensional" in parsed.text
    default = tiny_encoder.save(tmp_path / "default").joinpath("README.md").read_text(encoding="utf-8")
    assert "library_name: sentence-transformers" in default and "base_model:" not in default  # a local base


def test_a_hub_id_in_the_local_cache_gets_its_own_pooling(st_folder, tmp_path):
    """The sentence-transformers files of a hub model are read from the Hugging Face cache too."""
    folder = st_folder(pooling="cls", normalize=True)
    snapshot = tmp_path / "cache" / "models--someone--tiny-cls" / "snapshots" / "0123abcd"
    shutil.copytree(folder, snapshot)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("0123abcd", encoding="utf-8")
    script = (
        "import json, sys\n"
        "from rcsim_env.encoders import SentenceEncoder\n"
        "encoder = SentenceEncoder.from_pretrained('someone/tiny-cls', device='cpu')\n"
        "print(json.dumps([encoder.pooling, encoder.normalizes, encoder.encode(sys.argv[1:]).tolist()]))\n"
    )
    env = {
        **os.environ,
        "HF_HUB_CACHE": str(tmp_path / "cache"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[3]), os.environ.get("PYTHONPATH", "")]
        ),
    }
    completed = subprocess.run(
        [sys.executable, "-c", script, *SENTENCES], capture_output=True, text=True, env=env, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    pooling, normalizes, embeddings = json.loads(completed.stdout.splitlines()[-1])
    assert (pooling, normalizes) == ("cls", True)
    assert np.abs(np.array(embeddings, dtype=np.float32) - st_encode(folder)).max() < TOLERANCE
