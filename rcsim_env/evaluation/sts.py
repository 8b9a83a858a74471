"""Benchmarks of a sentence encoder: cosine similarity against gold on STS-B, SICK-R, STS12-16 and MRPC.

Every STS figure is a plain cosine-vs-gold correlation x100 (no trained regressor on top).
Each ``evaluate_*`` function returns a JSON-ready dict with at least ``split`` and ``n``;
:func:`run_benchmarks` runs several tasks by name and keeps going past missing data.
Every helper takes ``show_progress`` (off by default): a tqdm bar, labelled with what is being
scored, follows the encoding.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rcsim_env.data.loaders import (
    find_senteval_root,
    load_mrpc,
    load_senteval_sts,
    load_sick,
    load_stsb,
    senteval_years,
    sts_year,
)
from rcsim_env.data.locate import MRPC_FILES, SICK_FILES, STSB_FILES, find_data_file
from rcsim_env.data.pairs import ScoredPair, coerce_pair
from rcsim_env.errors import DataNotFoundError, RCSimError
from rcsim_env.evaluation.metrics import best_threshold, binary_metrics, correlations

if TYPE_CHECKING:
    from rcsim_env.encoders.sentence_encoder import SentenceEncoder

PathLike = str | os.PathLike[str]
Result = dict[str, Any]

SENTEVAL_TASKS: tuple[str, ...] = ("sts12", "sts13", "sts14", "sts15", "sts16")
TASKS: tuple[str, ...] = ("stsb-dev", "stsb-test", "sick", *SENTEVAL_TASKS, "mrpc")
"""Every task name :func:`run_benchmarks` accepts, in the order ``all`` runs them."""


# --- encoding and scoring ----------------------------------------------------------------------------


def _bar(show_progress: bool, description: str) -> bool | str:
    """What the encoder's ``show_progress`` gets: the bar's label when a bar is wanted, else False."""
    return description if show_progress else False


def pair_cosines(
    encoder: SentenceEncoder,
    pairs: Sequence[ScoredPair],
    batch_size: int = 64,
    show_progress: bool = False,
    description: str = "evaluating",
) -> np.ndarray:
    """Cosine similarity of each pair's two sentences; returns a float64 array of ``len(pairs)``.

    Both sides are encoded in one call (each distinct sentence once), so with
    ``show_progress`` one tqdm bar labelled ``description`` covers the whole set.
    """
    return encoder.similarity(
        [pair.sentence_a for pair in pairs],
        [pair.sentence_b for pair in pairs],
        batch_size=batch_size,
        show_progress=_bar(show_progress, description),
    )


def _gold(pairs: Sequence[ScoredPair]) -> np.ndarray:
    """Gold scores of ``pairs`` as a float64 array; ValueError naming the first pair without one."""
    missing = next((pair.pair_id for pair in pairs if pair.score is None), None)
    if missing is not None:
        raise ValueError(f"pair {missing} has no gold score; evaluation needs scored pairs")
    return np.array([pair.score for pair in pairs], dtype=np.float64)


def evaluate_pairs(
    encoder: SentenceEncoder,
    pairs: Iterable[object],
    batch_size: int = 64,
    show_progress: bool = False,
    description: str = "evaluating",
) -> Result:
    """Correlate the encoder's cosine similarities with the gold scores of ``pairs``.

    ``pairs`` holds :class:`~rcsim_env.data.pairs.ScoredPair` records (or anything
    :func:`~rcsim_env.data.pairs.coerce_pair` accepts), every one with a score, at least two.
    The encoder is used in the mode it is in. Returns ``{"spearman": x100, "pearson": x100,
    "n": int}``. ``show_progress`` draws a bar labelled ``description``.
    """
    checked = [coerce_pair(item, index) for index, item in enumerate(pairs)]
    gold = _gold(checked)
    return correlations(pair_cosines(encoder, checked, batch_size, show_progress, description), gold)


# --- STS-B and SICK-R ------------------------------------------------------------------------------


def spearman_of(
    encoder: SentenceEncoder,
    pairs: Iterable[object],
    *,
    batch_size: int = 64,
    show_progress: bool = False,
    description: str = "evaluating",
) -> float:
    """Spearman x100 of the encoder's cosines against the gold scores of ``pairs``, in eval mode.

    Dropout is off while it runs; afterwards every submodule is back in the train/eval mode
    it was in. ``show_progress`` draws a bar labelled ``description`` (e.g. "dev Spearman").
    """
    from rcsim_env.encoders.sentence_encoder import eval_mode  # imports torch: only when scoring

    with eval_mode(encoder):
        return float(evaluate_pairs(encoder, pairs, batch_size, show_progress, description)["spearman"])


def evaluate_stsb(
    encoder: SentenceEncoder,
    split: str = "test",
    data_dir: PathLike | None = None,
    *,
    batch_size: int = 64,
    show_progress: bool = False,
) -> Result:
    """Evaluate on the STS Benchmark ``split`` ("train", "dev" or "test").

    Returns ``{"split", "spearman", "pearson", "n"}``. Raises DataNotFoundError when the
    split's file is in no data directory.
    """
    pairs = load_stsb(split, data_dir)
    return {"split": split, **evaluate_pairs(encoder, pairs, batch_size, show_progress, f"STS-B {split}")}


def default_sick_split(data_dir: PathLike | None = None) -> str:
    """Return ``"test"`` if ``SICK_test_annotated.txt`` is in a data directory, else ``"trial"``."""
    try:
        find_data_file(SICK_FILES["test"], data_dir)
    except DataNotFoundError:
        return "trial"
    return "test"


def evaluate_sick(
    encoder: SentenceEncoder,
    split: str | None = None,
    data_dir: PathLike | None = None,
    *,
    batch_size: int = 64,
    show_progress: bool = False,
) -> Result:
    """Evaluate on SICK relatedness (SICK-R); ``split`` None means "test" when present, else "trial".

    Returns ``{"split", "spearman", "pearson", "n"}``, plus a ``note`` when the trial split
    stood in for the missing test split. Raises DataNotFoundError when the file is missing.
    """
    chosen = split or default_sick_split(data_dir)
    pairs = load_sick(chosen, data_dir)
    result = {
        "split": chosen,
        **evaluate_pairs(encoder, pairs, batch_size, show_progress, f"SICK-R {chosen}"),
    }
    if split is None and chosen != "test":
        result["note"] = "SICK test split not found; scored on the trial split (500 pairs)"
    return result


# --- SentEval STS12-STS16 --------------------------------------------------------------------------


def senteval_root_for(
    year: int | str, root: PathLike | None = None, data_dir: PathLike | None = None
) -> Path:
    """Return the folder holding ``STS<yy>-en-test`` for ``year``.

    ``root`` (``--senteval-dir``) is searched first, with its ``sts/``, ``senteval/`` and
    ``downstream/STS/`` subfolders, then the data directories. Raises DataNotFoundError
    naming the year and the folder found when that year is absent.
    """
    yy = sts_year(year)
    base = find_senteval_root(root if root is not None else data_dir)
    if yy not in senteval_years(base):
        raise DataNotFoundError(
            f"STS{yy}-en-test is not in {base} (that folder has "
            f"{', '.join(f'STS{y}' for y in senteval_years(base))}); pass --senteval-dir DIR"
        )
    return base


def evaluate_senteval_year(
    encoder: SentenceEncoder,
    year: int | str,
    root: PathLike | None = None,
    *,
    data_dir: PathLike | None = None,
    batch_size: int = 64,
    show_progress: bool = False,
) -> Result:
    """Evaluate on SentEval's STS``year`` (12..16) in the 'all' setting.

    ``root`` is a folder holding ``STS<yy>-en-test/`` (None: searched as in
    :func:`senteval_root_for`). The headline ``spearman``/``pearson`` are ONE correlation
    over the pairs of all subsets concatenated (SentEval's 'all', as in SimCSE), not the
    mean of per-subset figures. Returns ``{"split": "all", "spearman", "pearson", "n",
    "subsets": {subset: {"spearman", "pearson", "n"}}}``.
    """
    base = Path(root) if root is not None else senteval_root_for(year, data_dir=data_dir)
    subsets = load_senteval_sts(year, base)
    pooled = [pair for pairs in subsets.values() for pair in pairs]
    label = f"STS{sts_year(year)}"
    cosines, gold = pair_cosines(encoder, pooled, batch_size, show_progress, label), _gold(pooled)
    per_subset, start = {}, 0
    for name, pairs in subsets.items():
        stop = start + len(pairs)
        per_subset[name] = correlations(cosines[start:stop], gold[start:stop])
        start = stop
    return {"split": "all", **correlations(cosines, gold), "subsets": per_subset}


# --- MRPC ------------------------------------------------------------------------------------------


def evaluate_mrpc(
    encoder: SentenceEncoder,
    data_dir: PathLike | None = None,
    *,
    batch_size: int = 64,
    show_progress: bool = False,
) -> Result:
    """Paraphrase detection on MRPC by thresholding cosine similarity.

    The threshold maximizing accuracy on the MRPC **train** cosines (see
    :func:`~rcsim_env.evaluation.metrics.best_threshold`) is applied to the test pairs.
    Returns ``{"split": "test", "n", "accuracy", "f1", "threshold", "n_train",
    "train_accuracy"}`` (figures x100). Raises DataNotFoundError when a split is missing.
    """
    train, test = load_mrpc("train", data_dir), load_mrpc("test", data_dir)
    train_cosines = pair_cosines(encoder, train, batch_size, show_progress, "MRPC train")
    train_labels = _gold(train)
    threshold = best_threshold(train_cosines, train_labels)
    test_cosines = pair_cosines(encoder, test, batch_size, show_progress, "MRPC test")
    test_metrics = binary_metrics(test_cosines, _gold(test), threshold)
    return {
        "split": "test",
        "n": len(test),
        **test_metrics,
        "threshold": threshold,
        "n_train": len(train),
        "train_accuracy": binary_metrics(train_cosines, train_labels, threshold)["accuracy"],
    }


# --- running tasks by name ------------------------------------------------------------------------


def _files_present(names: Iterable[str | tuple[str, ...]], data_dir: PathLike | None) -> bool:
    """True when every file (or one of each tuple of alternative names) is in some data directory."""
    try:
        for entry in names:
            first, *others = (entry,) if isinstance(entry, str) else entry
            find_data_file(first, data_dir, alternatives=others)
    except DataNotFoundError:
        return False
    return True


def _senteval_present(task: str, data_dir: PathLike | None, senteval_dir: PathLike | None) -> bool:
    """True when the SentEval folder of ``task`` (e.g. "sts13") can be found."""
    try:
        senteval_root_for(task, senteval_dir, data_dir)
    except DataNotFoundError:
        return False
    return True


def available_tasks(data_dir: PathLike | None = None, senteval_dir: PathLike | None = None) -> list[str]:
    """Return the names in :data:`TASKS` whose data files can be found, in :data:`TASKS` order."""
    required: dict[str, list[str | tuple[str, ...]]] = {
        "stsb-dev": [STSB_FILES["dev"]],
        "stsb-test": [STSB_FILES["test"]],
        "sick": [(SICK_FILES["test"], SICK_FILES["trial"])],
        "mrpc": list(MRPC_FILES.values()),
    }
    return [
        task
        for task in TASKS
        if (
            _senteval_present(task, data_dir, senteval_dir)
            if task in SENTEVAL_TASKS
            else _files_present(required[task], data_dir)
        )
    ]


def _task_runner(
    task: str, data_dir: PathLike | None, senteval_dir: PathLike | None
) -> Callable[..., Result]:
    """Return a function ``(encoder, batch_size=..., show_progress=...) -> result`` running ``task``."""
    if task in ("stsb-dev", "stsb-test"):
        split = task.removeprefix("stsb-")
        return lambda encoder, **kw: evaluate_stsb(encoder, split, data_dir, **kw)
    if task == "sick":
        return lambda encoder, **kw: evaluate_sick(encoder, None, data_dir, **kw)
    if task in SENTEVAL_TASKS:
        return lambda encoder, **kw: evaluate_senteval_year(
            encoder, task, senteval_root_for(task, senteval_dir, data_dir), **kw
        )
    if task == "mrpc":
        return lambda encoder, **kw: evaluate_mrpc(encoder, data_dir, **kw)
    raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")


def run_benchmarks(
    encoder: SentenceEncoder,
    tasks: Sequence[str],
    data_dir: PathLike | None = None,
    senteval_dir: PathLike | None = None,
    show_progress: bool = False,
    *,
    batch_size: int = 64,
) -> dict[str, Result]:
    """Run each task named in ``tasks`` (names from :data:`TASKS`) and return ``{task: result}`` in order.

    Each result gets ``seconds`` (wall time of the task). A task whose data is missing or
    malformed (any :class:`~rcsim_env.errors.RCSimError`) does not stop the others: its
    result is ``{"error": message, "seconds": ...}``. Unknown names raise ValueError before
    anything runs. With ``show_progress``, a line per task goes to stderr and a tqdm bar
    follows the encoding.
    """
    runners = {task: _task_runner(task, data_dir, senteval_dir) for task in dict.fromkeys(tasks)}
    results: dict[str, Result] = {}
    for task, runner in runners.items():
        if show_progress:
            print(f"[rcsim eval] {task}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            result = runner(encoder, batch_size=batch_size, show_progress=show_progress)
        except RCSimError as exc:
            result = {"error": str(exc)}
        results[task] = {**result, "seconds": round(time.perf_counter() - start, 3)}
    return results
