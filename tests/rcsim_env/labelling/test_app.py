"""The labelling app through Flask's test client: every endpoint, every refusal, tokens and CSRF."""

import re

import pytest

from rcsim_env.labelling import cli
from rcsim_env.labelling.app import (
    CONTENT_SECURITY_POLICY,
    SESSION_COOKIE,
    STS_GUIDELINES,
    LabellingConfigError,
    check_bind,
    create_app,
    is_loopback,
)
from rcsim_env.labelling.server import LabellingServer

TOKEN = "correct-horse-battery-staple-42"


class Browser:
    """A test client that behaves like the page: a session, the CSRF header, JSON bodies."""

    def __init__(self, app, name="ann"):
        self.client = app.test_client()
        self.csrf = self.client.get("/api/session").get_json()["csrf_token"]
        if name:
            assert self.post("/api/session", {"annotator": name}).status_code == 200

    def post(self, path, body=None, **headers):
        sent = {"X-CSRF-Token": self.csrf, **headers}
        return self.client.post(path, json={} if body is None else body, headers=sent)

    def answer(self, pair_id, **fields):
        return self.post("/api/judgements", {"pair_id": pair_id, **fields})


@pytest.fixture
def app(task_store):
    return create_app(task_store)


@pytest.fixture
def ann(app):
    return Browser(app)


def test_the_page_has_six_guideline_buttons_and_only_local_assets(app, task_store):
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for value, name, text in STS_GUIDELINES:
        assert f'data-score="{value}"' in html and name in html and text in html
    assert len(re.findall(r'class="score"', html)) == 6
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/static/") for source in sources)
    assert "<script>" not in html  # no inline script: the CSP forbids it anyway
    assert task_store.pair(1).sentence_a not in html  # sentences arrive as JSON, set with textContent
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(SESSION_COOKIE) and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert task_store.session(session_id) is None  # a visit stores nothing...
    named = client.post("/api/session", json={"annotator": "ann"}, headers={"X-CSRF-Token": csrf})
    assert named.status_code == 200  # ...until the person starts labelling, with the page's CSRF token
    assert task_store.session(session_id).csrf_token == csrf
    for asset, kind in [("/static/label.js", "javascript"), ("/static/label.css", "text/css")]:
        served = client.get(asset)
        assert served.status_code == 200 and kind in served.headers["Content-Type"]
        assert b"http://" not in served.data and b"https://" not in served.data  # no CDN


def test_healthz_and_progress(app, ann):
    assert app.test_client().get("/healthz").get_data(as_text=True) == "ok\n"
    progress = ann.client.get("/api/progress").get_json()
    assert progress == {"task_total": 6, "task_done": 0, "answered": 0, "pending": 0, "judgements": 0}


def test_session_endpoint_names_the_annotator_and_refuses_bad_names(app):
    browser = Browser(app, name=None)
    session = browser.client.get("/api/session").get_json()
    assert session["annotator"] is None and session["live"] is False
    assert browser.post("/api/session", {"annotator": "  Ann  "}).get_json()["annotator"] == "Ann"
    assert browser.client.get("/api/session").get_json()["annotator"] == "Ann"
    for bad, message in [
        ("", "empty"),
        ("x" * 80, "80 characters"),
        ("a\u0000b", "control"),
        (5, "text name"),
    ]:
        response = browser.post("/api/session", {"annotator": bad})
        assert response.status_code == 400 and message in response.get_json()["error"]


def test_next_needs_a_name_then_walks_the_set(app, ann):
    nameless = Browser(app, name=None)
    refused = nameless.post("/api/next")
    assert refused.status_code == 409 and "annotator name" in refused.get_json()["error"]
    payload = ann.post("/api/next").get_json()
    assert payload["item"]["pair_id"] == 1 and payload["item"]["request_id"] is None
    assert payload["waiting"] is False and payload["progress"]["task_total"] == 6


def test_answer_skip_duplicate_and_progress(ann, task_store):
    first = ann.answer(1, score=4, client_id="c1")
    assert first.status_code == 201
    body = first.get_json()
    assert body["judgement"]["score"] == 4.0 and body["duplicate"] is False and body["note"] == "saved"
    assert body["item"]["pair_id"] == 2 and body["progress"]["task_done"] == 1
    retry = ann.answer(1, score=4, client_id="c1")
    assert retry.status_code == 200 and retry.get_json()["duplicate"] is True
    skipped = ann.answer(2, skip=True)
    assert skipped.status_code == 201 and skipped.get_json()["judgement"]["skipped"] is True
    assert ann.answer(3, score=2.5).status_code == 201  # any number in [0, 5] is accepted by the API
    assert [(j.pair_id, j.score, j.skipped) for j in task_store.judgements()] == [
        (1, 4.0, False),
        (2, None, True),
        (3, 2.5, False),
    ]


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"score": 7}, 400, "score is 7.0, outside [0, 5]"),
        ({"score": -0.5}, 400, "score is -0.5, outside [0, 5]"),
        ({"score": float("nan")}, 400, "score is NaN"),
        ({"score": float("inf")}, 400, "score is inf"),
        ({"score": "3"}, 400, "got str: '3'"),
        ({"score": True}, 400, "got bool"),
        ({"score": None}, 400, "needs a score in [0, 5]"),
        ({}, 400, "score is missing"),
        ({"score": 3, "skip": True}, 400, "either a score or skip"),
        ({"skip": "yes"}, 400, "skip must be true or false"),
        ({"score": 3, "colour": "red"}, 400, "unknown field(s) ['colour']"),
        ({"score": 3, "client_id": ""}, 400, "client_id must be"),
    ],
)
def test_invalid_answers_are_refused_with_a_message(ann, task_store, fields, status, message):
    response = ann.answer(1, **fields)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert task_store.count_judgements() == 0


def test_unknown_and_malformed_ids(ann, task_store):
    missing = ann.post("/api/judgements", {"score": 3})
    assert missing.status_code == 400 and "pair_id is missing" in missing.get_json()["error"]
    unknown = ann.answer(999, score=3)
    assert unknown.status_code == 404 and "no pair with id 999" in unknown.get_json()["error"]
    malformed = ann.answer("abc", score=3)
    assert malformed.status_code == 400 and "positive integer" in malformed.get_json()["error"]
    no_request = ann.answer(1, score=3, request_id=42)
    assert no_request.status_code == 404 and "no request with id 42" in no_request.get_json()["error"]
    request_id = task_store.create_request(2)
    wrong_pair = ann.answer(1, score=3, request_id=request_id)
    assert wrong_pair.status_code == 404 and "is for pair 2" in wrong_pair.get_json()["error"]


def test_answering_twice_needs_an_undo(ann):
    assert ann.answer(1, score=1).status_code == 201
    again = ann.answer(1, score=2)
    assert again.status_code == 409 and "undo it first" in again.get_json()["error"]


def test_undo_returns_the_pair_and_keeps_the_row_retracted(app, ann, task_store):
    nothing = ann.post("/api/undo")
    assert nothing.status_code == 409 and "nothing to undo" in nothing.get_json()["error"]
    ann.answer(1, score=3)
    ann.answer(2, score=5)
    undone = ann.post("/api/undo").get_json()
    assert undone["undone"]["pair_id"] == 2 and undone["undone"]["retracted"] is True
    assert undone["item"]["pair_id"] == 2 and undone["correction"] is False
    assert ann.answer(2, score=4).status_code == 201
    rows = task_store.judgements(include_retracted=True)
    assert [(j.pair_id, j.score, j.retracted) for j in rows] == [
        (1, 3.0, False),
        (2, 5.0, True),
        (2, 4.0, False),
    ]
    nameless = Browser(app, name=None)
    assert nameless.post("/api/undo").status_code == 409


def test_posts_without_a_valid_csrf_token_are_refused(app, ann, task_store):
    no_header = ann.client.post("/api/judgements", json={"pair_id": 1, "score": 3})
    assert no_header.status_code == 403 and "missing CSRF token" in no_header.get_json()["error"]
    wrong = ann.client.post(
        "/api/judgements", json={"pair_id": 1, "score": 3}, headers={"X-CSRF-Token": "x" * 40}
    )
    assert wrong.status_code == 403 and "wrong CSRF token" in wrong.get_json()["error"]
    other = Browser(app, name="bob")  # another session's token does not fit this session
    stolen = ann.client.post(
        "/api/judgements", json={"pair_id": 1, "score": 3}, headers={"X-CSRF-Token": other.csrf}
    )
    assert stolen.status_code == 403
    fresh = app.test_client()  # no session cookie at all
    no_session = fresh.post("/api/undo", json={}, headers={"X-CSRF-Token": ann.csrf})
    assert no_session.status_code == 403 and "no labelling session" in no_session.get_json()["error"]
    assert task_store.count_judgements() == 0


def test_cross_site_origins_and_non_json_bodies_are_refused(ann, task_store):
    evil = ann.post("/api/judgements", {"pair_id": 1, "score": 3}, Origin="http://evil.example")
    assert evil.status_code == 403 and "cross-site request refused" in evil.get_json()["error"]
    assert ann.post("/api/judgements", {"pair_id": 1, "score": 3}, Origin="null").status_code == 403
    referer = ann.post("/api/judgements", {"pair_id": 1, "score": 3}, Referer="http://evil.example/page")
    assert referer.status_code == 403
    same = ann.post("/api/judgements", {"pair_id": 1, "score": 3}, Origin="http://localhost")
    assert same.status_code == 201
    form = ann.client.post(
        "/api/judgements", data={"pair_id": "2", "score": "3"}, headers={"X-CSRF-Token": ann.csrf}
    )
    assert form.status_code == 415 and "Content-Type: application/json" in form.get_json()["error"]
    broken = ann.client.post(
        "/api/judgements",
        data="{not json",
        content_type="application/json",
        headers={"X-CSRF-Token": ann.csrf},
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["error"]
    array = ann.client.post("/api/judgements", json=[1, 2], headers={"X-CSRF-Token": ann.csrf})
    assert array.status_code == 400 and "must be an object" in array.get_json()["error"]
    assert task_store.count_judgements() == 1


def test_other_host_names_are_refused_without_a_token(app):
    rebinding = app.test_client().get("/api/session", headers={"Host": "attacker.example:8765"})
    assert rebinding.status_code == 403 and "attacker.example" in rebinding.get_json()["error"]
    assert app.test_client().get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200


def test_unknown_endpoints_wrong_methods_and_big_bodies_get_json_errors(ann):
    missing = ann.client.get("/api/nothing")
    assert missing.status_code == 404 and "no such endpoint" in missing.get_json()["error"]
    wrong = ann.client.get("/api/judgements")
    assert wrong.status_code == 405 and "GET is not allowed" in wrong.get_json()["error"]
    huge = ann.post("/api/judgements", {"pair_id": 1, "score": 3, "client_id": "x" * 70000})
    assert huge.status_code == 413 and "larger than" in huge.get_json()["error"]


def test_a_public_host_needs_a_token():
    assert (
        is_loopback("127.0.0.1")
        and is_loopback("localhost")
        and is_loopback("::1")
        and is_loopback("127.3.2.1")
    )
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20") and not is_loopback("example.org")
    with pytest.raises(LabellingConfigError, match="refusing to bind the labelling page to '0.0.0.0'"):
        check_bind("0.0.0.0", None)
    with pytest.raises(LabellingConfigError, match="at least 16"):
        check_bind("0.0.0.0", "short")
    check_bind("0.0.0.0", TOKEN)
    check_bind("127.0.0.1", None)


def test_serve_refuses_a_public_host_without_a_token(task_store, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("RCSIM_LABEL_TOKEN", raising=False)
    with pytest.raises(LabellingConfigError):
        create_app(task_store, host="0.0.0.0")
    with pytest.raises(LabellingConfigError):
        LabellingServer(task_store, host="0.0.0.0", port=0)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--host", "0.0.0.0", "--db", str(tmp_path / "x.sqlite")])
    assert exit_info.value.code == 2
    assert "refusing to bind" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite").exists()  # refused before touching anything


def test_serve_needs_pairs(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--db", str(tmp_path / "empty.sqlite"), "--port", "0"])
    assert "holds no pairs to label; pass --pairs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["serve", "--pairs", str(tmp_path / "none.jsonl"), "--port", "0"])
    assert "does not exist" in capsys.readouterr().err


def test_the_access_token(task_store):
    app = create_app(task_store, host="0.0.0.0", token=TOKEN)
    client = app.test_client()
    denied = client.get("/")
    assert denied.status_code == 401 and "access token" in denied.get_json()["error"]
    assert client.get("/api/session").status_code == 401
    wrong = client.get("/?token=not-the-right-token-at-all")
    assert wrong.status_code == 401 and "wrong access token" in wrong.get_json()["error"]
    login = client.get(f"/?token={TOKEN}", headers={"Host": "labels.lab.example:8765"})
    assert login.status_code == 303 and login.headers["Location"].endswith("/")  # the token leaves the URL
    page = client.get("/", headers={"Host": "labels.lab.example:8765"})  # any host name, with a token
    assert page.status_code == 200
    host = {"Host": "labels.lab.example:8765"}
    csrf = client.get("/api/session", headers=host).get_json()["csrf_token"]
    named_ann = client.post("/api/session", json={"annotator": "ann"}, headers={"X-CSRF-Token": csrf, **host})
    assert named_ann.status_code == 200
    script = app.test_client()
    session = script.get("/api/session", headers={"Authorization": f"Bearer {TOKEN}"}).get_json()
    named = script.post(
        "/api/session", json={"annotator": "bot"}, headers={"X-CSRF-Token": session["csrf_token"]}
    )
    assert named.status_code == 200
    bearer_wrong = app.test_client().get(
        "/api/session", headers={"Authorization": "Bearer nope-nope-nope-nope"}
    )
    assert bearer_wrong.status_code == 401
    # a session opened under another token is not valid any more
    other = create_app(task_store, host="0.0.0.0", token=TOKEN + "-rotated")
    stale = other.test_client()
    stale.set_cookie(SESSION_COOKIE, script.get_cookie(SESSION_COOKIE).value)
    assert stale.get("/api/session").status_code == 401


def test_live_mode_leases_pairs_and_explains_what_became_of_answers(task_store):
    app = create_app(task_store, live=True, lease_seconds=60)
    ann, bob = Browser(app, "ann"), Browser(app, "bob")
    pair_id = task_store.add_pair("live a", "live b")
    request_id = task_store.create_request(pair_id)
    assert ann.client.get("/api/session").get_json()["live"] is True
    got = ann.post("/api/next").get_json()["item"]
    assert got == {
        "pair_id": pair_id,
        "request_id": request_id,
        "sentence_a": "live a",
        "sentence_b": "live b",
    }
    assert bob.post("/api/next").get_json()["item"]["request_id"] is None  # leased to ann: bob gets the set
    used = ann.answer(pair_id, score=5, request_id=request_id).get_json()
    assert used["used"] is True and "the agent got your answer" in used["note"]
    extra = bob.answer(pair_id, score=1, request_id=request_id).get_json()
    assert extra["used"] is False and "another annotator answered this pair first" in extra["note"]
    undone = ann.post("/api/undo").get_json()
    assert undone["correction"] is True and "already used this answer" in undone["note"]
    correction = ann.answer(pair_id, score=4, request_id=request_id).get_json()
    assert "correction" in correction["note"]
    timed_out = task_store.create_request(task_store.add_pair("late a", "late b"))
    task_store.close_request(timed_out, "timed_out")
    late = ann.answer(task_store.request(timed_out).pair_id, score=2, request_id=timed_out).get_json()
    assert "stopped waiting" in late["note"]
    for done in range(1, 7):
        ann.answer(done, score=0)
    empty = ann.post("/api/next").get_json()
    assert empty["item"] is None and empty["waiting"] is True  # live: the page waits for the agent
