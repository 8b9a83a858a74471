"""Evaluation of sentence encoders: cosine-vs-gold correlations (STS-B, SICK-R, STS12-16), MRPC accuracy/F1.

The command line is ``rcsim eval`` (:mod:`rcsim_env.evaluation.cli`).
"""

from __future__ import annotations

from rcsim_env.evaluation.metrics import best_threshold, binary_metrics, correlations
from rcsim_env.evaluation.report import format_table, write_json
from rcsim_env.evaluation.sts import (
    TASKS,
    available_tasks,
    evaluate_mrpc,
    evaluate_pairs,
    evaluate_senteval_year,
    evaluate_sick,
    evaluate_stsb,
    pair_cosines,
    run_benchmarks,
)

__all__ = [
    "TASKS",
    "available_tasks",
    "best_threshold",
    "binary_metrics",
    "correlations",
    "evaluate_mrpc",
    "evaluate_pairs",
    "evaluate_senteval_year",
    "evaluate_sick",
    "evaluate_stsb",
    "format_table",
    "pair_cosines",
    "run_benchmarks",
    "write_json",
]
