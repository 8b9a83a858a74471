"""Serve the labelling app over HTTP, in the foreground or a background thread, within fixed limits.

The server (:class:`~rcsim_env.labelling.bounded_server.BoundedWSGIServer`) bounds its
threads, the time a request may take and the connections it keeps waiting. By default:
at most 32 requests served at once (a request gets a thread only once it has fully
arrived), 10 s for a connection to deliver its request, 10 s per read or write while
serving, 256 connections in arrival; see
:class:`~rcsim_env.labelling.bounded_server.ServerLimits`. Before it listens it checks that
the label store can be written, and refuses to start with a message naming the file if not.

Needs Flask (``pip install "rcsim[label]"``): without it, importing this module raises
:class:`~rcsim_env.labelling.needs_flask.FlaskNotInstalledError`.
"""

from __future__ import annotations

import threading
from urllib.parse import quote

from rcsim_env.labelling.app import create_app
from rcsim_env.labelling.bounded_server import (
    DEFAULT_LIMITS,
    BoundedRequestHandler,
    BoundedWSGIServer,
    ServerLimits,
)
from rcsim_env.labelling.security import check_bind
from rcsim_env.labelling.store import DEFAULT_LEASE_SECONDS, LabelStore


class _QuietHandler(BoundedRequestHandler):
    """Log errors but not one line per request (a live run polls the page every second), nor timeouts."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log_error(self, format: str, *args: object) -> None:
        if not format.startswith("Request timed out"):  # a client that went quiet is not an error here
            super().log_error(format, *args)


class LabellingServer:
    """The labelling page over ``store`` on ``host:port`` (one thread per request, within ``limits``).

    Args:
        store: the label store the page reads and writes.
        host: the address to bind; anything but loopback needs ``token``.
        port: the TCP port; 0 picks a free one (see :attr:`port`).
        token: the access token (None: loopback only).
        live: a human oracle is attached (the page waits for the agent's pairs).
        lease_seconds: how long a live pair stays with the annotator it was shown to.
        log_requests: log one line per request (werkzeug's access log).
        limits: the server's bounds on threads, request time and waiting connections.

    Raises:
        LabellingConfigError: unsafe settings (a public host without a token, a weak token).
        LabelStoreUnavailableError: the store cannot be written (read-only file or folder,
            full disk, locked by another program); the message names the file.
        OSError: the port is taken or the address cannot be bound.
    """

    def __init__(
        self,
        store: LabelStore,
        host: str = "127.0.0.1",
        port: int = 8765,
        token: str | None = None,
        live: bool = False,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        log_requests: bool = False,
        limits: ServerLimits = DEFAULT_LIMITS,
    ):
        check_bind(host, token)
        store.check_writable()
        self.store = store
        self.host = host
        self.token = token
        self.app = create_app(store, host=host, token=token, live=live, lease_seconds=lease_seconds)
        handler = BoundedRequestHandler if log_requests else _QuietHandler
        self._server = BoundedWSGIServer(host, int(port), self.app, handler=handler, limits=limits)
        self.port = int(self._server.server_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's address (without the token)."""
        host = self.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    @property
    def login_url(self) -> str:
        """The address to open first: :attr:`url` plus ``?token=...`` when a token is set."""
        return self.url if self.token is None else f"{self.url}?token={quote(self.token, safe='')}"

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`shutdown` (or Ctrl-C in the caller)."""
        self._server.serve_forever()

    def start(self) -> LabellingServer:
        """Serve in a daemon thread and return at once (the process may exit without stopping it)."""
        if self._thread is not None:
            raise RuntimeError("the labelling server is already running")
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="rcsim-label-server", daemon=True
        )
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop serving and close the socket; waits for the serving thread."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LabellingServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
