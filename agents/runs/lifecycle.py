"""The lifecycle every training run shares, as SB3's OffPolicyAlgorithm owns its loop.

A run counts *units* (a calibration's oracle queries, a pretraining's optimizer steps, a
distillation's epochs). :class:`TrainingRun` owns everything around one unit; a subclass
says only how to build itself, train one unit, evaluate, and save or load its state:

- the **run folder** (:class:`~agents.runs.folder.RunFolder`): a new run needs a new or
  empty folder (``--overwrite`` restarts a folder that holds a run; files a person made,
  such as a label store, are never deleted); ``config.json`` holds the settings, and
  ``--resume`` continues with them;
- **checkpoints** every ``checkpoint_every`` units and on every stop, written atomically,
  with the subclass's state, the loop's counters and every global random state, so a resumed
  run ends exactly as an uninterrupted one; the NaN guard (:meth:`TrainingRun.check_finite`)
  refuses to overwrite the last good checkpoint with a diverged model;
- **Ctrl-C**: the first finishes the current unit, checkpoints and exits with 130; a second
  (or one while a unit waits, e.g. for a person's answer) stops at once;
- a **non-finite loss** (``FloatingPointError``) stops the run with exit status 1 and a
  report saying where; any other error is reported (and, where safe, checkpointed) and
  re-raised;
- **keep-best**: dev is scored before the first unit, every ``eval_every`` units and at the
  end; the best model waits in ``best/`` and is exported instead of the last when it is better;
- ``report.json``, ``metrics.csv`` (and TensorBoard), one progress bar.

Exit statuses: :data:`EXIT_DONE` 0, :data:`EXIT_FAILED` 1, :data:`EXIT_INTERRUPTED` 130.
"""

from __future__ import annotations

import os
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

from agents.checkpoint import (
    capture_rng_state,
    check_checkpoint,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from agents.interrupts import first_ctrl_c_calls
from agents.runs.config import RunConfig
from agents.runs.folder import RunFolder
from rcsim_env.errors import RCSimError
from rcsim_env.jsonio import write_json

EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130

RUN_MARKERS = ("config.json", "report.json", "checkpoint.pt")
"""Files that show a folder holds a run (``--overwrite`` only clears such folders)."""


class RunFolderError(RCSimError, ValueError):
    """The run folder does not fit the request (it holds files, a finished run, or nothing to resume)."""


class TrainingRun(ABC):
    """One training run over :attr:`total` units (see the module docstring).

    Args:
        config: the run's settings; ``config.run`` is its :class:`~agents.runs.config.RunConfig`.
        resume: continue from the folder's checkpoint.
        overwrite: start again in a folder that holds a run (deleting it, but never the files
            named by :attr:`preserved_files`).

    Attributes after :meth:`run`: ``position`` (units done), ``before`` / ``after`` (scores),
    ``best`` (the best dev point), ``dev_history``, ``train_seconds``, ``eval_seconds``,
    ``exported`` (which model was exported) and ``report_data`` (the last report written).
    """

    unit: ClassVar[str] = "step"
    """What one unit is, singular (``"query"``, ``"step"``, ``"epoch"``)."""
    command: ClassVar[str] = "rcsim"
    """The command that runs this kind of run, for messages (``"rcsim calibrate"``)."""
    model_dir_name: ClassVar[str] = "encoder"
    """The exported model's subfolder."""
    dev_metric: ClassVar[str] = "dev_spearman"
    """The name of the dev score (higher is better)."""
    preserved_files: ClassVar[tuple[str, ...]] = ()
    """Files ``--overwrite`` never deletes (a person's judgements)."""
    interrupt_mid_unit_is_safe: ClassVar[bool] = False
    """Whether a Ctrl-C inside a unit leaves the state of the last completed unit (then it is saved)."""
    checkpoint_on_crash: ClassVar[bool] = False
    """Whether an unexpected error leaves the state of the last completed unit (then it is saved)."""
    loop_state: ClassVar[tuple[str, ...]] = ()
    """Attributes of the subclass saved with the loop's counters in every checkpoint."""

    def __init__(self, config: Any, resume: bool = False, overwrite: bool = False) -> None:
        self.config = config
        self.settings: RunConfig = config.run
        self.resume = resume
        self.overwrite = overwrite
        self.folder = RunFolder(
            self.settings.output,
            unit=self.unit,
            model_dir_name=self.model_dir_name,
            tensorboard=self.settings.tensorboard,
        )
        self.position = 0
        self.before: dict[str, float] = {}
        self.after: dict[str, float] = {}
        self.best: dict[str, float] = {}
        self.dev_history: list[dict[str, float]] = []
        self.train_seconds = 0.0
        self.eval_seconds = 0.0
        self.exported = "final"
        self.report_data: dict[str, Any] = {}
        self.invocation: str | None = None
        """The command line that started the run, when a command did (for model cards)."""
        self.announce = True
        """Whether the run prints its summary when done (a benchmark that reports it itself says no)."""
        self._stop_requested = False

    # ================================================================= what a subclass provides
    @abstractmethod
    def build(self) -> None:
        """Load models and data and create optimizers (called once, before start or resume)."""

    @property
    @abstractmethod
    def total(self) -> int:
        """Units in the whole run (known after :meth:`build`)."""

    @abstractmethod
    def train_unit(self) -> Mapping[str, float] | None:
        """Train one unit; returns metrics to log at the new position, or None.

        Raises FloatingPointError when a loss or gradient is not finite (before stepping).
        """

    @abstractmethod
    def training_state(self) -> dict[str, Any]:
        """Everything besides the loop's counters that resuming needs (models, optimizers, streams)."""

    @abstractmethod
    def load_training_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`training_state`."""

    @abstractmethod
    def save_model(self, folder: Path) -> None:
        """Write the model to ``folder`` (the export, and the best model on dev)."""

    @abstractmethod
    def load_model(self, folder: Path) -> None:
        """Load the weights :meth:`save_model` wrote into the model in memory."""

    def export_model(self, folder: Path) -> None:
        """Write the final model (after the before/after scores are known); default :meth:`save_model`."""
        self.save_model(folder)

    def score_summary(self) -> dict[str, float]:
        """The before/after scores with readable names (for model cards)."""
        names = {"dev_spearman": "dev Spearman", "test_spearman": "test Spearman"}
        scores = {f"{names[key]} before": value for key, value in self.before.items() if key in names}
        scores.update({f"{names[key]} after": value for key, value in self.after.items() if key in names})
        return scores

    def start(self) -> None:
        """Called once before the first unit of a new run (after the before-scores)."""
        return None

    def evaluate_dev(self) -> float | None:
        """The dev score of the model now (higher is better), or None when the run has no dev set."""
        return None

    def evaluate_test(self) -> float | None:
        """The test score of the model now, or None when the run has no test set."""
        return None

    def check_finite(self) -> None:
        """Raise FloatingPointError when the model holds NaN or inf (called before every checkpoint)."""
        return None

    def after_unit(self) -> None:
        """Called after every unit (and its evaluation and checkpoint)."""
        return None

    def progress_postfix(self) -> dict[str, str]:
        """Short figures for the progress bar."""
        return {}

    @property
    def checkpoint_interval(self) -> int:
        """Units between periodic checkpoints (``checkpoint_every``; 0 = only on stop)."""
        return int(self.settings.checkpoint_every)

    @property
    def progress_description(self) -> str:
        """The progress bar's label."""
        return type(self).__name__

    def report_extra(self) -> dict[str, Any]:
        """Fields the subclass adds to ``report.json``."""
        return {}

    def on_finish(self) -> None:
        """Called after the export and the final report (plots, cleanup of the subclass's own files)."""
        return None

    def summary_lines(self) -> list[str]:
        """Lines printed when the run is done."""
        lines = [f"done: {self.position} {self.unit_plural}, {self.train_seconds:.1f} s of training"]
        for split in ("dev", "test"):
            key = f"{split}_spearman"
            if key in self.before and key in self.after:
                lines.append(
                    f"  {split} Spearman: before {self.before[key]:.2f}  after {self.after[key]:.2f}"
                )
        lines.append(f"  model ({self.exported}) saved to {self.folder.model_dir}")
        lines.append(f"  report {self.folder.report_path}")
        return lines

    # ---------------------------------------------------- distributed runs override these
    @property
    def is_main(self) -> bool:
        """Whether this process writes files, evaluates and prints (rank 0)."""
        return True

    def barrier(self) -> None:
        """Wait for every process (a no-op on one)."""
        return None

    def any_process(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any process."""
        return flag

    def rng_states(self) -> Any:
        """The random states to checkpoint (every process's, in a distributed run)."""
        return capture_rng_state()

    def restore_rng_states(self, states: Any) -> None:
        """Put back :meth:`rng_states`."""
        restore_rng_state(states)

    def close(self) -> None:
        """Release what the run holds (called at the end of :meth:`run`, whatever happened)."""
        return None

    # ================================================================= the lifecycle
    @property
    def unit_plural(self) -> str:
        """The unit's plural, for messages."""
        return self.unit[:-1] + "ies" if self.unit.endswith("y") else self.unit + "s"

    def say(self, message: str) -> None:
        """Print ``message`` on the main process."""
        if self.is_main:
            print(message, flush=True)

    def request_stop(self) -> None:
        """Ask the loop to stop after the current unit, save a checkpoint and return 130."""
        self._stop_requested = True

    def run(self) -> int:
        """Train to the end (or until stopped); returns the exit status."""
        try:
            self.check_folder()
            self.barrier()  # every process has checked the folder before the main one changes it
            self.build()
            if self.resume:
                self.restore()
            else:
                self._start()
            with first_ctrl_c_calls(self.request_stop):
                status = self._loop()
            if status == EXIT_DONE:
                self._finish()
            self.barrier()
            return status
        finally:
            self.folder.close()
            self.close()

    # ----------------------------------------------------------------- the folder
    def check_folder(self) -> None:
        """Refuse a folder that does not fit: resuming without a checkpoint, starting over files.

        With ``overwrite`` a folder holding a run is cleared first (on the main process), keeping
        :attr:`preserved_files`; a folder with other files is never cleared.
        """
        root = self.folder.root
        checkpoint = self.folder.checkpoint_path
        if self.resume:
            if checkpoint.is_file():
                check_checkpoint(checkpoint)  # a damaged file is reported before any model loads
                return
            finished = " (the run there is finished)" if self.folder.report_path.is_file() else ""
            raise RunFolderError(f"cannot resume: {checkpoint} does not exist{finished}")
        if root.exists() and not root.is_dir():
            raise RunFolderError(f"{root} is a file, not a folder; choose another --output")
        present = [p for p in root.iterdir() if p.name not in self.preserved_files] if root.is_dir() else []
        if not present:
            return
        holds_run = any((root / name).exists() for name in RUN_MARKERS)
        if self.overwrite and holds_run:
            if self.is_main:
                for path in present:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
            return
        if self.overwrite:
            raise RunFolderError(
                f"{root} holds files but no run ({', '.join(sorted(p.name for p in present)[:5])}); "
                "refusing to delete them: choose another --output"
            )
        hint = "--resume to continue it, --overwrite to start again" if holds_run else "another --output"
        raise RunFolderError(f"{root} already holds {'a run' if holds_run else 'files'}; pass {hint}")

    # ----------------------------------------------------------------- evaluation
    def _timed(self, evaluate) -> float | None:
        started = time.perf_counter()
        try:
            return evaluate()
        finally:
            self.eval_seconds += time.perf_counter() - started

    def _score_dev(self, save_best: bool, synchronise: bool = True) -> None:
        """Main process: score dev at this position, log it, and keep the model if it is the best.

        Every process must call it, unless ``synchronise`` is False (a call from code only the
        main process runs).
        """
        if self.is_main:
            score = self._timed(self.evaluate_dev)
            if score is not None:
                self.dev_history.append({self.unit: self.position, self.dev_metric: score})
                self.folder.log_metrics(self.position, {f"eval/{self.dev_metric}": score})
                if self.settings.keep_best and (not self.best or score > self.best[self.dev_metric]):
                    self.best = {self.unit: self.position, self.dev_metric: score}
                    if save_best:
                        self._save_best()
        if synchronise:
            self.barrier()

    def _save_best(self) -> None:
        started = time.perf_counter()
        temporary = self.folder.root / "best.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        self.save_model(temporary)
        write_json(temporary / "best.json", self.best)
        shutil.rmtree(self.folder.best_dir, ignore_errors=True)
        os.replace(temporary, self.folder.best_dir)
        self.eval_seconds += time.perf_counter() - started

    # ----------------------------------------------------------------- start, checkpoint, restore
    def _start(self) -> None:
        if self.is_main:
            self.folder.create()
            write_json(self.folder.config_path, asdict(self.config))
            test = self._timed(self.evaluate_test)
            if test is not None:
                self.before["test_spearman"] = test
        self._score_dev(save_best=True)
        if self.dev_history:
            self.before[self.dev_metric] = self.dev_history[-1][self.dev_metric]
        if self.before:
            self.say("before training: " + ", ".join(f"{k} {v:.2f}" for k, v in self.before.items()))
        self.start()

    def _loop_counters(self) -> dict[str, Any]:
        keys = (
            "position",
            "before",
            "best",
            "dev_history",
            "train_seconds",
            "eval_seconds",
            *self.loop_state,
        )
        return {key: getattr(self, key) for key in keys}

    def save_checkpoint(self) -> None:
        """Write ``checkpoint.pt`` atomically (main process): state, counters and random states.

        Every process must call it. Refuses (FloatingPointError, from :meth:`check_finite`) when
        the model is not finite, so a diverged model never replaces the last good checkpoint.
        """
        self.check_finite()
        states = self.rng_states()
        if self.is_main:
            save_checkpoint(
                self.folder.checkpoint_path,
                {"training": self.training_state(), "loop": self._loop_counters(), "rng": states},
            )
        self.barrier()

    def restore(self) -> None:
        """Load the folder's checkpoint: state, counters, random states; forget logs after it."""
        import json

        state = load_checkpoint(self.folder.checkpoint_path, map_location="cpu")
        missing = {"training", "loop", "rng"} - set(state)
        if missing:
            raise RunFolderError(
                f"{self.folder.checkpoint_path} lacks {sorted(missing)}: it was not written by this "
                "version of the package; start a new run in another folder"
            )
        self.load_training_state(state["training"])
        for key, value in state["loop"].items():
            setattr(self, key, value)
        self.restore_rng_states(state["rng"])
        best_file = self.folder.best_dir / "best.json"
        if best_file.is_file():
            self.best = json.loads(best_file.read_text(encoding="utf-8"))
        if self.is_main:
            self.folder.create()
            self.truncate_logs(self.position)
        self.say(f"resuming {self.folder.root} at {self.unit} {self.position}/{self.total}")

    def truncate_logs(self, position: int) -> None:
        """Forget log rows after ``position`` (they will be written again); subclasses add their logs."""
        self.folder.metrics.truncate_after(position)

    # ----------------------------------------------------------------- the loop
    def _loop(self) -> int:
        from tqdm.auto import tqdm

        settings = self.settings
        bar = tqdm(
            total=self.total,
            initial=self.position,
            desc=self.progress_description,
            unit=self.unit,
            disable=not (settings.show_progress and self.is_main),
        )
        try:
            while self.position < self.total:
                if self.any_process(self._stop_requested):
                    bar.close()
                    return self._stop_here()
                started = time.perf_counter()
                metrics = self.train_unit()
                self.train_seconds += time.perf_counter() - started
                self.position += 1
                if metrics and self.is_main:
                    self.folder.log_metrics(self.position, metrics)
                bar.update(1)
                postfix = self.progress_postfix()
                if postfix:
                    bar.set_postfix(postfix, refresh=False)
                unfinished = self.position < self.total
                if settings.eval_every and self.position % settings.eval_every == 0 and unfinished:
                    self._score_dev(save_best=True)
                every = self.checkpoint_interval
                if every and self.position % every == 0 and unfinished:
                    self.save_checkpoint()
                self.after_unit()
        except FloatingPointError as exc:
            bar.close()
            kept = (
                f"the last good checkpoint {self.folder.checkpoint_path} is intact"
                if self.folder.checkpoint_path.exists()
                else "no checkpoint had been saved yet"
            )
            message = f"training stopped at {self.unit} {self.position + 1}: {exc}; {kept}"
            self.say(message)
            self._write_report("failed", error=message)
            return EXIT_FAILED
        except KeyboardInterrupt:
            bar.close()
            if self.interrupt_mid_unit_is_safe:
                return self._stop_here()
            self._write_report("interrupted", error="interrupted mid-unit; the last checkpoint is kept")
            self.say(f"\ninterrupted; resume from the last checkpoint with: {self.resume_command}")
            return EXIT_INTERRUPTED
        except Exception as exc:
            bar.close()
            self._report_crash(exc)
            raise
        bar.close()
        return EXIT_DONE

    @property
    def resume_command(self) -> str:
        """The command line that continues this run."""
        return f"{self.command} --resume --output {self.folder.root}"

    def _stop_here(self) -> int:
        """Checkpoint at the last completed unit, report "interrupted" and say how to resume; returns 130."""
        self.save_checkpoint()
        self._write_report("interrupted")
        self.say(
            f"\nstopped at {self.unit} {self.position}/{self.total}; checkpoint saved to "
            f"{self.folder.checkpoint_path}\ncontinue with: {self.resume_command}"
        )
        return EXIT_INTERRUPTED

    def _report_crash(self, exc: Exception) -> None:
        """Report an unexpected error, checkpointing first where :attr:`checkpoint_on_crash` allows."""
        kept = "the last periodic checkpoint is kept" if self.folder.checkpoint_path.exists() else ""
        if self.checkpoint_on_crash:
            try:
                self.save_checkpoint()
                kept = f"checkpoint saved at {self.unit} {self.position}: continue with {self.resume_command}"
            except Exception as second:  # noqa: BLE001  (the original error matters more)
                kept = f"no checkpoint could be saved ({second})"
        self._write_report("crashed", error=f"{type(exc).__name__}: {exc}; {kept}".rstrip("; "))
        self.say(f"\nthe run crashed at {self.unit} {self.position + 1}: {type(exc).__name__}: {exc}\n{kept}")

    # ----------------------------------------------------------------- the end
    def _finish(self) -> None:
        if self.is_main:
            self._export()
        self.barrier()

    def _export(self) -> None:
        if not self.dev_history or self.dev_history[-1][self.unit] != self.position:
            self._score_dev(save_best=False, synchronise=False)
        if self.dev_history:
            self.after[f"final_{self.dev_metric}"] = self.dev_history[-1][self.dev_metric]
        if self.settings.keep_best and self.best and self.best[self.unit] != self.position:
            final_test = self._timed(self.evaluate_test)
            if final_test is not None:
                self.after["final_test_spearman"] = final_test
            self.load_model(self.folder.best_dir)
            self.exported = f"best on dev, after {self.unit} {int(self.best[self.unit])}"
        if self.best:
            self.after[self.dev_metric] = self.best[self.dev_metric]
        elif self.dev_history:
            self.after[self.dev_metric] = self.dev_history[-1][self.dev_metric]
        test = self._timed(self.evaluate_test)
        if test is not None:
            self.after["test_spearman"] = test
        self.export_model(self.folder.model_dir)
        self._write_report("done")
        self.on_finish()
        self.folder.checkpoint_path.unlink(missing_ok=True)
        shutil.rmtree(self.folder.best_dir, ignore_errors=True)
        if self.announce:
            print("\n".join(self.summary_lines()), flush=True)

    # ----------------------------------------------------------------- the report
    def report(self, status: str, **extra: Any) -> dict[str, Any]:
        """The JSON-ready report of the run as it stands, with ``status`` and ``extra`` fields."""
        data: dict[str, Any] = {
            "status": status,
            "unit": self.unit,
            self.unit_plural: self.position,
            f"total_{self.unit_plural}": self.total,
            "before": self.before,
            "after": self.after,
            "best": self.best,
            "dev_history": self.dev_history,
            "exported": self.exported if status == "done" else None,
            "model_dir": str(self.folder.model_dir) if status == "done" else None,
            "train_seconds": self.train_seconds,
            "eval_seconds": self.eval_seconds,
            "config": asdict(self.config),
        }
        data.update(self.report_extra())
        data.update(extra)
        return data

    def _write_report(self, status: str, **extra: Any) -> None:
        self.report_data = self.report(status, **extra)
        if self.is_main:
            self.folder.create()
            write_json(self.folder.report_path, self.report_data)
