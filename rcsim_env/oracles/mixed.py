"""The mixed oracle of RL from human feedback: a judge for the chosen pairs, a reward model for the rest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from rcsim_env.errors import InvalidArgumentError
from rcsim_env.oracles.base import Oracle
from rcsim_env.oracles.reward_model import RewardModel, RewardModelOracle


class MixedOracle:
    """Asks ``judge`` (a person or a simulated annotator) about the pairs queued with
    :meth:`ask_about`, and answers every other pair from ``reward_model`` without spending a label.

    A queued pair leaves the queue once the judge has answered it (a skip counts as an answer), so
    no pair is put to the judge twice unless it is queued again. After each :meth:`judge` call
    ``last_answer_predicted`` tells which of the two answered; the environment counts only the
    judge's answers against its label budget and marks the others ``predicted`` in ``info``.
    A pair is matched by its two sentences in the order queued.

    Args:
        judge: the oracle whose answers are labels (see :class:`~rcsim_env.oracles.Oracle`).
        reward_model: what answers the other pairs (see
            :class:`~rcsim_env.oracles.reward_model.RewardModel`); replace it with
            :meth:`set_reward_model` after retraining.
    """

    def __init__(self, judge: Oracle, reward_model: RewardModel):
        if not callable(getattr(judge, "judge", None)):
            raise InvalidArgumentError(f"judge must be an oracle with a judge() method, got {judge!r}")
        self.judge_oracle = judge
        self.predictor = RewardModelOracle(reward_model)
        self.nondeterministic = bool(getattr(judge, "nondeterministic", False))
        self.last_answer_predicted = False
        self._queue: dict[tuple[str, str], None] = {}  # ordered set

    def set_reward_model(self, reward_model: RewardModel) -> None:
        """Answer unqueued pairs from ``reward_model`` from now on."""
        self.predictor = RewardModelOracle(reward_model)

    def ask_about(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Queue ``(sentence_a, sentence_b)`` pairs for the judge."""
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, str) for s in pair)):
                raise InvalidArgumentError(
                    f"ask_about takes (sentence_a, sentence_b) tuples of str, got {pair!r}"
                )
            self._queue[pair] = None

    @property
    def queued(self) -> list[tuple[str, str]]:
        """The pairs waiting for the judge, in the order queued."""
        return list(self._queue)

    def will_predict(self, sentence_a: str, sentence_b: str) -> bool:
        """Whether the next answer about this pair would come from the reward model."""
        return (sentence_a, sentence_b) not in self._queue

    def judge(
        self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None
    ) -> float | None:
        """The judge's answer for a queued pair (then dequeued), else the reward model's prediction."""
        key = (sentence_a, sentence_b)
        if key in self._queue:
            answer = self.judge_oracle.judge(sentence_a, sentence_b, rng=rng)
            del self._queue[key]  # only once the judge has answered: a failed question stays queued
            self.last_answer_predicted = False
            return answer
        answer = self.predictor.judge(sentence_a, sentence_b, rng=rng)
        self.last_answer_predicted = True
        return answer

    def state(self) -> dict[str, Any]:
        """The queue, for a checkpoint (the reward model is saved on its own)."""
        return {"queue": [list(pair) for pair in self._queue]}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state` returned."""
        self._queue = {}
        self.ask_about(tuple(pair) for pair in state["queue"])
