import numpy as np
import pytest

from rcsim_env.envs.common import build_pair_pool, check_render_mode, render_text


def test_repeated_ids_get_their_positions_and_unique_ids_stay():
    pool = build_pair_pool([{"sentence_a": "a", "sentence_b": "b", "score": 1.0, "pair_id": "x"}] * 2)
    assert [pair.pair_id for pair in pool] == ["x#0", "x#1"]
    unique = build_pair_pool([("one", "two", 2.0), ("three", "four", 3.0)])
    assert len({pair.pair_id for pair in unique}) == 2 and all("#" not in p.pair_id for p in unique)


def test_an_empty_pool_and_a_bad_pair_are_refused():
    with pytest.raises(ValueError, match="pool is empty"):
        build_pair_pool([])
    with pytest.raises(ValueError):
        build_pair_pool([("", "b", 1.0)])


def test_render_modes_are_checked_and_human_mode_prints(capsys):
    check_render_mode(None, ["ansi"])
    with pytest.raises(ValueError, match="render_mode must be one of"):
        check_render_mode("rgb_array", ["ansi", "human"])
    assert render_text("ansi", lambda: "text") == "text"
    assert render_text("human", lambda: "shown") is None
    assert capsys.readouterr().out == "shown\n"
    frame = render_text("rgb_array", lambda: "drawn")
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8


def test_no_render_mode_warns_and_builds_nothing():
    def build():
        raise AssertionError("the text must not be built")

    with pytest.warns(UserWarning, match="render_mode=None"):
        assert render_text(None, build) is None
