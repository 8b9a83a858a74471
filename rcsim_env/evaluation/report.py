"""Presenting benchmark results: a fixed-width text table and a JSON file with run metadata."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import rcsim_env

COLUMNS: tuple[tuple[str, str, int], ...] = (
    # (header, result key, width); numbers are right-aligned, text left-aligned
    ("task", "task", 22),
    ("split", "split", 6),
    ("n", "n", 6),
    ("Spearman", "spearman", 8),
    ("Pearson", "pearson", 8),
    ("Acc", "accuracy", 6),
    ("F1", "f1", 6),
)
SUBSET_INDENT = "  "


def _cell(value: object) -> str:
    """Text of one table cell: floats with two decimals, ``-`` when absent."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.2f}"
    return str(value)


def _row(values: Mapping[str, object]) -> str:
    """One table line: the first two columns left-aligned, the numeric ones right-aligned."""
    cells = []
    for index, (_, key, width) in enumerate(COLUMNS):
        text = _cell(values.get(key))
        cells.append(text.ljust(width) if index < 2 else text.rjust(width))
    return "  ".join(cells).rstrip()


def _task_lines(task: str, result: Mapping[str, Any]) -> list[str]:
    """The table lines of one task: its row (or its error) and one indented row per subset."""
    if "error" in result:
        first_line = str(result["error"]).splitlines()[0] if result["error"] else "failed"
        return [f"{task.ljust(COLUMNS[0][2])}  error: {first_line}"]
    lines = [_row({**result, "task": task})]
    for subset, figures in result.get("subsets", {}).items():
        lines.append(_row({**figures, "task": f"{SUBSET_INDENT}{subset}"}))
    return lines


def format_table(results: Mapping[str, Mapping[str, Any]]) -> str:
    """Render ``{task: result}`` (as returned by ``run_benchmarks``) as a fixed-width text table.

    Columns: task, split, n, Spearman, Pearson, accuracy and F1 (figures x100, two
    decimals; ``-`` where a task has no such figure). SentEval years are followed by one
    indented row per subset; a failed task shows ``error:`` and the first line of its
    message; each result's ``note`` is printed under the table. Returns the text without a
    trailing newline.
    """
    header = _row({key: title for title, key, _ in COLUMNS})
    rule = "  ".join("-" * width for _, _, width in COLUMNS)
    lines = [header, rule]
    for task, result in results.items():
        lines.extend(_task_lines(task, result))
    notes = [f"note: {task}: {result['note']}" for task, result in results.items() if result.get("note")]
    return "\n".join([*lines, *notes])


def _json_safe(value: Any) -> Any:
    """Copy of ``value`` with NaN and infinities replaced by None and numpy scalars by Python numbers."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(
    results: Mapping[str, Mapping[str, Any]],
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``{"metadata": ..., "results": results}`` as indented UTF-8 JSON at ``path``; return the path.

    ``metadata`` is whatever the caller knows (encoder name, device, timings, ...);
    ``rcsim_version`` (``rcsim_env.__version__``) and ``date`` (UTC, ISO 8601) are added
    unless given. Parent folders are created. NaN figures (undefined correlations) are
    written as ``null`` so the file is strict JSON.
    """
    meta = dict(metadata or {})
    meta.setdefault("rcsim_version", rcsim_env.__version__)
    meta.setdefault("date", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    document = _json_safe({"metadata": meta, "results": results})
    target.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return target
