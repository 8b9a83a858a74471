"""Atomic checkpoint files: a crash while writing never destroys the previous checkpoint."""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rcsim_env.errors import RCSimError


class CheckpointError(RCSimError, RuntimeError):
    """A checkpoint file exists but cannot be read (truncated, corrupt, not a torch file); the message
    names the file and what to do."""


def capture_rng_state() -> dict[str, Any]:
    """The global random states of Python, numpy and torch (CUDA too when initialized), as a dict."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Put back global random states captured by :func:`capture_rng_state`; returns None."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """Write ``state`` (any picklable dict, e.g. ``DDPG.state_dict()``) to ``path`` atomically.

    The data goes to a temporary file in the same folder, is flushed and fsynced, and
    then replaces ``path`` with ``os.replace`` (atomic on POSIX and Windows), so readers
    see either the old checkpoint or the complete new one. Missing folders are created.
    Returns the final path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(state, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return path


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable where the OS allows syncing a directory (POSIX); best effort."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def check_checkpoint(path: str | os.PathLike[str]) -> None:
    """Raise :class:`CheckpointError` naming ``path`` when it is not a complete checkpoint file.

    Cheap (it reads the archive's index, not the tensors): a run checks its checkpoint this way
    before loading models, so a damaged file is reported at once. Raises FileNotFoundError when
    ``path`` does not exist.
    """
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise CheckpointError(_damaged(path, error)) from error


def _damaged(path: Path, error: object) -> str:
    return (
        f"cannot read checkpoint {path}: {error}. The file is damaged (a write cut short, a full "
        "disk?); checkpoints are written atomically, so it was not this package's write that left "
        "it so. Restore the file from a backup, or start the run again in a new folder"
    )


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = None) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`; returns the saved dict.

    Raises FileNotFoundError when ``path`` does not exist and :class:`CheckpointError`
    (naming the path) when it cannot be unpickled. Uses ``weights_only=False`` because
    checkpoints hold numpy arrays and RNG states: only load files you wrote yourself.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as error:
        raise CheckpointError(_damaged(path, error)) from error
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(state).__name__}, expected a dict")
    return state
