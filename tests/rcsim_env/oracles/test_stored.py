"""Never asking a person twice: the store-first oracle in front of a real terminal oracle and a real store."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from rcsim_env.labelling.store import LabelStore
from rcsim_env.oracles.human import TerminalHumanOracle
from rcsim_env.oracles.stored import StoredAnswerOracle

SENTENCES = [
    ("a man plays", "a man is playing"),
    ("a dog runs", "a cat sleeps"),
    ("two people", "three people"),
]


def person(store: LabelStore, keys: list[str]) -> TerminalHumanOracle:
    """A person at the terminal who will press ``keys`` (a score 0-5 or s), one per question."""
    return TerminalHumanOracle(
        input=io.StringIO("".join(f"{k}\n" for k in keys)), output=io.StringIO(), store=store
    )


@settings(max_examples=40, deadline=None)
@given(
    queries=st.lists(st.integers(0, len(SENTENCES) - 1), min_size=1, max_size=12),
    keys=st.lists(st.sampled_from(["0", "1", "2", "3", "4", "5", "s"]), min_size=12, max_size=12),
    data=st.data(),
)
def test_a_run_resumed_after_a_crash_reuses_every_answer_given_after_its_checkpoint(
    tmp_path_factory, queries, keys, data
):
    crash = data.draw(st.integers(0, len(queries)), label="queries answered before the crash")
    checkpoint = data.draw(st.integers(0, crash), label="queries at the last checkpoint")
    store = LabelStore(tmp_path_factory.mktemp("store") / "labels.sqlite")
    first = StoredAnswerOracle(store, person(store, keys))
    given_before: list[float | None] = []
    saved = first.oracle_state()
    for index in queries[:crash]:
        if len(given_before) == checkpoint:
            saved = first.oracle_state()
        given_before.append(first.judge(*SENTENCES[index]))
    if len(given_before) == checkpoint:
        saved = first.oracle_state()
    asked_before = len(first.oracle.answers)

    # the crash: a new process builds a new oracle on the same store and restores the checkpoint
    second = StoredAnswerOracle(store, person(store, keys[asked_before:]))
    second.load_oracle_state(saved)
    resumed = [second.judge(*SENTENCES[index]) for index in queries[checkpoint:]]

    assert resumed[: crash - checkpoint] == given_before[checkpoint:]  # the same answers, from the store
    assert len(first.oracle.answers) + len(second.oracle.answers) == len(queries)  # one question per query
    assert store.count_judgements() == len(queries)


def test_answers_already_in_the_store_are_used_once_each_before_anyone_is_asked(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    earlier = person(store, ["4", "s"])
    earlier.judge(*SENTENCES[0])
    earlier.judge(*SENTENCES[0])  # the same pair judged twice before: two stored answers
    oracle = StoredAnswerOracle(store, person(store, ["1"]))
    assert oracle.judge(*reversed(SENTENCES[0])) == 4.0  # found in either sentence order
    assert oracle.judge(*SENTENCES[0]) is None and oracle.reused == 2  # the stored skip is a skip
    assert oracle.judge(*SENTENCES[0]) == 1.0 and oracle.last_reused is None  # now a person is asked
    assert len(oracle.oracle.answers) == 1
