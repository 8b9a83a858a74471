"""A label store that cannot be written, or is damaged, is named with what to do: never a bare 500.

Families: ``rcsim label serve`` started on a read-only file, a read-only folder, a file
locked by another process, a full disk (a file-size limit), and damaged files; causes
arising while the server runs (a lock held by another process, a disk that fills: each
write endpoint answers 503 with the reason, nothing is stored, and the same request
succeeds once the cause is gone); generated garbage and truncated files opened as stores.
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.labelling.client import LabelClient, wait_until_ready
from rcsim_env.labelling.store import LabelStore

from .conftest import (
    ROOT,
    SAMPLE_PAIRS,
    free_port,
    obey_file_permissions,
    process_environment,
    serve_command,
    shared_folder,
    stored_sessions,
    write_lock_held_by_another_process,
    write_pairs_file,
)

WHAT_TO_DO = "Restore it from a backup"


@pytest.fixture
def folder():
    """A folder a permission-obeying subprocess can use; made writable again and removed at the end."""
    path = shared_folder()
    yield path
    for item in [path, *path.iterdir()]:
        item.chmod(0o755)
    shutil.rmtree(path)


def made_store(path: Path, judged: int = 2) -> Path:
    """A label store at ``path`` holding the sample pairs and ``judged`` answers."""
    store = LabelStore(path)
    store.add_pairs(SAMPLE_PAIRS, task=True)
    for pair_id in range(1, judged + 1):
        store.record_judgement(pair_id, "ann", 3)
    store.close()
    return path


def limit_file_size(size: int):
    """``preexec_fn``: files may not grow past ``size`` bytes (a full disk); SIGXFSZ is ignored."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def run_serve(db: Path, pairs: Path, preexec=None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``rcsim label serve`` that must refuse to start: its finished process (stdout and stderr as text)."""
    return subprocess.run(
        serve_command(db, pairs, free_port()),
        cwd=ROOT,
        env=process_environment(),
        preexec_fn=preexec,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ---------------------------------------------------------------- refused at start
def read_only_file(db: Path):
    db.chmod(0o444)
    return obey_file_permissions, "is read-only"


def read_only_folder(db: Path):
    db.parent.chmod(0o555)
    return obey_file_permissions, "folder"


def full_disk(db: Path):
    return limit_file_size(4096), "the disk refused the write"


START_CAUSES = {
    "read-only file": read_only_file,
    "read-only folder": read_only_folder,
    "full disk": full_disk,
}


@pytest.mark.parametrize("cause", [*START_CAUSES, "locked by another process"])
def test_serve_refuses_to_start_on_a_store_it_cannot_write(folder, cause):
    db = made_store(folder / "labels.sqlite")
    pairs = write_pairs_file(folder / "pairs.jsonl", 3)
    if cause == "locked by another process":
        started = time.monotonic()
        with write_lock_held_by_another_process(db):
            finished = run_serve(db, pairs)
        assert time.monotonic() - started < 30  # SQLite's lock wait is a few seconds, not forever
        expected = "locked by another program"
    else:
        preexec, expected = START_CAUSES[cause](db)
        finished = run_serve(db, pairs, preexec)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert str(db) in finished.stderr and expected in finished.stderr, output
    assert "Traceback" not in output and "open http://" not in output


def garbage(db: Path) -> None:
    db.write_bytes(bytes(range(256)) * 40)


def truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])


def text_file(db: Path) -> None:
    db.write_text("sentence_a,sentence_b\nnot,a database\n" * 200, encoding="utf-8")


def zeroed_pages(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[4096:12288] = bytes(8192)
    db.write_bytes(bytes(data))


def sqlite_header_then_garbage(db: Path) -> None:
    db.write_bytes(b"SQLite format 3\x00" + bytes(reversed(range(256))) * 32)


DAMAGE = {f.__name__: f for f in (garbage, truncated, text_file, zeroed_pages, sqlite_header_then_garbage)}


@pytest.mark.parametrize("damage", DAMAGE)
def test_serve_on_a_damaged_store_names_the_file_and_what_to_do(folder, damage):
    db = made_store(folder / "labels.sqlite", judged=6)
    DAMAGE[damage](db)
    finished = run_serve(db, write_pairs_file(folder / "pairs.jsonl", 3))
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert str(db) in finished.stderr and "not a usable label store" in finished.stderr, output
    assert WHAT_TO_DO in finished.stderr and "Traceback" not in output


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.binary(min_size=1, max_size=6000)
    | st.builds(lambda tail: b"SQLite format 3\x00" + tail, st.binary(max_size=6000))
)
def test_garbage_files_are_refused_as_damaged_naming_the_file(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.sqlite"
        path.write_bytes(content)
        with pytest.raises(Exception) as refused:
            LabelStore(path).judgements()
        assert type(refused.value).__name__ == "LabelStoreDamagedError", repr(refused.value)
        assert str(path) in str(refused.value) and WHAT_TO_DO in str(refused.value)


@pytest.fixture(scope="module")
def intact_store_bytes():
    with tempfile.TemporaryDirectory() as folder:
        yield made_store(Path(folder) / "labels.sqlite", judged=6).read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncated_stores_are_refused_or_read_whole(intact_store_bytes, data):
    cut = data.draw(st.integers(1, len(intact_store_bytes) - 1), label="cut")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.sqlite"
        path.write_bytes(intact_store_bytes[:cut])
        try:
            store = LabelStore(path)
            answers = [(j.pair_id, j.score) for j in store.judgements()]
        except Exception as exc:  # noqa: BLE001  (checked: only the damaged-store error may come out)
            assert type(exc).__name__ == "LabelStoreDamagedError", repr(exc)
            assert str(path) in str(exc) and WHAT_TO_DO in str(exc)
        else:  # SQLite did not need the cut-off end (free pages): everything is still there
            assert answers == [(pair_id, 3.0) for pair_id in range(1, 7)]


# ---------------------------------------------------------------- failing while the server runs
class Visitor:
    """A page session over real HTTP that records the raw status and JSON of each request."""

    def __init__(self, url: str):
        self.client = LabelClient(url, timeout=30)

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        return self.client.request("POST", path, body)


def writes_while_broken(url: str) -> list[tuple[str, Visitor, str, dict]]:
    """One of each write the page makes, set up while the store works: (name, visitor, path, body)."""
    ann = Visitor(url)
    ann.client.set_annotator("ann")
    ann.client.answer(ann.client.next_item()["pair_id"], score=4, client_id="before")
    newcomer = Visitor(url)
    newcomer.client.open_session()
    return [
        ("start labelling", newcomer, "/api/session", {"annotator": "bob"}),
        ("next pair", ann, "/api/next", {}),
        ("answer", ann, "/api/judgements", {"pair_id": 2, "score": 1, "client_id": "during"}),
        ("undo", ann, "/api/undo", {}),
    ]


def check_refused_then_retried(
    url: str, db: Path, break_store, repair_store, reason: str, needs_no_write: tuple[str, ...] = ()
) -> None:
    """Every write answers 503 naming the file and ``reason`` while broken, stores nothing, and works after.

    ``needs_no_write``: requests that write nothing with this cause (they may succeed).
    """
    writes = [write for write in writes_while_broken(url) if write[0] not in needs_no_write]
    before = LabelStore(db)
    rows = (
        before.count_judgements(),
        before.count_judgements(include_retracted=False),
        stored_sessions(before),
    )
    before.close()
    break_store()
    try:
        for name, visitor, path, body in writes:
            status, payload = visitor.post(path, body)
            assert status == 503, (name, status, payload)
            assert str(db) in payload["error"] and reason in payload["error"], (name, payload)
    finally:
        repair_store()
    after = LabelStore(db)
    assert (
        after.count_judgements(),
        after.count_judgements(include_retracted=False),
        stored_sessions(after),
    ) == rows
    after.close()
    for name, visitor, path, body in writes:  # the person retries: now it is stored, once
        status, payload = visitor.post(path, body)
        assert status in (200, 201), (name, status, payload)
    final = LabelStore(db)
    assert [j.client_id for j in final.judgements(include_retracted=True)] == ["before", "during"]
    assert final.judgement(2).retracted and final.session_count() == rows[2] + 1
    final.close()


@pytest.fixture
def served(folder):
    """``rcsim label serve`` as a subprocess whose file-size limit the test can lower (a full disk).

    (A file made read-only while the server runs is no failure: SQLite keeps writing through
    the file it opened, as the system allows. Read-only files are refused at start.)
    """
    db = made_store(folder / "labels.sqlite", judged=0)
    port = free_port()
    process = subprocess.Popen(
        serve_command(db, None, port),
        cwd=ROOT,
        env=process_environment(),
        preexec_fn=limit_file_size(resource.RLIM_INFINITY),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_ready(url, timeout=60)
        yield url, db, process
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()


def test_a_disk_that_fills_while_serving_gives_503_then_the_retry_is_saved(served):
    url, db, process = served

    unlimited = resource.RLIM_INFINITY

    def fill() -> None:  # the write-ahead log, where every commit is appended, may not grow any more
        size = db.with_name(db.name + "-wal").stat().st_size
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (size, unlimited))  # the soft limit

    def free() -> None:
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (unlimited, unlimited))

    # with no live request, asking for the next pair writes nothing, so a full disk does not stop it
    check_refused_then_retried(
        url, db, fill, free, "the disk refused the write", needs_no_write=("next pair",)
    )


def test_a_lock_held_by_another_process_gives_503_after_a_short_wait(tmp_path):
    from rcsim_env.labelling.server import LabellingServer

    db = made_store(tmp_path / "labels.sqlite", judged=0)
    store = LabelStore(db, busy_timeout=0.5)
    held = []

    def lock() -> None:
        held.append(write_lock_held_by_another_process(db))
        held[-1].__enter__()

    def unlock() -> None:
        held.pop().__exit__(None, None, None)

    with LabellingServer(store, port=0).start() as server:
        wait_until_ready(server.url)
        started = time.monotonic()
        check_refused_then_retried(server.url, db, lock, unlock, "locked by another program")
        assert time.monotonic() - started < 20  # four refusals, each after about busy_timeout


def test_the_default_lock_wait_is_a_few_seconds(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    assert 1 <= store.busy_timeout <= 10
    assert store.pragma("busy_timeout") == int(store.busy_timeout * 1000)
    with write_lock_held_by_another_process(store.path):
        started = time.monotonic()
        with pytest.raises(Exception, match="locked by another program") as refused:
            store.add_pair("a", "b")
        waited = time.monotonic() - started
    assert store.busy_timeout - 0.5 <= waited <= store.busy_timeout + 5
    assert str(store.path) in str(refused.value)
    assert json.dumps(str(refused.value))  # a plain sentence, ready for the page
    assert os.path.exists(store.path)
