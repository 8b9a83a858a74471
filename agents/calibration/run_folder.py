"""A calibration run's folder: CSV logs, the JSON report, the learning-curve PNG and TensorBoard events.

Layout (``run/``):
    config.json        the configuration the run started with
    queries.csv        one row per oracle query: pair, agent score, oracle score, reward
    metrics.csv        one row per learning phase or evaluation: losses, dev Spearman
    report.json        the summary: before and after scores, timing, where the encoder is
    learning_curve.png reward and dev Spearman against oracle queries
    checkpoint.pt      the state to resume from (``--resume``)
    encoder/           the exported calibrated encoder (transformers + SentenceTransformer)
    best-encoder/      the best encoder on STS-B dev so far (while running)
    tensorboard/       event files, when TensorBoard is installed
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rcsim_env.jsonio import write_json

__all__ = ["CsvLog", "RunFolder", "write_json"]

QUERY_FIELDS = (
    "query",
    "episode",
    "pair_id",
    "agent_score",
    "oracle_score",
    "gold_score",
    "reward",
    "skipped",
)


class CsvLog:
    """An append-only CSV file with a fixed or growing header, truncatable back to a query count."""

    def __init__(self, path: Path, fields: Sequence[str] | None = None):
        self.path = path
        self.fields: list[str] = list(fields) if fields else []
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

    def truncate_after(self, query: int) -> None:
        """Drop rows logged after ``query`` (used on resume: those queries will be replayed)."""
        if self.path.exists():
            self._rewrite([row for row in self.rows() if int(row["query"]) <= query])

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
    """Paths and writers of one run folder (created if missing)."""

    def __init__(self, root: str | os.PathLike[str], tensorboard: bool = True):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.queries = CsvLog(self.root / "queries.csv", QUERY_FIELDS)
        self.metrics = CsvLog(self.root / "metrics.csv", ("query",))
        self._tensorboard = _summary_writer(self.root / "tensorboard") if tensorboard else None

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
    def encoder_dir(self) -> Path:
        """``encoder/``: the exported calibrated encoder."""
        return self.root / "encoder"

    @property
    def best_encoder_dir(self) -> Path:
        """``best-encoder/``: the best encoder on dev so far."""
        return self.root / "best-encoder"

    @property
    def curve_path(self) -> Path:
        """``learning_curve.png``."""
        return self.root / "learning_curve.png"

    @property
    def tensorboard_enabled(self) -> bool:
        """Whether TensorBoard events are being written."""
        return self._tensorboard is not None

    def log_metrics(self, query: int, metrics: Mapping[str, float]) -> None:
        """Append a metrics row and mirror it to TensorBoard."""
        self.metrics.append({"query": query, **metrics})
        if self._tensorboard is not None:
            for key, value in metrics.items():
                if isinstance(value, (int, float)) and math.isfinite(value):
                    self._tensorboard.add_scalar(key, value, query)

    def truncate_after(self, query: int) -> None:
        """Forget log rows after ``query`` (resuming from a checkpoint taken there)."""
        self.queries.truncate_after(query)
        self.metrics.truncate_after(query)

    def close(self) -> None:
        """Flush and close TensorBoard."""
        if self._tensorboard is not None:
            self._tensorboard.close()


def _summary_writer(folder: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(folder))
