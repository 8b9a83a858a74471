from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from agents import checkpoint as checkpoint_module
from agents.checkpoint import (
    CheckpointError,
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)


def test_round_trip_of_tensors_arrays_and_rng_states(tmp_path):
    state = {
        "weights": torch.arange(6.0).reshape(2, 3),
        "array": np.arange(4, dtype=np.float32),
        "objects": np.array([{"sentence_a": "x"}, None], dtype=object),
        "rng": np.random.default_rng(3).bit_generator.state,
        "steps": 12,
    }
    path = save_checkpoint(tmp_path / "sub" / "ckpt.pt", state)
    assert path == tmp_path / "sub" / "ckpt.pt" and path.is_file()
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["weights"], state["weights"])
    np.testing.assert_array_equal(loaded["array"], state["array"])
    assert loaded["objects"][0] == {"sentence_a": "x"} and loaded["steps"] == 12
    assert loaded["rng"] == state["rng"]


def test_a_crash_while_writing_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, {"version": 1})

    def crash_midway(obj, stream, *args, **kwargs):
        stream.write(b"half a checkpoint")
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(checkpoint_module.torch, "save", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"version": 2})
    monkeypatch.undo()
    assert load_checkpoint(path) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]  # no temporary file left behind
    save_checkpoint(path, {"version": 3})
    assert load_checkpoint(path) == {"version": 3}


def test_missing_and_unreadable_files_name_the_path(tmp_path):
    missing = tmp_path / "nope.pt"
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_checkpoint(missing)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"this is not a torch file")
    with pytest.raises(CheckpointError, match="corrupt.pt"):
        load_checkpoint(corrupt)
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="expected a dict"):
        load_checkpoint(tmp_path / "list.pt")


def test_rng_state_capture_and_restore():
    state = capture_rng_state()
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    restore_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first
