"""Forked worker processes run torch with one intra-op thread, so they cannot deadlock in OpenMP.

torch's CPU kernels run on GNU OpenMP (libgomp), whose thread pool does not survive
``fork()``: once a process has run a multi-threaded torch operation (an encoder's forward
pass, say), a forked child's first multi-threaded operation waits forever at an OpenMP
barrier for threads that were never copied into it. ``multiprocessing``'s default start
method on Linux is ``fork``, so Gymnasium's ``AsyncVectorEnv`` (and
``gymnasium.make_vec(..., vectorization_mode="async")``) would hang in the workers' first
forward pass.

Importing this module registers :func:`use_one_torch_thread` to run in every child forked
from this process: when torch is loaded and set to more than one intra-op thread, the child
drops to one, so torch never enters an OpenMP parallel region there. The parent keeps its
threads. Children started with ``spawn`` or ``forkserver`` are fresh interpreters and keep
torch's usual thread count.
"""

from __future__ import annotations

import os
import sys


def use_one_torch_thread() -> None:
    """In this process, set torch to one intra-op thread if torch is loaded and uses more.

    Does nothing when torch has not been imported (a process that never ran torch has no
    OpenMP pool to inherit) or already uses one thread.
    """
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "set_num_threads"):
        return
    if torch.get_num_threads() > 1:
        torch.set_num_threads(1)


_registered = False


def register() -> None:
    """Run :func:`use_one_torch_thread` in every child forked from now on; calling it again does nothing."""
    global _registered
    if not _registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=use_one_torch_thread)
        _registered = True


register()
