"""The demo behind ``make demo``: score the default encoder on STS-B test, then play episodes."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataNotFoundError
from rcsim_env.jsonio import write_json


@dataclass
class DemoConfig:
    """Settings of the demo run."""

    encoder: str | None = field(
        default=None, metadata={"help": "encoder folder or hub id; none = bundled MiniLM"}
    )
    data_dir: str | None = field(default=None, metadata={"help": "data directory holding sts/STSBenchmark"})
    episodes: int = field(default=5, metadata={"help": "episodes per agent"})
    episode_length: int = field(default=10, metadata={"help": "pairs per episode"})
    noise: str = field(
        default="mild", metadata={"help": "simulated annotator: mild, rounded, exact or paper"}
    )
    reward: str = field(default="squared", metadata={"help": "reward function: squared, absolute or paper"})
    seed: int = field(default=0, metadata={"help": "seed of the environment and the random agent"})
    output: str = field(default="runs/demo", metadata={"help": "folder for summary.json"})
    calibration_queries: int = field(
        default=200, metadata={"help": "oracle queries of the RC-DDPG calibration at the end; 0 = skip it"}
    )


def load_demo_pairs(data_dir: str | None) -> tuple[list[ScoredPair], list[ScoredPair], str]:
    """Return (evaluation pairs, environment pool, source description).

    Uses STS-B test and train when found; otherwise the project's own built-in pairs for
    both, with a description saying so.
    """
    from rcsim_env.data.builtin_pairs import builtin_pairs
    from rcsim_env.data.loaders import load_stsb

    try:
        return (
            load_stsb("test", data_dir=data_dir),
            load_stsb("train", data_dir=data_dir),
            "STS-B test / train",
        )
    except DataNotFoundError as exc:
        pairs = builtin_pairs()
        first_line = str(exc).splitlines()[0]
        note = f"built-in pairs ({len(pairs)}, written by rcsim) because STS-B was not found: {first_line}"
        return pairs, pairs, note


def play_episodes(env, agent, episodes: int, seed: int) -> dict[str, float]:
    """Run ``episodes`` episodes of ``agent`` (an object with ``act(obs)``).

    Returns the mean reward and the agreement with the oracle.

    Agreement is the Spearman correlation x100 between the agent's scores and the
    oracle's answers over all judged (not skipped) pairs.
    """
    from scipy.stats import spearmanr

    rewards, agent_scores, oracle_scores = [], [], []
    observation, _ = env.reset(seed=seed)
    for _ in range(episodes):
        truncated = False
        while not truncated:
            observation, reward, _, truncated, info = env.step(agent.act(observation))
            rewards.append(reward)
            if not info["skipped"]:
                agent_scores.append(info["agent_score"])
                oracle_scores.append(info["oracle_score"])
        observation, _ = env.reset()
    agreement = (
        float(spearmanr(agent_scores, oracle_scores).statistic * 100)
        if len(agent_scores) > 2
        else float("nan")
    )
    return {"mean_reward": float(np.mean(rewards)), "spearman_vs_oracle": agreement, "queries": len(rewards)}


def run_demo(config: DemoConfig) -> dict:
    """Run the demo, print what it finds, write ``summary.json`` into ``config.output``; returns it."""
    import gymnasium as gym

    import rcsim_env  # noqa: F401  (registers the environment)
    from agents import CosineAgent, RandomAgent
    from rcsim_env.encoders import SentenceEncoder
    from rcsim_env.evaluation.sts import evaluate_pairs

    started = time.perf_counter()
    encoder = SentenceEncoder.from_pretrained(config.encoder)
    eval_pairs, pool, source = load_demo_pairs(config.data_dir)
    print(f"data: {source}")
    scores = evaluate_pairs(encoder, eval_pairs)
    print(
        f"encoder {config.encoder or 'all-MiniLM-L6-v2 (bundled)'} on {len(eval_pairs)} pairs: "
        f"Spearman {scores['spearman']:.2f}, Pearson {scores['pearson']:.2f}"
    )

    env = gym.make(
        "RCSim/SentenceSimilarity-v0",
        pairs=pool,
        observation="embedding",
        encoder=encoder,
        noise=config.noise,
        reward=config.reward,
        episode_length=config.episode_length,
    )
    agents = {"random": RandomAgent(env.action_space, seed=config.seed), "encoder-cosine": CosineAgent()}
    results = {}
    for name, agent in agents.items():
        results[name] = play_episodes(env, agent, config.episodes, config.seed)
        r = results[name]
        print(
            f"{name:>15}: {config.episodes} episodes, mean reward {r['mean_reward']:+.4f}, "
            f"Spearman vs oracle {r['spearman_vs_oracle']:.1f} ({r['queries']} queries)"
        )
    env.close()

    out = Path(config.output)
    calibration = None
    if config.calibration_queries > 0 and pool is not eval_pairs:
        calibration = run_demo_calibration(config, out / "calibration")
    elif config.calibration_queries > 0:
        print("calibration skipped: it needs STS-B (train to learn from, dev and test to measure)")

    summary = {
        "config": asdict(config),
        "data": source,
        "encoder_eval": scores,
        "agents": results,
        "calibration": calibration,
        "wall_seconds": round(time.perf_counter() - started, 2),
    }
    write_json(out / "summary.json", summary)
    print(f"wrote {out / 'summary.json'} ({summary['wall_seconds']} s)")
    return summary


def run_demo_calibration(config: DemoConfig, folder: Path) -> dict:
    """A short RC-DDPG calibration (``config.calibration_queries`` queries) into ``folder`` (replaced).

    Returns the run's report (before and after STS-B dev and test Spearman).
    """
    import shutil

    from agents.calibration.config import CalibrationConfig
    from agents.calibration.trainer import CalibrationRun

    if folder.exists():
        shutil.rmtree(folder)
    calibration = CalibrationConfig(
        encoder=config.encoder,
        data_dir=config.data_dir,
        noise=config.noise,
        reward=config.reward,
        queries=config.calibration_queries,
        eval_every=0,
        checkpoint_every=0,
        seed=config.seed,
        output=str(folder),
    )
    print(f"calibrating with RC-DDPG: {calibration.queries} oracle queries ({calibration.noise} annotator)")
    CalibrationRun(calibration).run()
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))
