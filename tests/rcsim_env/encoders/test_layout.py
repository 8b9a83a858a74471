"""Reading and writing the sentence-transformers files: supported pipelines, refused ones, round trips."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.encoders.layout import (
    LEGACY_POOLING_KEYS,
    EncoderLayout,
    folder_finder,
    read_layout,
    write_layout,
)
from rcsim_env.encoders.pooling import POOLING_MODES
from rcsim_env.errors import ModelNotFoundError

MODES = list(POOLING_MODES)
TRANSFORMER = {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}
POOLING = {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}
NORMALIZE = {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}


def write_model(folder: Path, modules: object, pooling: object | None = None, **files: object) -> Path:
    """A folder with ``modules.json``, ``1_Pooling/config.json`` (when given) and other JSON files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    if pooling is not None:
        (folder / "1_Pooling").mkdir(exist_ok=True)
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling), encoding="utf-8")
    for name, content in files.items():
        (folder / f"{name}.json").write_text(json.dumps(content), encoding="utf-8")
    return folder


def read(folder: Path) -> EncoderLayout:
    return read_layout(str(folder), folder_finder(folder))


def test_without_modules_json_a_checkpoint_is_mean_pooled(tmp_path):
    assert read(tmp_path) == EncoderLayout(pooling="mean", normalize=False, sentence_transformers=False)
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128}', encoding="utf-8")
    assert read(tmp_path).max_seq_length == 128


@pytest.mark.parametrize(("key", "mode"), list(LEGACY_POOLING_KEYS.items()))
def test_legacy_boolean_pooling_settings(tmp_path, key, mode):
    config = {"word_embedding_dimension": 8, **dict.fromkeys(LEGACY_POOLING_KEYS, False), key: True}
    layout = read(write_model(tmp_path, [TRANSFORMER, POOLING, NORMALIZE], config))
    assert (layout.pooling, layout.normalize, layout.dimension, layout.sentence_transformers) == (
        mode,
        True,
        8,
        True,
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("spelling", ["string", "list of one"])
def test_current_pooling_settings(tmp_path, mode, spelling):
    config = {"embedding_dimension": 8, "pooling_mode": mode if spelling == "string" else [mode]}
    layout = read(write_model(tmp_path, [TRANSFORMER, POOLING], config))
    assert (layout.pooling, layout.normalize, layout.dimension) == (mode, False, 8)


def test_no_mode_switched_on_means_mean(tmp_path):
    config = {"word_embedding_dimension": 8, **dict.fromkeys(LEGACY_POOLING_KEYS, False)}
    assert read(write_model(tmp_path, [TRANSFORMER, POOLING], config)).pooling == "mean"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(modes=st.lists(st.sampled_from(MODES), min_size=2, max_size=4, unique=True), legacy=st.booleans())
def test_several_pooling_modes_are_refused(tmp_path_factory, modes, legacy):
    if legacy:
        config = {key: mode in modes for key, mode in LEGACY_POOLING_KEYS.items()}
    else:
        config = {"pooling_mode": modes}
    folder = write_model(tmp_path_factory.mktemp("m"), [TRANSFORMER, POOLING], config)
    with pytest.raises(ModelNotFoundError, match="combines the pooling modes .* one pooling mode") as info:
        read(folder)
    assert str(folder / "1_Pooling" / "config.json") in str(info.value)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(st.text(max_size=12), st.integers(), st.none()).filter(lambda x: x not in MODES))
def test_unknown_pooling_modes_are_refused_listing_the_known(tmp_path_factory, name):
    folder = write_model(tmp_path_factory.mktemp("m"), [TRANSFORMER, POOLING], {"pooling_mode": name})
    with pytest.raises(ModelNotFoundError, match="unknown pooling mode .*known: mean, cls, max"):
        read(folder)


UNSUPPORTED = ["Dense", "LayerNorm", "Dropout", "CNN", "LSTM", "WordEmbeddings", "StaticEmbedding", "Router"]


@pytest.mark.parametrize("kind", UNSUPPORTED)
@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_other_modules_are_refused_by_name(tmp_path, kind, position):
    modules = [TRANSFORMER, POOLING, NORMALIZE]
    extra = {"idx": 9, "name": "9", "path": f"9_{kind}", "type": f"sentence_transformers.models.{kind}"}
    modules.insert(position, extra)
    folder = write_model(tmp_path, modules, {"pooling_mode": "mean"})
    with pytest.raises(
        ModelNotFoundError, match=rf"lists a {kind} module.* at '9_{kind}'; rcsim encoders support"
    ):
        read(folder)


@pytest.mark.parametrize(
    "order",
    [
        order
        for size in (1, 2, 3, 4)
        for order in itertools.product(["Transformer", "Pooling", "Normalize"], repeat=size)
        if list(order) not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
    ],
    ids="-".join,
)
def test_pipelines_in_another_order_are_refused(tmp_path, order):
    by_kind = {"Transformer": TRANSFORMER, "Pooling": POOLING, "Normalize": NORMALIZE}
    folder = write_model(tmp_path, [by_kind[kind] for kind in order], {"pooling_mode": "mean"})
    with pytest.raises(ModelNotFoundError, match=re.escape(" -> ".join(order)) + ".*rcsim encoders support"):
        read(folder)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[{", r"modules\.json:1: not valid JSON"),
        ('\n\n  {"a": ', r"modules\.json:3: not valid JSON"),
        ("{}", "should hold a non-empty JSON list"),
        ("[]", "should hold a non-empty JSON list"),
        ('"Transformer"', "should hold a non-empty JSON list"),
    ],
)
def test_malformed_modules_json_names_the_file_and_line(tmp_path, content, problem):
    (tmp_path / "modules.json").write_text(content, encoding="utf-8")
    with pytest.raises(ModelNotFoundError, match=problem):
        read(tmp_path)


def test_a_missing_or_malformed_pooling_config_is_named(tmp_path):
    folder = write_model(tmp_path, [TRANSFORMER, POOLING])
    with pytest.raises(
        ModelNotFoundError, match=r"1_Pooling/config\.json \(the Pooling module's settings\) is missing"
    ):
        read(folder)
    write_model(tmp_path, [TRANSFORMER, POOLING], ["mean"])
    with pytest.raises(ModelNotFoundError, match="should hold a JSON object, got list"):
        read(folder)


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"config_sentence_transformers": {"default_prompt_name": "query"}}, "default_prompt_name 'query'"),
        ({"config_sentence_transformers": {"model_type": "SparseEncoder"}}, "it is a SparseEncoder"),
        (
            {"sentence_bert_config": {"transformer_task": "text-generation"}},
            "transformer_task 'text-generation'",
        ),
    ],
)
def test_settings_rcsim_cannot_honour_are_refused(tmp_path, files, problem):
    folder = write_model(tmp_path, [TRANSFORMER, POOLING], {"pooling_mode": "cls"}, **files)
    with pytest.raises(ModelNotFoundError, match=problem):
        read(folder)


def test_normalize_must_act_on_the_sentence_embedding(tmp_path):
    folder = write_model(tmp_path, [TRANSFORMER, POOLING, NORMALIZE], {"pooling_mode": "cls"})
    (folder / "2_Normalize").mkdir()
    (folder / "2_Normalize" / "config.json").write_text('{"module_input_name": "token_embeddings"}')
    with pytest.raises(ModelNotFoundError, match="normalizes 'token_embeddings'"):
        read(folder)
    (folder / "2_Normalize" / "config.json").write_text('{"module_input_name": "sentence_embedding"}')
    assert read(folder).normalize


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize(("do_lower_case", "include_prompt"), [(False, True), (True, False)])
def test_written_files_read_back_the_same(tmp_path, mode, normalize, do_lower_case, include_prompt):
    layout = EncoderLayout(
        pooling=mode, normalize=normalize, do_lower_case=do_lower_case, include_prompt=include_prompt
    )
    write_layout(tmp_path, layout, dimension=24, max_length=77)
    back = read(tmp_path)
    assert (back.pooling, back.normalize, back.do_lower_case, back.include_prompt) == (
        mode,
        normalize,
        do_lower_case,
        include_prompt,
    )
    assert (back.max_seq_length, back.dimension, back.transformer_path) == (77, 24, "")
    pooling = json.loads((tmp_path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    # the settings every sentence-transformers release reads are always there; newer ones only when used
    assert {"pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens"} <= set(pooling)
    assert ("pooling_mode_lasttoken" in pooling) == (mode == "lasttoken")
