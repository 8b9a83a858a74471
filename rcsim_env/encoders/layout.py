"""The sentence-transformers files of an encoder: reading its module pipeline, writing it back.

sentence-transformers describes a model as the list of modules in ``modules.json``, each with
its settings in its own folder. rcsim encoders support the pipeline BERT-family sentence
encoders use: a Transformer, then a Pooling module with one mode (any mode of
:data:`~rcsim_env.encoders.pooling.POOLING_MODES`), then optionally Normalize. Anything else
(Dense projections, several pooling modes concatenated, a default prompt...) is refused with
a message naming it, rather than silently giving other embeddings than sentence-transformers.
A checkpoint without ``modules.json`` is a plain transformers model: mean pooling, no Normalize.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcsim_env.encoders.pooling import POOLING_MODES
from rcsim_env.errors import ModelNotFoundError, UnknownNameError

PIPELINE = "a Transformer, then a Pooling module with one mode, then optionally Normalize"
"""The module pipelines rcsim encoders support, in words (for error messages)."""

LEGACY_POOLING_KEYS: dict[str, str] = {
    # sentence-transformers 2.x-5.x boolean settings, in the order it concatenates the modes
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
ALWAYS_WRITTEN_POOLING_KEYS = (
    "pooling_mode_cls_token",
    "pooling_mode_mean_tokens",
    "pooling_mode_max_tokens",
    "pooling_mode_mean_sqrt_len_tokens",
)
"""The keys every sentence-transformers release since 2.0 reads; the others are written only when used."""

MODULE_TYPES = {
    "Transformer": "sentence_transformers.models.Transformer",
    "Pooling": "sentence_transformers.models.Pooling",
    "Normalize": "sentence_transformers.models.Normalize",
}
"""The module type names written to ``modules.json`` (the names every release resolves)."""

FileFinder = Callable[[str], "Path | None"]
"""``find("1_Pooling/config.json")``: the local path of a file of the model, or None when it has none."""


@dataclass(frozen=True)
class EncoderLayout:
    """How an encoder turns token states into its sentence embedding, as its files describe it.

    Attributes:
        pooling: a :data:`~rcsim_env.encoders.pooling.POOLING_MODES` name.
        normalize: whether embeddings are scaled to unit length (a Normalize module).
        transformer_path: the subfolder holding the transformer ("" for the folder itself).
        max_seq_length: the ``max_seq_length`` of ``sentence_bert_config.json``, if any.
        do_lower_case: whether inputs are lowercased before tokenizing.
        include_prompt: the Pooling module's ``include_prompt`` setting (kept when exporting).
        dimension: the token-state size the Pooling module states, if any (the loader checks it
            against the transformer's hidden size).
        sentence_transformers: whether the files include ``modules.json``.
    """

    pooling: str = "mean"
    normalize: bool = False
    transformer_path: str = ""
    max_seq_length: int | None = None
    do_lower_case: bool = False
    include_prompt: bool = True
    dimension: int | None = None
    sentence_transformers: bool = False


def _refuse(where: str, problem: str) -> ModelNotFoundError:
    """The error for an encoder whose sentence-transformers files describe something rcsim cannot run."""
    return ModelNotFoundError(f"cannot use encoder {where}: {problem}")


def _read_json(path: Path, where: str) -> Any:
    """Parse the JSON file ``path``; a malformed file is a ModelNotFoundError naming the file and line."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _refuse(where, f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _refuse(where, f"cannot read {path}: {exc}") from exc


def _read_object(find: FileFinder, name: str, where: str) -> dict[str, Any] | None:
    """The JSON object in the model's file ``name``, or None when the model has no such file."""
    path = find(name)
    if path is None:
        return None
    data = _read_json(path, where)
    if not isinstance(data, dict):
        raise _refuse(where, f"{path} should hold a JSON object, got {type(data).__name__}")
    return data


def _module_kind(entry: object) -> tuple[str, str]:
    """``(kind, path)`` of one ``modules.json`` entry: kind is the last part of its dotted type name."""
    if not isinstance(entry, dict):
        return f"<{type(entry).__name__}>", ""
    kind = str(entry.get("type", "<no type>")).rsplit(".", 1)[-1]
    return kind, str(entry.get("path", "") or "")


def _check_pipeline(modules: object, modules_file: Path, where: str) -> list[tuple[str, str]]:
    """The ``(kind, path)`` of each module; ModelNotFoundError unless they form a supported pipeline."""
    if not isinstance(modules, list) or not modules:
        raise _refuse(where, f"{modules_file} should hold a non-empty JSON list of modules")
    kinds = [_module_kind(entry) for entry in modules]
    for kind, path in kinds:
        if kind not in MODULE_TYPES:
            extra = " (a Dense projection after pooling)" if kind == "Dense" else ""
            raise _refuse(
                where,
                f"{modules_file} lists a {kind} module{extra} at {path or '.'!r}; rcsim encoders support "
                f"{PIPELINE}",
            )
    names = [kind for kind, _ in kinds]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise _refuse(
            where, f"{modules_file} lists the modules {' -> '.join(names)}; rcsim encoders support {PIPELINE}"
        )
    return kinds


def pooling_mode_of(config: dict[str, Any], config_file: Path | str, where: str) -> tuple[str, bool]:
    """``(mode, include_prompt)`` from a Pooling ``config.json`` (current or legacy keys).

    Raises ModelNotFoundError naming the file when it combines several modes or names an
    unknown one.
    """
    if "pooling_mode" in config:
        given = config["pooling_mode"]
        modes = [given] if isinstance(given, str) else list(given) if isinstance(given, list) else [given]
    else:
        modes = [mode for key, mode in LEGACY_POOLING_KEYS.items() if config.get(key)] or ["mean"]
    if len(modes) != 1:
        raise _refuse(
            where,
            f"{config_file} combines the pooling modes {' + '.join(map(str, modes))}; rcsim encoders "
            "support one pooling mode",
        )
    try:
        mode = POOLING_MODES.check(modes[0])
    except UnknownNameError as exc:
        raise _refuse(where, f"{config_file}: {exc}") from None
    return mode, bool(config.get("include_prompt", True))


def _dimension_of(config: dict[str, Any]) -> int | None:
    """The embedding dimension a Pooling ``config.json`` states (current or legacy key), if any."""
    dimension = config.get("embedding_dimension", config.get("word_embedding_dimension"))
    return dimension if isinstance(dimension, int) and not isinstance(dimension, bool) else None


def _check_normalize(config: dict[str, Any] | None, where: str, path: str) -> None:
    """Refuse a Normalize module that does not act on the sentence embedding."""
    for key in ("module_input_name", "module_output_name"):
        value = (config or {}).get(key)
        if value not in (None, "sentence_embedding"):
            raise _refuse(
                where,
                f"{path}/config.json normalizes {value!r}; rcsim encoders normalize only the "
                "sentence embedding",
            )


def _transformer_settings(find: FileFinder, transformer_path: str, where: str) -> tuple[int | None, bool]:
    """``(max_seq_length, do_lower_case)`` from the transformer's ``sentence_bert_config.json`` (if any)."""
    name = (
        f"{transformer_path}/sentence_bert_config.json" if transformer_path else "sentence_bert_config.json"
    )
    config = _read_object(find, name, where) or {}
    task = config.get("transformer_task", "feature-extraction")
    if task != "feature-extraction":
        raise _refuse(
            where, f"{name} sets transformer_task {task!r}; rcsim encoders need 'feature-extraction'"
        )
    length = config.get("max_seq_length")
    length = length if isinstance(length, int) and not isinstance(length, bool) and length > 1 else None
    return length, bool(config.get("do_lower_case", False))


def _check_model_settings(find: FileFinder, where: str) -> None:
    """Refuse a model whose ``config_sentence_transformers.json`` needs what rcsim does not do."""
    config = _read_object(find, "config_sentence_transformers.json", where) or {}
    model_type = config.get("model_type", "SentenceTransformer")
    if model_type != "SentenceTransformer":
        raise _refuse(where, f"it is a {model_type}, not a SentenceTransformer (an embedding model)")
    prompt = config.get("default_prompt_name")
    if prompt:
        raise _refuse(
            where,
            f"config_sentence_transformers.json sets default_prompt_name {prompt!r}: sentence-transformers "
            "prepends that prompt to every input, which rcsim encoders do not do",
        )


def read_layout(where: str, find: FileFinder) -> EncoderLayout:
    """Read how the model at ``where`` (a folder or hub id, for messages) pools and normalizes.

    ``find(relative_name)`` returns the local path of one of the model's files, or None.
    Without ``modules.json`` the model is a plain transformers checkpoint: mean pooling, no
    Normalize. Raises ModelNotFoundError naming the file and what it asks for when the pipeline is not
    :data:`PIPELINE` or a file is malformed.
    """
    modules_file = find("modules.json")
    if modules_file is None:
        max_seq_length, do_lower_case = _transformer_settings(find, "", where)
        return EncoderLayout(max_seq_length=max_seq_length, do_lower_case=do_lower_case)
    kinds = _check_pipeline(_read_json(modules_file, where), modules_file, where)
    transformer_path, pooling_path = kinds[0][1], kinds[1][1]
    pooling_name = f"{pooling_path}/config.json" if pooling_path else "config.json"
    pooling_file = find(pooling_name)
    if pooling_file is None:
        raise _refuse(where, f"{pooling_name} (the Pooling module's settings) is missing")
    pooling_config = _read_object(find, pooling_name, where) or {}
    mode, include_prompt = pooling_mode_of(pooling_config, pooling_file, where)
    normalize = len(kinds) == 3
    if normalize and kinds[2][1]:
        _check_normalize(_read_object(find, f"{kinds[2][1]}/config.json", where), where, kinds[2][1])
    _check_model_settings(find, where)
    max_seq_length, do_lower_case = _transformer_settings(find, transformer_path, where)
    return EncoderLayout(
        pooling=mode,
        normalize=normalize,
        transformer_path=transformer_path,
        max_seq_length=max_seq_length,
        do_lower_case=do_lower_case,
        include_prompt=include_prompt,
        dimension=_dimension_of(pooling_config),
        sentence_transformers=True,
    )


def folder_finder(folder: Path) -> FileFinder:
    """A :data:`FileFinder` over a local folder."""

    def find(name: str) -> Path | None:
        path = folder / name
        return path if path.is_file() else None

    return find


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def pooling_config(layout: EncoderLayout, dimension: int) -> dict[str, Any]:
    """The Pooling ``config.json`` for ``layout``, in the keys every sentence-transformers release reads."""
    config: dict[str, Any] = {"word_embedding_dimension": dimension}
    for key, mode in LEGACY_POOLING_KEYS.items():
        if key in ALWAYS_WRITTEN_POOLING_KEYS or mode == layout.pooling:
            config[key] = mode == layout.pooling
    if not layout.include_prompt:
        config["include_prompt"] = False
    return config


def write_layout(folder: Path, layout: EncoderLayout, dimension: int, max_length: int) -> None:
    """Write the sentence-transformers files describing ``layout`` into ``folder`` (transformer at its root).

    Writes ``modules.json`` (Transformer, Pooling, and Normalize when ``layout.normalize``),
    ``1_Pooling/config.json``, ``sentence_bert_config.json`` (``max_length``, lowercasing) and
    ``config_sentence_transformers.json`` (cosine similarity).
    """
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": MODULE_TYPES["Transformer"]},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": MODULE_TYPES["Pooling"]},
    ]
    if layout.normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": MODULE_TYPES["Normalize"]})
    _write_json(folder / "1_Pooling" / "config.json", pooling_config(layout, dimension))
    _write_json(folder / "modules.json", modules)
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": max_length, "do_lower_case": layout.do_lower_case},
    )
    _write_json(folder / "config_sentence_transformers.json", {"similarity_fn_name": "cosine", "rcsim": True})
