"""Resource limits: visits store nothing, sessions are pruned, and idle or slow connections hold no thread.

Families: cookieless and forged-cookie GETs (generated cookies, and 1,000 real GETs);
generated numbers of people starting to label under a session cap, and sessions past
their age; half-open connections of five kinds (silent, a request line, unfinished
headers, a short body, a byte trickle) in two numbers against a server with small
limits; and ``rcsim label serve`` with its default limits under a few hundred of them.
"""

import http.client
import selectors
import socket
import string
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.labelling.app import SESSION_COOKIE, create_app
from rcsim_env.labelling.client import LabelClient, wait_until_ready
from rcsim_env.labelling.server import LabellingServer
from rcsim_env.labelling.store import LabelStore

from .conftest import (
    ROOT,
    SAMPLE_PAIRS,
    free_port,
    process_environment,
    serve_command,
    stored_sessions,
    write_pairs_file,
)

COOKIE_CHARACTERS = string.ascii_letters + string.digits + "-_.~!$%&'()*+/:<>?@[]^`{|}"
COOKIES = st.none() | st.text(COOKIE_CHARACTERS, max_size=140)
FORGED = st.builds(  # the shape of a signed cookie, with a signature that is not ours
    lambda session_id, signature: f"{session_id}.{signature}",
    st.text(string.ascii_letters + string.digits + "-_", min_size=16, max_size=64),
    st.text(string.ascii_letters + string.digits + "-_", min_size=43, max_size=43),
)


@pytest.fixture(scope="module")
def visited():
    folder = tempfile.TemporaryDirectory()
    store = LabelStore(Path(folder.name) / "labels.sqlite")
    store.add_pairs(SAMPLE_PAIRS, task=True)
    yield create_app(store), store
    store.close()
    folder.cleanup()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cookie=COOKIES | FORGED, path=st.sampled_from(["/", "/api/session", "/api/progress"]))
def test_visits_with_any_cookie_store_nothing(visited, cookie, path):
    app, store = visited
    client = app.test_client()
    if cookie is not None:
        client.set_cookie(SESSION_COOKIE, cookie)
    response = client.get(path)
    assert response.status_code == 200
    assert stored_sessions(store) == 0
    forged = client.post("/api/session", json={"annotator": "x"}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403 and stored_sessions(store) == 0  # no CSRF token, no session


def test_a_thousand_cookieless_gets_write_nothing(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    store.add_pairs(SAMPLE_PAIRS, task=True)
    with LabellingServer(store, port=0).start() as server:
        wait_until_ready(server.url)
        files = sorted(tmp_path.glob("labels.sqlite*"))
        sizes = [path.stat().st_size for path in files]
        cookies = set()
        for index in range(1000):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", "/" if index % 2 else "/api/session")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            cookies.add(response.getheader("Set-Cookie").split(";")[0])
            connection.close()
        assert len(cookies) == 1000  # each visit got its own session cookie...
        assert stored_sessions(store) == 0  # ...and none of them is in the database
        assert sorted(tmp_path.glob("labels.sqlite*")) == files
        assert [path.stat().st_size for path in files] == sizes  # not a byte of WAL


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cap=st.integers(1, 6), people=st.integers(1, 15))
def test_sessions_are_stored_when_labelling_starts_and_capped(cap, people):
    with tempfile.TemporaryDirectory() as folder:
        store = LabelStore(Path(folder) / "labels.sqlite", max_sessions=cap)
        store.add_pairs(SAMPLE_PAIRS, task=True)
        app = create_app(store)
        browsers = []
        for index in range(people):
            client = app.test_client()
            csrf = client.get("/api/session").get_json()["csrf_token"]
            assert stored_sessions(store) == min(index, cap)  # opening the page stores nothing
            named = client.post(
                "/api/session", json={"annotator": f"p{index}"}, headers={"X-CSRF-Token": csrf}
            )
            assert named.status_code == 200
            browsers.append((client, csrf))
        assert stored_sessions(store) == min(people, cap)
        for index, (client, csrf) in enumerate(browsers):
            status = client.post("/api/next", json={}, headers={"X-CSRF-Token": csrf}).status_code
            kept = index >= people - cap  # the newest sessions are kept
            assert status == (200 if kept else 409)  # a pruned one is asked for the name again
        store.close()


def test_sessions_past_their_age_are_forgotten_and_deleted(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite", session_max_age=3600)
    store.add_pairs(SAMPLE_PAIRS, task=True)
    app = create_app(store)
    clients = []
    for name in ("old", "new"):
        client = app.test_client()
        csrf = client.get("/api/session").get_json()["csrf_token"]
        client.post("/api/session", json={"annotator": name}, headers={"X-CSRF-Token": csrf})
        clients.append((client, csrf))
    store.connection().execute("UPDATE sessions SET last_seen = last_seen - 7200 WHERE annotator = 'old'")
    (old, old_csrf), (new, new_csrf) = clients
    assert old.get("/api/session").get_json()["annotator"] is None  # forgotten at once
    assert new.get("/api/session").get_json()["annotator"] == "new"
    later = app.test_client()
    csrf = later.get("/api/session").get_json()["csrf_token"]
    later.post("/api/session", json={"annotator": "later"}, headers={"X-CSRF-Token": csrf})
    names = {row[0] for row in store.connection().execute("SELECT annotator FROM sessions")}
    assert names == {"new", "later"}  # and deleted when the next session is stored


# ---------------------------------------------------------------- half-open connections
def silent(connection: socket.socket) -> None:
    return None


def request_line(connection: socket.socket) -> None:
    connection.sendall(b"GET / HTTP/1.1\r\n")


def unfinished_headers(connection: socket.socket) -> None:
    connection.sendall(b"GET /api/progress HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")


def short_body(connection: socket.socket) -> None:
    connection.sendall(
        b"POST /api/next HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )


def trickle(connection: socket.socket) -> None:
    connection.sendall(b"G")  # and a byte more every 0.2 s (see below)


KINDS = {kind.__name__: kind for kind in (silent, request_line, unfinished_headers, short_body, trickle)}


def closed_by_server(connections: list[socket.socket], within: float) -> int:
    """How many of ``connections`` the server closes within ``within`` seconds (answers are read, dropped)."""
    open_ones = {connection.fileno(): connection for connection in connections}
    closed = 0
    with selectors.DefaultSelector() as selector:
        for connection in connections:
            connection.setblocking(False)
            selector.register(connection, selectors.EVENT_READ)
        deadline = time.monotonic() + within
        while open_ones and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(deadline - time.monotonic(), 0)):
                connection = key.fileobj
                try:
                    ended = connection.recv(65536) == b""
                except BlockingIOError:
                    continue
                except OSError:  # reset by the server
                    ended = True
                if ended:
                    selector.unregister(connection)
                    del open_ones[connection.fileno()]
                    closed += 1
    return closed


@pytest.mark.parametrize("count", [60, 250])
@pytest.mark.parametrize("kind", KINDS)
def test_half_open_connections_hold_no_thread_and_time_out(tmp_path, kind, count):
    from rcsim_env.labelling.bounded_server import ServerLimits

    limits = ServerLimits(max_threads=4, request_seconds=1.0, idle_seconds=1.5, max_waiting=300)
    store = LabelStore(tmp_path / "labels.sqlite")
    store.add_pairs(SAMPLE_PAIRS, task=True)
    stop = threading.Event()
    attackers: list[socket.socket] = []

    def feed() -> None:  # the trickle: one byte per connection every 0.2 s
        while kind == "trickle" and not stop.wait(0.2):
            for connection in list(attackers):
                try:
                    connection.send(b"E")
                except OSError:
                    pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    peak = []
    with LabellingServer(store, port=0, limits=limits).start() as server:
        wait_until_ready(server.url)
        baseline = threading.active_count()

        def watch() -> None:
            while not stop.wait(0.01):
                peak.append(threading.active_count())

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            for _ in range(count):
                connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                KINDS[kind](connection)
                attackers.append(connection)
            time.sleep(0.3)
            started = time.monotonic()
            assert LabelClient(server.url, timeout=20).progress()["task_total"] == 6  # a normal client
            answered_in = time.monotonic() - started
            closed = closed_by_server(attackers, within=6.0)
        finally:
            stop.set()
            for connection in attackers:
                connection.close()
            watcher.join(timeout=10)
    bound = baseline + limits.max_threads + 1  # the watcher thread
    assert max(peak) <= bound, f"{max(peak)} threads with {count} {kind} connections (bound {bound})"
    assert answered_in < 6.0, f"a normal client waited {answered_in:.1f} s"
    assert closed == count, f"the server closed {closed} of {count} {kind} connections"


DOCUMENTED_MAX_THREADS = 32  # rcsim label serve's request threads (see bounded_server's docstring)


def test_serve_with_default_limits_keeps_its_threads_under_a_flood(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        serve_command(tmp_path / "labels.sqlite", write_pairs_file(tmp_path / "pairs.jsonl", 5), port),
        cwd=ROOT,
        env=process_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    connections = []
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/", timeout=60)
        for index in range(300):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            if index % 10 == 0:
                request_line(connection)  # 30 of them hold a thread until their time is up
            connections.append(connection)
        time.sleep(1.0)
        threads = int(
            next(
                line.split()[1]
                for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                if line.startswith("Threads:")
            )
        )
        started = time.monotonic()
        assert LabelClient(f"http://127.0.0.1:{port}/", timeout=30).progress()["task_total"] > 0
        assert time.monotonic() - started < 3.0
        # request threads, plus the main, accepting and dispatching threads and one spare
        assert threads <= DOCUMENTED_MAX_THREADS + 4, f"{threads} threads for 300 idle connections"
        from rcsim_env.labelling.bounded_server import DEFAULT_LIMITS

        assert DEFAULT_LIMITS.max_threads == DOCUMENTED_MAX_THREADS
    finally:
        for connection in connections:
            connection.close()
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()
