"""Pieces both rcsim environments share: the pair pool and the render-mode plumbing."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence

import gymnasium as gym
import numpy as np

from rcsim_env.data.pairs import ScoredPair, coerce_pair


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


RENDER_MODES = ("ansi", "human", "rgb_array")


def check_render_mode(render_mode: str | None, modes: Sequence[str]) -> None:
    """Raise ``ValueError`` unless ``render_mode`` is None or one of ``modes``."""
    if render_mode is not None and render_mode not in modes:
        raise ValueError(f"render_mode must be one of {list(modes)} or None, got {render_mode!r}")


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
