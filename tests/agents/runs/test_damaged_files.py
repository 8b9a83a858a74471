"""Resuming from a damaged ``config.json`` or ``checkpoint.pt``: a message naming the file and what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import train_rl

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory, tiny_model_dir, shared_data_dir) -> Path:
    """A calibration run folder stopped at its first checkpoint (query 8 of 16)."""
    from agents.calibration.config import CalibrationConfig
    from agents.calibration.trainer import CalibrationRun
    from rcsim_env.config import dataclass_from_dict

    folder = tmp_path_factory.mktemp("stopped") / "run"

    class StopAt8(CalibrationRun):
        def after_unit(self):
            if self.position == 8:
                self.request_stop()

    settings = dict(
        encoder=str(tiny_model_dir), data_dir=str(shared_data_dir), queries=16, batch_size=4,
        learning_starts=4, eval_every=0, dev=None, test=None, device="cpu", show_progress=False,
        tensorboard=False, output=str(folder),
    )  # fmt: skip
    config = dataclass_from_dict(CalibrationConfig, settings)
    assert StopAt8(config).run() == 130
    return folder


def _resume(folder: Path, capsys) -> str:
    with pytest.raises(SystemExit) as stopped:
        train_rl.main(["calibrate", "--resume", "--output", str(folder), "--no-show-progress"])
    assert stopped.value.code == 2
    return capsys.readouterr().err


def _copy(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    return copy


@pytest.mark.parametrize("keep", [0.0, 0.01, 0.3, 0.6, 0.95, 0.999])
def test_a_truncated_checkpoint_is_named_with_what_to_do(stopped_run, tmp_path, capsys, keep):
    run = _copy(stopped_run, tmp_path)
    data = (run / "checkpoint.pt").read_bytes()
    (run / "checkpoint.pt").write_bytes(data[: int(len(data) * keep)])
    err = _resume(run, capsys)
    assert "checkpoint.pt" in err and "damaged" in err and "new folder" in err and "Traceback" not in err


@pytest.mark.parametrize("damage", ["garbage", "json", "zeros"])
def test_a_checkpoint_that_is_not_one_is_named(stopped_run, tmp_path, capsys, damage):
    run = _copy(stopped_run, tmp_path)
    content = {"garbage": b"\x89not a checkpoint" * 50, "json": b'{"position": 8}', "zeros": bytes(4096)}[
        damage
    ]
    (run / "checkpoint.pt").write_bytes(content)
    err = _resume(run, capsys)
    assert "checkpoint.pt" in err and "damaged" in err


@pytest.mark.parametrize("cut", [0, 1, 10, 0.5, -2])
def test_a_truncated_config_is_named_with_what_to_do(stopped_run, tmp_path, capsys, cut):
    run = _copy(stopped_run, tmp_path)
    text = (run / "config.json").read_text()
    json.loads(text)  # whole, it reads
    keep = int(len(text) * cut) if isinstance(cut, float) else cut
    (run / "config.json").write_text(text[:keep])
    err = _resume(run, capsys)
    assert "config.json" in err and ("damaged" in err or "not an object" in err) and "Traceback" not in err
