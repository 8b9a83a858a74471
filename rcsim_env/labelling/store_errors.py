"""What went wrong with a label store file, in words a person can act on.

SQLite reports trouble with a file as :class:`sqlite3.Error` carrying a result code.
:func:`store_error` turns one into the label store's own error, naming the file and
saying what to do:

- :class:`LabelStoreUnavailableError`: the file cannot be written now: a lock held by
  another program (``SQLITE_BUSY``/``SQLITE_LOCKED``), a read-only file or folder
  (``SQLITE_READONLY``, ``SQLITE_CANTOPEN``, ``SQLITE_PERM``), a full disk
  (``SQLITE_FULL``) or an I/O error (``SQLITE_IOERR``). The labelling page answers it
  with HTTP 503: nothing was stored and the person can send the answer again.
- :class:`LabelStoreDamagedError`: the file is not SQLite (``SQLITE_NOTADB``) or is
  damaged (``SQLITE_CORRUPT``, a failed ``PRAGMA quick_check``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rcsim_env.errors import RCSimError

# SQLite's primary result codes (https://sqlite.org/rescode.html); the low byte of an extended code
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

# when the exception carries no code (Python before 3.11), its message tells the kind
_MESSAGE_CODES = (
    ("database is locked", SQLITE_BUSY),
    ("database table is locked", SQLITE_LOCKED),
    ("readonly database", SQLITE_READONLY),
    ("disk is full", SQLITE_FULL),
    ("disk i/o error", SQLITE_IOERR),
    ("unable to open database file", SQLITE_CANTOPEN),
    ("file is not a database", SQLITE_NOTADB),
    ("malformed", SQLITE_CORRUPT),
)


class LabelStoreError(RCSimError):
    """The label store refused an operation; the message says why."""


class LabelStoreFormatError(LabelStoreError, ValueError):
    """The file is not a label store this version of rcsim can use."""


class LabelStoreDamagedError(LabelStoreFormatError):
    """The file is not a SQLite database, or a damaged one; the message names it and says what to do."""


class LabelStoreUnavailableError(LabelStoreError):
    """The label store cannot be written right now (locked, read-only, disk full, I/O error).

    Nothing was stored by the failed operation; it can be tried again once the cause is
    gone. The message names the file and the cause.
    """


def primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of ``exc`` (from its code, else from its message), or None."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    for fragment, found in _MESSAGE_CODES:
        if fragment in text:
            return found
    return None


def damaged_message(path: Path, detail: str) -> str:
    """The message for a file that is not a usable SQLite database: the file, what SQLite said, what to do."""
    return (
        f"{path} is not a usable label store: {detail}. It is not a SQLite database or it is damaged "
        f"(a garbage or truncated file). Restore it from a backup, or save what SQLite can still read "
        f"with `sqlite3 {path.name} .recover > recovered.sql`; to start afresh, move it away or pass "
        "another --db file"
    )


def store_error(path: Path, exc: sqlite3.Error, busy_timeout: float) -> LabelStoreError:
    """The label store's error for SQLite's ``exc`` on the file ``path`` (see the module docstring).

    ``busy_timeout`` is how long SQLite waited for a lock (said in the message). Errors
    that are not about the file (a programming error) come back as a plain LabelStoreError.
    """
    code = primary_code(exc)
    name = path.name
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return LabelStoreUnavailableError(
            f"the label store {path} is locked by another program (waited {busy_timeout:g} s): "
            "close whatever else has it open (another rcsim label serve, a sqlite3 shell, a backup) "
            "and try again"
        )
    if code in (SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN):
        return LabelStoreUnavailableError(
            f"the label store {path} cannot be written ({exc}): make the file and its folder writable "
            f"(SQLite also writes {name}-wal and {name}-shm next to it), or pass another --db file"
        )
    if code == SQLITE_FULL:
        return LabelStoreUnavailableError(
            f"the disk holding the label store {path} is full: free some space and try again "
            "(everything saved before is still there)"
        )
    if code == SQLITE_IOERR:
        return LabelStoreUnavailableError(
            f"the label store {path} cannot be written: the disk refused the write ({exc}); it may be "
            "full, over a file-size limit or failing: free some space or check the disk, then try again "
            "(everything saved before is still there)"
        )
    if code in (SQLITE_NOTADB, SQLITE_CORRUPT):
        return LabelStoreDamagedError(damaged_message(path, f"SQLite says {exc}"))
    return LabelStoreError(f"the label store {path} refused the operation: {exc}")
