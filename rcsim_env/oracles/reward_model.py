"""Reward models: learned predictors of a person's judgement, and the oracle that answers from one.

A reward model maps sentence pairs to a predicted 0-5 judgement together with an uncertainty.
It is an ensemble of K members (K = 1 works); the prediction is the members' mean and the
uncertainty their standard deviation, as in RL from human preferences (Christiano et al. 2017).
:class:`EncoderEnsemble` is the reward model this package trains: K bi-encoders, each fine-tuned
on the labels collected so far, each judging a pair as ``5 * max(cos, 0)`` of its embeddings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.errors import RCSimError
from rcsim_env.validation import MAX_SCORE

ENSEMBLE_FILE = "reward_model.json"


class RewardModelFileError(RCSimError, ValueError):
    """A saved reward model is missing or damaged; the message names the folder."""


@dataclass(frozen=True)
class Prediction:
    """What a reward model says about ``n`` pairs.

    ``members`` is a (K, n) float64 array of each member's 0-5 judgement; ``mean`` and ``std``
    are its mean and (population) standard deviation over the K members, shape (n,).
    ``std`` is 0 for a one-member model.
    """

    members: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """The predicted judgement of each pair (0-5)."""
        return self.members.mean(axis=0)

    @property
    def std(self) -> np.ndarray:
        """The members' disagreement on each pair: their standard deviation (0-5 units)."""
        return self.members.std(axis=0)


@runtime_checkable
class RewardModel(Protocol):
    """Predicts judgements of sentence pairs: ``predict(sentences_a, sentences_b) -> Prediction``."""

    def predict(self, sentences_a: Sequence[str], sentences_b: Sequence[str]) -> Prediction:
        """Each member's 0-5 judgement of each pair ``(sentences_a[i], sentences_b[i])``."""
        ...


def cosine_judgement(cosines: np.ndarray) -> np.ndarray:
    """The 0-5 judgement a bi-encoder's cosine stands for: ``5 * clip(cos, 0, 1)``."""
    return np.clip(np.asarray(cosines, dtype=np.float64), 0.0, 1.0) * MAX_SCORE


class EncoderEnsemble:
    """A reward model of K sentence encoders; each judges a pair as ``5 * max(cos, 0)``.

    Args:
        members: one or more :class:`SentenceEncoder` (fine-tuned on the labels, e.g. with
            different seeds, by ``agents.reward_model.train_encoder_ensemble``).
        batch_size: sentences per forward pass when predicting.
    """

    def __init__(self, members: Sequence[SentenceEncoder], batch_size: int = 64):
        if not members:
            raise ValueError("an EncoderEnsemble needs at least one member")
        self.members = list(members)
        self.batch_size = int(batch_size)

    def __len__(self) -> int:
        return len(self.members)

    def predict(self, sentences_a: Sequence[str], sentences_b: Sequence[str]) -> Prediction:
        """Each member's judgement of each pair; a :class:`Prediction` with (K, n) ``members``."""
        judgements = [
            cosine_judgement(member.similarity(sentences_a, sentences_b, batch_size=self.batch_size))
            for member in self.members
        ]
        if not judgements[0].size:
            return Prediction(np.zeros((len(self.members), 0)))
        return Prediction(np.stack(judgements))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write every member to ``path/member_<k>/`` and an index file; returns the folder."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        names = []
        for index, member in enumerate(self.members):
            name = f"member_{index}"
            member.save(folder / name)
            names.append(name)
        index_file = {"kind": "encoder-ensemble", "members": names, "judgement": "5 * clip(cos, 0, 1)"}
        (folder / ENSEMBLE_FILE).write_text(json.dumps(index_file, indent=2) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def load(cls, path: str | os.PathLike[str], device: str = "auto") -> EncoderEnsemble:
        """Load an ensemble written by :meth:`save`; raises :class:`RewardModelFileError` if damaged."""
        folder = Path(path)
        index_path = folder / ENSEMBLE_FILE
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
            names = index["members"]
            if index.get("kind") != "encoder-ensemble" or not isinstance(names, list) or not names:
                raise ValueError("not an encoder-ensemble index with a list of members")
        except FileNotFoundError:
            raise RewardModelFileError(
                f"{folder} holds no reward model: {ENSEMBLE_FILE} is missing (save one with "
                "EncoderEnsemble.save)"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RewardModelFileError(
                f"{index_path} is damaged ({error}); train the reward model again"
            ) from None
        members = []
        for name in names:
            if not isinstance(name, str) or Path(name).name != name or not (folder / name).is_dir():
                raise RewardModelFileError(
                    f"{index_path} names member {name!r}, which is not a folder beside it"
                )
            members.append(SentenceEncoder.from_pretrained(folder / name, device=device))
        return cls(members)


class RewardModelOracle:
    """An oracle that answers with a reward model's predicted judgement; it costs no label.

    Its answers are predictions, not judgements (``last_answer_predicted`` is always True): the
    environment marks them ``predicted`` in ``info`` and does not count them against the label
    budget.
    """

    nondeterministic = False
    last_answer_predicted = True

    def __init__(self, model: RewardModel):
        self.model = model

    def judge(self, sentence_a: str, sentence_b: str, *, rng: np.random.Generator | None = None) -> float:
        """The reward model's mean judgement of the pair, in [0, 5]."""
        value = float(self.model.predict([sentence_a], [sentence_b]).mean[0])
        return float(np.clip(value, 0.0, MAX_SCORE))
