"""STS-B test Spearman against oracle labels: the untouched encoder, supervised fine-tuning, RC-DDPG,
the paper's update and SB3 TD3, in one seeded run over one or more label draws.

For each label budget (250, 500, 1000 by default) the labelled pairs are the first N queries
``rcsim calibrate`` makes with the benchmark's calibration settings (so budgets are nested),
and every method gets the same pairs with labels from the same simulated annotator
(``--noise``, rounded by default):

- ``supervised``: CosineSimilarityLoss fine-tuning (batch 16, lr 2e-5, 2 epochs) on the labels;
- ``rc-ddpg``: the command ``rcsim calibrate`` itself (its run is checked to ask exactly these
  pairs; the row prints its command line), which sees only rewards, one query per pair, and
  exports what the command exports (the best encoder on STS-B dev unless ``--no-keep-best``);
- ``paper-rlhf``: the same command with the paper's update, one step per label;
- ``sb3-td3``: SB3 TD3 on frozen embedding observations; it cannot fine-tune the encoder,
  so its row is the Spearman of its actor's judgements of STS-B test against gold.

Seconds are each method's training time (for TD3 including embedding its pairs), not model loading
or evaluation. ``--save-encoders DIR`` keeps every calibration's run folder. Acceptance: RC-DDPG
with 1,000 queries >= 84.0, in at most 2x the supervised run's seconds. Everything runs on
``--draws`` label draws (3 by default; seeds seed, seed + 1, ...) and the verdict judges the means:
one draw of 1,000 pairs moves supervised fine-tuning by more than half a point. Writes JSON and a
PNG.

    python benchmarks/label_efficiency.py --help
"""

from __future__ import annotations

import platform
import shlex
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from agents.calibration.config import CalibrationConfig
from agents.runs.config import RunConfig
from rcsim_env.config import changed_options, run_config_command
from rcsim_env.evaluation.sts import spearman_of
from rcsim_env.jsonio import write_json
from rcsim_env.oracles.config import OracleConfig

METHODS = ("supervised", "rc-ddpg", "paper-rlhf", "sb3-td3")
TARGET_SPEARMAN, TARGET_TIME_RATIO = 84.0, 2.0


def benchmark_calibration() -> CalibrationConfig:
    """The calibration every RC-DDPG and paper-rlhf row runs: the command's defaults (keep-best on
    STS-B dev every 250 queries, STS-B test scored on the exported encoder) with the rounded
    annotator (gold to six points) and no periodic checkpoints (they do not change the weights)."""
    return CalibrationConfig(
        oracle=OracleConfig(noise="rounded"), run=RunConfig(output="", checkpoint_every=0, tensorboard=False)
    )


@dataclass
class LabelEfficiencyConfig:
    """Settings of the label-efficiency benchmark; ``calibration`` is what every calibration row runs
    (its ``--queries`` is set by ``--budgets``, its ``--seed`` is the first draw's)."""

    budgets: tuple[int, ...] = field(
        default=(250, 500, 1000), metadata={"help": "label budgets, e.g. 250,500,1000"}
    )
    methods: tuple[str, ...] = field(
        default=METHODS, metadata={"help": "methods to run: " + ",".join(METHODS)}
    )
    draws: int = field(
        default=3,
        metadata={
            "help": "label draws; draw k uses seed + k, and the verdict takes the means over draws "
            "(one draw moves every method by up to 0.7 points; 1 for a quick single-draw run)"
        },
    )
    threads: int | None = field(default=None, metadata={"help": "torch threads; none = torch's default"})
    save_encoders: str | None = field(
        default=None,
        metadata={
            "help": "keep every calibration's run folder (with its encoder/) under DIR; "
            "none = a temporary folder"
        },
    )
    results: str = field(
        default="results/label_efficiency.json", metadata={"help": "JSON results (PNG beside it)"}
    )
    calibration: CalibrationConfig = field(default_factory=benchmark_calibration)

    @property
    def seed(self) -> int:
        """The first draw's seed."""
        return self.calibration.run.seed

    @property
    def noise(self) -> str:
        """The simulated annotator every method's labels come from."""
        return self.calibration.oracle.noise

    def with_seed(self, seed: int) -> LabelEfficiencyConfig:
        """This config with ``seed`` for the labels and every method."""
        calibration = replace(self.calibration, run=replace(self.calibration.run, seed=seed))
        return replace(self, calibration=calibration)


def draw_labelled_pairs(config: LabelEfficiencyConfig):
    """The pairs and labels ``rcsim calibrate`` asks for with this config, for the largest budget.

    It is the calibration's own environment (pool, seed, oracle, episodes) stepped with any
    answer: the pairs it serves and the annotator's labels do not depend on the answers, so
    every method gets exactly the queries the command's run gets, and budget n's queries are the
    first n. Returns ``(pairs, labels)``; ``labels[i]`` is None when the annotator skipped.
    """
    from agents.calibration.environment import build_environment, load_sources

    largest = max(config.budgets)
    calibration = replace(
        config.calibration,
        queries=largest,
        dev_split=0.0,
        data=replace(config.calibration.data, dev=None, test=None),
    )
    sources = load_sources(calibration)
    if largest > len(sources.pool):
        raise ValueError(f"budget {largest} exceeds the {len(sources.pool)} pairs of the pool")
    env = build_environment(calibration, sources)
    by_id = {pair.pair_id: pair for pair in env.pairs}
    env.reset(seed=calibration.run.seed)
    pairs, labels = [], []
    for query in range(1, largest + 1):
        _, _, terminated, truncated, info = env.step(np.zeros(1, dtype=np.float32))
        pairs.append(by_id[info["pair_id"]])
        labels.append(None if info["skipped"] else float(info["oracle_score"]))
        if (terminated or truncated) and query < largest:
            env.reset()
    env.close()
    return pairs, labels


def _load_encoder(config: LabelEfficiencyConfig):
    from rcsim_env.encoders import SentenceEncoder

    torch.manual_seed(config.seed)
    return SentenceEncoder.from_pretrained(config.calibration.encoder, device=config.calibration.run.device)


def run_supervised(config, pairs, labels, test_pairs) -> dict:
    """Supervised fine-tuning on the annotator's labels; returns the result row."""
    from agents.supervised import SupervisedConfig, finetune_supervised
    from rcsim_env.data.pairs import ScoredPair

    labelled = [
        ScoredPair(p.sentence_a, p.sentence_b, label, p.pair_id)
        for p, label in zip(pairs, labels, strict=True)
        if label is not None
    ]
    encoder = _load_encoder(config)
    stats = finetune_supervised(
        encoder,
        labelled,
        SupervisedConfig(seed=config.seed, show_progress=config.calibration.run.show_progress),
    )
    return {
        "test_spearman": spearman_of(encoder, test_pairs),
        "seconds": stats["seconds"],
        "steps": stats["steps"],
    }


def calibration_command(config: LabelEfficiencyConfig, calibration: CalibrationConfig) -> str:
    """The ``rcsim calibrate`` command line that runs exactly ``calibration``."""
    shown = replace(calibration, run=replace(calibration.run, output=CalibrationConfig().run.output))
    options = changed_options(shown, CalibrationConfig())
    return shlex.join(["rcsim", "calibrate", *options])


def run_calibration(config: LabelEfficiencyConfig, agent: str, pairs, folder: Path) -> dict:
    """``rcsim calibrate`` with the benchmark's calibration config, ``agent`` and ``len(pairs)`` queries.

    The run is the command's own (same pool, seed, oracle, dev evaluation and export rule); its
    STS-B test figure is the exported encoder's, from its report. Raises RuntimeError when the run
    did not end, or did not query exactly ``pairs``.
    """
    from agents.calibration.trainer import CalibrationRun

    calibration = replace(
        config.calibration,
        agent=agent,
        queries=len(pairs),
        run=replace(config.calibration.run, output=str(folder)),
    )
    torch.manual_seed(calibration.run.seed)
    run = CalibrationRun(calibration, overwrite=True)
    run.announce = False
    status = run.run()
    if status != 0:
        raise RuntimeError(f"{agent} stopped with status {status}; see {run.folder.report_path}")
    asked = [row["pair_id"] for row in run.queries_log.rows()]
    if asked != [pair.pair_id for pair in pairs]:
        raise RuntimeError(
            f"{agent} asked other pairs than the benchmark's draw; the draw no longer follows the run"
        )
    report = run.report_data
    return {
        "test_spearman": report["after"]["test_spearman"],
        "seconds": run.train_seconds,
        "updates": run.updates,
        "mean_reward": report["mean_reward"],
        "exported": report["exported"],
        "command": calibration_command(config, calibration),
    }


def run_td3(config, pairs, test_pairs) -> dict:
    """SB3 TD3 on embedding observations; the row is its actor's agreement with gold on STS-B test."""
    from agents.sb3_judge import TD3JudgeConfig, judge_agreement, train_td3_judge
    from rcsim_env.envs.similarity import SentenceSimilarityEnv

    encoder = _load_encoder(config)
    started = time.perf_counter()
    env = SentenceSimilarityEnv(
        pairs=list(pairs),
        observation="embedding",
        encoder=encoder,
        label_budget=len(pairs),
        noise=config.noise,
    )
    model = train_td3_judge(env, TD3JudgeConfig(queries=len(pairs), seed=config.seed))
    seconds = time.perf_counter() - started
    return {"test_spearman": judge_agreement(model, encoder, test_pairs), "seconds": seconds}


def run_draw(config: LabelEfficiencyConfig, test_pairs, keep: Path) -> list[dict]:
    """Every method at every budget on the label draw of ``config.seed``; returns the rows (with ``seed``).

    Calibration runs go to ``keep/<method>-<labels>-seed<seed>`` (a folder the caller keeps or drops).
    """
    pairs, labels = draw_labelled_pairs(config)
    rows = []
    for budget in sorted(config.budgets):
        for method in config.methods:
            print(f"--- seed {config.seed}: {method}, {budget} labels")
            subset, subset_labels = pairs[:budget], labels[:budget]
            if method == "supervised":
                result = run_supervised(config, subset, subset_labels, test_pairs)
            elif method == "sb3-td3":
                result = run_td3(config, subset, test_pairs)
            else:
                result = run_calibration(
                    config, method, subset, keep / f"{method}-{budget}-seed{config.seed}"
                )
                print(f"    {result['command']}  (exported: {result['exported']})")
            row = {"method": method, "labels": budget, "seed": config.seed, **result}
            rows.append(row)
            print(f"    STS-B test Spearman {row['test_spearman']:.2f} in {row['seconds']:.1f} s")
    return rows


def mean_over_draws(rows: list[dict]) -> list[dict]:
    """One row per (method, labels): the mean Spearman and seconds over the draws, the Spearman's
    sample standard deviation (0 for one draw) and the number of draws, in first-seen order."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["labels"]), []).append(row)
    summary = []
    for (method, labels), group in groups.items():
        scores = np.array([row["test_spearman"] for row in group], dtype=np.float64)
        summary.append(
            {
                "method": method,
                "labels": labels,
                "test_spearman": float(scores.mean()),
                "test_spearman_std": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
                "seconds": float(np.mean([row["seconds"] for row in group])),
                "draws": len(group),
            }
        )
    return summary


def run(config: LabelEfficiencyConfig) -> dict:
    """Run every method at every budget on each draw; print the table, write JSON and PNG; return the results.

    With ``draws`` > 1, draw k uses seed ``seed + k`` for its labels and for every method, and
    the acceptance verdict is taken on the means over the draws.
    """
    from agents.calibration.plots import plot_scores_against_labels
    from rcsim_env.data.loaders import load_stsb

    config.calibration.oracle.validate()
    unknown = sorted(set(config.methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {METHODS}")
    if int(config.draws) < 1:
        raise ValueError(f"draws must be at least 1, got {config.draws}")
    if config.threads:
        torch.set_num_threads(int(config.threads))
    started = time.perf_counter()
    test_pairs = load_stsb("test", data_dir=config.calibration.data.data_dir)
    untouched = spearman_of(_load_encoder(config), test_pairs)
    print(f"untouched encoder: STS-B test Spearman {untouched:.2f}")
    rows = [{"method": "untouched", "labels": 0, "seed": None, "test_spearman": untouched, "seconds": 0.0}]
    with tempfile.TemporaryDirectory(prefix="rcsim-label-efficiency-") as scratch:
        keep = Path(config.save_encoders) if config.save_encoders else Path(scratch)
        for draw in range(int(config.draws)):
            rows += run_draw(config.with_seed(config.seed + draw), test_pairs, keep)
    means = mean_over_draws(rows)
    results = {
        "benchmark": "label_efficiency",
        "config": asdict(config),
        "rows": rows,
        "means": means,
        "acceptance": acceptance(means),
        "machine": {
            "platform": platform.platform(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        "wall_seconds": time.perf_counter() - started,
    }
    print_table(rows, means, results["acceptance"])
    output = write_json(config.results, results)
    series: dict[str, list[tuple[int, float]]] = {}
    for row in means[1:]:
        name = "sb3-td3 (actor's judgements)" if row["method"] == "sb3-td3" else row["method"]
        series.setdefault(name, []).append((row["labels"], row["test_spearman"]))
    draws = f", mean of {config.draws} draws" if config.draws > 1 else ""
    picture = plot_scores_against_labels(
        series,
        output.with_suffix(".png"),
        f"STS-B test Spearman against labels ({config.noise} annotator{draws})",
        untouched,
    )
    print(f"wrote {output} and {picture}")
    return results


def acceptance(rows: list[dict]) -> dict:
    """RC-DDPG at the largest budget against the targets (>= 84.0 and <= 2x supervised's seconds)."""
    by_key = {(row["method"], row["labels"]): row for row in rows}
    budgets = [row["labels"] for row in rows if row["method"] == "rc-ddpg"]
    if not budgets or ("supervised", max(budgets)) not in by_key:
        return {"evaluated": False, "reason": "needs rc-ddpg and supervised at the same budget"}
    budget = max(budgets)
    rc, supervised = by_key[("rc-ddpg", budget)], by_key[("supervised", budget)]
    ratio = rc["seconds"] / supervised["seconds"]
    return {
        "evaluated": True,
        "labels": budget,
        "rc_ddpg_spearman": rc["test_spearman"],
        "supervised_spearman": supervised["test_spearman"],
        "time_ratio": ratio,
        "spearman_target": TARGET_SPEARMAN,
        "time_ratio_target": TARGET_TIME_RATIO,
        "spearman_met": rc["test_spearman"] >= TARGET_SPEARMAN,
        "time_met": ratio <= TARGET_TIME_RATIO,
    }


def print_table(rows: list[dict], means: list[dict], verdict: dict) -> None:
    """Print one line per method, budget and draw; with several draws also their means; then the verdict."""
    print(f"\n{'method':<12} {'labels':>6} {'seed':>4} {'Spearman':>9} {'seconds':>8}")
    for row in rows:
        seed = "-" if row["seed"] is None else str(row["seed"])
        score, seconds = f"{row['test_spearman']:.2f}", f"{row['seconds']:.1f}"
        print(f"{row['method']:<12} {row['labels']:>6} {seed:>4} {score:>9} {seconds:>8}")
    draws = max(row["draws"] for row in means)
    if draws > 1:
        print(f"\nmean over {draws} draws (Spearman +- sample std)")
        for row in means:
            spread = f"{row['test_spearman']:.2f} +- {row['test_spearman_std']:.2f}"
            print(f"{row['method']:<12} {row['labels']:>6} {spread:>16} {row['seconds']:>8.1f}")
    if verdict.get("evaluated"):
        what = f"mean of {draws} draws" if draws > 1 else "one draw"
        print(
            f"\nacceptance at {verdict['labels']} labels ({what}): RC-DDPG {verdict['rc_ddpg_spearman']:.2f} "
            f"(target >= {TARGET_SPEARMAN}: {'met' if verdict['spearman_met'] else 'NOT met'}), "
            f"time {verdict['time_ratio']:.2f}x supervised "
            f"(target <= {TARGET_TIME_RATIO}: {'met' if verdict['time_met'] else 'NOT met'})"
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    return run_config_command(LabelEfficiencyConfig, run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
