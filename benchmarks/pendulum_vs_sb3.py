"""Our DDPG against stable-baselines3's DDPG on Pendulum-v1, RL Zoo settings, same seeds.

Both sides use RL Zoo's tuned DDPG settings for Pendulum (hyperparams/ddpg.yml):
gamma 0.98, buffer 200,000, learning_starts 10,000, Gaussian action noise of std 0.1
(in SB3's [-1, 1]-scaled action space, i.e. 0.2 torque), learning rate 1e-3, net_arch
[400, 300], training once per episode with as many gradient steps as steps collected
(train_freq [1, "episode"], gradient_steps -1), 20,000 steps; SB3 defaults otherwise
(batch 256, tau 0.005). Each side is then evaluated greedily on the same seeded
episodes. Per seed the two runs go back to back with the same ``torch.set_num_threads``.
Steps per second are environment steps over wall-clock training time (construction and
evaluation excluded); CPU seconds are reported too, as they suffer less from other load.
Goals: our mean return within 10 of SB3's or better, our steps/s >= SB3's.

    python benchmarks/pendulum_vs_sb3.py --help
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch

from agents.ddpg.pendulum import ENV_ID, PendulumConfig, PendulumRun, evaluate_pendulum, pendulum_ddpg
from rcsim_env.config import run_config_command
from rcsim_env.jsonio import write_json


@dataclass
class PendulumBenchConfig:
    """Settings of the Pendulum benchmark (the rest is fixed to RL Zoo's settings)."""

    steps: int = field(default=20_000, metadata={"help": "training steps per run"})
    seeds: str = field(default="0", metadata={"help": "comma-separated seeds, e.g. 0,1,2"})
    learning_starts: int = field(default=10_000, metadata={"help": "random steps before training starts"})
    net_arch: str = field(default="400,300", metadata={"help": "hidden layer sizes of actor and critic"})
    eval_episodes: int = field(default=10, metadata={"help": "greedy evaluation episodes per run"})
    threads: int = field(default=1, metadata={"help": "torch.set_num_threads for both sides"})
    progress: bool = field(default=False, metadata={"help": "show progress bars"})
    output: str = field(default="results/pendulum_vs_sb3.json", metadata={"help": "where to write the JSON"})


def _int_list(text: str) -> list[int]:
    """``"0, 1,2"`` -> ``[0, 1, 2]``."""
    return [int(part) for part in text.split(",") if part.strip()]


def _summary(returns: list[float], wall: float, cpu: float, steps: int, updates: int) -> dict[str, Any]:
    """One run's figures as a JSON-ready dict."""
    return {
        "mean_return": round(float(np.mean(returns)), 2),
        "std_return": round(float(np.std(returns)), 2),
        "episode_returns": [round(r, 2) for r in returns],
        "train_seconds": round(wall, 2),
        "train_cpu_seconds": round(cpu, 2),
        "steps_per_second": round(steps / wall, 1),
        "updates": updates,
    }


def run_ours(config: PendulumBenchConfig, seed: int) -> dict[str, Any]:
    """Train and evaluate our DDPG with the RL Zoo settings; returns its summary."""
    # SB3 first trains when num_timesteps > learning_starts, we when the buffer holds
    # learning_starts transitions: the +1 makes both sides run the same number of updates.
    run = PendulumRun(
        PendulumConfig(
            total_steps=config.steps,
            hidden=tuple(_int_list(config.net_arch)),
            eval_episodes=config.eval_episodes,
            seed=seed,
            show_progress=config.progress,
            ddpg=replace(pendulum_ddpg(), learning_starts=config.learning_starts + 1),
        )
    )
    wall, cpu = time.perf_counter(), time.process_time()
    run.run(config.steps)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    returns = run.evaluate()
    run.close()
    return _summary(returns, wall, cpu, config.steps, run.agent.updates)


def run_sb3(config: PendulumBenchConfig, seed: int) -> dict[str, Any]:
    """Train and evaluate stable-baselines3's DDPG with the RL Zoo settings; returns its summary."""
    import gymnasium as gym
    from stable_baselines3 import DDPG as SB3DDPG
    from stable_baselines3.common.noise import NormalActionNoise

    env = gym.make(ENV_ID)
    action_dim = int(np.prod(env.action_space.shape))
    model = SB3DDPG(
        "MlpPolicy",
        env,
        learning_rate=1e-3,
        buffer_size=200_000,
        learning_starts=config.learning_starts,
        gamma=0.98,
        train_freq=(1, "episode"),
        gradient_steps=-1,
        action_noise=NormalActionNoise(np.zeros(action_dim), 0.1 * np.ones(action_dim)),
        policy_kwargs={"net_arch": _int_list(config.net_arch)},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=config.steps, progress_bar=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    returns = evaluate_pendulum(
        lambda obs: model.predict(obs, deterministic=True)[0], config.eval_episodes, seed
    )
    env.close()
    return _summary(returns, wall, cpu, config.steps, int(model._n_updates))


def _mean_of(runs: list[dict[str, Any]], key: str) -> float:
    return float(np.mean([r[key] for r in runs]))


def run(config: PendulumBenchConfig) -> dict[str, Any]:
    """Run both sides for every seed, print a table, write JSON; returns the result dictionary."""
    torch.set_num_threads(config.threads)
    seeds = _int_list(config.seeds)
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        for name, runner in (("ours", run_ours), ("sb3", run_sb3)):
            result = runner(config, seed)
            rows.append({"algo": name, "seed": seed, **result})
            print(f"  {name:<4} seed {seed}: {result['mean_return']:.1f} in {result['train_seconds']:.0f} s")
    summary = {}
    for name in ("ours", "sb3"):
        mine = [r for r in rows if r["algo"] == name]
        all_returns = [x for r in mine for x in r["episode_returns"]]
        summary[name] = {
            "mean_return": round(float(np.mean(all_returns)), 2),
            "std_return": round(float(np.std(all_returns)), 2),
            "mean_of_seed_means": round(_mean_of(mine, "mean_return"), 2),
            "steps_per_second": round(_mean_of(mine, "steps_per_second"), 1),
            "train_seconds": round(_mean_of(mine, "train_seconds"), 2),
            "train_cpu_seconds": round(_mean_of(mine, "train_cpu_seconds"), 2),
        }
    ours, sb3 = summary["ours"], summary["sb3"]
    goals = {
        "return_within_10_of_sb3_or_better": ours["mean_return"] >= sb3["mean_return"] - 10,
        "steps_per_second_at_least_sb3": ours["steps_per_second"] >= sb3["steps_per_second"],
    }
    result = {
        "env": ENV_ID,
        "seeds": seeds,
        "runs": rows,
        "summary": summary,
        "goals": goals,
        "config": asdict(config),
        "torch_threads": torch.get_num_threads(),
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
    }
    print(f"{ENV_ID}, {config.steps} steps, seeds {seeds}, {torch.get_num_threads()} torch thread(s)")
    header = (
        f"{'algo':<5} {'seed':>4}  {'return (mean ± std)':>20}  {'steps/s':>8}  {'wall s':>7}  {'cpu s':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        returns = f"{row['mean_return']:.1f} ± {row['std_return']:.1f}"
        print(
            f"{row['algo']:<5} {row['seed']:>4}  {returns:>20}  {row['steps_per_second']:>8.1f}  "
            f"{row['train_seconds']:>7.1f}  {row['train_cpu_seconds']:>7.1f}"
        )
    for name, line in summary.items():
        returns = f"{line['mean_return']:.1f} ± {line['std_return']:.1f}"
        print(
            f"{name:<5} {'all':>4}  {returns:>20}  {line['steps_per_second']:>8.1f}  "
            f"{line['train_seconds']:>7.1f}  {line['train_cpu_seconds']:>7.1f}"
        )
    print(f"goals: {goals}")
    out = write_json(config.output, result)
    print(f"wrote {out}")
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    return run_config_command(PendulumBenchConfig, run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
