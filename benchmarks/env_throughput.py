"""Environment steps per second in embedding mode against the raw encoder on the same pairs.

The raw figure is one batched ``SentenceEncoder.encode`` call over every sentence of the
pairs (the fastest way to embed them). The environment figure is a cold environment
(empty cache) stepping through the same pairs with a constant action, resets included.
Both are pairs per second; ratio = environment / raw (goal: >= 0.90). Each side runs
``--repeats`` times in alternation and the best time counts.

    python benchmarks/env_throughput.py --help
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from rcsim_env.config import run_config_command
from rcsim_env.jsonio import write_json


@dataclass
class ThroughputConfig:
    """Settings of the throughput benchmark."""

    encoder: str | None = field(
        default=None, metadata={"help": "encoder folder or hub id; none = bundled MiniLM"}
    )
    pairs: int = field(default=1000, metadata={"help": "how many STS-B train pairs to use"})
    data_dir: str | None = field(default=None, metadata={"help": "data directory holding sts/STSBenchmark"})
    batch_size: int = field(default=64, metadata={"help": "encoder batch size, both sides"})
    episode_length: int = field(default=10, metadata={"help": "pairs per episode in the environment run"})
    repeats: int = field(default=2, metadata={"help": "alternating runs of each side; the best time counts"})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda"})
    output: str = field(default="results/env_throughput.json", metadata={"help": "where to write the JSON"})


def time_raw_encoding(encoder, pairs, batch_size: int) -> float:
    """Seconds to embed every sentence of ``pairs`` in one batched, normalized ``encode`` call."""
    sentences = [p.sentence_a for p in pairs] + [p.sentence_b for p in pairs]
    start = time.perf_counter()
    encoder.encode(sentences, batch_size=batch_size, normalize=True)
    return time.perf_counter() - start


def time_environment(encoder, pairs, batch_size: int, episode_length: int) -> float:
    """Seconds for a cold embedding-mode environment to serve ``len(pairs)`` steps (resets included)."""
    from rcsim_env.envs import SentenceSimilarityEnv
    from rcsim_env.envs.observations import EmbeddingObserver

    env = SentenceSimilarityEnv(
        pairs=pairs, observation="embedding", encoder=encoder, episode_length=episode_length, noise="exact"
    )
    assert isinstance(env.observer, EmbeddingObserver)
    env.observer.batch_size = batch_size
    action = np.zeros(1, dtype=np.float32)
    start = time.perf_counter()
    env.reset(seed=0)
    for _ in range(len(pairs)):
        _, _, _, truncated, _ = env.step(action)
        if truncated:
            env.reset()
    return time.perf_counter() - start


def run(config: ThroughputConfig) -> dict:
    """Run both measurements, print a summary, write JSON; returns the result dictionary."""
    from rcsim_env.data.loaders import load_stsb
    from rcsim_env.encoders import SentenceEncoder

    encoder = SentenceEncoder.from_pretrained(config.encoder, device=config.device)
    pairs = load_stsb("train", data_dir=config.data_dir)[: config.pairs]
    encoder.encode([p.sentence_a for p in pairs[:32]], batch_size=config.batch_size)  # warm-up
    raw_times, env_times = [], []
    for _ in range(config.repeats):
        raw_times.append(time_raw_encoding(encoder, pairs, config.batch_size))
        env_times.append(time_environment(encoder, pairs, config.batch_size, config.episode_length))
    raw_pairs_per_s = len(pairs) / min(raw_times)
    env_steps_per_s = len(pairs) / min(env_times)
    result = {
        "pairs": len(pairs),
        "raw_encoder_sentences_per_s": round(2 * raw_pairs_per_s, 1),
        "raw_encoder_pairs_per_s": round(raw_pairs_per_s, 1),
        "env_steps_per_s": round(env_steps_per_s, 1),
        "ratio_env_to_raw": round(env_steps_per_s / raw_pairs_per_s, 4),
        "goal_ratio": 0.90,
        "raw_seconds": [round(t, 3) for t in raw_times],
        "env_seconds": [round(t, 3) for t in env_times],
        "config": asdict(config),
        "device": str(encoder.device),
        "torch_threads": torch.get_num_threads(),
        "machine": platform.platform(),
        "python": sys.version.split()[0],
    }
    print(f"{len(pairs)} pairs on {encoder.device} ({torch.get_num_threads()} threads)")
    print(
        f"raw encoder : {result['raw_encoder_sentences_per_s']:8.1f} sentences/s = "
        f"{result['raw_encoder_pairs_per_s']:.1f} pairs/s"
    )
    print(f"environment : {result['env_steps_per_s']:8.1f} steps/s (one pair per step)")
    print(f"ratio       : {result['ratio_env_to_raw']:.3f} (goal >= 0.90)")
    out = write_json(config.output, result)
    print(f"wrote {out}")
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    return run_config_command(ThroughputConfig, run, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
