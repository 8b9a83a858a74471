import json
from pathlib import Path

import pytest
import torch

from agents.calibration.trainer import (
    EXIT_DONE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    CalibrationRun,
    RunFolderError,
    load_run_config,
)
from agents.checkpoint import load_checkpoint
from rcsim_env.encoders import SentenceEncoder


def _weights(encoder):
    return {name: tensor.detach().clone() for name, tensor in encoder.state_dict().items()}


def test_a_run_writes_every_artifact_and_changes_the_encoder(tiny_run_config, tiny_model_dir):
    config = tiny_run_config(keep_best=False)
    run = CalibrationRun(config)
    assert run.run() == EXIT_DONE
    folder = run.folder.root
    report = json.loads((folder / "report.json").read_text())
    assert report["status"] == "done" and report["queries"] == 40 and report["agent"] == "rc-ddpg"
    assert report["updates"] == (40 - 8) // 4 + 1  # learning phases from query 8 on, every 4 queries
    assert report["updates"] == config.planned_updates()
    assert set(report["before"]) == {"dev_spearman", "test_spearman"}
    assert set(report["after"]) == {"dev_spearman", "final_dev_spearman", "test_spearman"}
    assert report["after"]["final_dev_spearman"] == report["dev_history"][-1]["dev_spearman"]
    assert [h["query"] for h in report["dev_history"]] == [0, 20, 40]
    assert len(run.queries_log.rows()) == 40
    assert any(row.get("train/critic_loss") for row in run.folder.metrics.rows())
    assert (folder / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (folder / "checkpoint.pt").exists()  # finished runs keep the exported encoder only

    exported = SentenceEncoder.from_pretrained(folder / "encoder", device="cpu")
    original = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
    changed = [
        name
        for name, tensor in exported.state_dict().items()
        if not torch.equal(tensor, original.state_dict()[name])
    ]
    assert changed, "the TD updates did not change the encoder"
    assert all(torch.equal(t, run.encoder.state_dict()[n]) for n, t in exported.state_dict().items())


def test_keep_best_exports_the_best_dev_encoder(tiny_run_config):
    run = CalibrationRun(tiny_run_config())
    assert run.run() == EXIT_DONE
    report = json.loads(run.folder.report_path.read_text())
    best = max(report["dev_history"], key=lambda h: h["dev_spearman"])
    assert report["best"]["dev_spearman"] == pytest.approx(best["dev_spearman"])
    assert report["after"]["dev_spearman"] == pytest.approx(best["dev_spearman"])


class _StopAt(CalibrationRun):
    """A run whose Ctrl-C arrives after query ``stop_at`` (as the SIGINT handler would request it)."""

    stop_at = 17

    def after_unit(self):
        if self.position == self.stop_at:
            self.request_stop()


class _KilledAfter(CalibrationRun):
    """A run killed (no checkpoint on the way down, as SIGKILL would) after query ``kill_at``."""

    kill_at = 13

    def after_unit(self):
        if self.position == self.kill_at:
            raise _Killed


class _Killed(BaseException):
    """Stands for SIGKILL: nothing in the run catches it."""


def _assert_same_run(straight, resumed):
    for name, tensor in _weights(straight.encoder).items():
        assert torch.equal(tensor, resumed.encoder.state_dict()[name]), name
    assert resumed.queries_log.rows() == straight.queries_log.rows()
    a = json.loads(straight.folder.report_path.read_text())
    b = json.loads(resumed.folder.report_path.read_text())
    assert a["dev_history"] == b["dev_history"] and a["after"] == b["after"] and a["updates"] == b["updates"]


@pytest.mark.parametrize("stop_at", [16, 17, 18, 19, 22])  # every offset from a learning phase (every 4)
def test_stopping_anywhere_and_resuming_gives_the_uninterrupted_encoder(tiny_run_config, tmp_path, stop_at):
    # the default exploration is wide: most queries skip the actor's forward pass, so nothing resets
    # the dropout modes between learning phases; the resumed run must have them as the straight one did
    straight = CalibrationRun(tiny_run_config(output=str(tmp_path / "straight"), checkpoint_every=10))
    assert straight.run() == EXIT_DONE

    config = tiny_run_config(output=str(tmp_path / "stopped"), checkpoint_every=10)
    stopping = _StopAt(config)
    stopping.stop_at = stop_at
    assert stopping.run() == EXIT_INTERRUPTED
    saved = json.loads((tmp_path / "stopped" / "report.json").read_text())
    assert saved["status"] == "interrupted" and saved["queries"] == stop_at
    assert load_checkpoint(tmp_path / "stopped" / "checkpoint.pt")["loop"]["position"] == stop_at
    resumed = CalibrationRun(load_run_config(str(tmp_path / "stopped")), resume=True)
    assert resumed.run() == EXIT_DONE
    _assert_same_run(straight, resumed)


@pytest.mark.parametrize(
    ("settings", "kill_at"),
    [({}, 13), ({}, 21), ({"lr_decay": "linear", "replay_newest": 4}, 27)],
    ids=["between-phases", "after-eval", "decay-and-combined-replay"],
)
def test_a_run_killed_after_a_checkpoint_resumes_to_the_uninterrupted_encoder(
    tiny_run_config, tmp_path, settings, kill_at
):
    straight = CalibrationRun(tiny_run_config(output=str(tmp_path / "straight"), **settings))
    assert straight.run() == EXIT_DONE
    config = tiny_run_config(output=str(tmp_path / "killed"), checkpoint_every=10, **settings)
    killed = _KilledAfter(config)
    killed.kill_at = kill_at
    with pytest.raises(_Killed):
        killed.run()
    assert load_checkpoint(tmp_path / "killed" / "checkpoint.pt")["loop"]["position"] == kill_at // 10 * 10
    resumed = CalibrationRun(load_run_config(str(tmp_path / "killed")), resume=True)
    assert resumed.run() == EXIT_DONE
    _assert_same_run(straight, resumed)


def test_evaluation_and_checkpoints_leave_the_trained_weights_unchanged(tiny_run_config, tmp_path):
    plain = CalibrationRun(
        tiny_run_config(output=str(tmp_path / "plain"), eval_every=0, checkpoint_every=0, keep_best=False)
    )
    assert plain.run() == EXIT_DONE
    busy = CalibrationRun(
        tiny_run_config(output=str(tmp_path / "busy"), eval_every=3, checkpoint_every=5, keep_best=False)
    )
    assert busy.run() == EXIT_DONE
    for name, tensor in _weights(plain.encoder).items():
        assert torch.equal(tensor, busy.encoder.state_dict()[name]), name


def test_paper_rlhf_agent_runs_and_resumes_identically(tiny_run_config, tmp_path):
    common = dict(agent="paper-rlhf", queries=24, eval_every=0, dev_pairs=0, test=None)
    straight = CalibrationRun(tiny_run_config(output=str(tmp_path / "a"), **common))
    assert straight.run() == EXIT_DONE
    assert json.loads(straight.folder.report_path.read_text())["updates"] == 24
    stopped = _StopAt(tiny_run_config(output=str(tmp_path / "b"), **common))
    stopped.stop_at = 9
    assert stopped.run() == EXIT_INTERRUPTED
    resumed = CalibrationRun(load_run_config(str(tmp_path / "b")), resume=True)
    assert resumed.run() == EXIT_DONE
    for name, tensor in _weights(straight.encoder).items():
        assert torch.equal(tensor, resumed.encoder.state_dict()[name]), name


def test_a_diverging_run_stops_clearly_and_keeps_the_last_good_checkpoint(tiny_run_config, capsys):
    config = tiny_run_config(
        encoder_lr=1e12, max_grad_norm=None, checkpoint_every=4, eval_every=0, dev_pairs=0, test=None
    )
    run = CalibrationRun(config)
    assert run.run() == EXIT_FAILED
    printed = capsys.readouterr().out
    assert "NaN or inf" in printed and "last good checkpoint" in printed
    report = json.loads(run.folder.report_path.read_text())
    assert report["status"] == "failed" and "NaN or inf" in report["error"]
    state = load_checkpoint(run.folder.checkpoint_path)
    assert state["loop"]["position"] < report["queries"] + 1
    weights = state["training"]["learner"]["critic"]
    assert all(torch.isfinite(t).all() for t in weights.values() if t.is_floating_point())


def test_a_finished_folder_is_not_overwritten_and_resume_needs_a_checkpoint(tiny_run_config):
    config = tiny_run_config(queries=8, learning_starts=8, eval_every=0, dev_pairs=0, test=None)
    assert CalibrationRun(config).run() == EXIT_DONE
    with pytest.raises(
        RunFolderError, match="already holds a run; pass --resume to continue it, --overwrite"
    ):
        CalibrationRun(config).run()
    with pytest.raises(RunFolderError, match="cannot resume.*the run there is finished"):
        CalibrationRun(config, resume=True).run()
    assert CalibrationRun(config, overwrite=True).run() == EXIT_DONE


def test_load_run_config_names_a_missing_folder(tmp_path):
    with pytest.raises(RunFolderError, match="config.json does not exist"):
        load_run_config(str(tmp_path / "nowhere"))


class _FlakyOracle:
    """A dataset-like oracle whose connection breaks on its 13th call (e.g. a labelling server going away)."""

    nondeterministic = False

    def __init__(self, pairs, fail_on=13, error: BaseException | None = None):
        self.gold = {(p.sentence_a, p.sentence_b): p.score for p in pairs}
        self.calls, self.fail_on = 0, fail_on
        self.error = error or ConnectionError("the labelling server went away")

    def judge(self, sentence_a, sentence_b, *, rng=None):
        self.calls += 1
        if self.calls == self.fail_on:
            raise self.error
        return self.gold[(sentence_a, sentence_b)]


def test_a_crash_mid_run_saves_what_was_learned_and_resume_finishes(tiny_run_config, shared_data_dir):
    from rcsim_env.data.loaders import load_stsb

    pool = load_stsb("train", data_dir=shared_data_dir)[:60]
    config = tiny_run_config(queries=30, eval_every=0, dev_pairs=0, test=None)
    with pytest.raises(ConnectionError, match="went away"):
        CalibrationRun(config, pool=pool, oracle=_FlakyOracle(pool)).run()
    report = json.loads((Path(config.run.output) / "report.json").read_text())
    assert report["status"] == "crashed" and "ConnectionError" in report["error"] and report["queries"] == 12
    resumed = CalibrationRun(config, resume=True, pool=pool, oracle=_FlakyOracle(pool, fail_on=-1))
    assert resumed.run() == EXIT_DONE
    assert [int(r["query"]) for r in resumed.queries_log.rows()] == list(range(1, 31))


def test_ctrl_c_while_waiting_for_an_answer_checkpoints_the_last_completed_query(
    tiny_run_config, shared_data_dir
):
    from rcsim_env.data.loaders import load_stsb

    pool = load_stsb("train", data_dir=shared_data_dir)[:60]
    config = tiny_run_config(queries=30, eval_every=0, dev_pairs=0, test=None)
    waiting = _FlakyOracle(pool, fail_on=9, error=KeyboardInterrupt())  # Ctrl-C inside judge()
    assert CalibrationRun(config, pool=pool, oracle=waiting).run() == EXIT_INTERRUPTED
    report = json.loads((Path(config.run.output) / "report.json").read_text())
    assert report["status"] == "interrupted" and report["queries"] == 8
    assert load_checkpoint(Path(config.run.output) / "checkpoint.pt")["loop"]["position"] == 8
    resumed = CalibrationRun(config, resume=True, pool=pool, oracle=_FlakyOracle(pool, fail_on=-1))
    assert resumed.run() == EXIT_DONE
    assert [int(r["query"]) for r in resumed.queries_log.rows()] == list(range(1, 31))


def test_calibrate_in_one_call_exports_an_encoder_sentence_transformers_loads(
    tiny_model_dir, shared_data_dir, tmp_path
):
    from sentence_transformers import SentenceTransformer

    import agents

    pairs = tmp_path / "mine.tsv"
    lines = [f"a man plays the guitar {i}\ta man is playing {i}\t{i % 6}" for i in range(30)]
    pairs.write_text("sentence1\tsentence2\tscore\n" + "\n".join(lines) + "\n")
    run = agents.calibrate(
        encoder=str(tiny_model_dir),
        pool=str(pairs),
        dev_split=0.2,
        test=None,
        queries=24,
        batch_size=8,
        learning_starts=8,
        device="cpu",
        show_progress=False,
        tensorboard=False,
        output=str(tmp_path / "mine"),
    )
    assert run.report_data["status"] == "done" and "held out" in run.report_data["sources"]["evaluation"]
    model = SentenceTransformer(str(run.folder.model_dir), device="cpu")
    assert model.encode(["a man plays the guitar"]).shape == (1, 32)
    with pytest.raises(ValueError, match="unknown CalibrationConfig setting"):
        agents.calibrate(querys=10)
