"""``train_rl.py calibrate --oracle human``: a live run on the tiny encoder, answered through the page."""

import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rcsim_env.labelling.client import LabelClient, wait_until_ready
from rcsim_env.labelling.store import LabelStore

from .conftest import flat_config

ROOT = Path(__file__).resolve().parents[3]
POOL = [
    ("a man plays the guitar .", "a man is playing a guitar ."),
    ("a woman eats food in the house .", "the dog runs in the park ."),
    ("two people sit in a field .", "three people are in the park ."),
    ("a child reads a book .", "the child is reading a red book ."),
    ("a cat sleeps on the car .", "a big dog sleeps in the house ."),
    ("the man is running in the park .", "a man runs in a park ."),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _score_for(item) -> float | None:
    """What the scripted person answers: skip the guitar pair, else a score from the sentence length."""
    if "guitar" in item["sentence_a"]:
        return None
    return float(len(item["sentence_a"]) % 6)


def test_human_oracle_settings_are_validated(monkeypatch):
    monkeypatch.delenv("RCSIM_LABEL_TOKEN", raising=False)
    flat_config(oracle="human").validate()
    with pytest.raises(ValueError, match="label_timeout must be > 0"):
        flat_config(oracle="human", label_timeout=0).validate()
    with pytest.raises(ValueError, match="label_port must be in 0-65535"):
        flat_config(oracle="human", label_port=70000).validate()
    with pytest.raises(ValueError, match="refusing to bind the labelling page to '0.0.0.0'"):
        flat_config(oracle="human", label_host="0.0.0.0").validate()
    flat_config(oracle="human", label_host="0.0.0.0", label_terminal=True).validate()
    monkeypatch.setenv("RCSIM_LABEL_TOKEN", "a-long-enough-token-1234")
    flat_config(oracle="human", label_host="0.0.0.0").validate()


def test_calibrate_with_a_person_on_the_page(tiny_model_dir, tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"sentence_a": a, "sentence_b": b}) + "\n" for a, b in POOL))
    port = _free_port()
    db = tmp_path / "labels.sqlite"
    run = tmp_path / "run"
    command = [
        sys.executable, str(ROOT / "train_rl.py"), "calibrate", "--oracle", "human",
        "--label-port", str(port), "--label-db", str(db), "--label-timeout", "60",
        "--pool", str(pool), "--encoder", str(tiny_model_dir), "--data-dir", str(tmp_path),
        "--queries", "12", "--episode-length", "6", "--batch-size", "4", "--learning-starts", "4",
        "--train-every", "4", "--eval-every", "0", "--dev", "none", "--test", "none",
        "--checkpoint-every", "0", "--device", "cpu", "--no-show-progress", "--no-tensorboard",
        "--output", str(run),
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    given = []  # (pair sentence_a, score) in the order the person answered
    problems = []

    def person():
        try:
            wait_until_ready(f"http://127.0.0.1:{port}/", timeout=240)
            client = LabelClient(f"http://127.0.0.1:{port}/")
            client.set_annotator("live person")
            while len(given) < 12 and process.poll() is None:
                item = client.next_item()
                if item is None:
                    time.sleep(0.02)
                    continue
                score = _score_for(item)
                reply = client.answer(
                    item["pair_id"], score=score, skip=score is None, request_id=item["request_id"]
                )
                assert reply["used"] is True, reply
                given.append((item["sentence_a"], score))
        except Exception as exc:  # noqa: BLE001  (reported below)
            problems.append(repr(exc))

    helper = threading.Thread(target=person, daemon=True)
    helper.start()
    try:
        output, _ = process.communicate(timeout=400)
    finally:
        if process.poll() is None:
            process.kill()
    helper.join(timeout=10)
    assert process.returncode == 0, output[-3000:]
    assert problems == []
    assert f"labelling page: open http://127.0.0.1:{port}/" in output

    report = json.loads((run / "report.json").read_text())
    skips = sum(score is None for _, score in given)
    assert report["status"] == "done" and report["queries"] == 12 and report["skipped"] == skips == 2
    assert report["updates"] > 0
    assert "labelling page" in report["sources"]["oracle"]
    with open(run / "queries.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    for row, (_, score) in zip(rows, given, strict=True):  # the agent got exactly what the person clicked
        assert (row["skipped"] == "True") == (score is None)
        if score is not None:
            assert float(row["oracle_score"]) == score

    store = LabelStore(db)
    stored = store.judgements(include_retracted=True)
    assert len(stored) == 12 and all(j.annotator == "live person" and not j.retracted for j in stored)
    assert [(store.pair(j.pair_id).sentence_a, j.score) for j in stored] == given
    assert store.pending_count() == 0


class _Person(threading.Thread):
    """Someone at the labelling page answering every pair it shows until ``stop`` is set."""

    def __init__(self, port: int, name: str):
        super().__init__(daemon=True)
        self.port, self.name = port, name
        self.answered: list[str] = []
        self.stop = threading.Event()
        self.problems: list[str] = []
        self.unconfirmed = 0  # answers sent when the page went away, so never confirmed to the person

    def run(self) -> None:
        try:
            wait_until_ready(f"http://127.0.0.1:{self.port}/", timeout=240)
            client = LabelClient(f"http://127.0.0.1:{self.port}/")
            client.set_annotator(self.name)
            while not self.stop.is_set():
                try:
                    item = client.next_item()
                except OSError:  # the run was killed: the page is gone
                    return
                if item is None:
                    time.sleep(0.02)
                    continue
                try:
                    client.answer(
                        item["pair_id"],
                        score=float(len(item["sentence_a"]) % 6),
                        request_id=item["request_id"],
                    )
                except (
                    OSError
                ):  # killed while this answer was in flight: stored or not, it was never confirmed
                    self.unconfirmed += 1
                    return
                self.answered.append(item["sentence_a"])
        except Exception as exc:  # noqa: BLE001  (reported by the test)
            self.problems.append(repr(exc))


def test_a_person_is_never_asked_again_after_the_run_is_killed(tiny_model_dir, tmp_path):
    words = (
        "a the man woman dog cat child plays runs sits reads eats in on park field house book food".split()
    )
    pairs = [
        (f"{words[i % 19]} {words[(i * 7) % 19]} {words[(i * 3) % 19]} {i}", f"{words[(i * 5) % 19]} {i}")
        for i in range(40)
    ]
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"sentence_a": a, "sentence_b": b}) + "\n" for a, b in pairs))
    port, db, run = _free_port(), tmp_path / "labels.sqlite", tmp_path / "run"
    command = [
        sys.executable, str(ROOT / "train_rl.py"), "calibrate", "--oracle", "human",
        "--label-port", str(port), "--label-db", str(db), "--pool", str(pool),
        "--encoder", str(tiny_model_dir), "--queries", "40", "--batch-size", "4", "--learning-starts", "4",
        "--eval-every", "0", "--dev", "none", "--test", "none", "--device", "cpu", "--no-show-progress",
        "--no-tensorboard", "--output", str(run),
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}

    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    person = _Person(port, "first sitting")
    person.start()
    deadline = time.monotonic() + 300
    while len(person.answered) < 25 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.01)
    first.kill()  # SIGKILL at query 25: the last checkpoint (a person's run checkpoints every 10) is at 20
    first.wait(timeout=60)
    person.stop.set()
    person.join(timeout=60)
    asked_first = len(person.answered)
    assert asked_first >= 25 and (run / "checkpoint.pt").is_file(), first.stdout.read()[-3000:]

    resumed = subprocess.Popen(
        command[:2] + ["calibrate", "--resume", "--output", str(run), "--no-show-progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    again = _Person(port, "second sitting")
    again.start()
    output, _ = resumed.communicate(timeout=400)
    again.stop.set()
    again.join(timeout=60)
    assert resumed.returncode == 0, output[-3000:]
    assert person.problems == [] and again.problems == []
    report = json.loads((run / "report.json").read_text())
    assert report["status"] == "done" and report["queries"] == 40
    store = LabelStore(db)
    assert store.count_judgements() == 40
    # every stored answer of the first sitting is reused, none is asked for again; an answer in flight
    # at the kill is either stored (and reused) or was never confirmed to the person (and is asked again)
    stored_first = sum(j.annotator == "first sitting" for j in store.judgements(include_retracted=True))
    assert asked_first <= stored_first <= asked_first + person.unconfirmed
    assert stored_first + len(again.answered) == 40, (asked_first, stored_first, len(again.answered))
