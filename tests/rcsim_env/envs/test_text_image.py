import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rcsim_env.envs.text_image import COLUMNS, FRAME_HEIGHT, FRAME_WIDTH, ROWS, layout_lines, text_frame


def visible(text: str) -> str:
    return re.sub(r"\s", "", text)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=3000))
def test_any_text_fits_the_screen(text):
    lines = layout_lines(text)
    assert 1 <= len(lines) <= ROWS
    assert all(len(line) <= COLUMNS for line in lines)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300).filter(lambda text: len(text.splitlines()) <= 10))
def test_short_text_is_shown_whole(text):
    lines = layout_lines(text)
    assert visible("".join(lines)) == visible(text)


@pytest.mark.parametrize("text", ["x" * 100_000, "word " * 50_000, "line\n" * 1000, "a\n" * ROWS + "b"])
def test_long_text_is_cut_with_an_ellipsis(text):
    lines = layout_lines(text)
    assert len(lines) == ROWS or len(text.splitlines()) == 1
    assert lines[-1].endswith("...") and all(len(line) <= COLUMNS for line in lines)


def test_wrapped_lines_keep_their_indentation():
    lines = layout_lines("  A: " + "word " * 40)
    assert len(lines) > 1 and all(line.startswith("  ") for line in lines)


@settings(max_examples=15, deadline=None)
@given(st.text(max_size=500))
def test_every_text_draws_one_frame_size_without_warnings(text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = text_frame(text)
    assert frame.shape == (FRAME_HEIGHT, FRAME_WIDTH, 3) and frame.dtype == np.uint8
    assert frame.flags["C_CONTIGUOUS"]


def test_frames_show_the_text_verbatim():
    blank = text_frame("")
    assert np.all(blank == 255)
    dollars = text_frame("costs $5 and $\\frac{1}{2}$ 日本")  # not mathematics, no missing-glyph warning
    assert (dollars < 128).any()
    assert not np.array_equal(text_frame("a man"), text_frame("a dog"))
    more = text_frame("a man plays the guitar\n" * 10)
    assert (more < 128).sum() > (text_frame("a man plays the guitar") < 128).sum()


def test_a_screen_too_small_is_refused():
    with pytest.raises(ValueError, match="columns"):
        layout_lines("text", columns=2)
    with pytest.raises(ValueError, match="row"):
        layout_lines("text", rows=0)
