"""The JSON endpoints the labelling page calls, as a Flask blueprint: ``create_api(store, security, ...)``.

Every ``POST`` has passed :class:`~rcsim_env.labelling.security.PageSecurity` (session
cookie, ``X-CSRF-Token`` header, JSON object body) before it gets here:

- ``GET /api/session``: ``{annotator, csrf_token, live, progress}``; opens a session (a signed
  cookie; nothing is stored yet);
- ``POST /api/session`` ``{"annotator": NAME}``: names the person using this session, which
  is stored from now on;
- ``POST /api/next``: the next pair for this annotator (live requests are leased to them);
- ``POST /api/judgements`` ``{"pair_id", "request_id"?, "score" | "skip": true, "client_id"?}``:
  stores the answer (committed before the response) and returns the next pair;
- ``POST /api/undo``: retracts this session's latest answer and returns that pair again (a
  session can take back only its own answers, whatever name another session types);
- ``GET /api/progress``: counts for the progress line.

Refusals raise :class:`~rcsim_env.labelling.security.RequestRefused`, which the app
answers with ``{"error": message}``: 400 for a malformed body (ids outside 1 .. 2**63 - 1,
text that is not valid Unicode, a score that is not a number in [0, 5]), 404 for an
unknown pair, 409 for a conflict. A store that cannot be written (locked, read-only,
full disk) is answered 503 with a message for the person (see :func:`unavailable_response`):
nothing was stored and the page keeps the answer so it can be sent again.
"""

from __future__ import annotations

from typing import Any

from rcsim_env.errors import InvalidLabelError
from rcsim_env.labelling.flask_imports import Blueprint, HTTPException, Response, g, jsonify, request
from rcsim_env.labelling.security import MAX_BODY_BYTES, PageSecurity, RequestRefused, Visit
from rcsim_env.labelling.store import (
    AlreadyJudgedError,
    Item,
    Judgement,
    LabelStore,
    LabelStoreError,
    LabelStoreUnavailableError,
    RecordResult,
    Session,
    UnknownItemError,
    checked_id,
    checked_score,
)

JUDGEMENT_FIELDS = frozenset({"pair_id", "request_id", "score", "skip", "client_id"})


def error_response(status: int, message: str) -> Response:
    """The JSON answer to a refused request: ``{"error": message}`` with HTTP ``status``."""
    response = jsonify({"error": message})
    response.status_code = status
    return response


def refused_response(refused: RequestRefused) -> Response:
    """The app's handler of :class:`RequestRefused`, raised by the security checks or an endpoint."""
    return error_response(refused.status, refused.message)


def unavailable_response(exc: LabelStoreUnavailableError) -> Response:
    """The app's handler of a store that cannot be written: 503, the reason, and ``Retry-After``.

    The message names the file and the cause; the page shows it and keeps the answer.
    """
    response = error_response(503, str(exc))
    response.headers["Retry-After"] = "5"
    return response


def http_error_response(exc: HTTPException) -> Response | HTTPException:
    """The app's handler of HTTP errors: JSON for API paths and non-GET requests, else werkzeug's page.

    404, 405 and 413 (a body over the size limit) get a sentence saying what was wrong.
    """
    if request.path.startswith("/api/") or request.method != "GET":
        messages = {
            404: f"no such endpoint {request.path!r}",
            405: f"{request.method} is not allowed on {request.path}",
            413: f"the request body is larger than {MAX_BODY_BYTES} bytes",
        }
        return error_response(exc.code or 500, messages.get(exc.code or 0, exc.description or exc.name))
    return exc


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


def answer_note(store: LabelStore, result: RecordResult) -> str:
    """A sentence for the page saying what became of an answer (``result`` of ``store.record_judgement``)."""
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


def annotator_of(session: Session) -> str:
    """The session's annotator name; RequestRefused (409) when the person has not typed one yet."""
    if not session.annotator:
        raise RequestRefused(409, 'type your annotator name first (POST /api/session {"annotator": NAME})')
    return session.annotator


def invalid_score(exc: InvalidLabelError) -> RequestRefused:
    """The 400 refusal of a score that is not a number in [0, 5], with the scale spelled out."""
    return RequestRefused(400, f"invalid score: {exc}; the scale is 0 (different) to 5 (equivalent)")


def checked_answer(body: dict[str, Any]) -> tuple[float | None, bool]:
    """``(score, skipped)`` from a ``POST /api/judgements`` body; RequestRefused (400) for a malformed one.

    The score itself is checked by the store (a number in [0, 5]).
    """
    unknown = sorted(set(body) - JUDGEMENT_FIELDS)
    if unknown:
        raise RequestRefused(
            400, f"unknown field(s) {unknown}; send pair_id, request_id, score or skip, client_id"
        )
    if "pair_id" not in body:
        raise RequestRefused(400, "pair_id is missing: say which pair the answer is for")
    skip = body.get("skip", False)
    if not isinstance(skip, bool):
        raise RequestRefused(400, f"skip must be true or false, got {skip!r:.40}")
    if skip and body.get("score") is not None:
        raise RequestRefused(400, "send either a score or skip: true, not both")
    if not skip and "score" not in body:
        raise RequestRefused(400, "score is missing: send a score from 0 to 5, or skip: true")
    try:
        checked_id(body["pair_id"], "pair_id")
        if body.get("request_id") is not None:
            checked_id(body["request_id"], "request_id")
        if not skip and body["score"] is not None:
            checked_score(body["score"])
    except InvalidLabelError as exc:
        raise invalid_score(exc) from exc
    except LabelStoreError as exc:
        raise RequestRefused(400, str(exc)) from exc
    return (None if skip else body["score"]), skip


def create_api(store: LabelStore, security: PageSecurity, live: bool, lease_seconds: float) -> Blueprint:
    """The ``/api/...`` blueprint over ``store``.

    Args:
        store: where pairs, judgements and sessions live.
        security: opens sessions (the app must :meth:`~PageSecurity.install` it).
        live: a human oracle is attached: with nothing pending, the page waits instead of finishing.
        lease_seconds: how long a live pair stays with the annotator it was shown to.

    Returns:
        A new blueprint named ``api`` (one per app).
    """
    api = Blueprint("api", __name__, url_prefix="/api")

    def visit() -> Visit:
        return g.visit

    def checked_session() -> Session:
        session = visit().session
        assert session is not None  # PageSecurity.screen refuses a POST without one
        return session

    def next_payload(annotator: str) -> dict[str, object]:
        item = store.next_item(annotator, lease_seconds)
        return {
            "item": None if item is None else item.to_dict(),
            "waiting": item is None and live,
            "progress": store.progress(annotator),
        }

    @api.get("/session")
    def get_session():
        session = security.open_session(visit())
        return jsonify(
            {
                "annotator": session.annotator,
                "csrf_token": session.csrf_token,
                "live": live,
                "progress": store.progress(session.annotator),
            }
        )

    @api.post("/session")
    def post_session():
        body: dict[str, Any] = visit().body or {}
        try:
            updated = security.start_labelling(checked_session(), body.get("annotator"))
        except LabelStoreUnavailableError:
            raise
        except LabelStoreError as exc:
            raise RequestRefused(400, str(exc)) from exc
        visit().session = updated
        return jsonify({"annotator": updated.annotator, "progress": store.progress(updated.annotator)})

    @api.post("/next")
    def post_next():
        return jsonify(next_payload(annotator_of(checked_session())))

    @api.get("/progress")
    def get_progress():
        session = visit().session
        return jsonify(store.progress(session.annotator if session else None))

    @api.post("/judgements")
    def post_judgement():
        session = checked_session()
        body: dict[str, Any] = visit().body or {}
        annotator = annotator_of(session)
        score, skipped = checked_answer(body)
        try:
            result = store.record_judgement(
                body["pair_id"],
                annotator,
                score=score,
                skipped=skipped,
                request_id=body.get("request_id"),
                session_id=session.id,
                client_id=body.get("client_id"),
                origin="page",
            )
        except InvalidLabelError as exc:
            raise invalid_score(exc) from exc
        except UnknownItemError as exc:
            raise RequestRefused(404, str(exc)) from exc
        except AlreadyJudgedError as exc:
            raise RequestRefused(409, str(exc)) from exc
        except LabelStoreUnavailableError:
            raise
        except LabelStoreError as exc:
            raise RequestRefused(400, str(exc)) from exc
        payload = {
            "judgement": judgement_dict(result.judgement),
            "duplicate": result.duplicate,
            "used": result.used,
            "note": answer_note(store, result),
            **next_payload(annotator),
        }
        response = jsonify(payload)
        response.status_code = 200 if result.duplicate else 201
        return response

    @api.post("/undo")
    def post_undo():
        session = checked_session()
        annotator = annotator_of(session)
        undone = store.undo_last(annotator, session_id=session.id)
        if undone is None:
            raise RequestRefused(
                409,
                f"nothing to undo: {annotator!r} has no answer left to take back in this browser session "
                "(a session can only take back its own answers)",
            )
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
                "progress": store.progress(annotator),
            }
        )

    return api
