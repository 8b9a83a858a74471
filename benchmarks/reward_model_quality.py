"""Does a reward model judge better than the encoder it would teach? STS-B dev Spearman of an
ensemble of fine-tuned bi-encoders, its members, and a student trained on gold plus its silver labels.

For each label budget and draw, the labelled pairs are a random draw of STS-B train with labels from
the simulated annotator (``--noise``, gold rounded to six points by default). Rows:

- ``untouched``: the encoder before any training;
- ``member k``: supervised fine-tuning (the package's recipe) on the labels with seed ``draw seed + k``;
  member 0 is exactly the supervised baseline of that draw;
- ``ensemble``: the reward model, the members' mean judgement ``5 * clip(cos, 0, 1)``;
- ``silver student`` (with ``--silver``): a fresh encoder fine-tuned on the gold labels plus the
  ensemble's predicted labels for every other STS-B train pair (Augmented SBERT's recipe with the
  ensemble as its teacher);
- with ``--controls``, what the student's gain is owed to: ``untouched teacher`` (the same student
  taught by the untouched encoder's judgements) and ``supervised, long`` (supervised fine-tuning
  on the gold labels alone for about as many steps as the student).

Everything is scored on STS-B **dev**: this script chooses reward-model settings, so it never looks at
test. Writes JSON (``--results``) and prints a table.

    python benchmarks/reward_model_quality.py --help
"""

from __future__ import annotations

import copy
import math
import platform
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from scipy.stats import spearmanr

from agents.reward_model import RewardModelConfig, train_encoder_ensemble
from agents.supervised import finetune_supervised
from rcsim_env.config import run_config_command
from rcsim_env.data.loaders import load_stsb
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.sentence_encoder import SentenceEncoder
from rcsim_env.evaluation.sts import spearman_of
from rcsim_env.jsonio import write_json
from rcsim_env.oracles.noise import NOISE_PRESETS
from rcsim_env.oracles.reward_model import EncoderEnsemble


@dataclass
class RewardModelQualityConfig:
    """Settings of the reward-model quality probe (scored on STS-B dev only)."""

    budgets: tuple[int, ...] = field(
        default=(500, 1000), metadata={"help": "label budgets, e.g. 250,500,1000"}
    )
    draws: int = field(default=1, metadata={"help": "label draws; draw k uses seed + k"})
    noise: str = field(
        default="rounded", metadata={"help": "simulated annotator: " + ", ".join(NOISE_PRESETS)}
    )
    silver: bool = field(
        default=True, metadata={"help": "also train a student on gold plus the ensemble's silver labels"}
    )
    controls: bool = field(
        default=False,
        metadata={
            "help": "also train the two controls of the silver student: the same student taught by "
            "the untouched encoder, and supervised fine-tuning for as many steps as the student"
        },
    )
    silver_pairs: int | None = field(
        default=None,
        metadata={"help": "unlabelled STS-B train pairs the ensemble labels; none = all the others"},
    )
    encoder: str | None = field(
        default=None, metadata={"help": "encoder folder or hub id; none = bundled MiniLM"}
    )
    data_dir: str | None = field(
        default=None, metadata={"help": "data folder (default: $RCSIM_DATA, then the cache)"}
    )
    device: str = field(default="auto", metadata={"help": "cpu, cuda or auto"})
    threads: int | None = field(default=None, metadata={"help": "torch threads; none = torch's default"})
    results: str = field(default="results/reward_model_quality.json", metadata={"help": "JSON results"})
    reward_model: RewardModelConfig = field(default_factory=RewardModelConfig)

    @property
    def seed(self) -> int:
        """The first draw's seed (``--seed``, also the first member's training seed)."""
        return int(self.reward_model.training.seed)


def draw_labels(config: RewardModelQualityConfig, train: list[ScoredPair], seed: int):
    """A random order of STS-B train and the annotator's label for each pair (None for a skip)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    noise = NOISE_PRESETS[config.noise]()
    shuffled = [train[i] for i in order]
    labels = [noise.apply(float(pair.score), rng) for pair in shuffled]
    return shuffled, labels


def _with_labels(pairs, labels) -> list[ScoredPair]:
    return [
        ScoredPair(p.sentence_a, p.sentence_b, float(label), p.pair_id)
        for p, label in zip(pairs, labels, strict=True)
        if label is not None
    ]


def _row(method: str, labels: int, seed: int, spearman: float, seconds: float, **extra) -> dict:
    print(f"    {method:<16} {labels:>5} labels  seed {seed}  dev Spearman {spearman:6.2f}  {seconds:7.1f} s")
    return {
        "method": method,
        "labels": labels,
        "seed": seed,
        "dev_spearman": spearman,
        "seconds": seconds,
        **extra,
    }


def _silver_student(base, gold, rest, teacher, training):
    """A copy of ``base`` fine-tuned on ``gold`` plus ``rest`` labelled by ``teacher``'s mean
    judgement; returns it and its training report (seconds include the labelling)."""
    started = time.perf_counter()
    silver = teacher.predict([p.sentence_a for p in rest], [p.sentence_b for p in rest]).mean
    labelling_seconds = time.perf_counter() - started
    student = copy.deepcopy(base)
    stats = finetune_supervised(student, gold + _with_labels(rest, silver.tolist()), training)
    return student, {**stats, "seconds": labelling_seconds + stats["seconds"]}


def run_budget(config, base, dev, shuffled, labels, budget: int, seed: int) -> list[dict]:
    """Every row for the first ``budget`` labels of one draw."""
    gold = _with_labels(shuffled[:budget], labels[:budget])
    training = replace(config.reward_model.training, seed=seed)
    ensemble, report = train_encoder_ensemble(base, gold, replace(config.reward_model, training=training))
    rows = []
    for k, (member, member_report) in enumerate(zip(ensemble.members, report["member_reports"], strict=True)):
        rows.append(_row(f"member {k}", budget, seed, spearman_of(member, dev), member_report["seconds"]))
    prediction = ensemble.predict([p.sentence_a for p in dev], [p.sentence_b for p in dev])
    ensemble_dev = 100.0 * float(spearmanr(prediction.mean, [p.score for p in dev]).statistic)
    rows.append(_row("ensemble", budget, seed, ensemble_dev, report["seconds"], members=len(ensemble)))
    if not config.silver:
        return rows
    rest = shuffled[budget:][: config.silver_pairs] if config.silver_pairs is not None else shuffled[budget:]
    student, stats = _silver_student(base, gold, rest, ensemble, training)
    rows.append(
        _row(
            "silver student",
            budget,
            seed,
            spearman_of(student, dev),
            report["seconds"] + stats["seconds"],
            silver_pairs=len(rest),
            steps=stats["steps"],
        )  # fmt: skip
    )
    if config.controls:
        untouched_teacher, control = _silver_student(base, gold, rest, EncoderEnsemble([base]), training)
        rows.append(
            _row(
                "untouched teacher",
                budget,
                seed,
                spearman_of(untouched_teacher, dev),
                control["seconds"],
                silver_pairs=len(rest),
                steps=control["steps"],
            )  # fmt: skip
        )
        per_epoch = math.ceil(len(gold) / int(training.batch_size))
        epochs = max(int(training.epochs), round(stats["steps"] / per_epoch))
        longer = copy.deepcopy(base)
        long_stats = finetune_supervised(longer, gold, replace(training, epochs=epochs))
        rows.append(
            _row(
                "supervised, long",
                budget,
                seed,
                spearman_of(longer, dev),
                long_stats["seconds"],
                steps=long_stats["steps"],
                epochs=epochs,
            )  # fmt: skip
        )
    return rows


def run(config: RewardModelQualityConfig) -> dict:
    """Run every budget on every draw; print the rows and means, write JSON; return the results."""
    if config.threads:
        torch.set_num_threads(int(config.threads))
    started = time.perf_counter()
    train = load_stsb("train", data_dir=config.data_dir)
    dev = load_stsb("dev", data_dir=config.data_dir)
    base = SentenceEncoder.from_pretrained(config.encoder, device=config.device)
    rows = [_row("untouched", 0, config.seed, spearman_of(base, dev), 0.0)]  # the same for every draw
    for draw in range(int(config.draws)):
        seed = int(config.seed) + draw
        shuffled, labels = draw_labels(config, train, seed)
        for budget in sorted(config.budgets):
            print(f"--- seed {seed}: {budget} labels")
            rows += run_budget(config, base, dev, shuffled, labels, budget, seed)
    means: dict[tuple[str, int], list[float]] = {}
    for row in rows:
        means.setdefault((row["method"], row["labels"]), []).append(row["dev_spearman"])
    summary = [
        {"method": m, "labels": n, "dev_spearman": float(np.mean(v)), "draws": len(v)}
        for (m, n), v in means.items()
    ]
    print(f"\nmean over {config.draws} draw(s), STS-B dev Spearman")
    for row in summary:
        print(f"    {row['method']:<16} {row['labels']:>5}  {row['dev_spearman']:6.2f}")
    results = {
        "benchmark": "reward_model_quality",
        "config": asdict(config),
        "rows": rows,
        "means": summary,
        "machine": {
            "platform": platform.platform(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        "wall_seconds": time.perf_counter() - started,
    }
    print(f"wrote {write_json(config.results, results)}")
    return results


def main(argv: list[str] | None = None) -> int:
    """Command-line entry; returns 0."""
    return run_config_command(RewardModelQualityConfig, run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
