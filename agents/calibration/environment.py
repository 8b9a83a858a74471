"""What a calibration run talks to: the pair pool, the oracle, the environment and its dev and test pairs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from agents.calibration.config import CalibrationConfig
from agents.runs.evaluation import first, hold_out, load_named_or_file, optional_pairs
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs.similarity import SentenceSimilarityEnv
from rcsim_env.oracles.registry import BuiltOracle, build_oracle

DEFAULT_POOL = "stsb-train"


@dataclass
class CalibrationSources:
    """The pairs and the oracle of one run, and a sentence on each for the report.

    ``dev`` and ``test`` are None when the run has no such set (not asked for, or the named
    data set is not on this machine: ``notes["evaluation"]`` says which).
    """

    pool: list[ScoredPair]
    oracle: BuiltOracle
    dev: list[ScoredPair] | None
    test: list[ScoredPair] | None
    notes: dict[str, str] = field(default_factory=dict)


def _check_replay_coverage(pool: list[ScoredPair], oracle: BuiltOracle, labels: str) -> None:
    """Refuse a pool with no stored label at all; warn when only part of it has labels."""
    covered = {(p.sentence_a, p.sentence_b) for p in oracle.labelled_pairs or []}
    covered |= {(b, a) for a, b in covered}
    hits = sum((p.sentence_a, p.sentence_b) in covered for p in pool)
    if hits == 0:
        raise ValueError(
            f"none of the {len(pool)} pool pairs has a stored label in {labels}: every query would be "
            "skipped. Leave --pool out to show the labelled pairs, or pass the pool they came from"
        )
    if hits < len(pool):
        warnings.warn(
            f"only {hits} of the {len(pool)} pool pairs have stored labels in {labels}; the oracle skips "
            "the others (they cost no label but teach nothing)",
            stacklevel=2,
        )


def load_sources(
    config: CalibrationConfig,
    pool: list[ScoredPair] | None = None,
    oracle=None,
    default_label_db: Path | None = None,
) -> CalibrationSources:
    """The run's oracle, pool, dev and test pairs from ``config``.

    ``pool`` (a list of pairs) and ``oracle`` (any object with ``judge``) override the config's
    (the benchmarks pass their own draws). ``default_label_db`` is where a person's answers go
    when ``--label-db`` is not given (the run folder's ``labels.sqlite``).
    """
    data = config.data
    notes: dict[str, str] = {}
    if oracle is not None:
        built = BuiltOracle(oracle, f"{type(oracle).__name__} given by the caller")
    else:
        label_db = default_label_db or Path(config.run.output) / "labels.sqlite"
        built = build_oracle(config.oracle, None, label_db)
    notes["oracle"] = built.description
    if pool is not None:
        pool, notes["pool"] = list(pool), f"{len(pool)} pairs given by the caller"
    elif config.pool is None and built.labelled_pairs is not None:
        pool = list(built.labelled_pairs)
        notes["pool"] = f"the {len(pool)} pairs the stored labels cover"
    else:
        name = config.pool or DEFAULT_POOL
        pool = load_named_or_file(name, data.data_dir, data.score_scale)
        notes["pool"] = f"{name} ({len(pool)} pairs)"
        if config.oracle.kind == "replay" and oracle is None:
            _check_replay_coverage(pool, built, str(config.oracle.labels))
    if config.dev_split > 0:
        pool, dev = hold_out(pool, config.dev_split, config.run.seed)
        dev_note = f"dev: {len(dev)} pairs held out of the pool (--dev-split {config.dev_split})"
    else:
        dev, dev_note = optional_pairs(data.dev, data.data_dir, "dev", data.score_scale)
    dev = first(dev, data.dev_pairs)
    test, test_note = optional_pairs(data.test, data.data_dir, "test", data.score_scale)
    notes["evaluation"] = f"{dev_note}; {test_note}"
    return CalibrationSources(pool, built, dev, test, notes)


def build_environment(config: CalibrationConfig, sources: CalibrationSources) -> SentenceSimilarityEnv:
    """A text-observation environment over the sources' pool and oracle, with the run's reward and budget."""
    return SentenceSimilarityEnv(
        pairs=sources.pool,
        oracle=sources.oracle.oracle,
        observation="text",
        reward=config.reward,
        episode_length=config.episode_length,
        label_budget=config.queries,
        noise=config.oracle.noise,
    )
