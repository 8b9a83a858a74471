import json
import subprocess
import sys
from pathlib import Path

from rcsim_env import demo
from rcsim_env.demo import DemoConfig, load_demo_pairs, run_demo

ROOT = Path(__file__).resolve().parents[2]


def test_demo_falls_back_to_builtin_pairs_and_says_so(no_data_anywhere, tmp_path, tiny_model_dir, capsys):
    eval_pairs, pool, source = load_demo_pairs(None)
    assert eval_pairs == pool and len(pool) >= 30
    assert source.startswith("built-in pairs") and "STS-B was not found" in source

    summary = run_demo(
        DemoConfig(encoder=str(tiny_model_dir), episodes=2, episode_length=5, output=str(tmp_path))
    )
    printed = capsys.readouterr().out
    assert "built-in pairs" in printed and "random" in printed and "encoder-cosine" in printed
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["agents"]["random"]["queries"] == 10 == summary["agents"]["encoder-cosine"]["queries"]
    assert -1.0 <= saved["agents"]["random"]["mean_reward"] <= 0.0


def test_demo_uses_sts_b_when_present(shared_data_dir):
    eval_pairs, pool, source = demo.load_demo_pairs(str(shared_data_dir))
    assert (len(eval_pairs), len(pool), source) == (1379, 5749, "STS-B test / train")


def test_train_rl_help_lists_the_demo_options():
    result = subprocess.run(
        [sys.executable, "train_rl.py", "demo", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--episodes" in result.stdout and "--noise" in result.stdout


def test_demo_ends_with_a_short_calibration_and_prints_before_and_after(
    tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    summary = run_demo(
        DemoConfig(
            encoder=str(tiny_model_dir),
            data_dir=str(shared_data_dir),
            episodes=1,
            episode_length=4,
            calibration_queries=72,
            output=str(tmp_path),
        )
    )
    printed = capsys.readouterr().out
    assert "calibrating with RC-DDPG: 72 oracle queries" in printed
    assert "STS-B test Spearman: before" in printed and "after" in printed
    calibration = summary["calibration"]
    assert calibration["status"] == "done" and calibration["queries"] == 72
    assert calibration["updates"] == 3  # learning starts after 64 queries, then every 4
    assert set(calibration["before"]) == {"dev_spearman", "test_spearman"}
    assert set(calibration["after"]) == {"dev_spearman", "final_dev_spearman", "test_spearman"}
    assert (tmp_path / "calibration" / "encoder" / "config.json").is_file()
