import json
import subprocess
import sys
from pathlib import Path

from agents import demo
from agents.demo import DemoConfig, load_demo_pairs, run_demo
from rcsim_env.config import dataclass_from_dict

ROOT = Path(__file__).resolve().parents[2]


def _demo(**settings) -> DemoConfig:
    return dataclass_from_dict(DemoConfig, settings)


def test_demo_falls_back_to_builtin_pairs_and_says_so(no_data_anywhere, tmp_path, tiny_model_dir, capsys):
    eval_pairs, pool, source = load_demo_pairs(None)
    assert eval_pairs == pool and len(pool) >= 30
    assert source.startswith("built-in pairs") and "STS-B was not found" in source

    summary = run_demo(_demo(encoder=str(tiny_model_dir), episodes=2, episode_length=5, output=str(tmp_path)))
    printed = capsys.readouterr().out
    assert "built-in pairs" in printed and "random" in printed and "encoder-cosine" in printed
    assert "calibration skipped: it needs STS-B" in printed
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["agents"]["random"]["queries"] == 10 == summary["agents"]["encoder-cosine"]["queries"]
    assert -1.0 <= saved["agents"]["random"]["mean_reward"] <= 0.0


def test_demo_uses_sts_b_when_present(shared_data_dir):
    eval_pairs, pool, source = demo.load_demo_pairs(str(shared_data_dir))
    assert (len(eval_pairs), len(pool), source) == (1379, 5749, "STS-B test / train")


def test_rcsim_demo_help_lists_the_demo_and_calibration_options():
    result = subprocess.run(
        [sys.executable, "train_rl.py", "demo", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: rcsim demo")
    for option in ("--episodes", "--noise", "--queries", "--no-calibrate", "--output"):
        assert option in result.stdout


def test_demo_ends_with_a_short_calibration_and_can_run_twice_in_one_folder(
    tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    config = _demo(
        encoder=str(tiny_model_dir),
        data_dir=str(shared_data_dir),
        episodes=1,
        episode_length=4,
        queries=72,
        output=str(tmp_path),
        show_progress=False,
    )
    for _ in range(2):  # make demo twice: the second run replaces the first
        summary = run_demo(config)
    printed = capsys.readouterr().out
    assert "calibrating with RC-DDPG: 72 oracle queries" in printed
    assert "test Spearman: before" in printed and "after" in printed
    calibration = summary["calibration"]
    assert calibration["status"] == "done" and calibration["queries"] == 72
    assert calibration["updates"] == 3  # learning starts after 64 queries, then every 4
    assert set(calibration["before"]) == {"dev_spearman", "test_spearman"}
    assert set(calibration["after"]) >= {"dev_spearman", "final_dev_spearman", "test_spearman"}
    assert (tmp_path / "encoder" / "config.json").is_file() and (tmp_path / "summary.json").is_file()
