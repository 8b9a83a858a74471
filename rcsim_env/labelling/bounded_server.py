"""A threaded WSGI server whose threads, waits and waiting connections are all bounded.

werkzeug's threaded server starts one thread per connection and waits on it forever: a
few hundred connections that open and send nothing (or half a request, or one byte at a
time) hold as many threads. :class:`BoundedWSGIServer` instead:

- receives every request in one dispatcher thread, without blocking: a connection gets a
  request thread only once its whole request (headers and a body of up to
  :attr:`ServerLimits.max_request_bytes`) has arrived, so a silent, half-sent or trickled
  request never holds one;
- closes a connection that has not delivered its whole request within
  :attr:`ServerLimits.idle_seconds` of connecting, and beyond
  :attr:`ServerLimits.max_waiting` connections in arrival, closes the oldest;
- serves complete requests in at most :attr:`ServerLimits.max_threads` threads, oldest
  first; one that waits longer than :attr:`ServerLimits.request_seconds` for a thread is
  closed (the server is overloaded);
- gives every read and write while serving :attr:`ServerLimits.request_seconds` (a client
  that stops reading its answer cannot hold a thread longer);
- answers one request per connection (HTTP/1.0, ``Connection: close``), so an idle
  keep-alive connection never holds a thread.

The defaults (:data:`DEFAULT_LIMITS`): 32 threads, 10 s to deliver a request, 10 s per
read or write while serving, 256 connections in arrival, 256 KiB per request.
"""

from __future__ import annotations

import collections
import io
import queue
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from rcsim_env.labelling.flask_imports import BaseWSGIServer, WSGIRequestHandler

MAX_TICK_SECONDS = 1.0


@dataclass(frozen=True)
class ServerLimits:
    """The bounds of :class:`BoundedWSGIServer` (see the module docstring).

    Args:
        max_threads: the most requests served at once (each in its own thread).
        request_seconds: the longest a complete request waits for a thread, and the
            longest each read or write may take while it is served.
        idle_seconds: the time a connection has to deliver its whole request.
        max_waiting: the most connections whose request is arriving or waiting for a
            thread; more close the oldest.
        max_request_bytes: requests are gathered up to this size before a thread takes
            them; a larger one gets its thread then (and is refused by the app).
    """

    max_threads: int = 32
    request_seconds: float = 10.0
    idle_seconds: float = 10.0
    max_waiting: int = 256
    max_request_bytes: int = 256 * 1024

    def __post_init__(self) -> None:
        if self.max_threads < 1 or self.max_waiting < 1 or self.max_request_bytes < 1024:
            raise ValueError(f"max_threads, max_waiting >= 1 and max_request_bytes >= 1024 needed: {self}")
        if not (self.request_seconds > 0 and self.idle_seconds > 0):
            raise ValueError(f"request_seconds and idle_seconds must be > 0, got {self}")


DEFAULT_LIMITS = ServerLimits()


def request_complete(data: bytes, limit: int) -> bool:
    """True when ``data`` holds a whole HTTP request head and its ``Content-Length`` body.

    Also True when there is nothing more worth waiting for: ``data`` reached ``limit``
    bytes, the announced body is larger than ``limit``, the body is chunked or waits for
    ``100 Continue``, or ``Content-Length`` is malformed (the request thread answers those).
    """
    if len(data) >= limit:
        return True
    end, separator = data.find(b"\r\n\r\n"), 4
    if end < 0:
        end, separator = data.find(b"\n\n"), 2
    if end < 0:
        return False
    length = 0
    for line in data[:end].decode("latin-1").splitlines()[1:]:
        name, _colon, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "transfer-encoding" or (name == "expect" and value == "100-continue"):
            return True
        if name == "content-length":
            if not value.isdigit():
                return True
            length = int(value)
    body_start = end + separator
    return body_start + length > limit or len(data) - body_start >= length


class PrereadReader(io.RawIOBase):
    """Reads the bytes the dispatcher already received, then the socket (each read within ``per_read`` s)."""

    def __init__(self, preread: bytes, connection: socket.socket, per_read: float):
        super().__init__()
        self._preread = memoryview(preread)
        self._connection = connection
        self._connection.settimeout(per_read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from what was received first, then from the socket; TimeoutError when it stalls."""
        if self._preread:
            count = min(len(buffer), len(self._preread))
            buffer[:count] = self._preread[:count]
            self._preread = self._preread[count:]
            return count
        return self._connection.recv_into(buffer)


class BoundedRequestHandler(WSGIRequestHandler):
    """werkzeug's handler for one request per connection, reading the request the dispatcher gathered."""

    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive holds a thread
    server: BoundedWSGIServer

    def setup(self) -> None:
        """Read the request from the dispatcher's bytes, then the socket; every read and write is timed."""
        seconds = self.server.limits.request_seconds
        self.timeout = seconds
        super().setup()
        self.rfile.close()
        preread = self.server.take_preread(self.connection)
        self.rfile = io.BufferedReader(PrereadReader(preread, self.connection, seconds))


@dataclass
class _Arrival:
    """A connection whose request is arriving (``buffer``) or complete and waiting for a thread."""

    connection: socket.socket
    address: Any
    since: float
    buffer: bytearray = field(default_factory=bytearray)
    complete_at: float | None = None


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
        self._accepted: queue.SimpleQueue[tuple[socket.socket, Any]] = queue.SimpleQueue()
        self._preread: dict[socket.socket, bytes] = {}
        self._preread_lock = threading.Lock()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_writer.setblocking(False)
        self._stopping = threading.Event()
        self._dispatcher: threading.Thread | None = None
        super().__init__(host, port, app, handler=handler)

    # ------------------------------------------------------------------ the accept loop's side
    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept connections until :meth:`shutdown`; the dispatcher thread receives and hands them on."""
        self._stopping.clear()
        self._dispatcher = threading.Thread(target=self._dispatch, name="rcsim-label-dispatch", daemon=True)
        self._dispatcher.start()
        try:
            super().serve_forever(poll_interval=poll_interval)
        finally:
            self._stop_dispatcher()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the accepted connection to the dispatcher (no thread until its request is complete)."""
        self._accepted.put((request, client_address))
        self._wake()

    def take_preread(self, connection: socket.socket) -> bytes:
        """The bytes of ``connection``'s request that the dispatcher received (once; then empty)."""
        with self._preread_lock:
            return self._preread.pop(connection, b"")

    def server_close(self) -> None:
        """Close the listening socket and every connection not handed to a thread."""
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
        """Receive requests without blocking, close stale connections, start threads for complete requests."""
        selector = selectors.DefaultSelector()
        selector.register(self._wake_reader, selectors.EVENT_READ)
        arriving: dict[socket.socket, _Arrival] = {}  # in the order they connected
        complete: collections.deque[_Arrival] = collections.deque()
        try:
            while not self._stopping.is_set():
                self._admit(selector, arriving, complete)
                pause = self._expire(selector, arriving, complete)
                while complete and self._slots.acquire(blocking=False):
                    arrival = complete.popleft()
                    self._start_worker(arrival)
                for key, _events in selector.select(timeout=pause):
                    if key.fileobj is self._wake_reader:
                        self._drain_wake()
                    else:
                        self._receive(selector, arriving, complete, key.fileobj)  # type: ignore[arg-type]
        finally:
            for arrival in [*arriving.values(), *complete]:
                self.shutdown_request(arrival.connection)
            while True:  # connections accepted after the last admission
                try:
                    connection, _address = self._accepted.get_nowait()
                except queue.Empty:
                    break
                self.shutdown_request(connection)
            selector.close()

    def _admit(self, selector: selectors.BaseSelector, arriving: dict, complete: collections.deque) -> None:
        now = time.monotonic()
        while True:
            try:
                connection, address = self._accepted.get_nowait()
            except queue.Empty:
                break
            try:
                connection.setblocking(False)
                selector.register(connection, selectors.EVENT_READ)
            except (OSError, ValueError):
                self.shutdown_request(connection)
                continue
            arriving[connection] = _Arrival(connection, address, now)
        while arriving and len(arriving) + len(complete) > self.limits.max_waiting:
            self._drop(selector, arriving, next(iter(arriving)))

    def _receive(
        self,
        selector: selectors.BaseSelector,
        arriving: dict,
        complete: collections.deque,
        connection: socket.socket,
    ) -> None:
        arrival = arriving[connection]
        room = self.limits.max_request_bytes - len(arrival.buffer)
        try:
            data = connection.recv(max(room, 1))
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client went away before its request was complete
            self._drop(selector, arriving, connection)
            return
        arrival.buffer += data
        if request_complete(bytes(arrival.buffer), self.limits.max_request_bytes):
            selector.unregister(connection)
            del arriving[connection]
            arrival.complete_at = time.monotonic()
            complete.append(arrival)

    def _expire(self, selector: selectors.BaseSelector, arriving: dict, complete: collections.deque) -> float:
        """Close what waited too long; returns how long the next select may wait."""
        now = time.monotonic()
        pause = MAX_TICK_SECONDS
        for connection, arrival in list(arriving.items()):
            left = arrival.since + self.limits.idle_seconds - now
            if left > 0:
                pause = min(pause, left)
                break  # the rest connected later
            self._drop(selector, arriving, connection)
        while complete and complete[0].complete_at + self.limits.request_seconds <= now:  # type: ignore[operator]
            self.shutdown_request(complete.popleft().connection)
        if complete:
            pause = min(pause, complete[0].complete_at + self.limits.request_seconds - now)  # type: ignore[operator]
        return max(pause, 0.0)

    def _drop(self, selector: selectors.BaseSelector, arriving: dict, connection: socket.socket) -> None:
        arriving.pop(connection, None)
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

    def _start_worker(self, arrival: _Arrival) -> None:
        with self._preread_lock:
            self._preread[arrival.connection] = bytes(arrival.buffer)
        worker = threading.Thread(
            target=self._serve_connection,
            args=(arrival.connection, arrival.address),
            name="rcsim-label-request",
            daemon=True,
        )
        try:
            worker.start()
        except RuntimeError:  # the process cannot start another thread
            self.take_preread(arrival.connection)
            self.shutdown_request(arrival.connection)
            self._slots.release()

    def _serve_connection(self, connection: socket.socket, address: Any) -> None:
        try:
            self.finish_request(connection, address)
        except Exception:  # noqa: BLE001  (werkzeug logs it; the thread must release its slot)
            self.handle_error(connection, address)
        finally:
            self.take_preread(connection)
            self.shutdown_request(connection)
            self._slots.release()
            self._wake()  # a complete request may be waiting for this thread
