"""The durable label store: sentence pairs, people's judgements, the live oracle's queue, page sessions.

One SQLite file holds everything. Tables:

- ``pairs``: each distinct (sentence_a, sentence_b) once, with its gold score when known,
  where it came from (``source_id``) and, for pairs loaded by ``rcsim label serve
  --pairs``, its position in the labelling set (``in_task``, ``position``).
- ``judgements``: one row per answer, never deleted: annotator, score (NULL when
  skipped), ``skipped``, ``judged_at`` (Unix seconds), the pair, the live request it
  answered (if any), ``retracted`` (set by undo) and ``client_id``, the key a client
  sends so that a retried request can never add a row twice.
- ``requests``: the human oracle's queue. ``judge()`` adds a ``pending`` row; the page
  leases it to one annotator at a time (the lease expires after ``lease_seconds``);
  the first answer turns it ``answered``; the oracle may mark it ``timed_out``, or
  ``cancelled`` when its caller went away.
- ``sessions``: browser sessions of people who started labelling (annotator name, CSRF
  token, access-token fingerprint, last use). A session is stored when its person types a
  name, not when the page is opened; sessions unused for :data:`SESSION_MAX_AGE_SECONDS`
  (30 days) are deleted, and at most :data:`MAX_SESSIONS` (10,000) are kept: opening one
  more deletes the longest unused. Each answer records its session, and only that session
  can undo it.
- ``page_secret``: one row, the key that signs the cookies of sessions not stored yet
  (created the first time a labelling page is served from the file).
- ``schema_version``: one row, the layout version of this file.

Durability. The file runs in WAL mode with ``synchronous=FULL``: a transaction's WAL
frames are fsynced before ``COMMIT`` returns, so a judgement that was committed survives
the process being killed (SIGKILL) *and* the machine losing power. ``NORMAL`` would
survive a killed process (the WAL is in the OS's page cache) but could lose the last
transactions on power loss; one fsync per click is cheap next to a person's seconds per
pair, so FULL is the choice. Every write runs in ``BEGIN IMMEDIATE`` so concurrent
writers queue on the database lock instead of failing half way; a writer waits at most
``busy_timeout`` seconds (:data:`DEFAULT_BUSY_TIMEOUT_SECONDS`, 5 s) for a lock that
another program holds, then fails with :class:`LabelStoreUnavailableError`.

Failures. A file that cannot be written (locked, read-only, full disk, I/O error) raises
:class:`LabelStoreUnavailableError`; a file that is not SQLite or is damaged (checked with
``PRAGMA quick_check`` on opening) raises :class:`LabelStoreDamagedError`. Both name the
file and say what to do (see :mod:`rcsim_env.labelling.store_errors`).
:meth:`LabelStore.check_writable` finds the first kind before a server starts.

Threads. SQLite connections must stay in their thread: :meth:`LabelStore.connection`
gives each thread its own (opened on first use). The web server closes a request
thread's connection when the request ends (:meth:`LabelStore.close_thread_connection`).
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import InvalidLabelError
from rcsim_env.labelling.names import (
    MAX_ANNOTATOR_LENGTH,
    InvalidAnnotatorError,
    InvalidTextError,
    validate_annotator,
    validate_text,
)
from rcsim_env.labelling.store_errors import (
    LabelStoreDamagedError,
    LabelStoreError,
    LabelStoreFormatError,
    LabelStoreUnavailableError,
    damaged_message,
    store_error,
)
from rcsim_env.validation import validate_score, validate_sentence

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_SECONDS",
    "DEFAULT_LEASE_SECONDS",
    "JUDGEMENT_ORIGINS",
    "MAX_ANNOTATOR_LENGTH",
    "MAX_SESSIONS",
    "MAX_SQLITE_INTEGER",
    "REQUEST_STATES",
    "SCHEMA_VERSION",
    "SESSION_MAX_AGE_SECONDS",
    "SQLITE_MAGIC",
    "AlreadyJudgedError",
    "InvalidAnnotatorError",
    "InvalidIdError",
    "InvalidTextError",
    "Item",
    "Judgement",
    "LabelStore",
    "LabelStoreDamagedError",
    "LabelStoreError",
    "LabelStoreFormatError",
    "LabelStoreUnavailableError",
    "PairRecord",
    "RecordResult",
    "Request",
    "Session",
    "UnknownItemError",
    "checked_id",
    "checked_score",
    "pair_key",
    "validate_annotator",
    "validate_text",
]

SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_LEASE_SECONDS = 120.0
DEFAULT_BUSY_TIMEOUT_SECONDS = 5.0
MAX_SQLITE_INTEGER = 2**63 - 1
SESSION_MAX_AGE_SECONDS = 30 * 24 * 3600
MAX_SESSIONS = 10_000
REQUEST_STATES = ("pending", "answered", "timed_out", "cancelled")
JUDGEMENT_ORIGINS = ("page", "terminal", "import", "api")

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE pairs (
    id INTEGER PRIMARY KEY,
    pair_key TEXT NOT NULL UNIQUE,
    sentence_a TEXT NOT NULL,
    sentence_b TEXT NOT NULL,
    gold REAL,
    source_id TEXT,
    in_task INTEGER NOT NULL DEFAULT 0,
    position INTEGER,
    created_at REAL NOT NULL
);
CREATE INDEX pairs_task ON pairs(in_task, position);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    annotator TEXT,
    csrf_token TEXT NOT NULL,
    auth TEXT,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    pair_id INTEGER NOT NULL REFERENCES pairs(id),
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'answered', 'timed_out', 'cancelled')),
    created_at REAL NOT NULL,
    lease_annotator TEXT,
    lease_until REAL,
    judgement_id INTEGER REFERENCES judgements(id),
    closed_at REAL
);
CREATE INDEX requests_pending ON requests(state, id);
CREATE TABLE judgements (
    id INTEGER PRIMARY KEY,
    pair_id INTEGER NOT NULL REFERENCES pairs(id),
    annotator TEXT NOT NULL,
    score REAL CHECK (score IS NULL OR (score >= 0 AND score <= 5)),
    skipped INTEGER NOT NULL CHECK (skipped IN (0, 1)),
    judged_at REAL NOT NULL,
    request_id INTEGER REFERENCES requests(id),
    session_id TEXT,
    client_id TEXT UNIQUE,
    origin TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1)),
    retracted_at REAL,
    CHECK ((skipped = 1 AND score IS NULL) OR (skipped = 0 AND score IS NOT NULL))
);
CREATE INDEX judgements_annotator ON judgements(annotator, pair_id);
CREATE INDEX judgements_pair ON judgements(pair_id);
CREATE UNIQUE INDEX one_active_page_judgement ON judgements(annotator, pair_id)
    WHERE retracted = 0 AND request_id IS NULL AND origin = 'page';
"""


class UnknownItemError(LabelStoreError, KeyError):
    """A pair, request or session id that the store does not hold."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class AlreadyJudgedError(LabelStoreError, ValueError):
    """The annotator already has an answer for this pair (undo it first)."""


class InvalidIdError(LabelStoreError, ValueError):
    """An id is not a positive integer that SQLite can hold (at most 2**63 - 1)."""


@dataclass(frozen=True)
class PairRecord:
    """A stored sentence pair: store id, sentences, gold (or None), source id, labelling-set position."""

    id: int
    sentence_a: str
    sentence_b: str
    gold: float | None
    source_id: str | None
    in_task: bool
    position: int | None


@dataclass(frozen=True)
class Judgement:
    """One stored answer. ``score`` is None exactly when ``skipped``; ``retracted`` is set by undo."""

    id: int
    pair_id: int
    annotator: str
    score: float | None
    skipped: bool
    judged_at: float
    request_id: int | None
    session_id: str | None
    client_id: str | None
    origin: str
    retracted: bool
    retracted_at: float | None


@dataclass(frozen=True)
class RecordResult:
    """What :meth:`LabelStore.record_judgement` did.

    ``duplicate``: the ``client_id`` was seen before and the earlier row is returned
    (nothing was written). ``request_state``: the state of the live request after this
    answer (None without a request); ``used`` is True when this answer resolved it, i.e.
    it is the one the waiting oracle returns.
    """

    judgement: Judgement
    duplicate: bool
    request_state: str | None
    used: bool


@dataclass(frozen=True)
class Request:
    """A live oracle request: the pair, its state, the current lease and the answer that resolved it."""

    id: int
    pair_id: int
    state: str
    created_at: float
    lease_annotator: str | None
    lease_until: float | None
    judgement_id: int | None


@dataclass(frozen=True)
class Item:
    """What the page shows next: a pair, and the live request it belongs to (None for labelling-set pairs)."""

    pair: PairRecord
    request_id: int | None

    def to_dict(self) -> dict[str, object]:
        """The JSON shape the page reads: ``pair_id``, ``request_id``, ``sentence_a``, ``sentence_b``."""
        return {
            "pair_id": self.pair.id,
            "request_id": self.request_id,
            "sentence_a": self.pair.sentence_a,
            "sentence_b": self.pair.sentence_b,
        }


@dataclass(frozen=True)
class Session:
    """A browser session: id (the cookie), annotator name (None until set), CSRF token, token fingerprint.

    ``saved`` is False for a session the page has opened but nobody has started labelling
    in yet: it lives only in its signed cookie (see :mod:`rcsim_env.labelling.session_cookies`)
    and gets a row in the ``sessions`` table when the person types a name.
    """

    id: str
    annotator: str | None
    csrf_token: str
    auth: str | None
    saved: bool = True


def pair_key(sentence_a: str, sentence_b: str) -> str:
    """A stable key of an ordered sentence pair (SHA-256 of both sentences)."""
    digest = hashlib.sha256()
    for sentence in (sentence_a, sentence_b):
        encoded = sentence.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


def _pair_record(row: sqlite3.Row) -> PairRecord:
    return PairRecord(
        id=row["id"],
        sentence_a=row["sentence_a"],
        sentence_b=row["sentence_b"],
        gold=row["gold"],
        source_id=row["source_id"],
        in_task=bool(row["in_task"]),
        position=row["position"],
    )


def _judgement(row: sqlite3.Row) -> Judgement:
    return Judgement(
        id=row["id"],
        pair_id=row["pair_id"],
        annotator=row["annotator"],
        score=row["score"],
        skipped=bool(row["skipped"]),
        judged_at=row["judged_at"],
        request_id=row["request_id"],
        session_id=row["session_id"],
        client_id=row["client_id"],
        origin=row["origin"],
        retracted=bool(row["retracted"]),
        retracted_at=row["retracted_at"],
    )


def _request(row: sqlite3.Row) -> Request:
    return Request(
        id=row["id"],
        pair_id=row["pair_id"],
        state=row["state"],
        created_at=row["created_at"],
        lease_annotator=row["lease_annotator"],
        lease_until=row["lease_until"],
        judgement_id=row["judgement_id"],
    )


class LabelStore:
    """A SQLite label store (see the module docstring for the tables and the durability choices).

    Args:
        path: the database file; created with its parent folders when missing.
        busy_timeout: seconds a writer waits for the database lock (held by another
            writer) before giving up with :class:`LabelStoreUnavailableError`.
        max_sessions: the most browser sessions kept; opening one more deletes the
            longest unused (see :meth:`create_session`).
        session_max_age: seconds after its last use that a browser session is deleted.

    Raises:
        LabelStoreDamagedError: the file is not SQLite, or a damaged (garbage, truncated) one.
        LabelStoreFormatError: the file is SQLite but not a label store, or was written by
            a newer rcsim.
        LabelStoreUnavailableError: a new store cannot be created there (read-only folder,
            full disk), or the file is locked by another program.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
        max_sessions: int = MAX_SESSIONS,
        session_max_age: float = SESSION_MAX_AGE_SECONDS,
    ):
        self.path = Path(path)
        if self.path.is_dir():
            raise LabelStoreFormatError(f"{self.path} is a folder; give a database file path (labels.sqlite)")
        if not max_sessions >= 1 or not session_max_age > 0:
            raise ValueError(
                f"max_sessions must be >= 1 and session_max_age > 0, got {max_sessions}, {session_max_age}"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout = float(busy_timeout)
        self.max_sessions = int(max_sessions)
        self.session_max_age = float(session_max_age)
        self._local = threading.local()
        self._changed = threading.Condition()
        self._version = 0
        self._initialise()

    # ------------------------------------------------------------------ connections
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit), opened on first use."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
        return connection

    def _open(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        return connection

    def _error(self, exc: sqlite3.Error) -> LabelStoreError:
        """The label store's error (naming this file) for SQLite's ``exc``."""
        return store_error(self.path, exc, self.busy_timeout)

    def close_thread_connection(self) -> None:
        """Close the calling thread's connection, if it has one (the next use opens a new one)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            self._local.connection = None
            connection.close()

    def close(self) -> None:
        """Close the calling thread's connection (other threads' close when they end or call it)."""
        self.close_thread_connection()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction, committed (durably) on success, rolled back on error.

        SQLite's failures to write (a lock held too long, a read-only file, a full disk)
        come out as :class:`LabelStoreUnavailableError` naming the file; nothing of the
        transaction is stored then.
        """
        try:
            connection = self.connection()
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            yield connection
        except BaseException as failure:
            self._roll_back(connection)
            if isinstance(failure, sqlite3.Error):
                raise self._error(failure) from failure
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            self._roll_back(connection)
            raise self._error(exc) from exc

    def _roll_back(self, connection: sqlite3.Connection) -> None:
        """End a failed transaction; a connection that cannot roll back is closed, not reused."""
        try:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
        except sqlite3.Error:
            self.close_thread_connection()

    def _initialise(self) -> None:
        """Open the file, create the tables of a new store, and check an existing one (version, integrity)."""
        self._check_header()
        try:
            connection = self.connection()
            tables = self._table_names(connection)
            if str(connection.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise LabelStoreError(f"{self.path}: SQLite refused WAL mode (journal_mode is {mode!r})")
            if not tables:
                with self._write() as conn:
                    if not self._table_names(conn):  # another process may have created it meanwhile
                        for statement in _SCHEMA.split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
                tables = self._table_names(connection)
            if "schema_version" not in tables:
                raise LabelStoreFormatError(
                    f"{self.path} is a SQLite database but not an rcsim label store "
                    f"(it has tables {sorted(tables)[:5]} and no schema_version)"
                )
            row = connection.execute("SELECT version FROM schema_version").fetchone()
            problem = connection.execute("PRAGMA quick_check(1)").fetchone()[0]
        except sqlite3.Error as exc:
            self.close_thread_connection()
            raise self._error(exc) from exc
        except LabelStoreError:
            self.close_thread_connection()
            raise
        if problem != "ok":
            self.close_thread_connection()
            detail = f"SQLite's integrity check says {problem}"
            raise LabelStoreDamagedError(damaged_message(self.path, detail))
        version = None if row is None else int(row[0])
        if version is None or version > SCHEMA_VERSION:
            raise LabelStoreFormatError(
                f"{self.path} has label-store schema version {version}; this rcsim reads version "
                f"{SCHEMA_VERSION} (upgrade rcsim to open it)"
            )
        self._version = version

    def _check_header(self) -> None:
        """Refuse a non-empty file that does not start like a SQLite database.

        SQLite itself would take a file shorter than its header for an empty database and
        write a new store over it; what the file held is kept instead.
        """
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(len(SQLITE_MAGIC))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise LabelStoreUnavailableError(f"the label store {self.path} cannot be read: {exc}") from exc
        if head and head != SQLITE_MAGIC:
            raise LabelStoreDamagedError(damaged_message(self.path, "it does not start with SQLite's header"))

    @staticmethod
    def _table_names(connection: sqlite3.Connection) -> set[str]:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def check_writable(self) -> None:
        """Make sure this process can write the store now; else raise LabelStoreUnavailableError naming it.

        It checks the file and its folder (SQLite writes ``NAME-wal`` and ``NAME-shm``
        next to the file) and then commits a real, empty-effect transaction, which meets a
        lock held by another program (after :attr:`busy_timeout`), a read-only file system
        or a full disk the way an answer would.
        """
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise LabelStoreUnavailableError(
                f"the label store {self.path} is read-only: make it writable (chmod u+w) "
                "or pass another --db file"
            )
        if not os.access(self.path.parent, os.W_OK | os.X_OK):
            raise LabelStoreUnavailableError(
                f"the folder of the label store {self.path} is read-only, and SQLite needs to create "
                f"{self.path.name}-wal and {self.path.name}-shm there: make the folder writable or pass "
                "another --db file"
            )
        with self._write() as conn:
            conn.execute("UPDATE schema_version SET version = version")

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        return self._version

    def pragma(self, name: str) -> object:
        """The value of ``PRAGMA name`` on this thread's connection (journal_mode, synchronous, ...)."""
        if not name.replace("_", "").isalpha():
            raise ValueError(f"not a pragma name: {name!r}")
        return self.connection().execute(f"PRAGMA {name}").fetchone()[0]

    # ------------------------------------------------------------------ change notification
    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_for_change(self, timeout: float) -> None:
        """Block up to ``timeout`` seconds, or until this process commits a judgement or a request change.

        Writers in other processes do not wake it: callers poll the database after it returns.
        """
        with self._changed:
            self._changed.wait(max(float(timeout), 0.0))

    # ------------------------------------------------------------------ pairs
    def add_pair(
        self,
        sentence_a: str,
        sentence_b: str,
        gold: float | None = None,
        source_id: str | None = None,
        task: bool = False,
    ) -> int:
        """Store a pair (once per ordered pair of sentences) and return its id.

        ``task=True`` also appends it to the labelling set that the page walks through.
        A pair already stored keeps its id; it joins the labelling set if ``task`` and
        takes ``gold``/``source_id`` when it had none.
        """
        return self.add_pairs([ScoredPair(sentence_a, sentence_b, gold, source_id or "")], task=task)[0]

    def add_pairs(self, pairs: Iterable[ScoredPair], task: bool = True) -> list[int]:
        """Store many pairs in one transaction (see :meth:`add_pair`); returns their ids in order.

        Sentences must be non-empty text; gold scores, when given, must be finite numbers.
        """
        checked = []
        for index, pair in enumerate(pairs):
            a = validate_sentence(pair.sentence_a, f"pair {index} sentence_a")
            b = validate_sentence(pair.sentence_b, f"pair {index} sentence_b")
            gold = pair.score
            if gold is not None and not (isinstance(gold, (int, float)) and math.isfinite(gold)):
                raise ValueError(f"pair {index} has gold score {gold!r}; it must be a finite number or None")
            checked.append((a, b, None if gold is None else float(gold), pair.pair_id or None))
        ids = []
        now = time.time()
        with self._write() as conn:
            position = conn.execute("SELECT COALESCE(MAX(position), -1) FROM pairs").fetchone()[0]
            for a, b, gold, source_id in checked:
                key = pair_key(a, b)
                row = conn.execute("SELECT id, in_task FROM pairs WHERE pair_key = ?", (key,)).fetchone()
                if row is None:
                    if task:
                        position += 1
                    cursor = conn.execute(
                        "INSERT INTO pairs (pair_key, sentence_a, sentence_b, gold, source_id, in_task, "
                        "position, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (key, a, b, gold, source_id, int(task), position if task else None, now),
                    )
                    ids.append(int(cursor.lastrowid))
                    continue
                pair_id = int(row["id"])
                conn.execute(
                    "UPDATE pairs SET gold = COALESCE(gold, ?), source_id = COALESCE(source_id, ?) "
                    "WHERE id = ?",
                    (gold, source_id, pair_id),
                )
                if task and not row["in_task"]:
                    position += 1
                    conn.execute(
                        "UPDATE pairs SET in_task = 1, position = ? WHERE id = ?", (position, pair_id)
                    )
                ids.append(pair_id)
        return ids

    def pair(self, pair_id: int) -> PairRecord:
        """The stored pair ``pair_id``; raises :class:`UnknownItemError` when there is none."""
        row = (
            self.connection()
            .execute("SELECT * FROM pairs WHERE id = ?", (checked_id(pair_id, "pair_id"),))
            .fetchone()
        )
        if row is None:
            raise UnknownItemError(f"there is no pair with id {pair_id} in {self.path.name}")
        return _pair_record(row)

    def find_pair(self, sentence_a: str, sentence_b: str) -> PairRecord | None:
        """The stored pair with exactly these sentences in this order, or None."""
        row = (
            self.connection()
            .execute("SELECT * FROM pairs WHERE pair_key = ?", (pair_key(sentence_a, sentence_b),))
            .fetchone()
        )
        return None if row is None else _pair_record(row)

    def pairs(self, task_only: bool = False) -> list[PairRecord]:
        """Every stored pair (or only the labelling set, in its order)."""
        query = (
            "SELECT * FROM pairs WHERE in_task = 1 ORDER BY position"
            if task_only
            else "SELECT * FROM pairs ORDER BY id"
        )
        return [_pair_record(row) for row in self.connection().execute(query)]

    def task_size(self) -> int:
        """How many pairs the labelling set holds."""
        return int(self.connection().execute("SELECT COUNT(*) FROM pairs WHERE in_task = 1").fetchone()[0])

    # ------------------------------------------------------------------ judgements
    def record_judgement(
        self,
        pair_id: int,
        annotator: str,
        score: object = None,
        skipped: bool = False,
        request_id: int | None = None,
        session_id: str | None = None,
        client_id: str | None = None,
        origin: str = "api",
    ) -> RecordResult:
        """Store an answer durably (committed with fsync before this returns) and return what happened.

        Args:
            pair_id: the stored pair answered.
            annotator: who answered (see :func:`validate_annotator`).
            score: a number in [0, 5]; must be None when ``skipped``.
            skipped: the annotator skipped the pair.
            request_id: the live request answered (None for labelling-set pairs). The first
                answer to a pending request resolves it; later ones are kept too (an extra
                label, or a correction after undo) but the oracle never sees them.
            session_id: the browser session that answered: only that session can undo the
                answer (see :meth:`undo_last`); None for answers from outside the page.
            client_id: an idempotency key: the same key again, from the same session,
                returns the first row (``duplicate=True``) instead of writing a second one.
            origin: ``page``, ``terminal``, ``import`` or ``api``.

        Raises:
            InvalidLabelError: the score is not a finite number in [0, 5] (the message names it).
            InvalidIdError: an id is not an integer in 1 .. 2**63 - 1.
            InvalidTextError: the annotator, client_id or session_id is not storable text.
            UnknownItemError: no such pair or request, or the request is for another pair.
            AlreadyJudgedError: this annotator already answered this labelling-set pair on
                the page (undo it first).
            LabelStoreUnavailableError: the file cannot be written now (nothing was stored).
        """
        annotator = validate_annotator(annotator)
        if session_id is not None:
            validate_text(session_id, "session_id")
        if origin not in JUDGEMENT_ORIGINS:
            raise ValueError(f"origin must be one of {JUDGEMENT_ORIGINS}, got {origin!r}")
        if skipped:
            if score is not None:
                raise LabelStoreError(f"a skipped judgement carries no score, got score {score!r:.40}")
            value = None
        else:
            if score is None:
                raise LabelStoreError("a judgement needs a score in [0, 5] (or skipped=True)")
            value = checked_score(score)
        if client_id is not None and (not isinstance(client_id, str) or not 0 < len(client_id) <= 128):
            raise LabelStoreError(f"client_id must be 1-128 characters of text, got {client_id!r:.40}")
        if client_id is not None:
            validate_text(client_id, "client_id")
        pair_id = checked_id(pair_id, "pair_id")
        request_id = None if request_id is None else checked_id(request_id, "request_id")
        now = time.time()
        with self._write() as conn:
            if client_id is not None:
                row = conn.execute("SELECT * FROM judgements WHERE client_id = ?", (client_id,)).fetchone()
                if row is not None:
                    earlier = _judgement(row)
                    if (
                        earlier.annotator != annotator
                        or earlier.pair_id != pair_id
                        or earlier.session_id != session_id
                    ):
                        raise LabelStoreError(
                            f"client_id {client_id!r} was already used for another judgement "
                            f"(pair {earlier.pair_id} by {earlier.annotator!r}"
                            f"{'' if earlier.session_id == session_id else ', in another session'}); "
                            "send a fresh one"
                        )
                    state, used = self._request_outcome(conn, earlier)
                    return RecordResult(earlier, True, state, used)
            if conn.execute("SELECT 1 FROM pairs WHERE id = ?", (pair_id,)).fetchone() is None:
                raise UnknownItemError(f"there is no pair with id {pair_id}")
            if request_id is not None:
                request = conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
                if request is None:
                    raise UnknownItemError(f"there is no request with id {request_id}")
                if request["pair_id"] != pair_id:
                    raise UnknownItemError(
                        f"request {request_id} is for pair {request['pair_id']}, not pair {pair_id}"
                    )
            elif origin == "page":
                clash = conn.execute(
                    "SELECT id, session_id FROM judgements WHERE annotator = ? AND pair_id = ? "
                    "AND retracted = 0 AND request_id IS NULL AND origin = 'page'",
                    (annotator, pair_id),
                ).fetchone()
                if clash is not None:
                    how = (
                        "undo it first to change the answer"
                        if clash["session_id"] == session_id
                        else "in another browser session, which alone can undo it"
                    )
                    raise AlreadyJudgedError(
                        f"{annotator!r} already answered pair {pair_id} (judgement {clash['id']}); {how}"
                    )
            cursor = conn.execute(
                "INSERT INTO judgements (pair_id, annotator, score, skipped, judged_at, request_id, "
                "session_id, client_id, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pair_id, annotator, value, int(skipped), now, request_id, session_id, client_id, origin),
            )
            judgement_id = int(cursor.lastrowid)
            if session_id is not None:
                conn.execute("UPDATE sessions SET last_seen = ? WHERE id = ?", (now, session_id))
            state, used = None, False
            if request_id is not None:
                resolved = conn.execute(
                    "UPDATE requests SET state = 'answered', judgement_id = ?, closed_at = ? "
                    "WHERE id = ? AND state = 'pending'",
                    (judgement_id, now, request_id),
                )
                used = resolved.rowcount == 1
                state = conn.execute("SELECT state FROM requests WHERE id = ?", (request_id,)).fetchone()[0]
            row = conn.execute("SELECT * FROM judgements WHERE id = ?", (judgement_id,)).fetchone()
        self._notify()
        return RecordResult(_judgement(row), False, state, used)

    @staticmethod
    def _request_outcome(conn: sqlite3.Connection, judgement: Judgement) -> tuple[str | None, bool]:
        if judgement.request_id is None:
            return None, False
        row = conn.execute(
            "SELECT state, judgement_id FROM requests WHERE id = ?", (judgement.request_id,)
        ).fetchone()
        return row["state"], row["judgement_id"] == judgement.id

    def undo_last(self, annotator: str, session_id: str | None = None) -> Judgement | None:
        """Retract the latest answer of ``annotator`` made in ``session_id`` that is not retracted yet.

        Returns it, or None when there is none. Undo belongs to the session that answered:
        a browser session retracts only its own answers, never those of another session,
        even one that typed the same name. ``session_id=None`` retracts among the answers
        stored without a session (the terminal oracle, scripts using the store directly).

        The row stays in the database with ``retracted = 1`` (and ``retracted_at``), so the
        history is never lost; agreement figures and exports leave retracted rows out. A
        labelling-set pair becomes unanswered again for this annotator. A live request that
        the retracted answer resolved stays answered: the oracle already returned it.
        """
        annotator = validate_annotator(annotator)
        if session_id is not None:
            validate_text(session_id, "session_id")
        with self._write() as conn:
            row = conn.execute(
                "SELECT * FROM judgements WHERE annotator = ? AND session_id IS ? AND retracted = 0 "
                "ORDER BY id DESC LIMIT 1",
                (annotator, session_id),
            ).fetchone()
            if row is None:
                return None
            now = time.time()
            conn.execute(
                "UPDATE judgements SET retracted = 1, retracted_at = ? WHERE id = ?", (now, row["id"])
            )
            row = conn.execute("SELECT * FROM judgements WHERE id = ?", (row["id"],)).fetchone()
        self._notify()
        return _judgement(row)

    def judgement(self, judgement_id: int) -> Judgement:
        """The judgement ``judgement_id``; raises :class:`UnknownItemError` when there is none."""
        row = (
            self.connection()
            .execute("SELECT * FROM judgements WHERE id = ?", (checked_id(judgement_id, "judgement_id"),))
            .fetchone()
        )
        if row is None:
            raise UnknownItemError(f"there is no judgement with id {judgement_id}")
        return _judgement(row)

    def judgements(
        self,
        include_retracted: bool = False,
        include_skipped: bool = True,
        annotator: str | None = None,
    ) -> list[Judgement]:
        """Stored judgements in the order they were made, filtered as asked."""
        clauses, values = [], []
        if not include_retracted:
            clauses.append("retracted = 0")
        if not include_skipped:
            clauses.append("skipped = 0")
        if annotator is not None:
            clauses.append("annotator = ?")
            values.append(annotator)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.connection().execute(f"SELECT * FROM judgements{where} ORDER BY id", values)
        return [_judgement(row) for row in rows]

    def count_judgements(self, include_retracted: bool = True) -> int:
        """How many judgement rows the store holds (all of them, or only those not retracted)."""
        where = "" if include_retracted else " WHERE retracted = 0"
        return int(self.connection().execute(f"SELECT COUNT(*) FROM judgements{where}").fetchone()[0])

    def annotators(self) -> list[str]:
        """Everyone with at least one judgement, sorted."""
        rows = self.connection().execute("SELECT DISTINCT annotator FROM judgements ORDER BY annotator")
        return [row[0] for row in rows]

    def insert_imported(
        self,
        pair_id: int,
        annotator: str,
        score: float | None,
        skipped: bool,
        judged_at: float,
        retracted: bool,
        client_id: str,
    ) -> bool:
        """Add one judgement read from an export file; returns False when it is already stored.

        Already stored means: the same ``client_id`` (the file was imported before), or an
        identical row (same annotator, pair, score, skip flag, time to the millisecond,
        retraction), e.g. an export of this very store.
        """
        annotator = validate_annotator(annotator)
        value = None if skipped else checked_score(score)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM judgements WHERE client_id = ?", (client_id,)).fetchone():
                return False
            same = conn.execute(
                "SELECT 1 FROM judgements WHERE annotator = ? AND pair_id = ? AND skipped = ? "
                "AND score IS ? AND retracted = ? AND ABS(judged_at - ?) < 0.001",
                (annotator, pair_id, int(skipped), value, int(retracted), judged_at),
            ).fetchone()
            if same:
                return False
            conn.execute(
                "INSERT INTO judgements (pair_id, annotator, score, skipped, judged_at, client_id, origin, "
                "retracted, retracted_at) VALUES (?, ?, ?, ?, ?, ?, 'import', ?, ?)",
                (
                    pair_id,
                    annotator,
                    value,
                    int(skipped),
                    judged_at,
                    client_id,
                    int(retracted),
                    judged_at if retracted else None,
                ),
            )
        self._notify()
        return True

    # ------------------------------------------------------------------ what the page shows
    def next_item(self, annotator: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> Item | None:
        """The next pair for ``annotator``: a live request first, else the next unanswered labelling-set pair.

        Live requests: the annotator's own unexpired lease is renewed and returned; else the
        oldest pending request that nobody holds (or whose lease expired) is leased to them
        for ``lease_seconds``. So each pending pair is in one person's hands at a time, and
        a pair whose annotator walked away goes to someone else when the lease runs out.
        Labelling-set pairs are not leased: everyone answers each of them once (that is
        what the agreement figures need), in the set's order.
        """
        annotator = validate_annotator(annotator)
        if not lease_seconds > 0:
            raise ValueError(f"lease_seconds must be > 0, got {lease_seconds}")
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                "SELECT * FROM requests WHERE state = 'pending' AND lease_annotator = ? AND lease_until > ? "
                "ORDER BY id LIMIT 1",
                (annotator, now),
            ).fetchone()
            if row is None:
                row = conn.execute(
                    "SELECT * FROM requests WHERE state = 'pending' "
                    "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id LIMIT 1",
                    (now,),
                ).fetchone()
            if row is not None:
                conn.execute(
                    "UPDATE requests SET lease_annotator = ?, lease_until = ? WHERE id = ?",
                    (annotator, now + lease_seconds, row["id"]),
                )
                pair = conn.execute("SELECT * FROM pairs WHERE id = ?", (row["pair_id"],)).fetchone()
                return Item(_pair_record(pair), int(row["id"]))
        pair = (
            self.connection()
            .execute(
                "SELECT p.* FROM pairs p WHERE p.in_task = 1 AND NOT EXISTS (SELECT 1 FROM judgements j "
                "WHERE j.pair_id = p.id AND j.annotator = ? AND j.retracted = 0 AND j.request_id IS NULL) "
                "ORDER BY p.position LIMIT 1",
                (annotator,),
            )
            .fetchone()
        )
        return None if pair is None else Item(_pair_record(pair), None)

    def progress(self, annotator: str | None) -> dict[str, int]:
        """Counts for the page, as a dict.

        ``task_total``: pairs in the labelling set; ``task_done``: those this annotator
        answered; ``answered``: this annotator's answers not retracted, skips included;
        ``pending``: live requests waiting; ``judgements``: all rows.
        """
        conn = self.connection()
        done = answered = 0
        if annotator:
            done = conn.execute(
                "SELECT COUNT(DISTINCT j.pair_id) FROM judgements j JOIN pairs p ON p.id = j.pair_id "
                "WHERE j.annotator = ? AND j.retracted = 0 AND j.request_id IS NULL AND p.in_task = 1",
                (annotator,),
            ).fetchone()[0]
            answered = conn.execute(
                "SELECT COUNT(*) FROM judgements WHERE annotator = ? AND retracted = 0", (annotator,)
            ).fetchone()[0]
        return {
            "task_total": self.task_size(),
            "task_done": int(done),
            "answered": int(answered),
            "pending": self.pending_count(),
            "judgements": self.count_judgements(),
        }

    # ------------------------------------------------------------------ the live queue
    def create_request(self, pair_id: int) -> int:
        """Queue ``pair_id`` for a person to judge; returns the request id (state ``pending``)."""
        pair_id = checked_id(pair_id, "pair_id")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM pairs WHERE id = ?", (pair_id,)).fetchone() is None:
                raise UnknownItemError(f"there is no pair with id {pair_id}")
            cursor = conn.execute(
                "INSERT INTO requests (pair_id, created_at) VALUES (?, ?)", (pair_id, time.time())
            )
            request_id = int(cursor.lastrowid)
        self._notify()
        return request_id

    def request(self, request_id: int) -> Request:
        """The request ``request_id``; raises :class:`UnknownItemError` when there is none."""
        row = (
            self.connection()
            .execute("SELECT * FROM requests WHERE id = ?", (checked_id(request_id, "request_id"),))
            .fetchone()
        )
        if row is None:
            raise UnknownItemError(f"there is no request with id {request_id}")
        return _request(row)

    def close_request(self, request_id: int, state: str) -> Request:
        """Mark a pending request ``timed_out`` or ``cancelled``; returns the request as it now stands.

        When an answer committed first, the request stays ``answered`` and is returned as
        such: the caller must use that answer (it is already stored).
        """
        if state not in ("timed_out", "cancelled"):
            raise ValueError(f"a request can be closed as timed_out or cancelled, not {state!r}")
        with self._write() as conn:
            conn.execute(
                "UPDATE requests SET state = ?, closed_at = ?, lease_annotator = NULL, lease_until = NULL "
                "WHERE id = ? AND state = 'pending'",
                (state, time.time(), checked_id(request_id, "request_id")),
            )
        self._notify()
        return self.request(request_id)

    def cancel_pending_requests(self, before: float | None = None) -> int:
        """Cancel pending requests (created before ``before``, Unix seconds; all when None); returns how many.

        A human oracle calls it when it starts: requests left by a crashed run have nobody waiting.
        """
        limit = time.time() if before is None else float(before)
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE requests SET state = 'cancelled', closed_at = ? "
                "WHERE state = 'pending' AND created_at < ?",
                (time.time(), limit),
            )
        self._notify()
        return int(cursor.rowcount)

    def pending_count(self) -> int:
        """How many live requests wait for an answer."""
        row = self.connection().execute("SELECT COUNT(*) FROM requests WHERE state = 'pending'").fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ sessions
    def create_session(
        self, session_id: str, csrf_token: str, auth: str | None = None, annotator: str | None = None
    ) -> Session:
        """Store a browser session (CSRF token, access-token fingerprint or None, annotator or None).

        The page calls it when someone starts labelling (types a name), not on every visit.
        Sessions unused for :attr:`session_max_age` seconds are deleted first, and when
        :attr:`max_sessions` are stored the longest unused ones make room, so the table
        stays bounded however many sessions are opened.
        """
        validate_text(session_id, "session_id")
        validate_text(csrf_token, "csrf_token")
        if annotator is not None:
            annotator = validate_annotator(annotator)
        now = time.time()
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE last_seen < ?", (now - self.session_max_age,))
            excess = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] - self.max_sessions + 1
            if excess > 0:
                conn.execute(
                    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY last_seen, rowid "
                    "LIMIT ?)",
                    (excess,),
                )
            conn.execute(  # the same page may start twice at once: the second names it again
                "INSERT INTO sessions (id, annotator, csrf_token, auth, created_at, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET annotator = excluded.annotator, "
                "last_seen = excluded.last_seen",
                (session_id, annotator, csrf_token, auth, now, now),
            )
        return Session(session_id, annotator, csrf_token, auth)

    def session(self, session_id: str) -> Session | None:
        """The stored session ``session_id``, or None (also for an expired one, or an id that is not text)."""
        try:
            validate_text(session_id, "session_id")
        except InvalidTextError:
            return None
        row = self.connection().execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None or row["last_seen"] < time.time() - self.session_max_age:
            return None
        return Session(row["id"], row["annotator"], row["csrf_token"], row["auth"])

    def session_count(self) -> int:
        """How many browser sessions are stored."""
        return int(self.connection().execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def set_session_annotator(self, session_id: str, annotator: str) -> Session:
        """Name the person using a stored session (validated); returns the updated session."""
        annotator = validate_annotator(annotator)
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE sessions SET annotator = ?, last_seen = ? WHERE id = ?",
                (annotator, time.time(), session_id),
            )
            if cursor.rowcount != 1:
                raise UnknownItemError(f"there is no session {session_id!r}")
        session = self.session(session_id)
        assert session is not None
        return session

    def page_secret(self) -> bytes:
        """The key that signs the cookies of sessions not stored yet (made once, kept in the file).

        Kept in the store so that a restarted server still accepts the cookies it gave out.
        """
        with self._write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS page_secret (id INTEGER PRIMARY KEY CHECK (id = 1), key TEXT)"
            )
            conn.execute(
                "INSERT OR IGNORE INTO page_secret (id, key) VALUES (1, ?)", (secrets.token_hex(32),)
            )
            key = conn.execute("SELECT key FROM page_secret WHERE id = 1").fetchone()[0]
        return bytes.fromhex(key)


def checked_id(value: object, name: str) -> int:
    """``value`` as an id: an integer SQLite can hold, 1 to 2**63 - 1; else InvalidIdError naming ``name``.

    A string of ASCII digits is read as its number. The message shows at most 40
    characters of the value.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidIdError(f"{name} must be a positive integer, got {value!r:.40}")
    if value > MAX_SQLITE_INTEGER:
        shown = str(value) if value.bit_length() <= 128 else f"an integer of {value.bit_length()} bits"
        raise InvalidIdError(f"{name} must be a positive integer of at most 2**63 - 1, got {shown}")
    return value


def checked_score(score: object) -> float:
    """``score`` as a float in [0, 5] (see :func:`rcsim_env.validation.validate_score`).

    An integer too large for a float is refused as out of range (InvalidLabelError), not
    an OverflowError.
    """
    try:
        return validate_score(score, "score")
    except OverflowError:
        bits = score.bit_length() if isinstance(score, int) else 0
        raise InvalidLabelError(f"score is an integer of {bits} bits, outside [0, 5]") from None
