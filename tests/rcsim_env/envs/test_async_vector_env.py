"""Async vector environments work after the parent has run the encoder on several torch threads.

Each case runs in a fresh interpreter under a timeout, so that a deadlocked worker fails the
test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
TIMEOUT_S = 240

SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    import gymnasium as gym
    import numpy as np
    import torch

    import rcsim_env
    from rcsim_env.data.pairs import ScoredPair
    from rcsim_env.encoders import SentenceEncoder

    WORDS = "a man woman dog cat plays guitar runs in park eats food sleeps house car red blue".split()


    class TorchThreads(gym.Wrapper):
        def torch_threads(self):
            return torch.get_num_threads()


    def main(model_dir, context, threads):
        torch.set_num_threads(threads)
        encoder = SentenceEncoder.from_pretrained(model_dir, device="cpu")
        rng = np.random.default_rng(0)
        sentences = [" ".join(rng.choice(WORDS, 6)) for _ in range(256)]
        encoder.encode(sentences, batch_size=128, normalize=True)  # OpenMP's threads are up now
        pairs = [ScoredPair(sentences[i], sentences[i + 1], float(i % 6), str(i)) for i in range(0, 40, 2)]
        envs = gym.make_vec(
            rcsim_env.SENTENCE_SIMILARITY_ID,
            num_envs=2,
            vectorization_mode="async",
            vector_kwargs={"context": context},
            wrappers=[TorchThreads],
            pairs=pairs,
            observation="embedding",
            encoder=encoder,
            episode_length=5,
        )
        observations, _ = envs.reset(seed=0)
        rewards = []
        for _ in range(12):
            observations, reward, _, _, _ = envs.step(envs.action_space.sample())
            rewards.extend(reward.tolist())
        worker_threads = list(envs.call("torch_threads"))
        envs.close()
        print(json.dumps({
            "parent_threads": torch.get_num_threads(),
            "worker_threads": worker_threads,
            "observation_shape": list(observations.shape),
            "finite": bool(np.isfinite(observations).all() and np.isfinite(rewards).all()),
            "steps": len(rewards),
        }))


    if __name__ == "__main__":
        main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    """
)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_async_workers_reset_and_step_after_a_multithreaded_parent(tmp_path, tiny_model_dir, context):
    script = tmp_path / "async_envs.py"
    script.write_text(SCRIPT, encoding="utf-8")
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "HF_HUB_OFFLINE": "1",
    }
    process = subprocess.Popen(
        [sys.executable, str(script), str(tiny_model_dir), context, "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tmp_path,
        start_new_session=True,  # its own process group: a timeout ends the workers too
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        pytest.fail(f"the {context} async vector env hung for {TIMEOUT_S} s:\n{stderr[-3000:]}")
    assert process.returncode == 0, stderr[-3000:]
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["parent_threads"] == 2  # the parent keeps its threads
    assert report["observation_shape"] == [2, 64] and report["finite"] and report["steps"] == 24
    if context == "fork":
        assert report["worker_threads"] == [1, 1]
    else:
        assert all(threads >= 1 for threads in report["worker_threads"])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_one_torch_thread_and_the_parent_keeps_its_own():
    import torch

    import rcsim_env.envs  # noqa: F401  (registers the hook)

    threads = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report and leave at once
            os.write(write, str(torch.get_num_threads()).encode())
            os._exit(0)
        os.close(write)
        child_threads = int(os.read(read, 16).decode())
        os.close(read)
        os.waitpid(pid, 0)
        assert child_threads == 1 and torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(threads)
