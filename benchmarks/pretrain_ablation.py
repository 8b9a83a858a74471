"""Stage-1 ablation: STS-B test Spearman after label-free pretraining with ForceBasedInfoNCE or SimCSE.

One seeded run over the SimCSE Wikipedia corpus excerpt (about 12,000 sentences),
one epoch each, from the same starting encoder (default: the bundled all-MiniLM-L6-v2):

- ``untouched``: the starting encoder as it is;
- ``force-paper-lr``: ForceBasedInfoNCE at the paper's learning rate, 1e-7;
- ``force-tuned-lr``: ForceBasedInfoNCE at 1e-5 (``--force-lr``). AdamW moves each weight by
  about the learning rate per step whatever the loss's scale, so 1e-5 over ~190 steps moves
  weights by up to ~2e-3, enough to show the loss's effect, while staying below SimCSE's 3e-5
  because the starting encoder is already trained (and, at T = 0.95, MiniLM's input view pulls
  almost no pair: the loss mostly pushes sentences apart);
- ``simcse``: unsupervised SimCSE (two dropout views, temperature 0.05) at 3e-5, its paper's
  setting for BERT-base with batch 64.

Each row reports STS-B test Spearman of the encoder after the epoch, training sentences per second
and seconds (training steps only: no loading or evaluation). ``--eval-every N --keep-best`` adds the
test score of the best STS-B dev encoder (the start included). ``--calibrate-queries 500`` then
calibrates every row's encoder with RC-DDPG from 500 simulated oracle queries and reports test
Spearman after it. A micro-measurement times one ForceBasedInfoNCE optimizer step against one SimCSE
step on the same batch (median of ``--step-repeats``, interleaved); the goal is a ratio of at most
1.2. Differences under 0.5 Spearman points are printed as "no clear difference": one seeded run
cannot separate them. Writes ``results/pretrain_ablation.json`` and prints a table.

    python benchmarks/pretrain_ablation.py --help
"""

from __future__ import annotations

import copy
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from agents.pretraining.config import PretrainConfig
from agents.runs.config import RunConfig
from rcsim_env.config import run_config_command
from rcsim_env.evaluation.sts import spearman_of
from rcsim_env.jsonio import write_json

ROWS = ("untouched", "force-paper-lr", "force-tuned-lr", "simcse")
STEP_COST_GOAL = 1.2
NOISE_BAND = 0.5
"""Spearman differences smaller than this are reported as no clear difference (one seed cannot tell)."""


def ablation_pretraining() -> PretrainConfig:
    """The pretraining every row runs (loss and learning rate set per row): the command's defaults,
    no dev evaluation unless ``--eval-every`` asks (then add ``--keep-best`` for the best-dev
    encoder's row), no checkpoints, run folders in a temporary folder."""
    return PretrainConfig(
        run=RunConfig(output="", eval_every=0, checkpoint_every=0, keep_best=False, tensorboard=False)
    )


@dataclass
class PretrainAblationConfig:
    """Settings of the stage-1 ablation; ``pretrain`` is what every pretraining row runs."""

    rows: tuple[str, ...] = field(default=ROWS, metadata={"help": "rows to run: " + ",".join(ROWS)})
    paper_lr: float = field(default=1e-7, metadata={"help": "force-paper-lr's learning rate"})
    force_lr: float = field(default=1e-5, metadata={"help": "force-tuned-lr's learning rate"})
    simcse_lr: float = field(default=3e-5, metadata={"help": "simcse's learning rate"})
    calibrate_queries: int = field(
        default=0, metadata={"help": "RC-DDPG oracle queries after each row; 0 = no calibration"}
    )
    calibrate_noise: str = field(
        default="rounded", metadata={"help": "calibration's simulated annotator: rounded, mild, exact, paper"}
    )
    step_repeats: int = field(
        default=10, metadata={"help": "timed steps per loss in the step-cost measurement; 0 = skip it"}
    )
    encoders_dir: str | None = field(
        default=None, metadata={"help": "keep each row's run folder under DIR/ROW; none = discard"}
    )
    threads: int | None = field(default=None, metadata={"help": "torch threads; none = torch's default"})
    results: str = field(default="results/pretrain_ablation.json", metadata={"help": "JSON results"})
    pretrain: PretrainConfig = field(default_factory=ablation_pretraining)


def row_settings(config: PretrainAblationConfig) -> dict[str, dict[str, Any]]:
    """The loss and learning rate of each pretraining row."""
    return {
        "force-paper-lr": {"loss": "force", "lr": config.paper_lr},
        "force-tuned-lr": {"loss": "force", "lr": config.force_lr},
        "simcse": {"loss": "simcse", "lr": config.simcse_lr},
    }


def load_sentences(config: PretrainAblationConfig) -> tuple[list[str], str]:
    """The corpus's first ``sentences`` sentences (all when None) and where they came from."""
    from agents.pretraining.trainer import read_corpus
    from rcsim_env.data.loaders import find_wiki_corpus

    pretrain = config.pretrain
    path = Path(pretrain.corpus) if pretrain.corpus else find_wiki_corpus(pretrain.data.data_dir)
    sentences, _ = read_corpus(path)
    if pretrain.max_sentences is not None:
        sentences = sentences[: int(pretrain.max_sentences)]
    if len(sentences) < 2:
        raise ValueError(f"the ablation needs at least 2 sentences, got {len(sentences)}")
    return sentences, str(path)


def pretrain_row(config, name: str, sentences, test_pairs, folder: Path) -> dict[str, Any]:
    """Pretrain one row's encoder into the run folder ``folder``; returns the result row (``status``
    not done: failed). ``test_spearman`` is the last encoder's; with keep-best on, the exported
    (best dev) encoder's is ``test_spearman_best_dev``."""
    from agents.pretraining.trainer import PretrainRun

    settings = row_settings(config)[name]
    pretrain = replace(
        config.pretrain,
        loss=settings["loss"],
        lr=settings["lr"],
        run=replace(config.pretrain.run, output=str(folder)),
    )
    torch.manual_seed(pretrain.run.seed)
    run = PretrainRun(pretrain, sentences=sentences, test_pairs=test_pairs)
    status = run.run()
    report = run.report_data
    after = report.get("after", {})
    row: dict[str, Any] = {
        "row": name,
        "loss": settings["loss"],
        "lr": settings["lr"],
        "status": report.get("status"),
        "test_spearman": after.get("final_test_spearman", after.get("test_spearman")),
        "sentences_per_second": report.get("sentences_per_second"),
        "seconds": report.get("train_seconds"),
        "steps": report.get("steps"),
        "first_loss": report["losses"][0]["loss"] if report.get("losses") else None,
        "last_loss": report["losses"][-1]["loss"] if report.get("losses") else None,
    }
    if settings["loss"] == "force":
        row["mean_pulled_fraction"] = report.get("mean_pulled_fraction")
    if pretrain.run.keep_best:
        row["best_dev"] = report.get("best")
        row["test_spearman_best_dev"] = after.get("test_spearman")
    if status != 0:
        row["error"] = report.get("error", f"exit status {status}")
    return row


def calibrate(config, encoder: str | None, test_pairs, folder: Path) -> dict[str, Any]:
    """RC-DDPG calibration of ``encoder`` with ``calibrate_queries`` simulated oracle queries."""
    from agents.calibration.config import CalibrationConfig, calibration_ddpg
    from agents.calibration.trainer import run_training_only
    from agents.runs.config import DataConfig
    from rcsim_env.oracles.config import OracleConfig

    queries, settings = int(config.calibrate_queries), config.pretrain.run
    calibration = CalibrationConfig(
        encoder=encoder,
        queries=queries,
        # a short calibration still learns: its first update comes half-way at the latest
        ddpg=replace(
            calibration_ddpg(),
            learning_starts=min(64, queries // 2),
            batch_size=min(16, max(queries // 2, 1)),
        ),
        oracle=OracleConfig(noise=config.calibrate_noise),
        data=DataConfig(data_dir=config.pretrain.data.data_dir),
        run=RunConfig(
            output=str(folder),
            seed=settings.seed,
            device=settings.device,
            show_progress=settings.show_progress,
        ),
    )
    status, run = run_training_only(calibration)
    if status != 0:
        return {"calibrated_status": status, "calibrated_test_spearman": None}
    return {
        "calibrated_test_spearman": spearman_of(run.encoder, test_pairs),
        "calibration_seconds": run.train_seconds,
    }


def measure_step_cost(config: PretrainAblationConfig, sentences) -> dict[str, Any]:
    """Median seconds of one optimizer step of each loss on the same batch; returns the ratio and goal.

    Each loss trains its own copy of the starting encoder on the corpus's first ``batch_size``
    sentences (tokenized once). Two untimed warm-up steps each, then ``step_repeats`` timed
    steps, alternating force and SimCSE so that machine load falls on both alike.
    """
    from agents.pretraining.trainer import EmbeddingNet, batch_loss, tokenize
    from rcsim_env.encoders import SentenceEncoder

    pretrain = config.pretrain
    base = SentenceEncoder.from_pretrained(pretrain.encoder, device=pretrain.run.device)
    batch = sentences[: pretrain.batch_size]
    max_length = min(int(pretrain.max_length), base.max_length)
    tokens = tokenize(base.tokenizer, batch, max_length, base.device)
    setups = {}
    for loss in ("force", "simcse"):
        model = copy.deepcopy(base.model).train()
        settings = replace(pretrain, loss=loss)
        net = EmbeddingNet(model, pretrain.input_view, base.pooling).train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-7, weight_decay=0.0)
        setups[loss] = (net, model, optimizer, settings)

    def one_step(loss: str) -> float:
        net, model, optimizer, settings = setups[loss]
        started = time.perf_counter()
        value, _ = batch_loss(net, tokens, settings)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if base.device.type == "cuda":
            torch.cuda.synchronize(base.device)
        return time.perf_counter() - started

    torch.manual_seed(pretrain.run.seed)
    for loss in ("force", "simcse", "force", "simcse"):
        one_step(loss)
    times: dict[str, list[float]] = {"force": [], "simcse": []}
    for _ in range(int(config.step_repeats)):
        for loss in ("force", "simcse"):
            times[loss].append(one_step(loss))
    force, simcse = statistics.median(times["force"]), statistics.median(times["simcse"])
    ratio = force / simcse
    return {
        "batch": len(batch),
        "max_length": max_length,
        "tokens_per_sentence": int(tokens["input_ids"].shape[1]),
        "repeats": int(config.step_repeats),
        "force_seconds": force,
        "simcse_seconds": simcse,
        "ratio": ratio,
        "goal": STEP_COST_GOAL,
        "met": ratio <= STEP_COST_GOAL,
        "all_seconds": times,
    }


def run(config: PretrainAblationConfig) -> dict[str, Any]:
    """Run every requested row (and calibration, and the step-cost measurement); print, write JSON."""
    from rcsim_env.data.loaders import load_stsb
    from rcsim_env.encoders import SentenceEncoder

    unknown = sorted(set(config.rows) - set(ROWS))
    if unknown:
        raise ValueError(f"unknown rows {unknown}; choose from {ROWS}")
    if config.threads:
        torch.set_num_threads(int(config.threads))
    started = time.perf_counter()
    sentences, source = load_sentences(config)
    settings = config.pretrain.run
    test_pairs = load_stsb("test", data_dir=config.pretrain.data.data_dir)
    print(f"corpus {source}: {len(sentences)} sentences; STS-B test {len(test_pairs)} pairs")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rcsim-pretrain-ablation-") as scratch:
        keep = Path(config.encoders_dir) if config.encoders_dir else Path(scratch) / "encoders"
        for name in [row for row in ROWS if row in config.rows]:
            print(f"--- {name}")
            if name == "untouched":
                torch.manual_seed(settings.seed)
                encoder = SentenceEncoder.from_pretrained(config.pretrain.encoder, device=settings.device)
                row = {"row": name, "loss": None, "lr": None, "status": "done", "seconds": 0.0}
                row.update(test_spearman=spearman_of(encoder, test_pairs), sentences_per_second=None)
                trained_encoder = config.pretrain.encoder
            else:
                row = pretrain_row(config, name, sentences, test_pairs, keep / name)
                trained_encoder = str(keep / name / "encoder")
            if config.calibrate_queries > 0 and row["status"] == "done":
                print(f"    calibrating with RC-DDPG: {config.calibrate_queries} queries")
                row.update(
                    calibrate(config, trained_encoder, test_pairs, Path(scratch) / f"calibrate-{name}")
                )
            rows.append(row)
            shown = f"{row['test_spearman']:.2f}" if row.get("test_spearman") is not None else "failed"
            print(f"    STS-B test Spearman {shown}")
        step_cost = measure_step_cost(config, sentences) if config.step_repeats > 0 else None
    results = {
        "benchmark": "pretrain_ablation",
        "config": asdict(config),
        "corpus": {"source": source, "sentences": len(sentences)},
        "rows": rows,
        "step_cost": step_cost,
        "verdict": verdict(rows),
        "machine": {
            "platform": platform.platform(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "device": settings.device,
        },
        "wall_seconds": time.perf_counter() - started,
    }
    print_table(rows, step_cost, results["verdict"], config.calibrate_queries)
    output = write_json(config.results, results)
    print(f"wrote {output}")
    return results


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Test-Spearman differences: each force-field row against the untouched encoder and SimCSE."""
    score = {row["row"]: row.get("test_spearman") for row in rows}
    out: dict[str, Any] = {}
    for name in ("force-paper-lr", "force-tuned-lr"):
        for other in ("untouched", "simcse"):
            if score.get(name) is not None and score.get(other) is not None:
                out[f"{name}_minus_{other}"] = score[name] - score[other]
    return out


def _number(value: Any, pattern: str, width: int) -> str:
    return f"{value:{width}{pattern}}" if value is not None else f"{'-':>{width}}"


def print_table(rows, step_cost, findings: dict[str, Any], calibrate_queries: int) -> None:
    """Print one line per row, the step-cost ratio against its goal, and the force field's verdict."""
    calibrated = calibrate_queries > 0
    header = f"\n{'row':<15} {'loss':<7} {'lr':>7} {'Spearman':>9} {'sent/s':>8} {'seconds':>8}"
    print(header + (f" {'+RC-DDPG':>9}" if calibrated else ""))
    for row in rows:
        cells = [
            f"{row['row']:<15}",
            f"{row['loss'] or '-':<7}",
            _number(row["lr"], ".0e", 7),
            _number(row.get("test_spearman"), ".2f", 9),
            _number(row.get("sentences_per_second"), ".1f", 8),
            _number(row.get("seconds"), ".1f", 8),
        ]
        if calibrated:
            cells.append(_number(row.get("calibrated_test_spearman"), ".2f", 9))
        print(" ".join(cells))
    if step_cost:
        force_ms, simcse_ms = step_cost["force_seconds"] * 1000, step_cost["simcse_seconds"] * 1000
        met = "met" if step_cost["met"] else "NOT met"
        print(
            f"\nstep cost on one batch of {step_cost['batch']}: force {force_ms:.1f} ms, "
            f"simcse {simcse_ms:.1f} ms (medians of {step_cost['repeats']}); "
            f"ratio {step_cost['ratio']:.2f} (goal <= {STEP_COST_GOAL}: {met})"
        )
    for key, value in findings.items():
        name, other = key.split("_minus_")
        if abs(value) < NOISE_BAND:
            word = f"no clear difference: within +-{NOISE_BAND} of one seeded run"
        elif other == "untouched":
            word = "helps" if value > 0 else "hurts"
        else:
            word = "better than SimCSE" if value > 0 else "worse than SimCSE"
        print(f"{name} vs {other}: {value:+.2f} Spearman ({word})")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    return run_config_command(PretrainAblationConfig, run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
