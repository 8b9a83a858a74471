"""A run's folder: its settings, CSV logs, the JSON report, checkpoints, the exported model.

Layout (``run/``), the same for every kind of run:
    config.json        the settings the run started with (``--resume`` reuses them)
    metrics.csv        one row per logged unit: losses, dev scores (first column: the unit)
    report.json        the summary: status, before and after scores, timing, where the model is
    learning_curve.png a picture of the run, where the run draws one
    checkpoint.pt      the state to resume from, only while the run is unfinished
    encoder/ (model/)  the exported model
    best/              the best model on dev so far, only while the run is unfinished
    tensorboard/       event files, when TensorBoard is installed

Runs add their own logs beside these (a calibration's ``queries.csv``).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CsvLog", "RunFolder"]


class CsvLog:
    """An append-only CSV file with a fixed or growing header, truncatable back to a position.

    ``fields`` is the header to start with; its first name (or ``key``) is the column
    :meth:`truncate_after` compares.
    """

    def __init__(self, path: Path, fields: Sequence[str] | None = None, key: str | None = None):
        self.path = path
        self.fields: list[str] = list(fields) if fields else []
        self.key = key or (self.fields[0] if self.fields else "query")
        if path.exists():
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle), None)
            if header:
                self.fields = header

    def append(self, row: Mapping[str, Any]) -> None:
        """Append one row; new keys widen the header (the file is rewritten once when that happens)."""
        new = [key for key in row if key not in self.fields]
        if new:
            rows = self.rows()
            self.fields += new
            self._rewrite(rows)
        exists = self.path.exists()
        with self.path.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.fields)
            if not exists:
                writer.writeheader()
            writer.writerow({k: _cell(v) for k, v in row.items()})

    def rows(self) -> list[dict[str, str]]:
        """All rows as dicts of strings."""
        if not self.path.exists():
            return []
        with self.path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def truncate_after(self, position: int) -> None:
        """Drop rows logged after ``position`` (used on resume: those units will be run again)."""
        if self.path.exists():
            self._rewrite([row for row in self.rows() if int(row[self.key]) <= position])

    def _rewrite(self, rows: list[dict[str, str]]) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.fields)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(temporary, self.path)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return value


class RunFolder:
    """Paths and writers of one run folder; nothing is created until :meth:`create`.

    Args:
        root: the folder.
        unit: what the run counts (``"query"``, ``"step"``, ``"epoch"``): the first column of
            ``metrics.csv``.
        model_dir_name: the exported model's subfolder (``"encoder"`` or ``"model"``).
        tensorboard: mirror metrics to TensorBoard when it is installed.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        unit: str = "query",
        model_dir_name: str = "encoder",
        tensorboard: bool = True,
    ):
        self.root = Path(root)
        self.unit = unit
        self.model_dir_name = model_dir_name
        self.metrics = CsvLog(self.root / "metrics.csv", (unit,))
        self._want_tensorboard = tensorboard
        self._tensorboard = None

    def create(self) -> None:
        """Make the folder (and parents) and start TensorBoard if wanted and installed."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._want_tensorboard and self._tensorboard is None:
            self._tensorboard = _summary_writer(self.root / "tensorboard")

    def log(self, name: str, fields: Sequence[str]) -> CsvLog:
        """Another CSV log in the folder (``name``, e.g. ``"queries.csv"``), keyed by its first field."""
        return CsvLog(self.root / name, fields)

    @property
    def config_path(self) -> Path:
        """``config.json``."""
        return self.root / "config.json"

    @property
    def report_path(self) -> Path:
        """``report.json``."""
        return self.root / "report.json"

    @property
    def checkpoint_path(self) -> Path:
        """``checkpoint.pt``."""
        return self.root / "checkpoint.pt"

    @property
    def model_dir(self) -> Path:
        """The exported model's folder (``encoder/`` or ``model/``)."""
        return self.root / self.model_dir_name

    @property
    def best_dir(self) -> Path:
        """``best/``: the best model on dev so far (while the run is unfinished)."""
        return self.root / "best"

    @property
    def curve_path(self) -> Path:
        """``learning_curve.png``."""
        return self.root / "learning_curve.png"

    @property
    def tensorboard_enabled(self) -> bool:
        """Whether TensorBoard events are being written."""
        return self._tensorboard is not None

    def log_metrics(self, position: int, metrics: Mapping[str, float]) -> None:
        """Append a metrics row at ``position`` and mirror it to TensorBoard."""
        self.metrics.append({self.unit: position, **metrics})
        if self._tensorboard is not None:
            for key, value in metrics.items():
                if isinstance(value, (int, float)) and math.isfinite(value):
                    self._tensorboard.add_scalar(key, value, position)

    def close(self) -> None:
        """Flush and close TensorBoard."""
        if self._tensorboard is not None:
            self._tensorboard.close()
            self._tensorboard = None


def _summary_writer(folder: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(folder))
