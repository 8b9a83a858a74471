"""The SQLite label store: schema, durability settings, judgements, undo, the live queue, threads."""

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import InvalidLabelError
from rcsim_env.labelling.store import (
    SCHEMA_VERSION,
    AlreadyJudgedError,
    InvalidAnnotatorError,
    InvalidIdError,
    LabelStore,
    LabelStoreError,
    LabelStoreFormatError,
    UnknownItemError,
    validate_annotator,
)


def test_a_new_store_is_wal_with_full_sync_and_a_schema_version(tmp_path):
    store = LabelStore(tmp_path / "sub" / "labels.sqlite")
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("synchronous") == 2  # FULL
    assert store.schema_version == SCHEMA_VERSION == 1
    raw = sqlite3.connect(tmp_path / "sub" / "labels.sqlite")
    assert raw.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"pairs", "judgements", "sessions", "requests", "schema_version"} <= tables


def test_reopening_keeps_everything(tmp_path):
    path = tmp_path / "labels.sqlite"
    first = LabelStore(path)
    (pair_id,) = first.add_pairs([ScoredPair("a", "b", 2.0, "f:1")])
    first.record_judgement(pair_id, "ann", 3)
    first.close()
    again = LabelStore(path)
    assert [(j.annotator, j.score) for j in again.judgements()] == [("ann", 3.0)]
    assert again.pair(pair_id).gold == 2.0


def test_files_that_are_not_label_stores_are_refused(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("hello, this is not a database at all" * 100)
    with pytest.raises(LabelStoreFormatError, match="notes.sqlite"):
        LabelStore(text)
    other = tmp_path / "other.sqlite"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE things (x)")
    connection.commit()
    connection.close()
    with pytest.raises(LabelStoreFormatError, match="not an rcsim label store"):
        LabelStore(other)
    with pytest.raises(LabelStoreFormatError, match="is a folder"):
        LabelStore(tmp_path)


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "labels.sqlite"
    LabelStore(path).close()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE schema_version SET version = 99")
    connection.commit()
    connection.close()
    with pytest.raises(LabelStoreFormatError, match="schema version 99"):
        LabelStore(path)


def test_pairs_are_stored_once_in_labelling_order(store):
    ids = store.add_pairs([ScoredPair("a", "b", 1.0, "f:1"), ScoredPair("c", "d", None, "f:2")])
    assert ids == [1, 2]
    assert store.add_pairs([ScoredPair("c", "d", 4.0, "g:9"), ScoredPair("e", "f", None, "g:10")]) == [2, 3]
    assert [p.id for p in store.pairs(task_only=True)] == [1, 2, 3]
    assert store.pair(2).gold == 4.0  # filled in because it had none
    assert store.pair(1).gold == 1.0
    live = store.add_pair("x", "y")
    assert store.task_size() == 3 and not store.pair(live).in_task
    assert store.find_pair("x", "y").id == live and store.find_pair("y", "x") is None
    with pytest.raises(ValueError, match="empty"):
        store.add_pairs([ScoredPair("", "b", None, "bad")])
    with pytest.raises(ValueError, match="finite"):
        store.add_pairs([ScoredPair("a", "z", float("nan"), "bad")])
    with pytest.raises(UnknownItemError, match="no pair with id 99"):
        store.pair(99)


def test_record_validates_scores_and_ids(task_store):
    for bad, message in [
        (float("nan"), "NaN"),
        (5.5, "5.5, outside"),
        (-1, "-1.0, outside"),
        ("3", "str: '3'"),
        (True, "bool"),
        (float("inf"), "inf"),
    ]:
        with pytest.raises(InvalidLabelError, match=message):
            task_store.record_judgement(1, "ann", bad)
    with pytest.raises(LabelStoreError, match="needs a score"):
        task_store.record_judgement(1, "ann")
    with pytest.raises(LabelStoreError, match="carries no score"):
        task_store.record_judgement(1, "ann", 3, skipped=True)
    with pytest.raises(UnknownItemError, match="no pair with id 77"):
        task_store.record_judgement(77, "ann", 3)
    with pytest.raises(InvalidIdError, match="positive integer"):
        task_store.record_judgement("one", "ann", 3)
    with pytest.raises(InvalidAnnotatorError, match="empty"):
        task_store.record_judgement(1, "  ", 3)
    assert task_store.count_judgements() == 0


def test_client_ids_make_retries_idempotent(task_store):
    first = task_store.record_judgement(1, "ann", 2, client_id="abc", origin="page")
    again = task_store.record_judgement(1, "ann", 2, client_id="abc", origin="page")
    assert not first.duplicate and again.duplicate
    assert again.judgement.id == first.judgement.id
    assert task_store.count_judgements() == 1
    with pytest.raises(LabelStoreError, match="already used for another judgement"):
        task_store.record_judgement(2, "ann", 2, client_id="abc", origin="page")


def test_a_page_answer_per_annotator_and_pair_until_undone(task_store):
    task_store.record_judgement(1, "ann", 4, origin="page")
    with pytest.raises(AlreadyJudgedError, match="undo it first"):
        task_store.record_judgement(1, "ann", 1, origin="page")
    task_store.record_judgement(1, "bob", 1, origin="page")  # another person: fine
    undone = task_store.undo_last("ann")
    assert undone.pair_id == 1 and undone.retracted and undone.score == 4.0
    second = task_store.record_judgement(1, "ann", 1, origin="page")
    assert second.judgement.score == 1.0
    everything = task_store.judgements(include_retracted=True)
    assert [(j.annotator, j.score, j.retracted) for j in everything] == [
        ("ann", 4.0, True),
        ("bob", 1.0, False),
        ("ann", 1.0, False),
    ]
    assert len(task_store.judgements()) == 2


def test_undo_walks_back_and_reopens_the_pair(task_store):
    assert task_store.undo_last("ann") is None
    task_store.record_judgement(1, "ann", 3, origin="page")
    task_store.record_judgement(2, "ann", skipped=True, origin="page")
    assert task_store.next_item("ann").pair.id == 3
    assert task_store.undo_last("ann").skipped
    assert task_store.next_item("ann").pair.id == 2
    assert task_store.undo_last("ann").score == 3.0
    assert task_store.next_item("ann").pair.id == 1
    assert task_store.undo_last("ann") is None
    assert task_store.count_judgements(include_retracted=True) == 2
    assert task_store.count_judgements(include_retracted=False) == 0


def test_every_annotator_walks_the_whole_labelling_set(task_store):
    for pair_id in range(1, 7):
        assert task_store.next_item("ann").pair.id == pair_id
        task_store.record_judgement(pair_id, "ann", 2, origin="page")
    assert task_store.next_item("ann") is None
    assert task_store.next_item("bob").pair.id == 1
    progress = task_store.progress("ann")
    assert progress["task_total"] == 6 and progress["task_done"] == 6 and progress["answered"] == 6
    assert task_store.progress("bob")["task_done"] == 0


def test_annotator_names_are_checked():
    assert validate_annotator("  Ann B. ") == "Ann B."
    for bad, message in [("", "empty"), ("x" * 65, "65 characters"), ("a\nb", "control"), (3, "text name")]:
        with pytest.raises(InvalidAnnotatorError, match=message):
            validate_annotator(bad)


def test_live_requests_are_leased_to_one_annotator_at_a_time(task_store):
    first = task_store.create_request(task_store.add_pair("live a", "live b"))
    second = task_store.create_request(task_store.add_pair("live c", "live d"))
    assert task_store.pending_count() == 2
    ann = task_store.next_item("ann", lease_seconds=60)
    bob = task_store.next_item("bob", lease_seconds=60)
    carol = task_store.next_item("carol", lease_seconds=60)
    assert (ann.request_id, bob.request_id) == (first, second)
    assert carol.request_id is None and carol.pair.id == 1  # nothing free: the labelling set
    assert task_store.next_item("ann", lease_seconds=60).request_id == first  # own lease renewed
    result = task_store.record_judgement(ann.pair.id, "ann", 4, request_id=first, origin="page")
    assert result.used and result.request_state == "answered"
    assert task_store.request(first).judgement_id == result.judgement.id
    assert task_store.pending_count() == 1


def test_an_expired_lease_passes_the_pair_on_and_the_first_answer_wins(task_store):
    request_id = task_store.create_request(task_store.add_pair("live a", "live b"))
    assert task_store.next_item("ann", lease_seconds=0.05).request_id == request_id
    assert task_store.next_item("bob", lease_seconds=60).request_id is None
    time.sleep(0.1)
    assert task_store.next_item("bob", lease_seconds=60).request_id == request_id
    pair_id = task_store.request(request_id).pair_id
    won = task_store.record_judgement(pair_id, "bob", 1, request_id=request_id, origin="page")
    late = task_store.record_judgement(pair_id, "ann", 2, request_id=request_id, origin="page")
    assert won.used and not late.used and late.request_state == "answered"
    assert task_store.request(request_id).judgement_id == won.judgement.id
    assert task_store.count_judgements() == 2  # the extra label is kept


def test_requests_time_out_and_late_answers_are_kept_but_unused(task_store):
    pair_id = task_store.add_pair("live a", "live b")
    request_id = task_store.create_request(pair_id)
    closed = task_store.close_request(request_id, "timed_out")
    assert closed.state == "timed_out" and task_store.pending_count() == 0
    assert task_store.next_item("ann").request_id is None
    late = task_store.record_judgement(pair_id, "ann", 3, request_id=request_id, origin="page")
    assert not late.used and late.request_state == "timed_out"
    answered = task_store.create_request(pair_id)
    task_store.record_judgement(pair_id, "ann", 5, request_id=answered, origin="page")
    assert task_store.close_request(answered, "timed_out").state == "answered"  # the answer came first
    with pytest.raises(UnknownItemError, match="request 2 is for pair"):
        task_store.record_judgement(1, "ann", 3, request_id=answered)
    with pytest.raises(ValueError, match="timed_out or cancelled"):
        task_store.close_request(answered, "answered")


def test_cancel_pending_requests(task_store):
    for text in ("p", "q", "r"):
        task_store.create_request(task_store.add_pair(text, text + "!"))
    assert task_store.cancel_pending_requests() == 3
    assert task_store.pending_count() == 0


def test_each_thread_gets_its_own_connection(task_store):
    mine = task_store.connection()
    seen = {}

    def work():
        seen["connection"] = task_store.connection()
        try:
            mine.execute("SELECT 1")
        except sqlite3.ProgrammingError as exc:
            seen["error"] = str(exc)
        task_store.close_thread_connection()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen["connection"] is not mine
    assert "thread" in seen["error"]


def test_concurrent_writers_lose_nothing(task_store):
    def annotate(name):
        for pair_id in range(1, 7):
            task_store.record_judgement(
                pair_id, name, pair_id % 6, client_id=f"{name}-{pair_id}", origin="page"
            )
            task_store.record_judgement(
                pair_id, name, pair_id % 6, client_id=f"{name}-{pair_id}", origin="page"
            )
        task_store.close_thread_connection()

    threads = [threading.Thread(target=annotate, args=(f"ann{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = task_store.judgements()
    assert len(rows) == 48
    assert len({(j.annotator, j.pair_id) for j in rows}) == 48


def test_a_committed_judgement_survives_sigkill_of_the_writer(tmp_path):
    path = tmp_path / "labels.sqlite"
    script = textwrap.dedent(
        f"""
        import os, signal
        from rcsim_env.labelling.store import LabelStore
        store = LabelStore({str(path)!r})
        pair = store.add_pair("killed a", "killed b")
        store.record_judgement(pair, "ann", 4.0)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    assert [(j.annotator, j.score) for j in LabelStore(path).judgements()] == [("ann", 4.0)]
