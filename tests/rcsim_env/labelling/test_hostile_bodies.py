"""Hostile request bodies get a 4xx that says what was wrong: never a 500, never a stored row.

Generated families: integers outside SQLite's range in every id field, unpaired UTF-16
surrogates in every text field and in field names, JSON nested past the limit, and huge
numbers as scores; through Flask's test client (many cases) and through the real server
over HTTP (a sample of each kind).
"""

import http.client
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.labelling.app import create_app
from rcsim_env.labelling.client import LabelClient, wait_until_ready
from rcsim_env.labelling.server import LabellingServer
from rcsim_env.labelling.store import LabelStore

from .conftest import SAMPLE_PAIRS, stored_sessions

SQLITE_MAX = 2**63 - 1
OUT_OF_RANGE_INTS = (
    st.sampled_from([2**63, -(2**63) - 1, 10**30, 2**64, -(2**64), 10**300])
    | st.integers(min_value=SQLITE_MAX + 1, max_value=10**400)
    | st.integers(min_value=-(10**400), max_value=-(2**63) - 1)
)
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
TEXT_WITH_SURROGATE = st.builds(
    lambda before, surrogate, after: before + surrogate + after,
    st.text(max_size=6),
    SURROGATES,
    st.text(max_size=6),
)
ID_FIELDS = ("pair_id", "request_id")
TEXT_FIELDS = ("client_id", "pair_id", "request_id", "score")
# JSON opened ``depth`` times: arrays, objects, or both, as a whole body or inside a field
NESTINGS = st.sampled_from(["[", '{"a":', '[{"b":'])
DEPTHS = st.integers(min_value=17, max_value=20_000)
CASES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def nested(opening: str, depth: int, inside_field: bool) -> str:
    """JSON text that opens ``opening`` ``depth`` times (then closes it), whole or as a field's value."""
    closing = "".join({"[": "]", "{": "}"}[char] for char in opening if char in "[{")[::-1]
    body = opening * depth + "1" + closing * depth
    while len(body.encode()) > 60_000:  # stay under the body limit: the depth check must answer
        depth //= 2
        body = opening * depth + "1" + closing * depth
    return '{"pair_id": 1, "score": 3, "x": ' + body + "}" if inside_field else body


class Page:
    """A test client with a named session and the CSRF header, sending raw JSON text."""

    def __init__(self, app, name="ann"):
        self.client = app.test_client()
        self.csrf = self.client.get("/api/session").get_json()["csrf_token"]
        assert self.send("/api/session", json.dumps({"annotator": name})).status_code == 200

    def send(self, path: str, raw: str):
        return self.client.post(
            path, data=raw, content_type="application/json", headers={"X-CSRF-Token": self.csrf}
        )


@pytest.fixture(scope="module")
def page():
    """One app over one store for the whole module (hostile bodies write nothing, as the tests check)."""
    folder = tempfile.TemporaryDirectory()
    store = LabelStore(Path(folder.name) / "labels.sqlite")
    store.add_pairs(SAMPLE_PAIRS, task=True)
    yield Page(create_app(store)), store
    store.close()
    folder.cleanup()


def assert_refused(response, store, mentions: str | None = None) -> str:
    """The response is a 4xx with a JSON error (naming ``mentions``), and nothing was stored."""
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert isinstance(error, str) and error
    if mentions is not None:
        assert mentions in error, error
    assert store.count_judgements() == 0 and stored_sessions(store) == 1  # only the module's own session
    return error


@CASES
@given(field=st.sampled_from(ID_FIELDS), value=OUT_OF_RANGE_INTS)
def test_ids_outside_sqlite_range_are_refused(page, field, value):
    client, store = page
    body = {"pair_id": 1, "score": 3, field: value}
    error = assert_refused(client.send("/api/judgements", json.dumps(body)), store, field)
    assert "2**63 - 1" in error or "positive integer" in error


@CASES
@given(value=OUT_OF_RANGE_INTS | st.integers(min_value=6, max_value=10**400))
def test_huge_scores_are_refused_as_out_of_range(page, value):
    client, store = page
    body = json.dumps({"pair_id": 1, "score": value})
    assert_refused(client.send("/api/judgements", body), store, "outside [0, 5]")


@CASES
@given(field=st.sampled_from(TEXT_FIELDS), text=TEXT_WITH_SURROGATE)
def test_unpaired_surrogates_in_answers_are_refused(page, field, text):
    client, store = page
    body = {"pair_id": 1, "score": 3, field: text}
    error = assert_refused(client.send("/api/judgements", json.dumps(body)), store, field)
    assert "surrogate" in error


@CASES
@given(text=TEXT_WITH_SURROGATE)
def test_unpaired_surrogates_in_names_and_field_names_are_refused(page, text):
    client, store = page
    assert "surrogate" in assert_refused(client.send("/api/session", json.dumps({"annotator": text})), store)
    as_key = json.dumps({"pair_id": 1, "score": 3, text: 1})
    assert "surrogate" in assert_refused(client.send("/api/judgements", as_key), store)


@CASES
@given(
    opening=NESTINGS,
    depth=DEPTHS,
    inside_field=st.booleans(),
    path=st.sampled_from(["judgements", "session"]),
)
def test_pathologically_nested_json_is_refused(page, opening, depth, inside_field, path):
    client, store = page
    error = assert_refused(client.send(f"/api/{path}", nested(opening, depth, inside_field)), store)
    assert "nested" in error and "levels deep" in error


SERVER_CASES = [
    ("/api/judgements", json.dumps({"pair_id": 2**63, "score": 3}), "pair_id"),
    ("/api/judgements", json.dumps({"pair_id": -(2**63) - 1, "score": 3}), "pair_id"),
    ("/api/judgements", json.dumps({"pair_id": 1, "score": 3, "request_id": 10**30}), "request_id"),
    ("/api/judgements", json.dumps({"pair_id": 1, "score": 10**400}), "score"),
    ("/api/judgements", json.dumps({"pair_id": "\ud800", "score": 3}), "pair_id"),
    ("/api/judgements", json.dumps({"pair_id": 1, "score": 3, "client_id": "a\udfffb"}), "client_id"),
    ("/api/judgements", json.dumps({"pair_id": 1, "score": 3, "\udc00": 1}), "surrogate"),
    ("/api/session", json.dumps({"annotator": "\ud800"}), "surrogate"),
    ("/api/session", json.dumps({"annotator": "ann\udbff"}), "surrogate"),
    ("/api/judgements", "[" * 30_000 + "]" * 30_000, "nested"),
    ("/api/session", '{"annotator": ' + "[" * 990 + "]" * 990 + "}", "nested"),
    ("/api/undo", '{"a":' * 5000 + "1" + "}" * 5000, "nested"),
]


def test_the_real_server_answers_hostile_bodies_with_4xx(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    store.add_pairs(SAMPLE_PAIRS, task=True)
    with LabellingServer(store, port=0).start() as server:
        wait_until_ready(server.url)
        client = LabelClient(server.url)
        client.set_annotator("ann")
        for path, raw, mentions in SERVER_CASES:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request(
                "POST",
                path,
                body=raw.encode("ascii"),
                headers={
                    "Content-Type": "application/json",
                    "Cookie": client.cookie,
                    "X-CSRF-Token": client.csrf_token,
                },
            )
            response = connection.getresponse()
            payload = json.loads(response.read())
            connection.close()
            assert 400 <= response.status < 500, (path, raw[:60], response.status, payload)
            assert mentions in payload["error"], (raw[:60], payload)
        assert client.progress()["judgements"] == 0
    assert store.count_judgements() == 0 and stored_sessions(store) == 1
