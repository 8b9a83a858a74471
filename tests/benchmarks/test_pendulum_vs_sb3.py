from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_benchmark_runs_both_sides_and_writes_the_table(load_benchmark, tmp_path, capsys):
    bench = load_benchmark("pendulum_vs_sb3")
    out = tmp_path / "bench.json"
    argv = ["--steps", "400", "--learning-starts", "200", "--net-arch", "16,16", "--eval-episodes", "2"]
    assert bench.main([*argv, "--seeds", "0", "--output", str(out)]) == 0
    result = json.loads(out.read_text())
    assert [(r["algo"], r["seed"]) for r in result["runs"]] == [("ours", 0), ("sb3", 0)]
    ours, sb3 = result["runs"]
    # same number of gradient updates on both sides (one training round after the 2nd episode)
    assert ours["updates"] == sb3["updates"] == 200
    for run in (ours, sb3):
        assert len(run["episode_returns"]) == 2 and run["steps_per_second"] > 0
    assert set(result["summary"]) == {"ours", "sb3"}
    assert set(result["goals"]) == {"return_within_10_of_sb3_or_better", "steps_per_second_at_least_sb3"}
    printed = capsys.readouterr().out
    assert "steps/s" in printed and "±" in printed and "wrote" in printed
