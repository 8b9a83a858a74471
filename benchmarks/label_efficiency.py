"""STS-B test Spearman against oracle labels: the untouched encoder, supervised fine-tuning, RC-DDPG,
the paper's update and SB3 TD3, in one seeded run over one or more label draws.

For each label budget (250, 500, 1000 by default) the labelled pairs are the first N of
one seeded shuffle of STS-B train (so budgets are nested), and every method gets the
same pairs with labels from the same simulated annotator (``--noise``):

- ``supervised``: CosineSimilarityLoss fine-tuning (batch 16, lr 2e-5, 2 epochs) on the labels;
- ``rc-ddpg``: the actor-critic, which sees only rewards, one query per pair;
- ``paper-rlhf``: the paper's update, one step per label;
- ``sb3-td3``: SB3 TD3 on frozen embedding observations; it cannot fine-tune the encoder,
  so its row is the Spearman of its actor's judgements of STS-B test against gold.

Seconds are each method's training time (for TD3 including embedding its pairs), not
model loading or evaluation. Acceptance: RC-DDPG with 1,000 queries >= 84.0, in at most
2x the supervised run's seconds. Everything runs on ``--draws`` label draws (3 by
default; seeds seed, seed + 1, ...) and the verdict judges the means: one draw of 1,000
pairs moves supervised fine-tuning by more than half a point. Writes JSON and a PNG.

    python benchmarks/label_efficiency.py --help
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from agents.calibration.config import CalibrationConfig
from agents.runs.config import RunConfig
from rcsim_env.config import run_config_command
from rcsim_env.evaluation.sts import spearman_of
from rcsim_env.jsonio import write_json
from rcsim_env.oracles.config import OracleConfig

METHODS = ("supervised", "rc-ddpg", "paper-rlhf", "sb3-td3")
TARGET_SPEARMAN, TARGET_TIME_RATIO = 84.0, 2.0


def benchmark_calibration() -> CalibrationConfig:
    """The calibration every RC-DDPG and paper-rlhf row runs: the command's defaults with the
    rounded annotator (gold to six points), no dev or test inside the run (the benchmark scores
    STS-B test itself), no checkpoints, and run folders in a temporary folder."""
    return CalibrationConfig(
        oracle=OracleConfig(noise="rounded"),
        run=RunConfig(output="", eval_every=0, checkpoint_every=0, tensorboard=False),
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
    """The largest budget's pairs from one seeded shuffle of STS-B train, with one annotator label each.

    Returns ``(pairs, labels)``: ``pairs[:n]`` is budget n's draw; ``labels[i]`` is the
    simulated annotator's score (0-5) of ``pairs[i]`` (None when it skipped).
    """
    from rcsim_env.data.loaders import load_stsb
    from rcsim_env.oracles.dataset import DatasetOracle
    from rcsim_env.oracles.noise import NOISE_PRESETS

    train = load_stsb("train", data_dir=config.calibration.data.data_dir)
    largest = max(config.budgets)
    if largest > len(train):
        raise ValueError(f"budget {largest} exceeds the {len(train)} STS-B train pairs")
    rng = np.random.default_rng(config.seed)
    pairs = [train[i] for i in rng.permutation(len(train))[:largest]]
    oracle = DatasetOracle(pairs, NOISE_PRESETS[config.noise]())
    labels = [oracle.judge(p.sentence_a, p.sentence_b, rng=rng) for p in pairs]
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


def run_calibration(config, agent: str, pairs, test_pairs) -> dict:
    """RC-DDPG or the paper's update against a dataset oracle over ``pairs`` (one query each)."""
    from agents.calibration.trainer import run_training_only

    with tempfile.TemporaryDirectory(prefix=f"rcsim-{agent}-") as folder:
        calibration = replace(
            config.calibration,
            agent=agent,
            queries=len(pairs),
            run=replace(config.calibration.run, output=str(Path(folder) / "run")),
        )
        status, run = run_training_only(calibration, pool=list(pairs))
        if status != 0:
            raise RuntimeError(f"{agent} stopped with status {status}")
        return {
            "test_spearman": spearman_of(run.encoder, test_pairs),
            "seconds": run.train_seconds,
            "updates": run.updates,
            "mean_reward": run.report("done")["mean_reward"],
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


def run_draw(config: LabelEfficiencyConfig, test_pairs) -> list[dict]:
    """Every method at every budget on the label draw of ``config.seed``; returns the rows (with ``seed``)."""
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
                result = run_calibration(config, method, subset, test_pairs)
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
    for draw in range(int(config.draws)):
        rows += run_draw(config.with_seed(config.seed + draw), test_pairs)
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
    return run_config_command(LabelEfficiencyConfig, run, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
