"""Human oracles: the web oracle inside a real environment step answered over HTTP, timeouts, the terminal."""

import io
import math
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs.similarity import SentenceSimilarityEnv, score_to_action
from rcsim_env.labelling.client import LabelClient, wait_until_ready
from rcsim_env.labelling.store import LabelStore, LabelStoreDamagedError, LabelStoreUnavailableError
from rcsim_env.oracles import Oracle
from rcsim_env.oracles.human import OracleInputClosedError, TerminalHumanOracle, WebHumanOracle
from tests.rcsim_env.labelling.conftest import (
    ROOT,
    obey_file_permissions,
    shared_folder,
    write_lock_held_by_another_process,
)

PAIRS = [
    ScoredPair("A man is playing a guitar.", "A man plays the guitar.", 4.8, "h:1"),
    ScoredPair("A woman is slicing an onion.", "A dog runs in the park.", 0.2, "h:2"),
    ScoredPair("Two children read a book.", "Two kids are reading.", 3.6, "h:3"),
]
ANSWERS = {PAIRS[0].sentence_a: 5.0, PAIRS[1].sentence_a: 0.0, PAIRS[2].sentence_a: 3.0}


@pytest.fixture
def web_oracle(tmp_path):
    oracle = WebHumanOracle.serve(
        LabelStore(tmp_path / "labels.sqlite"), port=0, timeout=60, poll_interval=0.05
    )
    wait_until_ready(oracle.server.url)
    yield oracle
    oracle.close()


class Annotator(threading.Thread):
    """A person at the page: polls for pairs over HTTP and answers with ``choose(item)`` (None = skip)."""

    def __init__(self, url, name, choose, answers=1):
        super().__init__(daemon=True)
        self.client = LabelClient(url)
        self.client.set_annotator(name)
        self.choose, self.left, self.seen, self.error = choose, answers, [], None

    def run(self):
        try:
            deadline = time.monotonic() + 60
            while self.left and time.monotonic() < deadline:
                item = self.client.next_item()
                if item is None:
                    time.sleep(0.02)
                    continue
                score = self.choose(item)
                self.client.answer(
                    item["pair_id"], score=score, skip=score is None, request_id=item["request_id"]
                )
                self.seen.append(item)
                self.left -= 1
        except Exception as exc:  # noqa: BLE001  (checked by the test)
            self.error = exc


def test_the_web_oracle_is_a_nondeterministic_oracle(web_oracle):
    assert isinstance(web_oracle, Oracle) and web_oracle.nondeterministic is True
    assert TerminalHumanOracle.nondeterministic is True
    with pytest.raises(ValueError, match="timeout must be"):
        WebHumanOracle(web_oracle.store, timeout=0)


def test_an_environment_step_waits_for_the_person_on_the_page(web_oracle):
    env = SentenceSimilarityEnv(pairs=PAIRS, oracle=web_oracle, episode_length=3, skip_reward=-0.25)
    observation, _ = env.reset(seed=0)
    person = Annotator(web_oracle.server.url, "ann", lambda item: ANSWERS[item["sentence_a"]], answers=3)
    person.start()
    for _ in range(3):
        shown = observation["sentence_a"]
        observation, reward, terminated, truncated, info = env.step(score_to_action(2.5))
        assert info["oracle_score"] == ANSWERS[shown] and info["skipped"] is False
        assert reward == pytest.approx(-(((2.5 - ANSWERS[shown]) / 5) ** 2))
        # committed before judge returned: a fresh connection sees the row and the answered request
        committed = LabelStore(web_oracle.store.path)
        last = web_oracle.last
        assert committed.judgement(last.judgement.id).score == ANSWERS[shown]
        assert committed.request(last.request_id).state == "answered"
        committed.close()
    person.join(timeout=10)
    assert person.error is None and truncated
    assert sorted(item["sentence_a"] for item in person.seen) == sorted(ANSWERS)  # each pair shown once


def test_a_skip_on_the_page_is_a_skip_in_the_environment(web_oracle):
    env = SentenceSimilarityEnv(pairs=PAIRS, oracle=web_oracle, episode_length=3, skip_reward=-0.25)
    env.reset(seed=0)
    person = Annotator(web_oracle.server.url, "ann", lambda item: None)
    person.start()
    _, reward, _, _, info = env.step(score_to_action(4.0))
    person.join(timeout=10)
    assert info["skipped"] is True and math.isnan(info["oracle_score"]) and reward == -0.25
    assert web_oracle.last.outcome == "skipped" and web_oracle.last.judgement.skipped


def test_a_timeout_is_a_skip_with_the_skip_reward(tmp_path):
    oracle = WebHumanOracle(LabelStore(tmp_path / "labels.sqlite"), timeout=0.3, poll_interval=0.05)
    env = SentenceSimilarityEnv(pairs=PAIRS, oracle=oracle, episode_length=3, skip_reward=-0.125)
    env.reset(seed=0)
    started = time.monotonic()
    _, reward, _, _, info = env.step(score_to_action(1.0))
    waited = time.monotonic() - started
    assert 0.3 <= waited < 3.0
    assert reward == -0.125 and info["skipped"] is True and math.isnan(info["oracle_score"])
    assert oracle.last.outcome == "timed_out"
    request = oracle.store.request(oracle.last.request_id)
    assert request.state == "timed_out" and oracle.store.pending_count() == 0
    late = oracle.store.record_judgement(request.pair_id, "ann", 4, request_id=request.id, origin="page")
    assert late.used is False and late.request_state == "timed_out"  # kept, but the agent never saw it


def test_several_annotators_are_served_at_once_one_pair_each(web_oracle):
    results = {}

    def ask(pair):
        results[pair.pair_id] = web_oracle.judge(pair.sentence_a, pair.sentence_b)

    askers = [threading.Thread(target=ask, args=(pair,)) for pair in PAIRS[:2]]
    for asker in askers:
        asker.start()
    deadline = time.monotonic() + 10
    while web_oracle.store.pending_count() < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    ann, bob = LabelClient(web_oracle.server.url), LabelClient(web_oracle.server.url)
    ann.set_annotator("ann")
    bob.set_annotator("bob")
    first, second = ann.next_item(), bob.next_item()
    assert first["request_id"] != second["request_id"]  # each pending pair is with one person
    assert ann.next_item() == first  # and stays with them
    ann.answer(first["pair_id"], score=ANSWERS[first["sentence_a"]], request_id=first["request_id"])
    bob.answer(second["pair_id"], score=ANSWERS[second["sentence_a"]], request_id=second["request_id"])
    for asker in askers:
        asker.join(timeout=10)
    assert results == {"h:1": 5.0, "h:2": 0.0}
    answered_by = {
        web_oracle.store.judgement(web_oracle.store.request(r).judgement_id).annotator for r in (1, 2)
    }
    assert answered_by == {"ann", "bob"}


def test_an_expired_lease_hands_the_pair_to_someone_else(tmp_path):
    oracle = WebHumanOracle.serve(
        LabelStore(tmp_path / "labels.sqlite"), port=0, timeout=30, lease_seconds=0.3, poll_interval=0.05
    )
    try:
        result = []
        asker = threading.Thread(target=lambda: result.append(oracle.judge("x is here", "y is there")))
        asker.start()
        ann, bob = LabelClient(oracle.server.url), LabelClient(oracle.server.url)
        ann.set_annotator("ann")
        bob.set_annotator("bob")
        item = None
        while item is None:
            item = ann.next_item()  # ann takes it and walks away
        assert bob.next_item() is None
        time.sleep(0.4)
        handed = bob.next_item()
        assert handed["request_id"] == item["request_id"]
        bob.answer(handed["pair_id"], score=2, request_id=handed["request_id"])
        asker.join(timeout=10)
        assert result == [2.0]
    finally:
        oracle.close()


def test_a_new_oracle_cancels_requests_nobody_waits_for(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    store.create_request(store.add_pair("left", "behind"))
    oracle = WebHumanOracle(store)
    assert oracle.cancelled_at_start == 1 and store.pending_count() == 0


def _terminal(text, store=None):
    output = io.StringIO()
    return TerminalHumanOracle(input=io.StringIO(text), output=output, store=store, annotator="tim"), output


def test_the_terminal_oracle_reads_keys_and_refuses_others():
    oracle, output = _terminal("7\nx\n?\n3\ns\n")
    assert oracle.judge("A cat sleeps.", "A cat is sleeping.") == 3.0
    text = output.getvalue()
    assert "A: A cat sleeps." in text and "B: A cat is sleeping." in text
    assert "'7' is not an answer" in text and "'x' is not an answer" in text
    assert "completely equivalent" in text  # the ? key printed the guidelines
    assert oracle.judge("One.", "Two.") is None and oracle.last.outcome == "skipped"
    with pytest.raises(OracleInputClosedError, match="input ended"):
        oracle.judge("Three.", "Four.")


def test_terminal_undo_keeps_the_old_answer_retracted_and_stores_a_correction(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    oracle, output = _terminal("2\nu\n9\n4\n5\n", store)
    assert oracle.judge("First a.", "First b.") == 2.0
    assert oracle.judge("Second a.", "Second b.") == 5.0  # the correction is not what judge returns
    assert "The agent already used it" in output.getvalue() and "'9' is not a correction" in output.getvalue()
    rows = store.judgements(include_retracted=True)
    assert [(store.pair(j.pair_id).sentence_a, j.score, j.retracted, j.origin) for j in rows] == [
        ("First a.", 2.0, True, "terminal"),
        ("First a.", 4.0, False, "terminal"),
        ("Second a.", 5.0, False, "terminal"),
    ]
    first_request = store.request(rows[0].request_id)
    assert first_request.state == "answered" and first_request.judgement_id == rows[0].id
    assert rows[1].request_id == first_request.id


def test_the_terminal_oracle_cancels_its_request_when_input_ends(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    oracle, _ = _terminal("", store)
    with pytest.raises(OracleInputClosedError):
        oracle.judge("a", "b")
    assert store.pending_count() == 0 and store.request(1).state == "cancelled"
    with_undo, output = _terminal("u\n1\n")
    assert with_undo.judge("a", "b") == 1.0 and "nothing to undo yet" in output.getvalue()


# ---------------------------------------------------------------- a store the page cannot use
SERVE_AND_REPORT = """
import sys
from rcsim_env.oracles.human import WebHumanOracle
try:
    WebHumanOracle.serve(sys.argv[1], port=0).close()
except Exception as exc:
    print(type(exc).__name__, exc)
else:
    print("served")
"""


def _serve_obeying_permissions(path):
    """``WebHumanOracle.serve(path)`` in a process obeying file permissions (even as root); what it said."""
    finished = subprocess.run(
        [sys.executable, "-c", SERVE_AND_REPORT, str(path)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
        preexec_fn=obey_file_permissions,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in finished.stderr, finished.stderr
    return finished.stdout.strip()


@pytest.mark.parametrize("cause", ["read-only file", "read-only folder", "locked", "garbage", "truncated"])
def test_the_web_oracle_will_not_serve_a_store_it_cannot_write(cause):
    folder = shared_folder()
    path = folder / "labels.sqlite"
    store = LabelStore(path)
    store.add_pairs(PAIRS)
    store.close()
    try:
        if cause in ("read-only file", "read-only folder"):
            (path if cause == "read-only file" else folder).chmod(0o555)
            said = _serve_obeying_permissions(path)
            assert said.startswith("LabelStoreUnavailableError") and str(path) in said, said
            assert "read-only" in said or "cannot be written" in said
        elif cause == "locked":
            with write_lock_held_by_another_process(path):
                with pytest.raises(LabelStoreUnavailableError, match="locked by another program") as refused:
                    WebHumanOracle.serve(LabelStore(path, busy_timeout=0.3), port=0)
            assert str(path) in str(refused.value)
        else:
            data = path.read_bytes()
            path.write_bytes(bytes(range(256)) * 8 if cause == "garbage" else data[: len(data) // 3])
            with pytest.raises(LabelStoreDamagedError, match="Restore it from a backup") as refused:
                WebHumanOracle.serve(path, port=0)
            assert str(path) in str(refused.value)
    finally:
        for item in [folder, *folder.iterdir()]:
            item.chmod(0o755)
        shutil.rmtree(folder)
