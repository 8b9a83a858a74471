"""A real HTTP server on 127.0.0.1, in a thread, serving byte strings with chosen misbehaviour."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Route:
    """What one path answers.

    ``send_bytes``: stop after this many bytes of ``body`` (then wait on ``stall`` if given,
    then close the connection). ``content_length``: announce the full body length.
    ``sent``: set once the first part has been written.
    """

    body: bytes = b""
    send_bytes: int | None = None
    content_length: bool = True
    status: int = 200
    location: str | None = None
    stall: threading.Event | None = None
    sent: threading.Event = field(default_factory=threading.Event)


class LocalServer:
    """Serves :class:`Route`s by path; ``url(path)`` is the address of one."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                requests.append(self.path)
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404, "not here")
                    return
                self.send_response(route.status)
                if route.location is not None:
                    self.send_header("Location", route.location)
                if route.content_length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                part = route.body if route.send_bytes is None else route.body[: route.send_bytes]
                try:
                    self.wfile.write(part)
                    self.wfile.flush()
                except OSError:  # the client went away
                    return
                finally:
                    route.sent.set()
                if route.stall is not None:
                    route.stall.wait(30)
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def serve(self, path: str, body: bytes = b"", **options: object) -> str:
        """Answer ``path`` with ``body`` (and :class:`Route` ``options``); return its URL."""
        self.routes[path] = Route(body, **options)  # type: ignore[arg-type]
        return self.url(path)


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A started :class:`LocalServer`; shut down after the test."""
    server = LocalServer()
    server.thread.start()
    try:
        yield server
    finally:
        for route in server.routes.values():
            if route.stall is not None:
                route.stall.set()
        server.server.shutdown()
        server.server.server_close()
