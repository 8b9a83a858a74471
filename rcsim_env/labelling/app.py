"""The labelling page and its JSON API, as a Flask app: ``create_app(store, ...)``.

Pages and endpoints (every ``POST`` needs the session cookie and the session's CSRF token
in the ``X-CSRF-Token`` header, and a JSON body):

- ``GET /``: the page (sentences are filled in by script with ``textContent``, never as HTML);
- ``GET /healthz``: ``ok`` (for scripts waiting for the server);
- ``GET /api/session``: ``{annotator, csrf_token, live, progress}``; opens a session (cookie);
- ``POST /api/session`` ``{"annotator": NAME}``: names the person using this session;
- ``POST /api/next``: the next pair for this annotator (live requests are leased to them);
- ``POST /api/judgements`` ``{"pair_id", "request_id"?, "score" | "skip": true, "client_id"?}``:
  stores the answer (committed before the response) and returns the next pair;
- ``POST /api/undo``: retracts this annotator's latest answer and returns that pair again;
- ``GET /api/progress``: counts for the progress line.

Security. The server binds to 127.0.0.1 by default. Binding elsewhere needs an access
token (:func:`check_bind`); the printed URL carries it once (``/?token=...``), after
which the session cookie (HttpOnly, SameSite=Strict) stands for it; scripts may send
``Authorization: Bearer TOKEN`` instead. Without a token, requests must name a loopback
host (``Host`` header), which stops DNS-rebinding pages. Every POST is checked for
cross-site forgery three ways: the ``Origin`` (or ``Referer``) must be this server, the
body must be JSON (a cross-site form cannot send it without a CORS preflight, which
this server never grants), and the ``X-CSRF-Token`` header must equal the session's
token, which only pages of this origin can read. A Content-Security-Policy allows only
this server's own script and style files, so even a sentence that slipped into the HTML
could not run.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, make_response, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from rcsim_env.errors import InvalidLabelError, RCSimError
from rcsim_env.labelling.store import (
    DEFAULT_LEASE_SECONDS,
    AlreadyJudgedError,
    Item,
    Judgement,
    LabelStore,
    LabelStoreError,
    RecordResult,
    Session,
    UnknownItemError,
)

SESSION_COOKIE = "rcsim_label_session"
CSRF_HEADER = "X-CSRF-Token"
MIN_TOKEN_LENGTH = 16
MAX_BODY_BYTES = 64 * 1024
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
PACKAGE_DIR = Path(__file__).resolve().parent

# The SemEval STS annotation guidelines (Agirre et al.), one line per point of the 0-5 scale.
STS_GUIDELINES: tuple[tuple[int, str, str], ...] = (
    (5, "Completely equivalent", "The two sentences are completely equivalent, as they mean the same thing."),
    (4, "Mostly equivalent", "The two sentences are mostly equivalent, but some unimportant details differ."),
    (
        3,
        "Roughly equivalent",
        "The two sentences are roughly equivalent, but some important information differs or is missing.",
    ),
    (2, "Not equivalent, share details", "The two sentences are not equivalent, but share some details."),
    (1, "Not equivalent, same topic", "The two sentences are not equivalent, but are on the same topic."),
    (0, "Different", "The two sentences are completely dissimilar."),
)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class LabellingConfigError(RCSimError, ValueError):
    """The labelling server was asked to start in a way that is not safe or cannot work."""


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
    """Refuse unsafe settings: a non-loopback ``host`` needs a ``token`` of at least 16 characters.

    Raises :class:`LabellingConfigError` with what to do instead.
    """
    if token is not None:
        if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH or not token.isprintable():
            raise LabellingConfigError(
                f"the access token must be at least {MIN_TOKEN_LENGTH} printable characters; make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe())'"
            )
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


def judgement_dict(judgement: Judgement) -> dict[str, object]:
    """The JSON shape of a stored judgement."""
    return {
        "id": judgement.id,
        "pair_id": judgement.pair_id,
        "annotator": judgement.annotator,
        "score": judgement.score,
        "skipped": judgement.skipped,
        "judged_at": judgement.judged_at,
        "request_id": judgement.request_id,
        "retracted": judgement.retracted,
    }


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


class _Refused(Exception):
    """Stop a request with an HTTP status and a message for the person or script."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


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
    """
    check_bind(host, token)
    if not lease_seconds > 0:
        raise LabellingConfigError(f"lease_seconds must be > 0, got {lease_seconds}")
    app = Flask(
        __name__,
        static_folder=str(PACKAGE_DIR / "static"),
        template_folder=str(PACKAGE_DIR / "templates"),
    )
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["rcsim_label_store"] = store
    fingerprint = None if token is None else token_fingerprint(token)
    bind_name = host.strip().strip("[]").lower()

    # ------------------------------------------------------------------ request checks
    def check_host() -> None:
        if token is not None:
            return  # the token protects the page; the machine may have many names
        name = urlsplit(f"//{request.host}").hostname or ""
        if name not in LOOPBACK_NAMES and name != bind_name and not is_loopback(name):
            raise _Refused(
                403,
                f"requests for host {request.host!r} are refused: this page only answers on "
                "localhost / 127.0.0.1 (start it with --host and --token to share it)",
            )

    def presented_token() -> str | None:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return request.args.get("token")

    def current_session() -> Session | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie or len(cookie) > 128:
            return None
        session = store.session(cookie)
        if session is None:
            return None
        if fingerprint is not None and not (session.auth and hmac.compare_digest(session.auth, fingerprint)):
            return None  # made under another token (or none): not valid any more
        return session

    def check_access() -> None:
        g.session = current_session()
        if token is None or g.session is not None:
            return
        given = presented_token()
        if given is None:
            raise _Refused(
                401,
                "this labelling page needs its access token: open the URL that rcsim-label serve printed "
                "(it ends in ?token=...), or send Authorization: Bearer TOKEN",
            )
        if not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
            raise _Refused(401, "wrong access token; ask whoever started the server for the right URL")
        g.token_ok = True

    def check_origin() -> None:
        origin = request.headers.get("Origin")
        source = origin if origin is not None else request.headers.get("Referer")
        if source is None:
            return  # not a browser (browsers send Origin on every cross-site POST)
        parts = urlsplit(source)
        if origin == "null" or parts.netloc.lower() != request.host.lower():
            raise _Refused(
                403,
                f"cross-site request refused: it came from {source!r:.80}, "
                f"not from this page ({request.host})",
            )

    def check_csrf() -> Session:
        session = g.session
        if session is None:
            raise _Refused(403, "no labelling session: reload the page (or GET /api/session first)")
        sent = request.headers.get(CSRF_HEADER)
        if not sent:
            raise _Refused(403, f"missing CSRF token: send the {CSRF_HEADER} header that the page carries")
        if not hmac.compare_digest(sent.encode("utf-8"), session.csrf_token.encode("utf-8")):
            raise _Refused(403, "wrong CSRF token for this session: reload the page")
        return session

    def json_body() -> dict[str, object]:
        if not request.is_json:
            raise _Refused(415, "send a JSON body with Content-Type: application/json")
        body = request.get_json(silent=True)
        if body is None and request.get_data():
            raise _Refused(400, "the request body is not valid JSON")
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _Refused(400, f"the JSON body must be an object, got {type(body).__name__}")
        return body

    def open_session() -> Session:
        if g.session is None:
            auth = fingerprint if (token is None or g.get("token_ok")) else None
            g.session = store.create_session(secrets.token_urlsafe(24), secrets.token_urlsafe(32), auth)
            g.new_session = True
        return g.session

    def annotator_of(session: Session) -> str:
        if not session.annotator:
            raise _Refused(409, 'type your annotator name first (POST /api/session {"annotator": NAME})')
        return session.annotator

    def progress(annotator: str | None) -> dict[str, int]:
        return store.progress(annotator)

    def next_payload(annotator: str) -> dict[str, object]:
        item = store.next_item(annotator, lease_seconds)
        return {
            "item": None if item is None else item.to_dict(),
            "waiting": item is None and live,
            "progress": progress(annotator),
        }

    @app.before_request
    def guard():
        if request.endpoint in ("static", "healthz"):
            return None
        try:
            check_host()
            check_access()
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                check_origin()
                g.checked_session = check_csrf()
                g.body = json_body()
        except _Refused as refused:
            return _error(refused.status, refused.message)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.path.startswith("/api/") or request.path == "/":
            response.headers["Cache-Control"] = "no-store"
        if g.get("new_session"):
            response.set_cookie(
                SESSION_COOKIE,
                g.session.id,
                httponly=True,
                samesite="Strict",
                path="/",
                max_age=30 * 24 * 3600,
            )
        return response

    @app.teardown_request
    def release(_exc: BaseException | None) -> None:
        store.close_thread_connection()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/") or request.method != "GET":
            messages = {
                404: f"no such endpoint {request.path!r}",
                405: f"{request.method} is not allowed on {request.path}",
                413: f"the request body is larger than {MAX_BODY_BYTES} bytes",
            }
            return _error(exc.code or 500, messages.get(exc.code or 0, exc.description or exc.name))
        return exc

    # ------------------------------------------------------------------ pages
    @app.get("/healthz")
    def healthz():
        return Response("ok\n", mimetype="text/plain")

    @app.get("/")
    def index():
        session = open_session()
        if token is not None and "token" in request.args:
            response = redirect("/", code=303)  # drop the token from the address bar and history
            response.headers["Cache-Control"] = "no-store"
            return response
        page = render_template(
            "index.html",
            title=title,
            csrf_token=session.csrf_token,
            guidelines=STS_GUIDELINES,
            live=live,
        )
        return make_response(page)

    # ------------------------------------------------------------------ API
    @app.get("/api/session")
    def get_session():
        session = open_session()
        return jsonify(
            {
                "annotator": session.annotator,
                "csrf_token": session.csrf_token,
                "live": live,
                "progress": progress(session.annotator),
            }
        )

    @app.post("/api/session")
    def post_session():
        session = g.checked_session
        try:
            updated = store.set_session_annotator(session.id, g.body.get("annotator"))  # type: ignore[arg-type]
        except LabelStoreError as exc:
            return _error(400, str(exc))
        g.session = updated
        return jsonify({"annotator": updated.annotator, "progress": progress(updated.annotator)})

    @app.post("/api/next")
    def post_next():
        try:
            annotator = annotator_of(g.checked_session)
        except _Refused as refused:
            return _error(refused.status, refused.message)
        return jsonify(next_payload(annotator))

    @app.get("/api/progress")
    def get_progress():
        session = g.session
        return jsonify(progress(session.annotator if session else None))

    @app.post("/api/judgements")
    def post_judgement():
        session = g.checked_session
        body = g.body
        try:
            annotator = annotator_of(session)
        except _Refused as refused:
            return _error(refused.status, refused.message)
        unknown = sorted(set(body) - {"pair_id", "request_id", "score", "skip", "client_id"})
        if unknown:
            return _error(
                400, f"unknown field(s) {unknown}; send pair_id, request_id, score or skip, client_id"
            )
        if "pair_id" not in body:
            return _error(400, "pair_id is missing: say which pair the answer is for")
        skip = body.get("skip", False)
        if not isinstance(skip, bool):
            return _error(400, f"skip must be true or false, got {skip!r:.40}")
        if skip and body.get("score") is not None:
            return _error(400, "send either a score or skip: true, not both")
        if not skip and "score" not in body:
            return _error(400, "score is missing: send a score from 0 to 5, or skip: true")
        try:
            result = store.record_judgement(
                body["pair_id"],  # type: ignore[arg-type]
                annotator,
                score=None if skip else body["score"],
                skipped=skip,
                request_id=body.get("request_id"),  # type: ignore[arg-type]
                session_id=session.id,
                client_id=body.get("client_id"),  # type: ignore[arg-type]
                origin="page",
            )
        except InvalidLabelError as exc:
            return _error(400, f"invalid score: {exc}; the scale is 0 (different) to 5 (equivalent)")
        except UnknownItemError as exc:
            return _error(404, str(exc))
        except AlreadyJudgedError as exc:
            return _error(409, str(exc))
        except LabelStoreError as exc:
            return _error(400, str(exc))
        payload = {
            "judgement": judgement_dict(result.judgement),
            "duplicate": result.duplicate,
            "used": result.used,
            "note": _answer_note(store, result),
            **next_payload(annotator),
        }
        response = jsonify(payload)
        response.status_code = 200 if result.duplicate else 201
        return response

    @app.post("/api/undo")
    def post_undo():
        try:
            annotator = annotator_of(g.checked_session)
        except _Refused as refused:
            return _error(refused.status, refused.message)
        undone = store.undo_last(annotator)
        if undone is None:
            return _error(409, f"nothing to undo: {annotator!r} has no answer left to take back")
        note = "undone: the answer is kept in the database, marked retracted; answer the pair again"
        if undone.request_id is not None:
            request_row = store.request(undone.request_id)
            if request_row.judgement_id == undone.id:
                note = (
                    "undone and marked retracted; the agent had already used this answer, so a new "
                    "answer is stored as a correction for later training (the agent does not see it)"
                )
        item = Item(store.pair(undone.pair_id), undone.request_id)
        return jsonify(
            {
                "undone": judgement_dict(undone),
                "item": item.to_dict(),
                "correction": undone.request_id is not None,
                "note": note,
                "progress": progress(annotator),
            }
        )

    return app


def _answer_note(store: LabelStore, result: RecordResult) -> str:
    """A sentence for the page saying what became of an answer."""
    if result.duplicate:
        return "already saved (this answer was sent twice; it is stored once)"
    state = result.request_state
    if state is None:
        return "saved"
    if result.used:
        return "saved; the agent got your answer"
    if state == "timed_out":
        return "saved, but the agent had stopped waiting for this pair and skipped it; your label is kept"
    if state == "cancelled":
        return "saved; the run that asked for this pair has stopped; your label is kept"
    request_row = store.request(result.judgement.request_id)  # type: ignore[arg-type]
    first = store.judgement(request_row.judgement_id) if request_row.judgement_id else None
    if first is not None and first.annotator == result.judgement.annotator:
        return "saved as a correction; the agent had already used your first answer"
    return "saved; another annotator answered this pair first, so yours is kept as an extra label"
