"""Pieces both rcsim environments share: the pair pool and the render-mode plumbing."""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from rcsim_env.data.pairs import ScoredPair, coerce_pair
from rcsim_env.errors import InvalidArgumentError
from rcsim_env.validation import short_repr


def build_pair_pool(pairs: Iterable[object]) -> list[ScoredPair]:
    """Validate ``pairs`` (``ScoredPair``s, ``(a, b[, score])`` tuples or dicts) into a pool.

    Raises ``ValueError`` on an empty pool and the validator's error on a bad item; a pool
    name or file path (a ``str`` or path) raises ``TypeError`` pointing to
    :func:`rcsim_env.data.load_pool`, which reads those. When pair ids repeat, every id gets
    its position appended (``id#i``) so that ids stay unique.
    """
    if isinstance(pairs, (str, bytes, os.PathLike)):
        raise TypeError(
            f"pairs is {pairs!r:.80}, a name or path, not a sequence of pairs; read it first with "
            "rcsim_env.data.load_pool(name_or_path)"
        )
    pool = [coerce_pair(item, i) for i, item in enumerate(pairs)]
    if not pool:
        raise ValueError("the pair pool is empty; pass at least one sentence pair")
    ids = [pair.pair_id for pair in pool]
    if len(set(ids)) != len(ids):
        pool = [
            ScoredPair(pair.sentence_a, pair.sentence_b, pair.score, f"{pair.pair_id}#{i}")
            for i, pair in enumerate(pool)
        ]
    return pool


def checked_reset_options(options: object, accepted: Sequence[str]) -> dict[str, Any]:
    """Return ``options`` as a new dict: ``{}`` for None, else a mapping whose keys are all in ``accepted``.

    Raises :class:`~rcsim_env.errors.InvalidArgumentError` (a ValueError) naming what was given and
    what is accepted otherwise.
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise InvalidArgumentError(
            f"reset options must be a dict or None, got {type(options).__name__}: {short_repr(options)}; "
            f"accepted keys: {list(accepted)}"
        )
    unknown = [key for key in options if not (isinstance(key, str) and key in accepted)]
    if unknown:
        names = ", ".join(short_repr(key) for key in unknown[:5])
        raise InvalidArgumentError(f"unknown reset option(s) {names}; accepted: {list(accepted)}")
    return dict(options)


def pair_position(pair_id: object, index_of: Mapping[str, int], where: str) -> int:
    """The pool position of ``pair_id``; a value that is not text, or no pool pair's id, raises
    :class:`~rcsim_env.errors.InvalidArgumentError` naming ``where`` (e.g. ``reset option pair_id``)."""
    if not isinstance(pair_id, str):
        hint = ""
        if isinstance(pair_id, numbers.Integral) and not isinstance(pair_id, (bool, np.bool_)):
            if abs(int(pair_id)) < 2**63 and str(int(pair_id)) in index_of:
                hint = f" (did you mean {str(int(pair_id))!r}?)"
        raise InvalidArgumentError(
            f"{where} must be a pair id, a str, got {type(pair_id).__name__}: {short_repr(pair_id)}{hint}"
        )
    if pair_id not in index_of:
        example = next(iter(index_of))
        raise InvalidArgumentError(
            f"{where} {short_repr(pair_id)} is not in the pool (its ids look like {example!r})"
        )
    return index_of[pair_id]


RENDER_MODES = ("ansi", "human", "rgb_array")


def check_render_mode(render_mode: str | None, modes: Sequence[str]) -> None:
    """Raise :class:`~rcsim_env.errors.InvalidArgumentError` (a ValueError) unless ``render_mode`` is
    None or one of ``modes``."""
    if render_mode is not None and not (isinstance(render_mode, str) and render_mode in modes):
        raise InvalidArgumentError(
            f"render_mode must be one of {list(modes)} or None, got {short_repr(render_mode)}"
        )


def render_text(render_mode: str | None, build_text: Callable[[], str]) -> str | np.ndarray | None:
    """What ``render()`` returns in each of :data:`RENDER_MODES`, from the text ``build_text()`` builds.

    ``"ansi"``: the text; ``"human"``: the text printed, None returned; ``"rgb_array"``: the
    text drawn as a uint8 image of shape ``(480, 640, 3)`` (:func:`~rcsim_env.envs.text_image.text_frame`).
    With no render mode it warns, as Gymnasium asks, and returns None without building the text.
    """
    if render_mode is None:
        gym.logger.warn(
            "render() called with render_mode=None; pass render_mode='ansi', 'human' or 'rgb_array'"
        )
        return None
    text = build_text()
    if render_mode == "human":
        print(text)
        return None
    if render_mode == "rgb_array":
        from rcsim_env.envs.text_image import text_frame

        return text_frame(text)
    return text
