"""The pretraining trainer on a tiny random BERT: learning, resume, keep-best, NaN guard, bad corpora, CLI."""

from __future__ import annotations

import json
import math
import os
import random
import signal
from pathlib import Path

import pytest
import torch

from agents.checkpoint import load_checkpoint
from agents.pretraining.cli import main as pretrain_main
from agents.pretraining.config import PretrainConfig
from agents.pretraining.trainer import (
    EmbeddingNet,
    PretrainFolderError,
    PretrainRun,
    read_corpus,
    tokenize,
    weights_digest,
)
from agents.runs.lifecycle import EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED, RunFolderError
from rcsim_env.config import dataclass_from_dict
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders import SentenceEncoder
from rcsim_env.errors import DataFormatError, DataNotFoundError

WORDS = (
    "a the man woman dog cat plays guitar piano runs in on field park eats food sleeps house car red".split()
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def tiny_config(model_dir: Path, output: Path, **overrides) -> PretrainConfig:
    settings = dict(
        encoder=str(model_dir),
        output=str(output),
        batch_size=8,
        lr=1e-3,
        epochs=2,
        max_length=32,
        eval_every=0,
        dev=None,
        test=None,
        checkpoint_every=0,
        log_every=1,
        device="cpu",
        show_progress=False,
    )
    settings.update(overrides)
    return dataclass_from_dict(PretrainConfig, settings)


def saved_digest(folder: Path) -> str:
    return weights_digest(SentenceEncoder.from_pretrained(folder, device="cpu").model)


@pytest.mark.parametrize("loss", ["force", "simcse"])
def test_loss_falls_on_a_tiny_model_and_the_folder_is_an_encoder(tiny_model_dir, tmp_path, loss):
    # one batch of all 16 sentences, so every step sees the same batch and losses are comparable
    config = tiny_config(tiny_model_dir, tmp_path / "out", loss=loss, batch_size=16, epochs=12)
    run = PretrainRun(config, sentences=sentences(16))
    assert run.run() == EXIT_DONE
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    losses = [entry["loss"] for entry in report["losses"]]
    assert report["status"] == "done" and report["steps"] == 12 and len(losses) == 12
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.05 * abs(sum(losses[:3]) / 3)
    assert report["sentences_trained"] == 12 * 16 and report["sentences_per_second"] > 0
    assert not (tmp_path / "out" / "checkpoint.pt").exists()
    assert saved_digest(tmp_path / "out" / "encoder") != saved_digest(tiny_model_dir)


class StopAt(PretrainRun):
    """Asks to stop (as Ctrl-C does) after step ``stop_at``."""

    stop_at = 3

    def after_unit(self) -> None:
        if self.position == self.stop_at:
            self.request_stop()


@pytest.mark.parametrize(("stop_at", "epoch", "batch"), [(2, 0, 2), (3, 1, 0)])  # mid-epoch, epoch end
def test_stop_checkpoint_and_resume_end_with_the_uninterrupted_weights(
    tiny_model_dir, tmp_path, stop_at, epoch, batch
):
    corpus = sentences(24)
    whole = tiny_config(tiny_model_dir, tmp_path / "whole", loss="simcse", epochs=2)  # 3 steps/epoch
    assert PretrainRun(whole, sentences=corpus).run() == EXIT_DONE

    split = tiny_config(tiny_model_dir, tmp_path / "split", loss="simcse", epochs=2)
    stopping = StopAt(split, sentences=corpus)
    stopping.stop_at = stop_at
    assert stopping.run() == EXIT_INTERRUPTED
    state = load_checkpoint(tmp_path / "split" / "checkpoint.pt")
    loop = state["loop"]
    assert (loop["position"], loop["epoch"], loop["batch_in_epoch"]) == (
        stop_at,
        epoch,
        batch,
    )
    report = json.loads((tmp_path / "split" / "report.json").read_text())
    assert report["status"] == "interrupted"

    resumed = PretrainRun(split, resume=True, sentences=corpus)
    assert resumed.run() == EXIT_DONE
    assert resumed.position == 6
    assert saved_digest(tmp_path / "split" / "encoder") == saved_digest(tmp_path / "whole" / "encoder")
    whole_losses = json.loads((tmp_path / "whole" / "report.json").read_text())["losses"]
    assert resumed.report_data["losses"] == whole_losses


def test_resume_refuses_a_changed_corpus_and_a_folder_without_checkpoint(tiny_model_dir, tmp_path):
    config = tiny_config(tiny_model_dir, tmp_path / "run")
    assert StopAt(config, sentences=sentences(24)).run() == EXIT_INTERRUPTED
    with pytest.raises(PretrainFolderError, match="corpus differs"):
        PretrainRun(config, resume=True, sentences=sentences(24, seed=1)).run()
    with pytest.raises(RunFolderError, match="cannot resume"):
        PretrainRun(tiny_config(tiny_model_dir, tmp_path / "none"), resume=True).run()


class ScriptedDev(PretrainRun):
    """Dev 'Spearman' from a script; records the weights each evaluation saw."""

    scores = [10.0, 30.0, 20.0, 25.0]

    def evaluate(self, pairs, description: str = "") -> float:
        self.seen = getattr(self, "seen", [])
        self.seen.append((self.position, weights_digest(self.encoder.model)))
        return self.scores[len(self.seen) - 1]


DEV = [ScoredPair("a man plays", "a woman plays", 3.0, "d1"), ScoredPair("a dog", "the car", 0.5, "d2")]


def test_keep_best_exports_the_best_dev_encoder(tiny_model_dir, tmp_path):
    # 6 steps, dev at 0, 2, 4 and at the end (6): the best is step 2
    config = tiny_config(tiny_model_dir, tmp_path / "best", epochs=2, eval_every=2, keep_best=True)
    run = ScriptedDev(config, sentences=sentences(24), dev_pairs=DEV)
    assert run.run() == EXIT_DONE
    assert [step for step, _ in run.seen] == [0, 2, 4, 6]
    report = run.report_data
    assert report["best"] == {"step": 2, "dev_spearman": 30.0}
    assert report["exported"] == "best on dev, after step 2"
    assert [entry["dev_spearman"] for entry in report["dev_history"]] == ScriptedDev.scores
    assert saved_digest(tmp_path / "best" / "encoder") == run.seen[1][1] != run.seen[3][1]
    assert not (tmp_path / "best" / "best").exists()

    last = tiny_config(tiny_model_dir, tmp_path / "last", epochs=2, eval_every=2, keep_best=False)
    run = ScriptedDev(last, sentences=sentences(24), dev_pairs=DEV)
    assert run.run() == EXIT_DONE
    assert run.report_data["exported"] == "final"
    assert saved_digest(tmp_path / "last" / "encoder") == run.seen[3][1]


def test_untouched_encoder_is_kept_when_training_only_hurts(tiny_model_dir, tmp_path):
    class Worse(ScriptedDev):
        scores = [50.0, 40.0, 30.0, 20.0]

    config = tiny_config(tiny_model_dir, tmp_path / "out", epochs=2, eval_every=2)
    run = Worse(config, sentences=sentences(24), dev_pairs=DEV)
    assert run.run() == EXIT_DONE
    assert run.report_data["exported"] == "best on dev, after step 0"
    assert saved_digest(tmp_path / "out" / "encoder") == saved_digest(tiny_model_dir)


class PoisonAfter(PretrainRun):
    """Turns every weight of the word embeddings into NaN after step 2 (after its checkpoint)."""

    def after_unit(self) -> None:
        if self.position == 2:
            with torch.no_grad():
                self.encoder.model.get_input_embeddings().weight.fill_(math.nan)


@pytest.mark.parametrize("loss", ["force", "simcse"])
def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(
    tiny_model_dir, tmp_path, capsys, loss
):
    config = tiny_config(tiny_model_dir, tmp_path / "run", loss=loss, epochs=3, checkpoint_every=1)
    assert PoisonAfter(config, sentences=sentences(24)).run() == EXIT_FAILED
    printed = capsys.readouterr().out
    assert "training stopped at step 3" in printed and "loss is nan" in printed
    assert "last good checkpoint" in printed
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["status"] == "failed" and "step 3" in report["error"]
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert state["loop"]["position"] == 2
    assert all(
        torch.isfinite(tensor).all()
        for tensor in state["training"]["model"].values()
        if tensor.is_floating_point()
    )


def test_corpus_reading_skips_blank_lines_and_names_bad_lines(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("first sentence\n\n   \nsecond sentence\nthird\n", encoding="utf-8")
    assert read_corpus(good) == (["first sentence", "second sentence", "third"], 2)

    bad_utf8 = tmp_path / "bad.txt"
    bad_utf8.write_bytes(b"fine\nalso fine\nbroken \xff\xfe here\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:3: not valid UTF-8"):
        read_corpus(bad_utf8)

    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"one\ntwo\x00three\n")
    with pytest.raises(DataFormatError, match=r"binary\.txt:2: holds a NUL character"):
        read_corpus(binary)

    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"holds 0 sentence\(s\) and 3 blank line\(s\)"):
        read_corpus(empty)

    with pytest.raises(DataNotFoundError, match="no such file"):
        read_corpus(tmp_path / "missing.txt")


def test_cli_reports_a_malformed_corpus_with_file_and_line(tiny_model_dir, tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"a man plays\n\xc3\x28 broken\n")
    argv = ["--corpus", str(corpus), "--encoder", str(tiny_model_dir), "--output", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as stopped:
        pretrain_main([*argv, "--device", "cpu", "--no-show-progress"])
    assert stopped.value.code == 2
    assert "corpus.txt:2: not valid UTF-8" in capsys.readouterr().err


def test_output_folder_must_be_new_or_empty(tiny_model_dir, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="already holds files; pass another --output"):
        PretrainRun(tiny_config(tiny_model_dir, tmp_path / "busy"), sentences=sentences(8)).run()
    done = tiny_config(tiny_model_dir, tmp_path / "done", epochs=1)
    assert PretrainRun(done, sentences=sentences(8)).run() == EXIT_DONE
    with pytest.raises(RunFolderError, match="already holds a run"):
        PretrainRun(done, sentences=sentences(8)).run()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"loss": "triplet"}, "loss must be one of"),
        ({"batch_size": 1}, "batch_size must be at least 2"),
        ({"threshold": 1.0}, "threshold must be strictly between"),
        ({"input_view": "cls"}, "input_view must be one of"),
        ({"lr": 0.0}, "lr must be"),
    ],
)
def test_bad_settings_are_refused(tiny_model_dir, tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(tiny_model_dir, tmp_path / "x", **overrides).validate()
    with pytest.raises(ValueError, match="not a multiple of the 3 processes"):
        tiny_config(tiny_model_dir, tmp_path / "x", batch_size=8).validate(world_size=3)


def test_pretrain_subcommand_output_loads_as_the_calibration_encoder(
    tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    import train_rl

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(sentences(16)) + "\n\n", encoding="utf-8")
    encoder = tmp_path / "pretrained"
    common = ["--device", "cpu", "--no-show-progress"]
    status = train_rl.main(
        ["pretrain", "--corpus", str(corpus), "--encoder", str(tiny_model_dir), "--output", str(encoder)]
        + ["--batch-size", "8", "--lr", "1e-3", "--eval-every", "0", "--test", "none", *common]
    )
    assert status == 0
    assert "16 sentences, 1 blank lines skipped" in capsys.readouterr().out
    calibrated = tmp_path / "calibrated"
    status = train_rl.main(
        [
            "calibrate",
            "--encoder",
            str(encoder),
            "--data-dir",
            str(shared_data_dir),
            "--output",
            str(calibrated),
        ]
        + ["--queries", "12", "--batch-size", "4", "--learning-starts", "4", "--eval-every", "0"]
        + ["--dev", "none", "--test", "none", "--no-tensorboard", *common]
    )
    assert status == 0
    report = json.loads((calibrated / "report.json").read_text())
    assert report["status"] == "done" and report["updates"] > 0
    assert (calibrated / "encoder" / "config.json").is_file()


def test_help_lists_the_options(capsys):
    import train_rl

    with pytest.raises(SystemExit) as stopped:
        train_rl.main(["pretrain", "--help"])
    assert stopped.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--corpus", "--loss", "--batch-size", "--lr", "--epochs", "--max-length", "--resume"):
        assert option in shown
    assert "(default: 64)" in shown and "(default: 128)" in shown


def test_input_views_frozen_and_live_agree_at_the_start_and_only_frozen_stays_fixed(tiny_model_dir):
    encoder = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
    tokens = tokenize(encoder.tokenizer, sentences(4), 32, encoder.device)
    frozen, live = EmbeddingNet(encoder.model, "frozen").eval(), EmbeddingNet(encoder.model, "live").eval()
    out_frozen, view_frozen = frozen(**tokens, want_input_view=True)
    out_live, view_live = live(**tokens, want_input_view=True)
    assert torch.allclose(view_frozen, view_live, atol=1e-6) and torch.allclose(out_frozen, out_live)
    assert not view_frozen.requires_grad and out_frozen.requires_grad
    assert frozen(**tokens)[1] is None
    with torch.no_grad():
        encoder.model.get_input_embeddings().weight.mul_(2.0)  # the trained embedding layer moves
    assert torch.allclose(frozen(**tokens, want_input_view=True)[1], view_frozen)
    assert not torch.allclose(live(**tokens, want_input_view=True)[1], view_live)
    frozen.train()
    assert not frozen.frozen_embeddings.training and frozen.model.training


class CtrlCAt(PretrainRun):
    """Sends itself a real SIGINT after step 2, as a person pressing Ctrl-C would."""

    def after_unit(self) -> None:
        if self.position == 2:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_finishes_the_step_saves_a_checkpoint_and_exits_130(tiny_model_dir, tmp_path, capsys):
    config = tiny_config(tiny_model_dir, tmp_path / "run", epochs=2)
    before = signal.getsignal(signal.SIGINT)
    assert CtrlCAt(config, sentences=sentences(24)).run() == EXIT_INTERRUPTED
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back
    assert "--resume --output" in capsys.readouterr().out
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["loop"]["position"] == 2
