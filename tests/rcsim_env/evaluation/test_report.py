"""Tests of rcsim_env.evaluation.report: the text table and the JSON file."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np

import rcsim_env
from rcsim_env.evaluation.report import format_table, write_json

RESULTS = {
    "stsb-test": {"split": "test", "spearman": 82.0324, "pearson": 82.7406, "n": 1379, "seconds": 9.1},
    "sts13": {
        "split": "all",
        "spearman": 70.5,
        "pearson": 69.25,
        "n": 1500,
        "subsets": {"FNWN": {"spearman": 40.0, "pearson": 41.0, "n": 189}},
    },
    "mrpc": {"split": "test", "n": 1725, "accuracy": 73.91, "f1": 81.234, "threshold": 0.71},
    "sick": {"split": "trial", "spearman": math.nan, "pearson": math.nan, "n": 500, "note": "trial used"},
    "sts12": {"error": "STS12-en-test is not in /data\nsecond line of the message", "seconds": 0.0},
}


def test_format_table_rows_and_alignment() -> None:
    lines = format_table(RESULTS).splitlines()
    header = lines[0].split()
    assert header == ["task", "split", "n", "Spearman", "Pearson", "Acc", "F1"]
    assert lines[-1] == "note: sick: trial used"
    rows = {line.split()[0]: line for line in lines[2:-1]}
    assert rows["stsb-test"].split() == ["stsb-test", "test", "1379", "82.03", "82.74", "-", "-"]
    assert rows["mrpc"].split() == ["mrpc", "test", "1725", "-", "-", "73.91", "81.23"]
    assert rows["FNWN"].startswith("  FNWN") and rows["FNWN"].split()[1:5] == ["-", "189", "40.00", "41.00"]
    assert rows["sick"].split()[3:5] == ["nan", "nan"]
    assert rows["sts12"].split()[1:] == ["error:", "STS12-en-test", "is", "not", "in", "/data"]
    # numeric columns are right-aligned on the header's column ends
    spearman_end = lines[0].index("Spearman") + len("Spearman")
    assert rows["stsb-test"][:spearman_end].endswith("82.03")
    assert rows["FNWN"][:spearman_end].endswith("40.00")
    # subset rows follow their year
    assert lines.index(rows["FNWN"]) == lines.index(rows["sts13"]) + 1


def test_write_json_adds_version_and_date_and_writes_strict_json(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "eval.json"
    results = {**RESULTS, "extra": {"spearman": np.float32(0.5), "n": np.int64(3)}}
    returned = write_json(results, target, {"encoder": "tiny", "device": "cpu", "timings": {"total": 1.5}})
    assert returned == target
    text = target.read_text(encoding="utf-8")
    assert "NaN" not in text
    document = json.loads(text)
    meta = document["metadata"]
    assert meta["encoder"] == "tiny" and meta["device"] == "cpu" and meta["timings"] == {"total": 1.5}
    assert meta["rcsim_version"] == rcsim_env.__version__
    assert datetime.fromisoformat(meta["date"]).tzinfo is not None
    assert document["results"]["sick"]["spearman"] is None
    assert document["results"]["stsb-test"] == RESULTS["stsb-test"]
    assert document["results"]["extra"] == {"spearman": 0.5, "n": 3}
    assert document["results"]["sts13"]["subsets"]["FNWN"]["n"] == 189


def test_write_json_keeps_a_given_date(tmp_path: Path) -> None:
    path = write_json({}, tmp_path / "r.json", {"date": "2020-01-01"})
    assert json.loads(path.read_text())["metadata"]["date"] == "2020-01-01"
    assert json.loads(write_json({}, tmp_path / "s.json").read_text())["results"] == {}
