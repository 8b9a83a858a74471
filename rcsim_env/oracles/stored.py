"""Never ask a person twice: answer from the label store's unused judgements before asking anyone.

The label store is the record of what people said. :class:`StoredAnswerOracle` wraps a human
oracle: for each pair it first looks for a judgement of that pair (in either sentence order)
that is in the store, not retracted, and not yet used by this run, and answers with it (a skip
is answered as a skip); only when there is none does it ask the person. The ids of the
judgements a run has used are part of its checkpoint, so a run resumed after a crash reuses
every answer given after the checkpoint instead of showing those pairs again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rcsim_env.labelling.store import Judgement, LabelStore


class StoredAnswerOracle:
    """Answers from ``store`` first, else from ``oracle`` (a person; see the module docstring).

    Args:
        store: the label store ``oracle`` records its answers in.
        oracle: the person (a :class:`~rcsim_env.oracles.human.WebHumanOracle` or
            :class:`~rcsim_env.oracles.human.TerminalHumanOracle`); its ``last`` attribute names
            the judgement each answer was stored as.

    Attributes:
        reused: how many answers came from the store without asking.
        last_reused: the stored judgement the last answer reused, or None when a person was asked.
    """

    nondeterministic = True

    def __init__(self, store: LabelStore, oracle: Any) -> None:
        self.store = store
        self.oracle = oracle
        self.used: set[int] = set()
        self.reused = 0
        self.last_reused: Judgement | None = None

    def __getattr__(self, name: str) -> Any:  # the person's oracle's own attributes (server, last, ...)
        if name == "oracle":
            raise AttributeError(name)
        return getattr(self.oracle, name)

    def _unused_judgement(self, sentence_a: str, sentence_b: str) -> Judgement | None:
        pair_ids = {
            pair.id
            for pair in (
                self.store.find_pair(sentence_a, sentence_b),
                self.store.find_pair(sentence_b, sentence_a),
            )
            if pair is not None
        }
        if not pair_ids:
            return None
        for judgement in self.store.judgements(include_retracted=False):
            if judgement.pair_id in pair_ids and judgement.id not in self.used:
                return judgement
        return None

    def judge(
        self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None
    ) -> float | None:
        """A stored, unused judgement of the pair (None for a stored skip), else the person's answer."""
        stored = self._unused_judgement(sentence_a, sentence_b)
        if stored is not None:
            self.used.add(stored.id)
            self.reused += 1
            self.last_reused = stored
            return None if stored.skipped else stored.score
        self.last_reused = None
        score = self.oracle.judge(sentence_a, sentence_b, rng=rng)
        made = getattr(getattr(self.oracle, "last", None), "judgement", None)
        if made is not None:
            self.used.add(made.id)
        return score

    def oracle_state(self) -> dict[str, Any]:
        """The ids of the judgements used so far (for a run's checkpoint)."""
        return {"used": sorted(self.used), "reused": self.reused}

    def load_oracle_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`oracle_state`: judgements used before the checkpoint stay used; any made
        after it are free to be reused."""
        self.used = {int(i) for i in state["used"]}
        self.reused = int(state.get("reused", 0))
