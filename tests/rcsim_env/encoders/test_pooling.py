"""Pooling functions: hand-computed cases, and agreement with sentence-transformers' Pooling module."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rcsim_env.encoders.pooling import POOLING_MODES
from rcsim_env.errors import UnknownNameError

from .conftest import st_modules

HIDDEN = torch.tensor([[[1.0, 2.0], [3.0, -4.0], [5.0, 0.0], [100.0, 100.0]]])  # one row, 4 tokens, dim 2
MASK = torch.tensor([[1, 1, 1, 0]])  # the last token is padding


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("mean", [3.0, -2 / 3]),
        ("cls", [1.0, 2.0]),
        ("max", [5.0, 2.0]),
        ("mean_sqrt_len_tokens", [9.0 / 3**0.5, -2.0 / 3**0.5]),
        ("weightedmean", [(1 * 1 + 2 * 3 + 3 * 5) / 6, (1 * 2 + 2 * -4 + 3 * 0) / 6]),
        ("lasttoken", [5.0, 0.0]),
    ],
)
def test_each_mode_hand_computed(mode, expected):
    assert POOLING_MODES[mode](HIDDEN, MASK).tolist() == [pytest.approx(expected)]


def test_mean_of_an_all_zero_mask_is_zero_not_nan():
    assert POOLING_MODES["mean"](HIDDEN, torch.zeros(1, 4, dtype=torch.long)).tolist() == [[0.0, 0.0]]


def test_an_unknown_mode_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="unknown pooling mode 'mean_tokens'; known: mean, cls, max"):
        POOLING_MODES["mean_tokens"]


@st.composite
def padded_batches(draw):
    """Random token states with right-padded masks (every row keeps at least one real token)."""
    batch, length, dim = draw(st.integers(1, 4)), draw(st.integers(1, 7)), draw(st.integers(1, 5))
    lengths = draw(st.lists(st.integers(1, length), min_size=batch, max_size=batch))
    seed = draw(st.integers(0, 2**31 - 1))
    hidden = torch.randn(batch, length, dim, generator=torch.Generator().manual_seed(seed))
    mask = torch.tensor([[1] * n + [0] * (length - n) for n in lengths])
    return hidden, mask


@pytest.mark.parametrize("mode", list(POOLING_MODES))
@settings(max_examples=40, deadline=None)
@given(batch=padded_batches())
def test_every_mode_agrees_with_sentence_transformers(mode, batch):
    _, Pooling, _, _ = st_modules()
    hidden, mask = batch
    reference = Pooling(hidden.shape[-1], pooling_mode=mode)(
        {"token_embeddings": hidden.clone(), "attention_mask": mask}
    )["sentence_embedding"]
    torch.testing.assert_close(POOLING_MODES[mode](hidden, mask), reference, atol=1e-6, rtol=1e-6)
