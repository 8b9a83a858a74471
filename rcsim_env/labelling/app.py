"""The labelling app: ``create_app(store, ...)`` joins security, the page and the JSON API in a Flask app.

The parts: :mod:`~rcsim_env.labelling.security` (who may use the page: bind checks,
access token, sessions, CSRF, limits, headers), :mod:`~rcsim_env.labelling.pages`
(``GET /``, ``GET /healthz``, ``/static/...``) and :mod:`~rcsim_env.labelling.api`
(the ``/api/...`` endpoints the page calls). Serve the app with
:class:`~rcsim_env.labelling.server.LabellingServer`.

Flask is an optional extra (``pip install "rcsim[label]"``). This module imports
without it, so :func:`check_bind` and the names below stay importable from here;
:func:`create_app` raises :class:`~rcsim_env.labelling.needs_flask.FlaskNotInstalledError`.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from rcsim_env.labelling.guidelines import STS_GUIDELINES
from rcsim_env.labelling.needs_flask import FlaskNotInstalledError
from rcsim_env.labelling.security import (
    CONTENT_SECURITY_POLICY,
    CSRF_HEADER,
    LOOPBACK_NAMES,
    MAX_BODY_BYTES,
    MIN_TOKEN_LENGTH,
    SESSION_COOKIE,
    LabellingConfigError,
    PageSecurity,
    RequestRefused,
    check_bind,
    is_loopback,
    token_fingerprint,
)
from rcsim_env.labelling.store import DEFAULT_LEASE_SECONDS, LabelStore, LabelStoreUnavailableError
from rcsim_env.labelling.store_errors import store_error

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CSRF_HEADER",
    "LOOPBACK_NAMES",
    "MAX_BODY_BYTES",
    "MIN_TOKEN_LENGTH",
    "SESSION_COOKIE",
    "STS_GUIDELINES",
    "FlaskNotInstalledError",
    "LabellingConfigError",
    "check_bind",
    "create_app",
    "is_loopback",
    "token_fingerprint",
]


def create_app(
    store: LabelStore,
    host: str = "127.0.0.1",
    token: str | None = None,
    live: bool = False,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    title: str = "rcsim labelling",
) -> Flask:
    """Build the labelling app over ``store``.

    Args:
        store: where pairs, judgements and sessions live.
        host: the address the server binds to; a non-loopback one needs ``token``
            (see :func:`check_bind`).
        token: the access token, or None (loopback only).
        live: a human oracle is attached: when nothing is pending, the page waits for
            the agent's next pair instead of saying the work is done.
        lease_seconds: how long a live pair stays with the annotator it was shown to.
        title: the page title.

    Returns:
        The Flask app (serve it with :class:`rcsim_env.labelling.server.LabellingServer`,
        or test it with ``app.test_client()``).

    Raises:
        LabellingConfigError: unsafe or impossible settings (checked before Flask is needed).
        FlaskNotInstalledError: Flask is not installed.
    """
    security = PageSecurity(store, host, token)
    if not lease_seconds > 0:
        raise LabellingConfigError(f"lease_seconds must be > 0, got {lease_seconds}")
    # the page's parts need Flask: imported here, so that importing this module does not
    from rcsim_env.labelling.api import (
        create_api,
        error_response,
        http_error_response,
        refused_response,
        unavailable_response,
    )
    from rcsim_env.labelling.flask_imports import Flask, HTTPException
    from rcsim_env.labelling.pages import OPEN_ENDPOINTS, create_pages

    app = Flask(__name__, static_folder=None, template_folder=None)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["rcsim_label_store"] = store
    security.install(app, open_endpoints=OPEN_ENDPOINTS)
    app.register_blueprint(create_pages(security, title=title, live=live))
    app.register_blueprint(create_api(store, security, live=live, lease_seconds=lease_seconds))
    app.register_error_handler(RequestRefused, refused_response)
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(LabelStoreUnavailableError, unavailable_response)

    def sqlite_error_response(exc: sqlite3.Error):
        """A SQLite error that escaped the store (a read): 503 when the file cannot be used now, else 500."""
        error = store_error(store.path, exc, store.busy_timeout)
        if isinstance(error, LabelStoreUnavailableError):
            return unavailable_response(error)
        return error_response(500, str(error))

    app.register_error_handler(sqlite3.Error, sqlite_error_response)
    app.teardown_request(lambda _exc: store.close_thread_connection())
    return app
