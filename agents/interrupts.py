"""Ctrl-C handling shared by the long-running trainers: the first Ctrl-C asks for a clean stop."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def first_ctrl_c_calls(callback: Callable[[], None]) -> Iterator[None]:
    """Within the block, the first Ctrl-C calls ``callback``; a second raises KeyboardInterrupt at once.

    The previous handler is restored on leaving. Outside the main thread (where Python
    allows no signal handlers) Ctrl-C is left alone.
    """

    def handler(signum, frame):
        callback()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
