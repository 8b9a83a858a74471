"""``rcsim demo`` (``make demo``): score the default encoder, play episodes, then a short calibration."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from agents.calibration.config import CalibrationConfig
from agents.runs.config import RunConfig
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataNotFoundError
from rcsim_env.jsonio import write_json


def demo_calibration() -> CalibrationConfig:
    """The demo's calibration: 200 mild-annotator queries, dev and test scored before and after only."""
    return CalibrationConfig(
        queries=200, run=RunConfig(output="runs/demo", eval_every=0, checkpoint_every=0, tensorboard=False)
    )


@dataclass
class DemoConfig:
    """Settings of the demo: the episodes it plays, then the calibration it runs (its folder holds
    the demo's ``summary.json`` too and is replaced on every demo run)."""

    episodes: int = field(default=5, metadata={"help": "episodes each reference agent plays"})
    calibrate: bool = field(default=True, metadata={"help": "end with a short RC-DDPG calibration"})
    calibration: CalibrationConfig = field(default_factory=demo_calibration)

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work."""
        if int(self.episodes) < 1:
            raise ValueError(f"episodes must be at least 1, got {self.episodes}")
        self.calibration.validate()


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
    """Run the demo, print what it finds, write ``summary.json`` into the run folder; returns it."""
    import gymnasium as gym

    import rcsim_env  # noqa: F401  (registers the environment)
    from agents.baselines import CosineAgent, RandomAgent
    from rcsim_env.encoders import SentenceEncoder
    from rcsim_env.evaluation.sts import evaluate_pairs

    config.validate()
    calibration, settings = config.calibration, config.calibration.run
    started = time.perf_counter()
    encoder = SentenceEncoder.from_pretrained(calibration.encoder)
    eval_pairs, pool, source = load_demo_pairs(calibration.data.data_dir)
    print(f"data: {source}")
    scores = evaluate_pairs(encoder, eval_pairs)
    print(
        f"encoder {calibration.encoder or 'all-MiniLM-L6-v2 (bundled)'} on {len(eval_pairs)} pairs: "
        f"Spearman {scores['spearman']:.2f}, Pearson {scores['pearson']:.2f}"
    )

    env = gym.make(
        "RCSim/SentenceSimilarity-v0",
        pairs=pool,
        observation="embedding",
        encoder=encoder,
        noise=calibration.oracle.noise,
        reward=calibration.reward,
        episode_length=calibration.episode_length,
    )
    agents = {"random": RandomAgent(env.action_space, seed=settings.seed), "encoder-cosine": CosineAgent()}
    results = {}
    for name, agent in agents.items():
        results[name] = play_episodes(env, agent, config.episodes, settings.seed)
        r = results[name]
        print(
            f"{name:>15}: {config.episodes} episodes, mean reward {r['mean_reward']:+.4f}, "
            f"Spearman vs oracle {r['spearman_vs_oracle']:.1f} ({r['queries']} queries)"
        )
    env.close()

    report = None
    if config.calibrate and pool is not eval_pairs:
        report = run_demo_calibration(calibration)
    elif config.calibrate:
        print("calibration skipped: it needs STS-B (train to learn from, dev and test to measure)")

    summary = {
        "config": asdict(config),
        "data": source,
        "encoder_eval": scores,
        "agents": results,
        "calibration": report,
        "wall_seconds": round(time.perf_counter() - started, 2),
    }
    out = Path(settings.output)
    write_json(out / "summary.json", summary)
    print(f"wrote {out / 'summary.json'} ({summary['wall_seconds']} s)")
    return summary


def run_demo_calibration(calibration: CalibrationConfig) -> dict:
    """Run ``calibration`` (its folder is replaced if it holds an earlier demo); returns its report."""
    from agents.calibration.trainer import CalibrationRun

    print(
        f"calibrating with RC-DDPG: {calibration.queries} oracle queries "
        f"({calibration.oracle.noise} annotator)"
    )
    run = CalibrationRun(calibration, overwrite=True)
    run.run()
    return run.report_data


def main(argv: list[str] | None = None, prog: str = "rcsim demo") -> int:
    """Run ``rcsim demo`` with ``argv``; returns 0 (bad settings exit with status 2 and a message)."""
    import argparse

    from rcsim_env.config import add_dataclass_arguments, dataclass_from_args
    from rcsim_env.errors import RCSimError

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Score the encoder on STS-B test, play episodes against the simulated judge with a "
        "random agent and the encoder's cosine, then calibrate the encoder with RC-DDPG for a few "
        "hundred queries and score it again. Every calibration option applies.",
    )
    add_dataclass_arguments(parser, DemoConfig)
    try:
        run_demo(dataclass_from_args(DemoConfig, parser.parse_args(argv)))
    except (RCSimError, ValueError) as exc:
        parser.error(str(exc))
    return 0
