"""A threaded WSGI server whose threads, waits and waiting connections are all bounded.

werkzeug's threaded server starts one thread per connection and waits on it forever: a
few hundred connections that open and send nothing (or send half a request) hold as many
threads. :class:`BoundedWSGIServer` instead:

- parks every accepted connection, without a thread, until it sends its first bytes; a
  parked connection that sends nothing for :attr:`ServerLimits.idle_seconds` is closed,
  and beyond :attr:`ServerLimits.max_waiting` parked connections the oldest is closed;
- serves a connection that has bytes to read in one of at most
  :attr:`ServerLimits.max_threads` threads (a connection with bytes waits, parked, for a
  free thread);
- gives each request :attr:`ServerLimits.request_seconds` to arrive in full (request line,
  headers and body together, so a client trickling one byte at a time cannot hold a
  thread longer) and the same per write of the response;
- answers one request per connection (HTTP/1.0, ``Connection: close``), so an idle
  keep-alive connection never holds a thread.

The defaults (:data:`DEFAULT_LIMITS`): 32 threads, 10 s per request, 10 s idle, 256 parked
connections.
"""

from __future__ import annotations

import io
import queue
import selectors
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from rcsim_env.labelling.flask_imports import BaseWSGIServer, WSGIRequestHandler

DISPATCH_TICK_SECONDS = 0.05


@dataclass(frozen=True)
class ServerLimits:
    """The bounds of :class:`BoundedWSGIServer` (see the module docstring).

    Args:
        max_threads: the most requests served at once (each in its own thread).
        request_seconds: the time a request has to arrive completely once its first bytes
            did, and the time each write of the response may take.
        idle_seconds: how long a connection may stay open without sending anything (and,
            once it has, wait for a free thread) before it is closed.
        max_waiting: the most connections parked waiting to send or for a thread; more
            close the oldest.
    """

    max_threads: int = 32
    request_seconds: float = 10.0
    idle_seconds: float = 10.0
    max_waiting: int = 256

    def __post_init__(self) -> None:
        if self.max_threads < 1 or self.max_waiting < 1:
            raise ValueError(f"max_threads and max_waiting must be >= 1, got {self}")
        if not (self.request_seconds > 0 and self.idle_seconds > 0):
            raise ValueError(f"request_seconds and idle_seconds must be > 0, got {self}")


DEFAULT_LIMITS = ServerLimits()


class DeadlineReader(io.RawIOBase):
    """Reads a socket until ``deadline`` (``time.monotonic()``), then raises TimeoutError.

    Each read waits at most ``per_read`` seconds and never past the deadline.
    """

    def __init__(self, connection: socket.socket, deadline: float, per_read: float):
        super().__init__()
        self._connection = connection
        self._deadline = deadline
        self._per_read = per_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer``; raises TimeoutError once the request's time is up."""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._connection.settimeout(min(remaining, self._per_read))
        try:
            return self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(self._per_read)


class BoundedRequestHandler(WSGIRequestHandler):
    """werkzeug's handler, one request per connection, reading under the server's request deadline."""

    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive holds a thread
    server: BoundedWSGIServer

    def setup(self) -> None:
        """Set the socket timeout and read the request through a :class:`DeadlineReader`."""
        seconds = self.server.limits.request_seconds
        self.timeout = seconds
        super().setup()
        self.rfile.close()
        self.rfile = io.BufferedReader(DeadlineReader(self.connection, time.monotonic() + seconds, seconds))


class BoundedWSGIServer(BaseWSGIServer):
    """werkzeug's WSGI server with the bounds of :class:`ServerLimits` (see the module docstring).

    Args:
        host, port, app: what to serve where (as for werkzeug's servers).
        handler: the request handler class (a :class:`BoundedRequestHandler`).
        limits: the bounds.
    """

    multithread = True

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        handler: type[BoundedRequestHandler] = BoundedRequestHandler,
        limits: ServerLimits = DEFAULT_LIMITS,
    ):
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_threads)
        self._parked: queue.SimpleQueue[tuple[socket.socket, Any]] = queue.SimpleQueue()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._stopping = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.most_busy = 0
        super().__init__(host, port, app, handler=handler)

    @property
    def busy_threads(self) -> int:
        """How many requests are being served right now."""
        return self._busy

    # ------------------------------------------------------------------ the accept loop's side
    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept connections until :meth:`shutdown`; the dispatcher thread serves them."""
        self._stopping.clear()
        self._dispatcher = threading.Thread(target=self._dispatch, name="rcsim-label-dispatch", daemon=True)
        self._dispatcher.start()
        try:
            super().serve_forever(poll_interval=poll_interval)
        finally:
            self._stop_dispatcher()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Park the accepted connection for the dispatcher (no thread until it sends something)."""
        self._parked.put((request, client_address))
        self._wake()

    def server_close(self) -> None:
        """Close the listening socket and every parked connection."""
        self._stop_dispatcher()
        super().server_close()
        if self._dispatcher is None:
            self._wake_reader.close()
            self._wake_writer.close()

    def _wake(self) -> None:
        try:
            self._wake_writer.send(b"\0")
        except OSError:
            pass  # closed, or its buffer is full: the dispatcher is awake anyway

    def _stop_dispatcher(self) -> None:
        self._stopping.set()
        self._wake()
        if self._dispatcher is not None and self._dispatcher is not threading.current_thread():
            self._dispatcher.join(timeout=10)
            self._dispatcher = None

    # ------------------------------------------------------------------ the dispatcher thread
    def _dispatch(self) -> None:
        """Park connections, close idle ones, and hand those with bytes to read to a bounded thread."""
        selector = selectors.DefaultSelector()
        selector.register(self._wake_reader, selectors.EVENT_READ)
        waiting: dict[socket.socket, tuple[Any, float]] = {}  # oldest first
        try:
            while not self._stopping.is_set():
                self._admit(selector, waiting)
                pause = self._expire(selector, waiting)
                for key, _events in selector.select(timeout=pause):
                    if key.fileobj is self._wake_reader:
                        self._drain_wake()
                        continue
                    if not self._slots.acquire(timeout=DISPATCH_TICK_SECONDS):
                        break  # every thread is busy: the connection stays parked, readable
                    connection = key.fileobj
                    selector.unregister(connection)
                    address, _since = waiting.pop(connection)  # type: ignore[call-overload]
                    self._start_worker(connection, address)  # type: ignore[arg-type]
        finally:
            for connection in list(waiting):
                self._drop(selector, waiting, connection)
            while True:  # connections accepted after the last admission
                try:
                    connection, _address = self._parked.get_nowait()
                except queue.Empty:
                    break
                self.shutdown_request(connection)
            selector.close()

    def _admit(self, selector: selectors.BaseSelector, waiting: dict) -> None:
        now = time.monotonic()
        while True:
            try:
                connection, address = self._parked.get_nowait()
            except queue.Empty:
                break
            try:
                selector.register(connection, selectors.EVENT_READ)
            except (OSError, ValueError):
                self.shutdown_request(connection)
                continue
            waiting[connection] = (address, now)
        while len(waiting) > self.limits.max_waiting:
            self._drop(selector, waiting, next(iter(waiting)))

    def _expire(self, selector: selectors.BaseSelector, waiting: dict) -> float:
        """Close connections parked over ``idle_seconds``; returns how long the next select may wait."""
        now = time.monotonic()
        for connection, (_address, since) in list(waiting.items()):
            left = since + self.limits.idle_seconds - now
            if left > 0:
                return min(left, 1.0)
            self._drop(selector, waiting, connection)
        return 1.0

    def _drop(self, selector: selectors.BaseSelector, waiting: dict, connection: socket.socket) -> None:
        waiting.pop(connection, None)
        try:
            selector.unregister(connection)
        except (KeyError, ValueError):
            pass
        self.shutdown_request(connection)

    def _drain_wake(self) -> None:
        try:
            self._wake_reader.recv(4096)
        except OSError:
            pass

    def _start_worker(self, connection: socket.socket, address: Any) -> None:
        with self._busy_lock:
            self._busy += 1
            self.most_busy = max(self.most_busy, self._busy)
        worker = threading.Thread(
            target=self._serve_connection, args=(connection, address), name="rcsim-label-request", daemon=True
        )
        try:
            worker.start()
        except RuntimeError:  # the process cannot start another thread
            self._finished()
            self.shutdown_request(connection)

    def _serve_connection(self, connection: socket.socket, address: Any) -> None:
        try:
            self.finish_request(connection, address)
        except Exception:  # noqa: BLE001  (werkzeug logs it; the thread must release its slot)
            self.handle_error(connection, address)
        finally:
            self.shutdown_request(connection)
            self._finished()

    def _finished(self) -> None:
        with self._busy_lock:
            self._busy -= 1
        self._slots.release()
