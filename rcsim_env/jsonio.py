"""Writing results as JSON: atomically, with NaN and infinities as ``null`` (strict JSON)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path


def _finite_or_none(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(key): _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(item) for item in value]
    return value


def write_json(path: str | os.PathLike[str], data: object) -> Path:
    """Write ``data`` as indented JSON to ``path`` (parents created; temp file, then rename).

    NaN and infinite floats become ``null``. Returns the path.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps(_finite_or_none(data), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target)
    return target
