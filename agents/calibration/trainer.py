"""The calibration loop: query the oracle, learn, evaluate, checkpoint, export the calibrated encoder.

``CalibrationRun(config).run()`` returns an exit status (0 done, 130 stopped by Ctrl-C
with a checkpoint saved, 1 stopped by a non-finite loss) and leaves a run folder (see
:mod:`agents.calibration.run_folder`). ``CalibrationRun(config, resume=True)`` continues
from the folder's checkpoint exactly where it stopped.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.calibration.config import CalibrationConfig
from agents.calibration.environment import build_environment, load_evaluation_pairs
from agents.calibration.learners import Learner, build_learner
from agents.calibration.plots import plot_learning_curve
from agents.calibration.run_folder import RunFolder, write_json
from agents.ddpg.agent import NonFiniteLossError
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.interrupts import first_ctrl_c_calls
from rcsim_env.config import dataclass_from_json
from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.errors import RCSimError
from rcsim_env.evaluation.sts import spearman_of

EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


class RunFolderError(RCSimError, ValueError):
    """The run folder does not fit the request (a finished run, or nothing to resume)."""


def global_rng_state() -> dict[str, Any]:
    """Python, numpy and torch global RNG states."""
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def set_global_rng_state(state: dict[str, Any]) -> None:
    """Restore :func:`global_rng_state`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])


def load_run_config(folder: str) -> CalibrationConfig:
    """The configuration saved in ``folder/config.json`` (to resume a run with the settings it began with)."""
    path = Path(folder) / "config.json"
    if not path.exists():
        raise RunFolderError(f"cannot resume: {path} does not exist (is {folder} a calibration run folder?)")
    return dataclass_from_json(CalibrationConfig, path)


def run_training_only(config: CalibrationConfig, pool: list | None = None) -> tuple[int, CalibrationRun]:
    """Run ``config`` with no dev or test evaluation, checkpoints or TensorBoard, for benchmarks.

    Benchmarks time training alone and evaluate the encoder themselves. Seeds torch's global
    generator with ``config.seed`` first; ``pool`` is passed to :class:`CalibrationRun`.
    Returns the exit status and the run (``run.encoder`` is the calibrated encoder).
    """
    quiet = replace(config, eval_every=0, dev_pairs=0, test=False, checkpoint_every=0, tensorboard=False)
    torch.manual_seed(quiet.seed)
    run = CalibrationRun(quiet, pool=pool)
    return run.run(), run


class CalibrationRun:
    """One calibration run over ``config.queries`` oracle queries (see the module docstring).

    ``pool`` (optional) replaces ``config.pool`` with the caller's pairs, ``oracle`` (any
    :class:`~rcsim_env.oracles.Oracle`, e.g. a person's) replaces ``config.oracle``. After :meth:`run`,
    ``encoder`` holds the calibrated encoder and ``train_seconds`` the loop's time
    (queries and learning, without evaluation and export).
    """

    def __init__(
        self, config: CalibrationConfig, resume: bool = False, pool: list | None = None, oracle=None
    ):
        config.validate()
        self.config = config
        self.pool = pool
        self.oracle = oracle
        self.resume = resume
        self.folder = RunFolder(config.output, tensorboard=config.tensorboard)
        self._check_folder()
        self._stop_requested = False
        self.query = 0
        self.episode = 0
        self.observation: dict[str, str] | None = None
        self.history: list[dict[str, float]] = []
        self.before: dict[str, float] = {}
        self.best: dict[str, float] = {}
        self.train_seconds = 0.0
        self.eval_seconds = 0.0
        self.updates = 0
        self.skipped = 0
        self.reward_sum = 0.0
        self.last_metrics: dict[str, float] = {}

    # ----------------------------------------------------------------- setup
    def _check_folder(self) -> None:
        has_checkpoint = self.folder.checkpoint_path.exists()
        if self.resume and not has_checkpoint:
            raise RunFolderError(f"cannot resume: {self.folder.checkpoint_path} does not exist")
        if not self.resume and (has_checkpoint or self.folder.report_path.exists()):
            raise RunFolderError(
                f"{self.folder.root} already holds a run; pass --resume to continue it "
                "or choose another --output"
            )

    def _build(self) -> None:
        torch.manual_seed(self.config.seed)
        np.random.seed(self.config.seed % 2**32)
        random.seed(self.config.seed)
        self.encoder = SentenceEncoder.from_pretrained(self.config.encoder, device=self.config.device)
        self.env, self.sources = build_environment(self.config, self.pool, self.oracle)
        self.dev_pairs, self.test_pairs, self.eval_note = load_evaluation_pairs(self.config)
        self.learner: Learner = build_learner(self.encoder, self.config, self.env.action_space)

    # ----------------------------------------------------------------- evaluation
    def _evaluate(self, pairs) -> float:
        started = time.perf_counter()
        score = spearman_of(self.encoder, pairs)
        self.eval_seconds += time.perf_counter() - started
        return score

    def _evaluate_dev(self) -> None:
        if self.dev_pairs is None:
            return
        score = self._evaluate(self.dev_pairs)
        self.history.append({"query": self.query, "dev_spearman": score})
        self.folder.log_metrics(self.query, {"eval/dev_spearman": score})
        if self.config.keep_best and (not self.best or score > self.best["dev_spearman"]):
            self.best = {"query": self.query, "dev_spearman": score}
            started = time.perf_counter()
            self.encoder.save(self.folder.best_encoder_dir)
            self.eval_seconds += time.perf_counter() - started

    # ----------------------------------------------------------------- checkpoints
    def _trainer_state(self) -> dict[str, Any]:
        keys = ("query", "episode", "observation", "history", "before", "best", "train_seconds")
        state = {key: getattr(self, key) for key in keys}
        state.update(
            eval_seconds=self.eval_seconds,
            updates=self.updates,
            skipped=self.skipped,
            reward_sum=self.reward_sum,
        )
        return state

    def save_checkpoint(self) -> None:
        """Write ``checkpoint.pt`` atomically: learner, environment stream, loop counters, RNG states.

        Refuses (``FloatingPointError``) when the encoder's weights, or its embeddings of the
        pair on screen, are not all finite, so a diverged model never replaces the last good
        checkpoint.
        """
        self._check_encoder_finite()
        save_checkpoint(
            self.folder.checkpoint_path,
            {
                "learner": self.learner.state_dict(),
                "env": self.env.stream_state(),
                "trainer": self._trainer_state(),
                "rng": global_rng_state(),
            },
        )

    def _check_encoder_finite(self) -> None:
        weights_ok = all(bool(torch.isfinite(p).all()) for p in self.encoder.parameters())
        probe_ok = True
        if weights_ok and self.observation is not None:
            was_training = self.encoder.training
            self.encoder.eval()
            with torch.no_grad():
                probe = self.encoder.embed([self.observation["sentence_a"], self.observation["sentence_b"]])
            self.encoder.train(was_training)
            probe_ok = bool(torch.isfinite(probe).all())
        if not (weights_ok and probe_ok):
            what = "weights" if not weights_ok else "embeddings"
            raise FloatingPointError(
                f"the encoder's {what} hold NaN or inf after query {self.query}; the checkpoint was not "
                "overwritten (the last update diverged; lower --encoder-lr or clip gradients)"
            )

    def _restore(self) -> None:
        state = load_checkpoint(self.folder.checkpoint_path)
        self.learner.load_state_dict(state["learner"])
        self.env.reset(seed=self.config.seed)  # creates np_random; its state is overwritten next
        self.env.load_stream_state(state["env"])
        for key, value in state["trainer"].items():
            setattr(self, key, value)
        set_global_rng_state(state["rng"])
        self.folder.truncate_after(self.query)

    def request_stop(self) -> None:
        """Ask the loop to stop after the current query, save a checkpoint and return 130."""
        self._stop_requested = True

    # ----------------------------------------------------------------- the loop
    def run(self) -> int:
        """Train to the label budget (or until stopped); returns the exit status."""
        self._build()
        if not self.resume:
            write_json(self.folder.config_path, asdict(self.config))
        if self.resume:
            self._restore()
            print(f"resuming {self.folder.root} at query {self.query}/{self.config.queries}")
        else:
            self._start()
        with first_ctrl_c_calls(self.request_stop):
            status = self._loop()
        if status == EXIT_DONE:
            self._finish()
        self.folder.close()
        return status

    def _start(self) -> None:
        if self.test_pairs is not None and self.config.test:
            self.before["test_spearman"] = self._evaluate(self.test_pairs)
        if self.dev_pairs is not None:
            self._evaluate_dev()
            self.before["dev_spearman"] = self.history[-1]["dev_spearman"]
        self.observation, _ = self.env.reset(seed=self.config.seed)
        self.learner.episode_start()

    def _loop(self) -> int:
        from tqdm.auto import tqdm

        config = self.config
        bar = tqdm(
            total=config.queries,
            initial=self.query,
            desc=f"calibrating ({config.agent})",
            unit="query",
            disable=not config.show_progress,
        )
        try:
            while self.query < config.queries:
                if self._stop_requested:
                    bar.close()
                    return self._stop_here()
                self._one_query()
                bar.update(1)
                if self.last_metrics:
                    bar.set_postfix(
                        reward=f"{self.reward_sum / max(self.query - self.skipped, 1):.3f}",
                        dev=f"{self.history[-1]['dev_spearman']:.2f}" if self.history else "-",
                        refresh=False,
                    )
                if config.eval_every and self.query % config.eval_every == 0 and self.query < config.queries:
                    self._evaluate_dev()
                if config.checkpoint_every and self.query % config.checkpoint_every == 0:
                    self.save_checkpoint()
        except (NonFiniteLossError, FloatingPointError) as exc:
            bar.close()
            kept = (
                f"the last good checkpoint {self.folder.checkpoint_path} is intact"
                if self.folder.checkpoint_path.exists()
                else "no checkpoint had been saved yet"
            )
            message = f"training stopped at query {self.query}: {exc}; {kept}"
            print(message)
            self._write_report("failed", error=message)
            return EXIT_FAILED
        except KeyboardInterrupt:
            # A second Ctrl-C (or one while waiting for a person's answer) lands mid-query: the
            # query in flight is dropped and the run stops at the last completed one.
            bar.close()
            return self._stop_here()
        except Exception as exc:  # an oracle or a bug failed mid-run: keep what was learned, then re-raise
            bar.close()
            self._save_after_crash(exc)
            raise
        bar.close()
        return EXIT_DONE

    def _stop_here(self) -> int:
        """Checkpoint at the last completed query, report "interrupted" and say how to resume; returns 130."""
        self.save_checkpoint()
        self._write_report("interrupted")
        print(
            f"\nstopped at query {self.query}/{self.config.queries}; checkpoint saved to "
            f"{self.folder.checkpoint_path}\ncontinue with: rcsim-train calibrate --resume "
            f"--output {self.folder.root}"
        )
        return EXIT_INTERRUPTED

    def _save_after_crash(self, exc: Exception) -> None:
        """Checkpoint the state at the last completed query (when the model is sound) and report the crash."""
        try:
            self.save_checkpoint()
            kept = (
                f"checkpoint saved at query {self.query}: continue with --resume --output {self.folder.root}"
            )
        except Exception as second:  # noqa: BLE001  (the original error matters more)
            kept = f"no checkpoint could be saved ({second})"
        self._write_report("crashed", error=f"{type(exc).__name__}: {exc}; {kept}")
        print(f"\nthe run crashed at query {self.query + 1}: {type(exc).__name__}: {exc}\n{kept}")

    def _one_query(self) -> None:
        started = time.perf_counter()
        observation = self.observation
        action = self.learner.act(observation)
        if not np.all(np.isfinite(action)):
            raise FloatingPointError(
                f"the agent answered {action.tolist()} for pair {observation!r}: the encoder's weights or "
                "embeddings hold NaN or inf (the last update diverged; lower --encoder-lr or clip gradients)"
            )
        next_observation, reward, terminated, truncated, info = self.env.step(action)
        self.query += 1
        metrics = self.learner.learn(observation, action, reward, next_observation, truncated, info)
        self.train_seconds += time.perf_counter() - started
        if info["skipped"]:
            self.skipped += 1
        else:
            self.reward_sum += reward
        self.folder.queries.append(
            {
                "query": self.query,
                "episode": self.episode,
                "pair_id": info["pair_id"],
                "agent_score": info["agent_score"],
                "oracle_score": info["oracle_score"],
                "gold_score": info["gold_score"],
                "reward": reward,
                "skipped": info["skipped"],
            }
        )
        if metrics is not None:
            self.updates += 1
            self.last_metrics = metrics
            self.folder.log_metrics(self.query, metrics)
        if (terminated or truncated) and self.query < self.config.queries:
            self.episode += 1
            started = time.perf_counter()
            next_observation, _ = self.env.reset()
            self.learner.episode_start()
            self.train_seconds += time.perf_counter() - started
        self.observation = next_observation

    # ----------------------------------------------------------------- the end
    def _finish(self) -> None:
        if self.dev_pairs is not None and (not self.history or self.history[-1]["query"] != self.query):
            self._evaluate_dev()
        chosen = "final"
        if self.best and self.config.keep_best and self.best["query"] != self.query:
            best = SentenceEncoder.from_pretrained(
                str(self.folder.best_encoder_dir), device=self.config.device
            )
            self.encoder.load_state_dict(best.state_dict())
            chosen = f"best on dev, after query {self.best['query']}"
        self.encoder.save(self.folder.encoder_dir)
        after: dict[str, float] = {}
        if self.dev_pairs is not None:
            after["dev_spearman"] = (
                self.best["dev_spearman"] if self.best else self.history[-1]["dev_spearman"]
            )
            after["final_dev_spearman"] = self.history[-1]["dev_spearman"]
        if self.test_pairs is not None and self.config.test:
            after["test_spearman"] = self._evaluate(self.test_pairs)
        self.after = after
        self._write_report("done", chosen=chosen)
        plot_learning_curve(
            self.folder.queries.rows(),
            self.folder.metrics.rows(),
            self.folder.curve_path,
            title=f"{self.config.agent}: {self.config.queries} queries",
        )
        if self.folder.checkpoint_path.exists():
            self.folder.checkpoint_path.unlink()  # the run is complete; its encoder is exported
        if self.folder.best_encoder_dir.exists():
            import shutil

            shutil.rmtree(self.folder.best_encoder_dir)
        self._print_summary(chosen)

    def report(self, status: str, **extra: Any) -> dict[str, Any]:
        """The JSON report's content for the run as it stands."""
        judged = self.query - self.skipped
        return {
            "status": status,
            "agent": self.config.agent,
            "queries": self.query,
            "label_budget": self.config.queries,
            "skipped": self.skipped,
            "updates": self.updates,
            "mean_reward": self.reward_sum / judged if judged else float("nan"),
            "before": self.before,
            "after": getattr(self, "after", {}),
            "best": self.best,
            "dev_history": self.history,
            "train_seconds": self.train_seconds,
            "eval_seconds": self.eval_seconds,
            "encoder_dir": str(self.folder.encoder_dir) if status == "done" else None,
            "sources": {**self.sources, "evaluation": self.eval_note},
            "device": str(self.encoder.device),
            "config": asdict(self.config),
            **extra,
        }

    def _write_report(self, status: str, **extra: Any) -> None:
        write_json(self.folder.report_path, self.report(status, **extra))

    def _print_summary(self, chosen: str) -> None:
        lines = [
            f"calibration done: {self.query} queries, {self.updates} learning phases, "
            f"{self.train_seconds:.1f} s"
        ]
        for split in ("dev", "test"):
            key = f"{split}_spearman"
            if key in self.before and key in self.after:
                lines.append(
                    f"  STS-B {split} Spearman: before {self.before[key]:.2f}  after {self.after[key]:.2f}"
                )
        final_dev = self.after.get("final_dev_spearman")
        if final_dev is not None and chosen != "final":
            lines.append(
                f"  (after the last query the encoder scored {final_dev:.2f} on dev; the best one is kept)"
            )
        lines.append(f"  encoder ({chosen}) saved to {self.folder.encoder_dir}")
        lines.append(f"  report {self.folder.report_path}, curve {self.folder.curve_path}")
        print("\n".join(lines))
