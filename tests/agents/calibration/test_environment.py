import pytest

from agents.calibration.config import CalibrationConfig
from agents.calibration.environment import build_environment, build_oracle, load_evaluation_pairs, load_pool
from rcsim_env.errors import DataFormatError, DataNotFoundError
from rcsim_env.oracles.replay import ReplayOracle


def test_a_pairs_file_pool_and_a_replay_oracle(tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("sentence_a\tsentence_b\tscore\na dog\ta cat\t2.0\na man\ta woman\t1.5\n")
    config = CalibrationConfig(pool=str(pairs), oracle="replay", labels=str(pairs), queries=2)
    env, sources = build_environment(config)
    assert len(env.pairs) == 2 and isinstance(env.oracle, ReplayOracle)
    assert str(pairs) in sources["pool"] and "replay oracle over 2 stored labels" in sources["oracle"]
    assert env.label_budget == 2 and env.observation_mode == "text"


def test_bad_pool_and_oracle_settings_say_what_is_wrong(tmp_path):
    with pytest.raises(DataNotFoundError, match="neither one of"):
        load_pool(CalibrationConfig(pool=str(tmp_path / "missing.tsv")))
    broken = tmp_path / "broken.tsv"
    broken.write_text("sentence_a\tsentence_b\tscore\na dog\ta cat\tseven\n")
    with pytest.raises(DataFormatError, match="broken.tsv"):
        load_pool(CalibrationConfig(pool=str(broken)))
    with pytest.raises(ValueError, match="needs --teacher"):
        build_oracle(CalibrationConfig(oracle="teacher"), [])
    with pytest.raises(ValueError, match="noise must be one of"):
        build_oracle(CalibrationConfig(noise="loud"), [])


def test_evaluation_pairs_can_be_limited_or_switched_off(shared_data_dir):
    dev, test, note = load_evaluation_pairs(CalibrationConfig(data_dir=str(shared_data_dir), dev_pairs=10))
    assert len(dev) == 10 and len(test) == 1379 and "dev (10 pairs)" in note
    dev, test, _ = load_evaluation_pairs(
        CalibrationConfig(data_dir=str(shared_data_dir), dev_pairs=0, test=False)
    )
    assert dev is None and test is None


def test_missing_sts_b_turns_evaluation_off_with_a_note(no_data_anywhere):
    dev, test, note = load_evaluation_pairs(CalibrationConfig())
    assert dev is None and test is None and note.startswith("STS-B not found")
