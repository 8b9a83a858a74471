"""Silence transformers' own progress bars ("Loading weights", "Writing model shards") around our calls.

Loading or saving an encoder is quick; a bar for it floods the output of commands that load
and save encoders many times (a calibration exporting its best encoder after each evaluation)
and hides the one bar that matters. Only transformers' bars are silenced, only inside the
``with`` block, and whatever was set before (a hook of the caller's, bars turned off) is put
back afterwards. Warnings (missing weights, ...) are not touched: they report real problems.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _empty_bar(factory: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A transformers tqdm hook that always builds the do-nothing bar."""
    from transformers.utils.logging import EmptyTqdm

    return EmptyTqdm(*args, **kwargs)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Inside the block, transformers draws no progress bars; the previous setting is restored on exit.

    Uses transformers' tqdm hook where it has one (5.x), which leaves the Hugging Face hub's
    own download bars alone; older releases have their bars switched off and back on.
    """
    from transformers.utils import logging as hf_logging

    set_hook = getattr(hf_logging, "set_tqdm_hook", None)
    if set_hook is not None and hasattr(hf_logging, "EmptyTqdm"):
        previous = set_hook(_empty_bar)
        try:
            yield
        finally:
            set_hook(previous)
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
