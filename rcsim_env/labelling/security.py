"""Who may use the labelling page and how: bind checks, access token, sessions, CSRF, limits, headers.

The server binds to 127.0.0.1 by default. Binding elsewhere needs an access token
(:func:`check_bind`); the printed URL carries it once (``/?token=...``), after which the
session cookie (HttpOnly, SameSite=Strict) stands for it; scripts may send
``Authorization: Bearer TOKEN`` instead. Without a token, requests must name a loopback
host (``Host`` header), which stops DNS-rebinding pages. A visit costs the database
nothing: the session cookie is signed (see :mod:`~rcsim_env.labelling.session_cookies`) and
the session is stored only when the person types a name. Every POST is checked for
cross-site forgery three ways: the ``Origin`` (or ``Referer``) must be this server, the
body must be JSON (a cross-site form cannot send it without a CORS preflight, which this
server never grants), and the ``X-CSRF-Token`` header must equal the session's token,
which only pages of this origin can read. Bodies are limited to :data:`MAX_BODY_BYTES`
and JSON nesting to :data:`MAX_JSON_DEPTH`; text holding unpaired UTF-16 surrogates
(``"\\ud800"`` in JSON) is refused there too, with a 400 that names the field.
A Content-Security-Policy allows only this server's own script and style files, so even
a sentence that slipped into the HTML could not run.

The checks work on any werkzeug-style request and response, so this module imports
nothing from Flask (``check_bind`` works without it); :meth:`PageSecurity.install` puts
every request of a Flask app through them.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rcsim_env.errors import RCSimError
from rcsim_env.labelling.names import surrogate_position
from rcsim_env.labelling.session_cookies import COOKIE_PATTERN, SessionCookies
from rcsim_env.labelling.store import LabelStore, Session
from rcsim_env.labelling.token_strength import MIN_TOKEN_LENGTH, token_problem

if TYPE_CHECKING:
    from flask import Flask

SESSION_COOKIE = "rcsim_label_session"
MAX_COOKIE_LENGTH = 128
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class LabellingConfigError(RCSimError, ValueError):
    """The labelling server was asked to start in a way that is not safe or cannot work."""


class RequestRefused(Exception):
    """Stop a request with an HTTP ``status`` and a ``message`` for the person or script.

    The app answers it with ``{"error": message}`` (see :func:`rcsim_env.labelling.app.create_app`).
    """

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); False for 0.0.0.0, names, LAN IPs."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse unsafe settings: a non-loopback ``host`` needs a ``token``, and a token must be hard to guess.

    A token needs at least 16 printable characters, no whitespace, and enough entropy
    (see :func:`rcsim_env.labelling.token_strength.token_problem`). Raises
    :class:`LabellingConfigError` saying why and what to do instead.
    """
    if token is not None:
        problem = token_problem(token)
        if problem is not None:
            raise LabellingConfigError(problem)
    if not is_loopback(host) and token is None:
        raise LabellingConfigError(
            f"refusing to bind the labelling page to {host!r} without an access token: anyone who can reach "
            "this machine could read the sentences and add labels. Pass --token (at least "
            f"{MIN_TOKEN_LENGTH} characters, or set RCSIM_LABEL_TOKEN), or bind to 127.0.0.1 and share "
            "the page through an SSH tunnel. Note that the page is plain HTTP: on an untrusted network "
            "put it behind HTTPS."
        )


def token_fingerprint(token: str) -> str:
    """What a session stores to remember that it presented ``token`` (a SHA-256 digest, not the token)."""
    return hashlib.sha256(b"rcsim-label-token:" + token.encode("utf-8")).hexdigest()


@dataclass
class Visit:
    """What the checks learned about one request; the app keeps it in ``flask.g.visit``.

    ``session``: the request's valid session (stored, or only in its signed cookie), or
    None (always set after a checked POST);
    ``token_ok``: the request presented the right access token; ``new_session``: a
    session was opened during this request (its cookie is sent with the response);
    ``body``: the checked JSON object of a POST (None for GET).
    """

    session: Session | None
    token_ok: bool = False
    new_session: bool = False
    body: dict[str, Any] | None = None


class PageSecurity:
    """The labelling page's access rules for a server bound to ``host`` with ``token`` (or None).

    Args:
        store: where sessions live.
        host: the address the server binds to (see :func:`check_bind`).
        token: the access token, or None (loopback only).

    Raises:
        LabellingConfigError: unsafe settings (a public host without a token, a short token).
    """

    def __init__(self, store: LabelStore, host: str = "127.0.0.1", token: str | None = None):
        check_bind(host, token)
        self.store = store
        self.token = token
        self.fingerprint = None if token is None else token_fingerprint(token)
        self.bind_name = host.strip().strip("[]").lower()
        self.cookies = SessionCookies(store.page_secret(), self.fingerprint)

    # ------------------------------------------------------------------ the checks
    def check_host(self, host_header: str) -> None:
        """Without a token, refuse (403) a ``Host`` that is not loopback or the bound address."""
        if self.token is not None:
            return  # the token protects the page; the machine may have many names
        name = urlsplit(f"//{host_header}").hostname or ""
        if name not in LOOPBACK_NAMES and name != self.bind_name and not is_loopback(name):
            raise RequestRefused(
                403,
                f"requests for host {host_header!r} are refused: this page only answers on "
                "localhost / 127.0.0.1 (start it with --host and --token to share it)",
            )

    def session_for(self, cookie: str | None) -> Session | None:
        """The session the ``cookie`` stands for: a stored one, or one only signed so far (not stored).

        None when there is no cookie, a malformed one, an unknown or expired one, or one
        made under another access token.
        """
        if not cookie or len(cookie) > MAX_COOKIE_LENGTH or not COOKIE_PATTERN.fullmatch(cookie):
            return None
        session = self.store.session(cookie)
        if session is None:
            return self.cookies.unsaved(cookie)
        if self.fingerprint is not None and not (
            session.auth and hmac.compare_digest(session.auth, self.fingerprint)
        ):
            return None  # made under another token (or none): not valid any more
        return session

    def check_access(self, request: Any, session: Session | None) -> bool:
        """With a token, a request needs a valid session or the token; returns True when it sent the token.

        Raises :class:`RequestRefused` (401) when neither is there or the token is wrong.
        """
        if self.token is None or session is not None:
            return False
        given = presented_token(request)
        if given is None:
            raise RequestRefused(
                401,
                "this labelling page needs its access token: open the URL that rcsim label serve printed "
                "(it ends in ?token=...), or send Authorization: Bearer TOKEN",
            )
        if not hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8")):
            raise RequestRefused(401, "wrong access token; ask whoever started the server for the right URL")
        return True

    def screen(self, request: Any) -> Visit:
        """Run every check that applies to ``request``; returns its :class:`Visit`.

        GETs are checked for host and access; other methods also for origin, CSRF token
        and a JSON object body. Raises :class:`RequestRefused` with the first failure.
        """
        self.check_host(request.host)
        session = self.session_for(request.cookies.get(SESSION_COOKIE))
        visit = Visit(session, token_ok=self.check_access(request, session))
        if request.method not in SAFE_METHODS:
            check_origin(request)
            visit.session = check_csrf(request, session)
            visit.body = json_body(request)
        return visit

    # ------------------------------------------------------------------ sessions and responses
    def open_session(self, visit: Visit) -> Session:
        """The visit's session, or a new, unstored one whose signed cookie goes with the response.

        Nothing is written to the database: see :meth:`start_labelling`.
        """
        if visit.session is None:
            visit.session = self.cookies.new()
            visit.new_session = True
        return visit.session

    def start_labelling(self, session: Session, annotator: object) -> Session:
        """Name the person of ``session``; a session not stored yet is stored now. Returns the stored session.

        Raises what :func:`rcsim_env.labelling.names.validate_annotator` and the store raise.
        """
        if session.saved:
            return self.store.set_session_annotator(session.id, annotator)  # type: ignore[arg-type]
        return self.store.create_session(session.id, session.csrf_token, session.auth, annotator)  # type: ignore[arg-type]

    def finish(self, response: Any, path: str, visit: Visit | None) -> None:
        """Add the security headers to ``response`` (no caching of page and API) and a new session cookie."""
        response.headers.update(SECURITY_HEADERS)
        if path.startswith("/api/") or path == "/":
            response.headers["Cache-Control"] = "no-store"
        if visit is not None and visit.new_session and visit.session is not None:
            response.set_cookie(
                SESSION_COOKIE,
                visit.session.id,
                httponly=True,
                samesite="Strict",
                path="/",
                max_age=int(self.store.session_max_age),
            )

    def install(self, app: Flask, open_endpoints: Iterable[str] = ()) -> None:
        """Screen every request of ``app`` (except ``open_endpoints``) and finish every response.

        The request's :class:`Visit` is kept in ``flask.g.visit``; a refusal raises
        :class:`RequestRefused` for the app's error handler. Needs Flask.
        """
        from rcsim_env.labelling.flask_imports import g, request

        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
        unchecked = frozenset(open_endpoints)

        @app.before_request
        def screen_request() -> None:
            if request.endpoint not in unchecked:
                g.visit = self.screen(request)

        @app.after_request
        def finish_response(response):
            self.finish(response, request.path, g.get("visit"))
            return response


def presented_token(request: Any) -> str | None:
    """The access token a request carries: ``Authorization: Bearer TOKEN``, else ``?token=``, else None."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.args.get("token")


def check_origin(request: Any) -> None:
    """Refuse (403) a request whose ``Origin`` (or ``Referer``) is another site; scripts send neither."""
    origin = request.headers.get("Origin")
    source = origin if origin is not None else request.headers.get("Referer")
    if source is None:
        return  # not a browser (browsers send Origin on every cross-site POST)
    parts = urlsplit(source)
    if origin == "null" or parts.netloc.lower() != request.host.lower():
        raise RequestRefused(
            403,
            f"cross-site request refused: it came from {source!r:.80}, not from this page ({request.host})",
        )


def check_csrf(request: Any, session: Session | None) -> Session:
    """The session, when the request's ``X-CSRF-Token`` header is its CSRF token; else RequestRefused 403."""
    if session is None:
        raise RequestRefused(403, "no labelling session: reload the page (or GET /api/session first)")
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        raise RequestRefused(403, f"missing CSRF token: send the {CSRF_HEADER} header that the page carries")
    if not hmac.compare_digest(sent.encode("utf-8"), session.csrf_token.encode("utf-8")):
        raise RequestRefused(403, "wrong CSRF token for this session: reload the page")
    return session


def json_body(request: Any) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when empty); RequestRefused (415, 400) for anything else.

    Refused with 400: invalid JSON or UTF-8, nesting deeper than :data:`MAX_JSON_DEPTH`,
    a body that is not an object, and text (keys or values) holding unpaired surrogates.
    """
    if not request.is_json:
        raise RequestRefused(415, "send a JSON body with Content-Type: application/json")
    raw = request.get_data()
    if not raw:
        return {}
    depth = json_nesting(raw)
    if depth > MAX_JSON_DEPTH:
        raise RequestRefused(
            400, f"the JSON body is nested {depth} levels deep; at most {MAX_JSON_DEPTH} are allowed"
        )
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        where = f" ({exc.msg} at character {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
        raise RequestRefused(400, f"the request body is not valid JSON{where}") from None
    if not isinstance(body, dict):
        raise RequestRefused(400, f"the JSON body must be an object, got {type(body).__name__}")
    problem = surrogate_field(body)
    if problem is not None:
        raise RequestRefused(
            400,
            f"{problem} holds an unpaired UTF-16 surrogate (such as \\ud800): that is not text; "
            "send valid Unicode",
        )
    return body


def json_nesting(raw: bytes) -> int:
    """How deep the arrays and objects of the JSON text ``raw`` nest (brackets inside strings do not count).

    A linear scan without recursion, so a pathological body cannot exhaust the stack.
    """
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def surrogate_field(value: object, where: str = "") -> str | None:
    """The name of the first field of a parsed JSON ``value`` whose key or text holds a surrogate, or None."""
    if isinstance(value, str):
        return (where or "the body") if surrogate_position(value) is not None else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if surrogate_position(key) is not None:
                return f"a field name ({ascii(key):.40})"
            found = surrogate_field(item, name)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = surrogate_field(item, f"{where or 'the body'}[{index}]")
            if found is not None:
                return found
    return None
