"""Sentence distillation (Chen et al. 2020) on MRPC and STS-B, with and without the keep/drop policy.

The Siamese co-attention LSTM with 1, 3 and 10 weighting matrices, each with and without
the policy, in one seeded run. For each data set and each n the critic first trains on
full sentences (``--critic-epochs``); then the run branches:

- ``without policy``: the same critic keeps training on full sentences for as many more
  epochs as the other branch gets (``--rounds`` x ``--critic-epochs-per-round``), so both
  critics see the same number of epochs;
- ``with policy``: the policy imitates the pretraining heuristic (keep the first words,
  drop later ones at random), then ``--rounds`` of (policy-gradient epochs, critic epochs
  on the sentences the target policy distils); evaluation distils test sentences greedily.

Measured: MRPC test accuracy and F1 with the paper's threshold 0.5 on exp(-||h_a - h_b||_1)
and with the threshold that is best on the training pairs; STS-B test Spearman x100
(training labels are the 0-5 scores divided by 5); the share of test words kept; ten MRPC
test sentences before and after distillation (by the model with the middle n).
Untrained references on the same words: the majority class of train, averaged word
vectors and TF-IDF by cosine (threshold tuned on train). Word vectors are the mean of a
word's wordpiece rows in the encoder's input embeddings, frozen; the vocabulary covers
the train and test sentences (the vectors come from the encoder, never from labels).

The policy's reward is minus the critic's contrastive loss plus ``--drop-bonus`` (0.3)
times the share of words dropped: with the critic's reward alone (``--drop-bonus 0``, as
in the paper) the policy learns to keep every word. The defaults take about 8 minutes
on 2 CPU cores; ``--quick`` is a 15-second smoke test on 200 pairs. Writes JSON and a PNG.

    python benchmarks/distillation.py --help
"""

from __future__ import annotations

import copy
import dataclasses
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from agents.distillation.config import DistillationConfig
from rcsim_env.config import run_config_command
from rcsim_env.jsonio import write_json

DATASETS = ("mrpc", "stsb")
LABEL_SCALE = {"mrpc": 1.0, "stsb": 5.0}
REFERENCES = {
    "mrpc_accuracy_averaged_word_embeddings": 70.7,
    "mrpc_accuracy_tfidf": 69.6,
    "paper_accuracy_without_distillation_own_data": 91.0,
    "paper_accuracy_with_distillation_own_data": 95.7,
}
QUICK = {"train_pairs": 200, "test_pairs": 200, "matrix_counts": (1, 3)}
QUICK_TRAINING = {"hidden_size": 16, "policy_hidden": 16, "critic_epochs": 1, "rounds": 1}


def benchmark_training() -> DistillationConfig:
    """The training every model gets: the command's defaults with ``drop_bonus`` 0.3 (with the
    critic's reward alone the policy keeps every word)."""
    return DistillationConfig(drop_bonus=0.3)


@dataclass
class DistillationBenchmarkConfig:
    """Settings of the distillation benchmark; ``training`` is what every model trains with (its
    ``--matrices`` is set per model from ``--matrix-counts``)."""

    datasets: tuple[str, ...] = field(default=DATASETS, metadata={"help": "data sets: mrpc,stsb"})
    matrix_counts: tuple[int, ...] = field(
        default=(1, 3, 10), metadata={"help": "co-attention matrix counts n, one model each"}
    )
    train_pairs: int | None = field(
        default=None, metadata={"help": "train on a seeded sample of N pairs per data set; none = all"}
    )
    test_pairs: int | None = field(
        default=None, metadata={"help": "evaluate on a seeded sample of N test pairs; none = all"}
    )
    examples: int = field(
        default=10, metadata={"help": "MRPC test sentences shown before/after distillation"}
    )
    quick: bool = field(
        default=False,
        metadata={
            "help": "smoke test: 200 pairs, n = 1 and 3, hidden 16, 1 epoch and 1 round (overrides those)"
        },
    )
    encoder: str | None = field(
        default=None, metadata={"help": "encoder whose input embeddings give the word vectors; none = MiniLM"}
    )
    data_dir: str | None = field(default=None, metadata={"help": "data directory holding para/MRPC and sts/"})
    seed: int = field(default=0, metadata={"help": "seed of the samples and of every model"})
    threads: int | None = field(default=None, metadata={"help": "torch threads; none = torch's default"})
    device: str = field(default="cpu", metadata={"help": "cpu, cuda or auto"})
    show_progress: bool = field(default=True, metadata={"help": "show progress bars"})
    output: str = field(default="results/distillation.json", metadata={"help": "JSON output (PNG beside it)"})
    training: DistillationConfig = field(default_factory=benchmark_training)


def load_splits(config: DistillationBenchmarkConfig) -> dict[str, dict[str, list]]:
    """``{data set: {"train": pairs, "test": pairs}}``, each sampled (seeded) when a size is set."""
    from rcsim_env.data.loaders import load_mrpc, load_stsb

    loaders = {"mrpc": load_mrpc, "stsb": load_stsb}
    rng = np.random.default_rng(config.seed)
    splits = {}
    for name in config.datasets:
        chosen = {}
        for split, limit in (("train", config.train_pairs), ("test", config.test_pairs)):
            pairs = loaders[name](split, data_dir=config.data_dir)
            if limit is not None and limit < len(pairs):
                pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), size=limit, replace=False))]
            chosen[split] = pairs
        splits[name] = chosen
    return splits


def training_config(config: DistillationBenchmarkConfig, matrices: int) -> DistillationConfig:
    """The ``DistillationConfig`` of one model: the benchmark's training settings, seed and device,
    and ``matrices``."""
    return dataclasses.replace(
        config.training,
        matrices=matrices,
        seed=config.seed,
        device=config.device,
        show_progress=config.show_progress,
    )


def score_predictions(name: str, similarity: np.ndarray, train_similarity: np.ndarray, test, train) -> dict:
    """MRPC: accuracy and F1 at 0.5 and at the train-tuned threshold; STS-B: Spearman x100."""
    from agents.distillation.evaluation import score_similarities

    return score_similarities(similarity, test, train_similarity, train)


def reference_rows(splits, vocabulary, vectors) -> list[dict]:
    """Majority class (MRPC), averaged word vectors and TF-IDF by cosine, on each data set's test pairs."""
    from agents.distillation.baselines import mean_vector_cosines, tfidf_cosines

    rows = []
    for name, data in splits.items():
        test = [(p.sentence_a, p.sentence_b) for p in data["test"]]
        train = [(p.sentence_a, p.sentence_b) for p in data["train"]]
        corpus = [s for pair in train for s in pair]
        methods = {
            "averaged word vectors": lambda pairs: mean_vector_cosines(pairs, vocabulary, vectors),
            "tf-idf": lambda pairs, corpus=corpus: tfidf_cosines(pairs, corpus),
        }
        if name == "mrpc":
            majority = float(np.mean([p.score for p in data["train"]]) >= 0.5)
            always = np.full(len(test), majority)
            row = score_predictions(name, always, np.full(len(train), majority), data["test"], data["train"])
            rows.append({"dataset": name, "model": "majority class", **row, "keep_fraction": None})
        for method, cosines in methods.items():
            row = score_predictions(name, cosines(test), cosines(train), data["test"], data["train"])
            if name == "mrpc":  # a cosine has no natural 0.5 cut: report the tuned threshold only
                row["accuracy"] = row["f1"] = None
            rows.append({"dataset": name, "model": method, **row, "keep_fraction": None})
    return rows


def distillation_examples(prediction, test_data, count: int) -> list[dict]:
    """The first ``count`` test pairs' first sentences: all words, and the kept ones."""
    examples = []
    for words, keep in list(zip(test_data.words_a, prediction.keep_a))[:count]:
        examples.append({"before": " ".join(words), "after": " ".join(w for w, k in zip(words, keep) if k)})
    return examples


def branch_row(name: str, matrices: int, trainer, policy: bool, splits, seconds: float) -> tuple[dict, Any]:
    """The result row of one branch (with or without the policy) and its test prediction.

    ``splits`` is ``(train, test, data)``: the encoded train and test pairs and the raw
    ``{"train", "test"}`` pairs; the threshold is tuned on the train predictions.
    """
    train, test, data = splits
    prediction = trainer.predict(test, distilled=policy)
    scores = score_predictions(
        name,
        prediction.similarity,
        trainer.predict(train, distilled=policy).similarity,
        data["test"],
        data["train"],
    )
    row = {"dataset": name, "model": "siamese lstm", "matrices": matrices, "policy": policy, **scores}
    row.update(keep_fraction=prediction.keep_fraction, seconds=seconds, history=trainer.history)
    return row, prediction


def run_models(config, name: str, data, vocabulary, vectors, matrices: int) -> tuple[list[dict], dict]:
    """Train one critic, branch it, evaluate both branches; returns (two rows, examples by n)."""
    from agents.distillation.data import encode_pairs
    from agents.distillation.trainer import DistillationTrainer

    scale, max_words = LABEL_SCALE[name], 30
    train = encode_pairs(data["train"], vocabulary, scale, max_words)
    test = encode_pairs(data["test"], vocabulary, scale, max_words)
    started = time.perf_counter()
    trainer = DistillationTrainer(training_config(config, matrices), train, vectors)
    training = config.training
    trainer.train_critic(training.critic_epochs, distilled=False)
    shared_seconds = time.perf_counter() - started

    rows = []
    baseline = copy.deepcopy(trainer)
    started = time.perf_counter()
    baseline.train_critic(training.rounds * training.critic_epochs_per_round, distilled=False)
    seconds = shared_seconds + time.perf_counter() - started
    rows.append(branch_row(name, matrices, baseline, False, (train, test, data), seconds)[0])

    started = time.perf_counter()
    trainer.pretrain_policy(training.policy_pretrain_epochs)
    for _ in range(training.rounds):
        trainer.train_policy(training.policy_epochs_per_round)
        trainer.train_critic(training.critic_epochs_per_round, distilled=True)
    seconds = shared_seconds + time.perf_counter() - started
    row, distilled = branch_row(name, matrices, trainer, True, (train, test, data), seconds)
    rows.append(row)
    shown = config.matrix_counts[len(config.matrix_counts) // 2]  # the middle n (3 by default)
    examples = (
        distillation_examples(distilled, test, config.examples) if (name, matrices) == ("mrpc", shown) else []
    )
    return rows, {"matrices": matrices, "examples": examples}


def run(config: DistillationBenchmarkConfig) -> dict:
    """Run every data set and n with and without the policy; print the table, write JSON and PNG."""
    from rcsim_env.encoders import SentenceEncoder
    from rcsim_env.encoders.words import WordVocabulary, encoder_word_vectors

    if config.quick:
        config = dataclasses.replace(
            config, **QUICK, training=dataclasses.replace(config.training, **QUICK_TRAINING)
        )
    unknown = sorted(set(config.datasets) - set(DATASETS))
    if unknown:
        raise ValueError(f"unknown datasets {unknown}; choose from {DATASETS}")
    for matrices in config.matrix_counts:
        training_config(config, matrices)  # refuse bad settings before any data is loaded
    if config.threads:
        torch.set_num_threads(int(config.threads))
    started = time.perf_counter()
    splits = load_splits(config)
    encoder = SentenceEncoder.from_pretrained(config.encoder, device="cpu")
    sentences = [
        s
        for data in splits.values()
        for pairs in data.values()
        for p in pairs
        for s in (p.sentence_a, p.sentence_b)
    ]
    vocabulary = WordVocabulary.from_sentences(sentences)
    vectors = encoder_word_vectors(vocabulary, encoder)
    del encoder
    rows = reference_rows(splits, vocabulary, vectors)
    examples = []
    for name, data in splits.items():
        for matrices in config.matrix_counts:
            print(f"--- {name}, n = {matrices}", flush=True)
            model_rows, model_examples = run_models(config, name, data, vocabulary, vectors, matrices)
            rows += model_rows
            if model_examples["examples"]:
                examples.append(model_examples)
    results = {
        "benchmark": "distillation",
        "config": asdict(config),
        "rows": rows,
        "examples": examples,
        "references_not_measured_here": REFERENCES,
        "pairs": {
            name: {split: len(pairs) for split, pairs in data.items()} for name, data in splits.items()
        },
        "vocabulary": len(vocabulary),
        "machine": {
            "platform": platform.platform(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        "wall_seconds": time.perf_counter() - started,
    }
    print_table(results)
    output = write_json(config.output, results)
    picture = plot_results(rows, output.with_suffix(".png"))
    print(f"wrote {output} and {picture}")
    return results


def _cell(value, width: int, digits: int = 1) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def print_table(results: dict) -> None:
    """Print one line per model, the references from the literature, and the distillation examples."""
    print(
        f"\n{'data':<5} {'model':<22} {'n':>3} {'policy':>6} {'acc@.5':>7} {'F1@.5':>6} "
        f"{'acc@tuned':>9} {'F1@tuned':>8} {'Spearman':>8} {'kept':>5} {'seconds':>7}"
    )
    for row in results["rows"]:
        n = row.get("matrices")
        policy = row.get("policy")
        print(
            f"{row['dataset']:<5} {row['model']:<22} {'' if n is None else n:>3} "
            f"{'' if policy is None else ('yes' if policy else 'no'):>6} "
            f"{_cell(row.get('accuracy'), 7)} {_cell(row.get('f1'), 6)} "
            f"{_cell(row.get('accuracy_tuned'), 9)} {_cell(row.get('f1_tuned'), 8)} "
            f"{_cell(row.get('spearman'), 8)} "
            f"{_cell(row.get('keep_fraction'), 5, 2)} {_cell(row.get('seconds'), 7)}"
        )
    refs = results["references_not_measured_here"]
    print(
        "\nreferences from the issue, not measured here: MRPC accuracy "
        f"{refs['mrpc_accuracy_averaged_word_embeddings']}% (averaged word embeddings), "
        f"{refs['mrpc_accuracy_tfidf']}% (TF-IDF); the paper, on its own "
        f"unpublished data: {refs['paper_accuracy_without_distillation_own_data']}% without and "
        f"{refs['paper_accuracy_with_distillation_own_data']}% with distillation"
    )
    for block in results["examples"]:
        print(f"\nMRPC test sentences distilled by the policy (n = {block['matrices']}):")
        for example in block["examples"]:
            print(f"  before: {example['before']}\n  after:  {example['after']}")


def plot_results(rows: list[dict], path) -> object:
    """Bars of MRPC accuracy (threshold 0.5) and STS-B Spearman per n, without and with the policy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("mrpc", "accuracy", "MRPC test accuracy (threshold 0.5)"),
        ("stsb", "spearman", "STS-B test Spearman"),
    ]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for axis, (dataset, metric, title) in zip(axes, panels):
        models = [r for r in rows if r["dataset"] == dataset and r.get("matrices") is not None]
        counts = sorted({r["matrices"] for r in models})
        positions = np.arange(len(counts))
        for offset, policy in ((-0.2, False), (0.2, True)):
            values = [
                next((r[metric] for r in models if r["matrices"] == n and r["policy"] == policy), np.nan)
                for n in counts
            ]
            axis.bar(
                positions + offset, values, width=0.4, label="with policy" if policy else "without policy"
            )
        for reference in (r for r in rows if r["dataset"] == dataset and r.get("matrices") is None):
            value = reference.get("accuracy_tuned" if metric == "accuracy" else metric)
            if value is not None:
                axis.axhline(value, linestyle="--", linewidth=1, color="grey")
                axis.annotate(reference["model"], (positions[-1] if len(counts) else 0, value), fontsize=7)
        shown = [r.get(metric) for r in models] + [
            r.get("accuracy_tuned") for r in rows if r["dataset"] == dataset
        ]
        finite = [v for v in shown if v is not None and np.isfinite(v)]
        if finite:  # start the axis near the values so that differences of a few points show
            axis.set_ylim(
                max(0.0, min(finite) - 10.0) if metric == "accuracy" else min(0.0, min(finite) - 5.0)
            )
        else:
            axis.text(0.5, 0.5, "not run", ha="center", transform=axis.transAxes)
        axis.set_xticks(positions, [f"n = {n}" for n in counts])
        axis.set_title(title)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    return run_config_command(DistillationBenchmarkConfig, run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
