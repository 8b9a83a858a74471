"""Human oracles: a person judges each pair, on the labelling page or in a terminal.

Both store every answer durably before ``judge`` returns it (the web oracle always, the
terminal oracle when given a :class:`~rcsim_env.labelling.store.LabelStore`), so what a
person clicked survives any crash of the training run, and the replay oracle can train
from the same labels later (``rcsim label export``, then ``--oracle replay --labels``).

**Skips and timeouts.** ``judge`` returns ``None`` when the person skips the pair and,
for the web oracle, when nobody answers within ``timeout`` seconds. The environment
turns ``None`` into a skip: the step's reward is the environment's ``skip_reward``
(0.0 by default), ``info["skipped"]`` is True and ``info["oracle_score"]`` is NaN;
RC-DDPG drops such transitions, so a timeout costs one query of the label budget and
teaches nothing. A timed-out request is marked ``timed_out`` in the store and leaves
the page; an answer that arrives later is still stored (it is a real label) but the
agent never sees it.

**Undo in live mode.** By the time a person presses ``u`` the agent has already used
the answer (``judge`` returned it and the reward was paid). Undo therefore cannot take
it back from the agent. What it does: the answer stays in the database, marked
``retracted`` (so exports and agreement figures leave it out), the pair is shown again
to the same person, and their new answer is stored as a *correction* linked to the same
request. The pair is **not** re-queued for the agent: the agent does not see the
correction, but a replay run trained from the exported labels does.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from rcsim_env.errors import RCSimError
from rcsim_env.labelling.guidelines import STS_GUIDELINES
from rcsim_env.labelling.store import DEFAULT_LEASE_SECONDS, Judgement, LabelStore
from rcsim_env.validation import validate_sentence

ANSWER_KEYS = ("0", "1", "2", "3", "4", "5")


class OracleInputClosedError(RCSimError, EOFError):
    """The terminal oracle's input ended (EOF) while it waited for an answer."""


@dataclass(frozen=True)
class HumanJudgement:
    """What one ``judge`` call ended with.

    ``outcome`` is ``answered``, ``skipped`` or ``timed_out``; ``score`` is the value
    returned (None unless answered); ``judgement`` the stored row (None on timeout or
    without a store); ``request_id``/``pair_id`` the store's ids (None without a store).
    """

    outcome: str
    score: float | None
    judgement: Judgement | None
    request_id: int | None
    pair_id: int | None


class WebHumanOracle:
    """A person answers on the labelling page; ``judge`` waits for them.

    ``judge(a, b)`` stores the pair, queues it as a pending request and blocks until an
    annotator answers it on the page (the answer is committed to SQLite before ``judge``
    reads it back), then returns the score, or ``None`` for a skip or after ``timeout``
    seconds (see the module docstring for how the environment treats both). Several
    annotators can work at once: each pending pair is leased to one of them at a time,
    and the lease passes to someone else when it expires (``lease_seconds``). Several
    callers (threads, vectorised environments) may call ``judge`` concurrently: each
    gets its own request.

    Args:
        store: the label store (or a path to one).
        timeout: seconds to wait for an answer; None waits forever.
        poll_interval: seconds between checks of the store (answers written by this
            process wake the wait at once; the interval covers other processes).
        cancel_stale: cancel pending requests left by an earlier run when created.
        server: a running :class:`~rcsim_env.labelling.server.LabellingServer` this
            oracle owns (stopped by :meth:`close`).
    """

    nondeterministic = True

    def __init__(
        self,
        store: LabelStore | str,
        timeout: float | None = None,
        poll_interval: float = 0.25,
        cancel_stale: bool = True,
        server=None,
    ):
        if timeout is not None and not (
            isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0
        ):
            raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
        if not poll_interval > 0:
            raise ValueError(f"poll_interval must be > 0, got {poll_interval}")
        self.store = store if isinstance(store, LabelStore) else LabelStore(store)
        self.timeout = None if timeout is None else float(timeout)
        self.poll_interval = float(poll_interval)
        self.server = server
        self.last: HumanJudgement | None = None
        self.cancelled_at_start = self.store.cancel_pending_requests() if cancel_stale else 0

    @classmethod
    def serve(
        cls,
        store: LabelStore | str,
        host: str = "127.0.0.1",
        port: int = 8765,
        token: str | None = None,
        timeout: float | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        **kwargs,
    ) -> WebHumanOracle:
        """Start the labelling page in a background thread and return an oracle that owns it.

        The page's address is ``oracle.server.login_url``. Raises what
        :class:`~rcsim_env.labelling.server.LabellingServer` raises (a public host
        without a token or with a guessable one, a port in use, a store that cannot be
        written: :class:`~rcsim_env.labelling.store.LabelStoreUnavailableError` naming the
        file), :class:`~rcsim_env.labelling.store.LabelStoreDamagedError` for a file that
        is not a usable store, and
        :class:`~rcsim_env.labelling.needs_flask.FlaskNotInstalledError` without Flask.
        """
        from rcsim_env.labelling.server import LabellingServer

        label_store = store if isinstance(store, LabelStore) else LabelStore(store)
        server = LabellingServer(
            label_store, host=host, port=port, token=token, live=True, lease_seconds=lease_seconds
        ).start()
        try:
            return cls(label_store, timeout=timeout, server=server, **kwargs)
        except BaseException:
            server.shutdown()
            raise

    def judge(
        self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None
    ) -> float | None:
        """Wait for a person's score of the pair in [0, 5]; None when they skip it or on timeout.

        ``rng`` is ignored: people are not seeded.
        """
        validate_sentence(sentence_a, "sentence_a")
        validate_sentence(sentence_b, "sentence_b")
        pair_id = self.store.add_pair(sentence_a, sentence_b)
        request_id = self.store.create_request(pair_id)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        finished = False
        try:
            while True:
                request = self.store.request(request_id)
                if request.state == "answered":
                    finished = True
                    return self._answered(request.judgement_id, request_id, pair_id)
                if request.state != "pending":  # cancelled by someone else (e.g. a new oracle on this store)
                    finished = True
                    self.last = HumanJudgement("timed_out", None, None, request_id, pair_id)
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    closed = self.store.close_request(request_id, "timed_out")
                    finished = True
                    if closed.state == "answered":  # an answer committed just before the deadline
                        return self._answered(closed.judgement_id, request_id, pair_id)
                    self.last = HumanJudgement("timed_out", None, None, request_id, pair_id)
                    return None
                wait = self.poll_interval if remaining is None else min(self.poll_interval, remaining)
                self.store.wait_for_change(wait)
        finally:
            if not finished:  # interrupted (Ctrl-C) or failed: take the pair off the page
                try:
                    self.store.close_request(request_id, "cancelled")
                except Exception:  # noqa: BLE001  (the original exception matters more)
                    pass

    def _answered(self, judgement_id: int | None, request_id: int, pair_id: int) -> float | None:
        assert judgement_id is not None
        judgement = self.store.judgement(judgement_id)
        outcome = "skipped" if judgement.skipped else "answered"
        self.last = HumanJudgement(outcome, judgement.score, judgement, request_id, pair_id)
        return judgement.score

    def close(self) -> None:
        """Stop the page this oracle started (if any) and cancel what is still pending."""
        if self.server is not None:
            self.server.shutdown()
            self.server = None
        self.store.cancel_pending_requests()


class TerminalHumanOracle:
    """A person answers in a terminal: the pair is printed, they type a key and Enter.

    Keys: ``0``-``5`` answer, ``s`` skips (``judge`` returns None), ``u`` undoes the
    previous answer (see the module docstring: the agent already used it; the old
    answer is marked retracted and the person types a correction, stored but not given
    to the agent), ``?`` shows the STS guidelines. Anything else is refused with a
    message and the prompt repeats.

    Args:
        input: where answers are read from (default ``sys.stdin``).
        output: where pairs and prompts are written (default ``sys.stdout``).
        store: a label store that receives every answer (committed before ``judge``
            returns), or None to keep them only in :attr:`answers`.
        annotator: the name stored with each answer.

    Raises:
        OracleInputClosedError: from ``judge``, when the input ends.
    """

    nondeterministic = True

    def __init__(
        self,
        input: TextIO | None = None,
        output: TextIO | None = None,
        store: LabelStore | None = None,
        annotator: str = "terminal",
    ):
        from rcsim_env.labelling.store import validate_annotator

        self.input = input if input is not None else sys.stdin
        self.output = output if output is not None else sys.stdout
        self.store = store
        self.annotator = validate_annotator(annotator)
        self.answers: list[dict[str, object]] = []
        self.last: HumanJudgement | None = None
        self._count = 0

    def _say(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()

    def _read_key(self, prompt: str) -> str:
        self.output.write(prompt)
        self.output.flush()
        line = self.input.readline()
        if line == "":
            raise OracleInputClosedError("the terminal input ended while waiting for a judgement")
        return line.strip().lower()

    def _guidelines(self) -> None:
        for value, name, text in STS_GUIDELINES:
            self._say(f"  {value}  {name}: {text}")

    def _store_answer(
        self, pair_id: int | None, request_id: int | None, score: float | None
    ) -> Judgement | None:
        if self.store is None or pair_id is None:
            return None
        result = self.store.record_judgement(
            pair_id,
            self.annotator,
            score=score,
            skipped=score is None,
            request_id=request_id,
            origin="terminal",
        )
        return result.judgement

    def judge(
        self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None
    ) -> float | None:
        """Show the pair, read the person's key and return the score in [0, 5], or None for a skip.

        ``rng`` is ignored.
        """
        validate_sentence(sentence_a, "sentence_a")
        validate_sentence(sentence_b, "sentence_b")
        pair_id = request_id = None
        if self.store is not None:
            pair_id = self.store.add_pair(sentence_a, sentence_b)
            request_id = self.store.create_request(pair_id)
        self._count += 1
        try:
            while True:
                self._say(f"\npair {self._count}")
                self._say(f"  A: {sentence_a}")
                self._say(f"  B: {sentence_b}")
                key = self._read_key("similarity 0-5, s skip, u undo previous, ? guidelines > ")
                if key in ANSWER_KEYS or key == "s":
                    score = None if key == "s" else float(key)
                    judgement = self._store_answer(pair_id, request_id, score)
                    self.answers.append(
                        {
                            "sentence_a": sentence_a,
                            "sentence_b": sentence_b,
                            "score": score,
                            "pair_id": pair_id,
                            "request_id": request_id,
                            "retracted": False,
                        }
                    )
                    outcome = "skipped" if score is None else "answered"
                    self.last = HumanJudgement(outcome, score, judgement, request_id, pair_id)
                    self._say("skipped" if score is None else f"saved {key}")
                    return score
                if key == "u":
                    self._undo()
                elif key in ("?", "h"):
                    self._guidelines()
                else:
                    self._say(f"{key!r} is not an answer: type a score 0-5, s to skip, u to undo, ? for help")
        except BaseException:
            if self.store is not None and request_id is not None:
                self.store.close_request(request_id, "cancelled")
            raise

    def _undo(self) -> None:
        active = [answer for answer in self.answers if not answer["retracted"]]
        if not active:
            self._say("nothing to undo yet")
            return
        previous = active[-1]
        previous["retracted"] = True
        if self.store is not None:
            self.store.undo_last(self.annotator)
        given = "a skip" if previous["score"] is None else f"{previous['score']:g}"
        self._say(
            f"undone: your answer {given} to the previous pair is marked retracted. The agent already used "
            "it; a new answer is kept as a correction for later training."
        )
        self._say(f"  A: {previous['sentence_a']}")
        self._say(f"  B: {previous['sentence_b']}")
        while True:
            key = self._read_key("correction 0-5, or s to leave it without an answer > ")
            if key in ANSWER_KEYS:
                score = float(key)
                self._store_answer(previous["pair_id"], previous["request_id"], score)  # type: ignore[arg-type]
                self.answers.append({**previous, "score": score, "retracted": False, "correction": True})
                self._say(f"correction saved: {key}")
                return
            if key == "s":
                self._say("left without an answer")
                return
            self._say(f"{key!r} is not a correction: type a score 0-5, or s")
