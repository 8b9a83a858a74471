"""The record every loader returns: one sentence pair with an optional gold score."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScoredPair:
    """A sentence pair and its gold similarity.

    Attributes:
        sentence_a: first sentence (non-empty str).
        sentence_b: second sentence (non-empty str).
        score: gold score on the data set's own scale (STS: 0-5, SICK: 1-5, MRPC loaders:
            0/1 paraphrase label; pairs files and the pools of ``load_pool``: 0-5), or
            ``None`` when the data has no gold.
        pair_id: a stable identifier: the id a pairs file gives, else ``"<file name>:<line number>"``
            for file data.
    """

    sentence_a: str
    sentence_b: str
    score: float | None
    pair_id: str


def coerce_pair(item: object, index: int) -> ScoredPair:
    """Turn ``item`` into a validated :class:`ScoredPair`.

    Accepts a ``ScoredPair``, a ``(sentence_a, sentence_b)`` or
    ``(sentence_a, sentence_b, score)`` tuple or list, or a mapping with keys
    ``sentence_a``, ``sentence_b`` and optionally ``score`` and ``pair_id``. Sentences are
    checked with :func:`~rcsim_env.validation.validate_sentence`; errors name ``pairs[index]``.
    The score is kept as given (its scale depends on the data set) but must be a number or None.
    """
    from rcsim_env.validation import validate_sentence

    where = f"pairs[{index}]"
    if isinstance(item, ScoredPair):
        a, b, score, pair_id = item.sentence_a, item.sentence_b, item.score, item.pair_id
    elif isinstance(item, dict):
        missing = {"sentence_a", "sentence_b"} - item.keys()
        if missing:
            raise ValueError(f"{where} lacks {sorted(missing)}")
        a, b = item["sentence_a"], item["sentence_b"]
        score, pair_id = item.get("score"), str(item.get("pair_id", index))
    elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
        a, b = item[0], item[1]
        score, pair_id = (item[2] if len(item) == 3 else None), str(index)
    else:
        raise TypeError(f"{where} must be a ScoredPair, a (sentence_a, sentence_b[, score]) tuple or a dict")
    validate_sentence(a, f"{where}.sentence_a")
    validate_sentence(b, f"{where}.sentence_b")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise ValueError(f"{where}.score must be a number or None, got {score!r:.40}")
        score = float(score)
    return ScoredPair(a, b, score, pair_id)
