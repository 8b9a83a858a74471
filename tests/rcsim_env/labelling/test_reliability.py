"""``rcsim label serve`` as a real process over real HTTP: SIGKILL mid-session, 20 concurrent annotators."""

import signal
import threading
import time
from collections import Counter

from rcsim_env.labelling.client import LabelClient, LabelClientError
from rcsim_env.labelling.store import LabelStore

from .conftest import free_port, write_pairs_file


def _annotate_until_stopped(url, name, successes, unknown, stop):
    """Answer pairs as ``name`` until ``stop`` is set or the server dies; record what the server confirmed."""
    client = LabelClient(url, timeout=5)
    try:
        client.set_annotator(name)
        item = client.next_item()
        count = 0
        while item is not None and not stop.is_set():
            client_id = f"{name}-{count}"
            score = float(count % 6)
            try:
                reply = client.answer(item["pair_id"], score=score, client_id=client_id)
            except (OSError, LabelClientError):
                unknown.append((client_id, item["pair_id"], score, client))  # sent, fate unknown
                return
            successes.append((client_id, item["pair_id"], score))
            item = reply["item"]
            count += 1
    except OSError:
        return


def test_sigkill_mid_session_loses_no_committed_judgement(tmp_path, serve_process):
    pairs = write_pairs_file(tmp_path / "pairs.jsonl", 2000)
    db = tmp_path / "labels.sqlite"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = serve_process(pairs, db, port)
    successes, unknown, stop = [], [], threading.Event()
    threads = [
        threading.Thread(target=_annotate_until_stopped, args=(url, f"ann{i}", successes, unknown, stop))
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(successes) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)  # mid-session: answers are in flight
    server.wait(timeout=30)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    # every annotator has given up on the dead server before it restarts: a thread still retrying
    # could post to the restarted one and make the counts below wrong
    assert not any(thread.is_alive() for thread in threads), "an annotator thread outlived the killed server"
    confirmed = list(successes)
    assert len(confirmed) >= 150, "the annotators did not get going before the kill"

    restarted = serve_process(pairs, db, port)  # same database, same port
    store = LabelStore(db)
    rows = {j.client_id: j for j in store.judgements(include_retracted=True)}
    lost = [c for c in confirmed if c[0] not in rows]
    wrong = [c for c in confirmed if c[0] in rows and (rows[c[0]].pair_id, rows[c[0]].score) != (c[1], c[2])]
    in_flight_committed = len(rows) - len(confirmed)
    assert lost == [] and wrong == []
    assert 0 <= in_flight_committed <= len(unknown)

    # After the restart, a client retries what it had in flight with the same client_id: stored exactly once.
    for client_id, pair_id, score, client in unknown:
        reply = client.answer(pair_id, score=score, client_id=client_id)  # the old session cookie still works
        assert reply["judgement"]["pair_id"] == pair_id
    store.close_thread_connection()
    after = store.judgements(include_retracted=True)
    counts = Counter(j.client_id for j in after)
    assert len(after) == len(confirmed) + len(unknown) and max(counts.values()) == 1
    print(
        f"\nSIGKILL test: {len(confirmed)} judgements confirmed before the kill, {len(unknown)} in flight "
        f"({in_flight_committed} of them committed); after restart {len(rows)} rows, {len(lost)} lost; "
        f"after retrying the in-flight ones {len(after)} rows, no duplicates"
    )
    restarted.kill()


def test_twenty_concurrent_annotators_leave_exactly_two_thousand_rows(tmp_path, serve_process):
    pairs = write_pairs_file(tmp_path / "pairs.jsonl", 100)
    db = tmp_path / "labels.sqlite"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    serve_process(pairs, db, port)
    errors, finished = [], []
    barrier = threading.Barrier(20)

    def annotate(index):
        name = f"annotator-{index:02d}"
        try:
            client = LabelClient(url, timeout=30)
            client.set_annotator(name)
            item = client.next_item()
            barrier.wait(timeout=60)
            answered = 0
            while item is not None:
                item = client.answer(item["pair_id"], score=float((index + answered) % 6))["item"]
                answered += 1
            finished.append((name, answered))
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(f"{name}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=annotate, args=(i,)) for i in range(20)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    seconds = time.perf_counter() - started
    assert errors == []
    assert sorted(finished) == [(f"annotator-{i:02d}", 100) for i in range(20)]

    store = LabelStore(db)
    rows = store.judgements(include_retracted=True)
    assert len(rows) == 2000
    assert len({(j.annotator, j.pair_id) for j in rows}) == 2000  # no duplicates
    assert len({j.client_id for j in rows}) == 2000
    assert Counter(j.annotator for j in rows) == {f"annotator-{i:02d}": 100 for i in range(20)}
    assert not any(j.retracted or j.skipped for j in rows)
    print(f"\n20 annotators x 100 judgements over HTTP: {len(rows)} rows, 0 duplicates, {seconds:.1f} s")


def test_serve_stops_cleanly_on_sigterm(tmp_path, serve_process):
    pairs = write_pairs_file(tmp_path / "pairs.jsonl", 3)
    port = free_port()
    server = serve_process(pairs, tmp_path / "labels.sqlite", port)
    client = LabelClient(f"http://127.0.0.1:{port}/")
    client.set_annotator("ann")
    client.answer(client.next_item()["pair_id"], score=3)
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert f"open http://127.0.0.1:{port}/ in a browser" in output
    assert "stopped; 1 judgements in" in output
