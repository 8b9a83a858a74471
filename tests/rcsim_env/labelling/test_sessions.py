"""Answers belong to the browser session that gave them, and names must show on screen.

Generated families: two sessions typing the same (generated) name, one answering and the
other trying to undo or to replay its answer keys; names made only of invisible
characters (combining marks, zero-width and format characters, fillers, variation
selectors, whitespace of every Unicode kind).
"""

import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.labelling.app import create_app
from rcsim_env.labelling.store import LabelStore

from .conftest import SAMPLE_PAIRS, stored_sessions

WHITESPACE = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
FILLERS = "\u115f\u1160\u3164\uffa0\u2800"
INVISIBLE = st.one_of(
    st.characters(categories=["Mn", "Me"]),  # combining marks, variation selectors included
    st.characters(categories=["Cf"]),  # zero-width space, joiners, direction marks, BOM, tags
    st.sampled_from(WHITESPACE + list(FILLERS)),
    st.characters(min_codepoint=0xFE00, max_codepoint=0xFE0F),
    st.characters(min_codepoint=0xE0100, max_codepoint=0xE01EF),
)
INVISIBLE_NAMES = st.text(INVISIBLE, min_size=1, max_size=12)
VISIBLE_NAMES = st.text(
    st.characters(categories=["L", "N"], exclude_characters=FILLERS), min_size=1, max_size=16
)
SPACES = st.text(st.sampled_from([" ", "\t", "\u00a0", "\u3000", "\u2002"]), max_size=3)
EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Browser:
    """One browser session of the page (cookie and CSRF token), through Flask's test client."""

    def __init__(self, app, name):
        self.client = app.test_client()
        self.csrf = self.client.get("/api/session").get_json()["csrf_token"]
        named = self.post("/api/session", {"annotator": name})
        assert named.status_code == 200, named.get_json()

    def post(self, path, body=None):
        return self.client.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    def answer_next(self, score, client_id):
        item = self.post("/api/next").get_json()["item"]
        reply = self.post(
            "/api/judgements", {"pair_id": item["pair_id"], "score": score, "client_id": client_id}
        )
        assert reply.status_code == 201, reply.get_json()
        return reply.get_json()["judgement"]


@EXAMPLES
@given(
    name=VISIBLE_NAMES,
    padding=st.tuples(SPACES, SPACES),
    first_answers=st.integers(1, 3),
    second_answers=st.integers(0, 2),
)
def test_a_second_session_with_the_same_name_cannot_touch_the_first_ones_answers(
    name, padding, first_answers, second_answers
):
    with tempfile.TemporaryDirectory() as folder:
        store = LabelStore(Path(folder) / "labels.sqlite")
        store.add_pairs(SAMPLE_PAIRS, task=True)
        app = create_app(store)
        first = Browser(app, name)
        second = Browser(app, padding[0] + name + padding[1])  # the same name, typed again
        mine = [first.answer_next(3, f"first-{index}")["id"] for index in range(first_answers)]
        theirs = [second.answer_next(1, f"second-{index}")["id"] for index in range(second_answers)]

        # it undoes what it answered itself, then has nothing left: the first's answers stay
        for judgement_id in reversed(theirs):
            assert second.post("/api/undo").get_json()["undone"]["id"] == judgement_id
        refused = second.post("/api/undo")
        assert refused.status_code == 409 and "this browser session" in refused.get_json()["error"]
        assert {j.id for j in store.judgements()} == set(mine)
        # replaying the first's answer key is refused, not taken for a retry of its own answer
        replay = second.post("/api/judgements", {"pair_id": 1, "score": 3, "client_id": "first-0"})
        assert replay.status_code == 400 and "another session" in replay.get_json()["error"]
        # the first session still takes back its own answers, latest first
        for judgement_id in reversed(mine):
            assert first.post("/api/undo").get_json()["undone"]["id"] == judgement_id
        assert first.post("/api/undo").status_code == 409
        assert store.count_judgements(include_retracted=False) == 0
        store.close()


@pytest.fixture(scope="module")
def app():
    folder = tempfile.TemporaryDirectory()
    store = LabelStore(Path(folder.name) / "labels.sqlite")
    store.add_pairs(SAMPLE_PAIRS, task=True)
    yield create_app(store), store
    store.close()
    folder.cleanup()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=INVISIBLE_NAMES)
def test_names_that_show_nothing_are_refused_with_a_message(app, name):
    page, store = app
    client = page.test_client()
    csrf = client.get("/api/session").get_json()["csrf_token"]
    before = stored_sessions(store)
    response = client.post("/api/session", json={"annotator": name}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 400, (ascii(name), response.get_json())
    message = response.get_json()["error"]
    assert "shows nothing on screen" in message or "empty" in message, message
    assert client.get("/api/session").get_json()["annotator"] is None
    assert stored_sessions(store) == before  # refused before anything was stored
