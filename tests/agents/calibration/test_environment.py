import pytest

from agents.calibration.environment import build_environment, load_sources
from agents.runs.evaluation import hold_out
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.errors import DataFormatError, DataNotFoundError
from rcsim_env.oracles.replay import ReplayOracle

from .conftest import flat_config

LABELS = "sentence_a\tsentence_b\tscore\na dog\ta cat\t2.0\na man\ta woman\t1.5\n"


def test_a_replay_oracle_without_a_pool_shows_the_pairs_it_has_labels_for(tmp_path):
    labels = tmp_path / "labels.tsv"
    labels.write_text(LABELS)
    config = flat_config(oracle="replay", labels=str(labels), queries=2, dev=None, test=None)
    sources = load_sources(config)
    env = build_environment(config, sources)
    assert len(env.pairs) == 2 and isinstance(env.oracle, ReplayOracle)
    assert "2 pairs the stored labels cover" in sources.notes["pool"]
    assert "replay oracle over 2 stored labels" in sources.notes["oracle"]
    assert env.label_budget == 2 and env.observation_mode == "text"
    assert sources.dev is None and sources.test is None


def test_a_replay_oracle_over_a_pool_it_has_no_labels_for_is_refused(tmp_path, shared_data_dir):
    labels = tmp_path / "labels.tsv"
    labels.write_text(LABELS)
    config = flat_config(oracle="replay", labels=str(labels), data_dir=str(shared_data_dir), pool="stsb-dev")
    with pytest.raises(ValueError, match="none of the 1500 pool pairs has a stored label"):
        load_sources(config)
    pool = tmp_path / "pool.tsv"
    pool.write_text(LABELS + "two birds\tone stone\t0.5\n")
    with pytest.warns(UserWarning, match="only 2 of the 3 pool pairs have stored labels"):
        load_sources(flat_config(oracle="replay", labels=str(labels), pool=str(pool), dev=None, test=None))


def test_bad_pools_say_what_is_wrong(tmp_path):
    with pytest.raises(DataNotFoundError, match="missing.tsv"):
        load_sources(flat_config(pool=str(tmp_path / "missing.tsv"), dev=None, test=None))
    broken = tmp_path / "broken.tsv"
    broken.write_text("sentence_a\tsentence_b\tscore\na dog\ta cat\tseven\n")
    with pytest.raises(DataFormatError, match="broken.tsv"):
        load_sources(flat_config(pool=str(broken), dev=None, test=None))


def test_dev_and_test_can_be_files_limited_or_switched_off(shared_data_dir, tmp_path):
    dev_file = tmp_path / "dev.tsv"
    dev_file.write_text(LABELS + "two birds\tone stone\t0.5\n")
    data = str(shared_data_dir)
    sources = load_sources(flat_config(data_dir=data, dev_pairs=10))
    assert len(sources.dev) == 10 and len(sources.test) == 1379
    sources = load_sources(flat_config(data_dir=data, dev=str(dev_file), test="sick-trial"))
    assert len(sources.dev) == 3 and len(sources.test) == 500
    sources = load_sources(flat_config(data_dir=data, dev_pairs=0, test=None))
    assert sources.dev is None and sources.test is None
    with pytest.raises(DataNotFoundError):
        load_sources(flat_config(data_dir=data, dev=str(tmp_path / "nope.tsv")))


def test_missing_sts_b_turns_evaluation_off_with_a_note(no_data_anywhere, tmp_path):
    pool = tmp_path / "pool.tsv"
    pool.write_text(LABELS)
    sources = load_sources(flat_config(pool=str(pool)))
    assert sources.dev is None and sources.test is None
    assert "stsb-dev not found" in sources.notes["evaluation"]


def test_dev_split_holds_out_scored_pairs_of_the_pool(tmp_path):
    lines = "".join(f"sentence {i}\tanother {i}\t{i % 6}\n" for i in range(40))
    pool = tmp_path / "pool.tsv"
    pool.write_text("sentence_a\tsentence_b\tscore\n" + lines)
    sources = load_sources(flat_config(pool=str(pool), dev_split=0.25, test=None, seed=3))
    assert len(sources.dev) == 10 and len(sources.pool) == 30
    assert not {p.pair_id for p in sources.dev} & {p.pair_id for p in sources.pool}
    again = load_sources(flat_config(pool=str(pool), dev_split=0.25, test=None, seed=3))
    assert [p.pair_id for p in again.dev] == [p.pair_id for p in sources.dev]


@pytest.mark.parametrize(("size", "share"), [(4, 0.5), (10, 0.2), (100, 0.01)])
def test_a_dev_split_too_small_to_correlate_is_refused(size, share):
    pairs = [ScoredPair(f"a {i}", f"b {i}", 1.0, str(i)) for i in range(size)]
    with pytest.raises(ValueError, match="dev needs at least 3"):
        hold_out(pairs, share, seed=0)
