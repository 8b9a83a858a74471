"""What a calibration run talks to: the pair pool, the oracle, the environment and the evaluation pairs."""

from __future__ import annotations

from pathlib import Path

from agents.calibration.config import CalibrationConfig
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs.similarity import SentenceSimilarityEnv
from rcsim_env.errors import DataNotFoundError
from rcsim_env.oracles.noise import AnnotatorNoise

POOLS = {"stsb-train": ("STS-B train", "stsb", "train"), "sick-train": ("SICK train", "sick", "train")}


def load_pool(config: CalibrationConfig) -> tuple[list[ScoredPair], str]:
    """The pairs the environment shows: a named pool (``stsb-train``, ``sick-train``) or a pairs file.

    Returns ``(pairs, description)``; raises the loaders' errors (missing file, bad line).
    """
    from rcsim_env.data.loaders import load_pairs_file, load_sick, load_stsb

    if config.pool in POOLS:
        name, dataset, split = POOLS[config.pool]
        loader = load_stsb if dataset == "stsb" else load_sick
        pairs = loader(split, data_dir=config.data_dir)
        return pairs, f"{name} ({len(pairs)} pairs)"
    path = Path(config.pool)
    if not path.exists():
        raise DataNotFoundError(
            f"--pool {config.pool!r} is neither one of {sorted(POOLS)} nor an existing pairs file"
        )
    pairs = load_pairs_file(path)
    return pairs, f"{path} ({len(pairs)} pairs)"


def build_oracle(config: CalibrationConfig, pool: list[ScoredPair]):
    """The oracle ``config.oracle`` names and a description; ``None`` = the env's default dataset oracle."""
    from rcsim_env.envs.similarity import NOISE_PRESETS

    if config.noise not in NOISE_PRESETS:
        raise ValueError(f"noise must be one of {sorted(NOISE_PRESETS)}, got {config.noise!r}")
    noise: AnnotatorNoise = NOISE_PRESETS[config.noise]()
    if config.oracle == "dataset":
        return None, f"dataset oracle over the pool's gold scores, annotator noise {config.noise!r} ({noise})"
    if config.oracle == "teacher":
        from rcsim_env.oracles.teacher import TeacherOracle

        if not config.teacher:
            raise ValueError("--oracle teacher needs --teacher MODEL (a folder or hub id)")
        return TeacherOracle(
            config.teacher, noise=noise
        ), f"teacher oracle {config.teacher} with noise {noise}"
    if config.oracle == "human":
        import os

        from rcsim_env.labelling.store import LabelStore
        from rcsim_env.oracles.human import TerminalHumanOracle, WebHumanOracle

        db = Path(config.label_db) if config.label_db else Path(config.output) / "labels.sqlite"
        store = LabelStore(db)
        if config.label_terminal:
            return TerminalHumanOracle(store=store), f"a person in this terminal; answers stored in {db}"
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
        return human, f"a person on the labelling page {human.server.url} ({waits}); answers stored in {db}"
    from rcsim_env.oracles.replay import ReplayOracle

    oracle = ReplayOracle.from_file(config.labels)
    return oracle, f"replay oracle over {len(oracle)} stored labels in {config.labels}"


def build_environment(
    config: CalibrationConfig, pool: list[ScoredPair] | None = None, oracle=None
) -> tuple[SentenceSimilarityEnv, dict[str, str]]:
    """A text-observation environment with the run's pool, oracle, reward and label budget.

    ``pool`` overrides ``config.pool`` (the label-efficiency benchmark passes its own
    draw); ``oracle`` (any :class:`~rcsim_env.oracles.Oracle`) overrides ``config.oracle``.
    Returns ``(env, {"pool": ..., "oracle": ...})`` descriptions for the report.
    """
    if pool is None:
        pool, pool_note = load_pool(config)
    else:
        pool_note = f"{len(pool)} pairs given by the caller"
    if oracle is None:
        oracle, oracle_note = build_oracle(config, pool)
    else:
        oracle_note = f"{type(oracle).__name__} given by the caller"
    env = SentenceSimilarityEnv(
        pairs=pool,
        oracle=oracle,
        observation="text",
        reward=config.reward,
        episode_length=config.episode_length,
        label_budget=config.queries,
        noise=config.noise,
    )
    return env, {"pool": pool_note, "oracle": oracle_note}


def load_evaluation_pairs(
    config: CalibrationConfig,
) -> tuple[list[ScoredPair] | None, list[ScoredPair] | None, str]:
    """STS-B dev (the first ``dev_pairs``) and test pairs, or None where STS-B is missing, plus a note.

    ``dev_pairs=0`` turns dev evaluation off, ``test=False`` test evaluation.
    """
    from rcsim_env.data.loaders import load_stsb

    try:
        dev = load_stsb("dev", data_dir=config.data_dir)
        test = load_stsb("test", data_dir=config.data_dir)
    except DataNotFoundError as exc:
        return None, None, f"STS-B not found, no dev/test evaluation: {str(exc).splitlines()[0]}"
    if config.dev_pairs is not None:
        dev = dev[: int(config.dev_pairs)]
    note = f"STS-B dev ({len(dev)} pairs) and test ({len(test)} pairs)"
    return (dev or None), (test if config.test else None), note
