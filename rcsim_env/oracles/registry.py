"""The oracles the commands can build by name: ``dataset``, ``teacher``, ``replay``, ``human``.

Each entry of :data:`ORACLES` is a builder ``(config, pool, label_db) -> BuiltOracle``; adding an
oracle kind is one ``ORACLES.register`` call. :func:`build_oracle` is what commands call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.oracles.config import OracleConfig
from rcsim_env.oracles.noise import NOISE_PRESETS
from rcsim_env.registry import Registry


@dataclass
class BuiltOracle:
    """An oracle and a sentence describing it (for reports).

    ``oracle`` is None for the environment's own default (a dataset oracle over the pool's gold
    scores through ``noise``); ``labelled_pairs`` holds the pairs a replay oracle has labels
    for (a run without a pool of its own shows those).
    """

    oracle: Any
    description: str
    labelled_pairs: list[ScoredPair] | None = None


OracleBuilder = Callable[[OracleConfig, Sequence[ScoredPair] | None, Path], BuiltOracle]

ORACLES: Registry[OracleBuilder] = Registry("oracle")
"""Oracle kind -> builder ``(config, pool, default_label_db) -> BuiltOracle``."""


def build_oracle(
    config: OracleConfig,
    pool: Sequence[ScoredPair] | None = None,
    default_label_db: str | os.PathLike[str] = "",
) -> BuiltOracle:
    """Build the oracle ``config.kind`` names (validated first).

    ``pool`` is the environment's pair pool (None when not known yet); ``default_label_db``
    is where a person's answers go when ``config.label_db`` is not set.
    """
    config.validate()
    return ORACLES[config.kind](config, pool, Path(default_label_db or "labels.sqlite"))


@ORACLES.register("dataset", help="the pool's gold scores through a simulated annotator (--noise)")
def _dataset(config: OracleConfig, pool: Sequence[ScoredPair] | None, label_db: Path) -> BuiltOracle:
    noise = NOISE_PRESETS[config.noise]()
    return BuiltOracle(
        None, f"dataset oracle over the pool's gold scores, annotator noise {config.noise!r} ({noise})"
    )


@ORACLES.register("teacher", help="another encoder's cosine (--teacher MODEL)")
def _teacher(config: OracleConfig, pool: Sequence[ScoredPair] | None, label_db: Path) -> BuiltOracle:
    from rcsim_env.oracles.teacher import TeacherOracle

    noise = NOISE_PRESETS[config.noise]()
    return BuiltOracle(
        TeacherOracle(config.teacher, noise=noise), f"teacher oracle {config.teacher} with noise {noise}"
    )


@ORACLES.register("replay", help="stored labels (--labels FILE)")
def _replay(config: OracleConfig, pool: Sequence[ScoredPair] | None, label_db: Path) -> BuiltOracle:
    from rcsim_env.oracles.replay import ReplayOracle

    oracle = ReplayOracle.from_file(config.labels)
    pairs = oracle.labelled_pairs()
    return BuiltOracle(
        oracle,
        f"replay oracle over {len(oracle)} stored labels of {len(pairs)} pairs in {config.labels}",
        pairs,
    )


@ORACLES.register(
    "human",
    help="a person on the labelling page, or in this terminal (--label-terminal); answers already in "
    "the label store are reused, never asked again",
)
def _human(config: OracleConfig, pool: Sequence[ScoredPair] | None, label_db: Path) -> BuiltOracle:
    from rcsim_env.labelling.store import LabelStore
    from rcsim_env.oracles.human import TerminalHumanOracle, WebHumanOracle
    from rcsim_env.oracles.stored import StoredAnswerOracle

    db = Path(config.label_db) if config.label_db else label_db
    store = LabelStore(db)
    if config.label_terminal:
        person = StoredAnswerOracle(store, TerminalHumanOracle(store=store))
        return BuiltOracle(person, f"a person in this terminal; answers stored in {db}")
    human = WebHumanOracle.serve(
        store,
        host=config.label_host,
        port=config.label_port,
        token=os.environ.get("RCSIM_LABEL_TOKEN") or None,
        timeout=config.label_timeout,
    )
    print(f"labelling page: open {human.server.login_url} in a browser to judge the pairs", flush=True)
    waits = (
        "waits for every answer"
        if config.label_timeout is None
        else f"skips a pair after {config.label_timeout:g} s without an answer"
    )
    return BuiltOracle(
        StoredAnswerOracle(store, human),
        f"a person on the labelling page {human.server.url} ({waits}); answers stored in {db}",
    )
