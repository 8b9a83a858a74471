"""Fixtures for the labelling tests: real SQLite stores, pairs files, ``rcsim-label serve`` subprocesses."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.labelling.store import LabelStore

ROOT = Path(__file__).resolve().parents[3]

SAMPLE_PAIRS = [
    ScoredPair("A man is playing a guitar.", "A man plays the guitar.", 4.8, "sample:1"),
    ScoredPair("A woman is slicing an onion.", "A dog runs in the park.", 0.2, "sample:2"),
    ScoredPair("Two children read a book.", "Two kids are reading.", 3.6, "sample:3"),
    ScoredPair("The cat sleeps on the sofa.", "A cat is sleeping.", 3.9, "sample:4"),
    ScoredPair("A red car drives fast.", "A blue bike is parked.", 1.0, "sample:5"),
    ScoredPair("People sit in a field.", "People are sitting outside.", 3.2, "sample:6"),
]


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    """A fresh label store file in the test's folder."""
    label_store = LabelStore(tmp_path / "labels.sqlite")
    yield label_store
    label_store.close()


@pytest.fixture
def task_store(store: LabelStore) -> LabelStore:
    """A store whose labelling set holds :data:`SAMPLE_PAIRS` (ids 1-6 in order)."""
    store.add_pairs(SAMPLE_PAIRS, task=True)
    return store


def stored_sessions(store: LabelStore) -> int:
    """How many rows the store's ``sessions`` table holds (read with SQL, as any version stores them)."""
    return int(store.connection().execute("SELECT COUNT(*) FROM sessions").fetchone()[0])


def write_pairs_file(path: Path, count: int) -> Path:
    """A ``.jsonl`` pairs file of ``count`` distinct pairs with gold scores."""
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(count):
            record = {
                "sentence_a": f"Sentence number {index} about a dog in the park.",
                "sentence_b": f"Another sentence {index}, about a cat on a sofa.",
                "score": round((index % 11) / 2, 1),
            }
            handle.write(json.dumps(record) + "\n")
    return path


def free_port() -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Poll ``url``/healthz until it answers; fail with the server's output if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the server exited with status {process.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"the server at {url} did not come up within {timeout} s")


def start_serve_process(pairs: Path | None, db: Path, port: int) -> subprocess.Popen:
    """``rcsim-label serve`` (as ``python -m rcsim_env.labelling.cli``) in a subprocess, up and answering.

    The caller owns the process (kill it when done).
    """
    command = [sys.executable, "-m", "rcsim_env.labelling.cli", "serve", "--db", str(db), "--port", str(port)]
    if pairs is not None:
        command += ["--pairs", str(pairs)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    wait_until_up(f"http://127.0.0.1:{port}/", process)
    return process


@pytest.fixture
def serve_process():
    """A factory ``(pairs, db, port) -> Popen`` of ``rcsim-label serve`` processes, killed at the end."""
    started: list[subprocess.Popen] = []

    def start(pairs: Path | None, db: Path, port: int) -> subprocess.Popen:
        process = start_serve_process(pairs, db, port)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


LOCK_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""


@contextlib.contextmanager
def write_lock_held_by_another_process(database: Path):
    """Another process holds ``database``'s write lock (``BEGIN IMMEDIATE``) inside the ``with`` block."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def obey_file_permissions() -> None:
    """``preexec_fn`` of a subprocess that must obey file permissions even when the tests run as root.

    Root ignores read-only modes through CAP_DAC_OVERRIDE (and CAP_DAC_READ_SEARCH); dropping
    both from the bounding set makes the program started next run without them, like any user.
    """
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def shared_folder() -> Path:
    """A fresh folder under /tmp that a permission-obeying subprocess can use (removed by the caller)."""
    folder = Path(tempfile.mkdtemp(prefix="rcsim-label-"))
    folder.chmod(0o755)
    return folder


def serve_command(db: Path, pairs: Path | None = None, port: int = 0) -> list[str]:
    """The ``rcsim label serve`` command line (as ``python -m rcsim_env.labelling.cli``)."""
    command = [sys.executable, "-m", "rcsim_env.labelling.cli", "serve", "--db", str(db), "--port", str(port)]
    return command if pairs is None else [*command, "--pairs", str(pairs)]


def process_environment() -> dict[str, str]:
    """The environment of a subprocess that runs this worktree's rcsim."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
