"""Draw a block of text as an RGB image: the ``"rgb_array"`` render mode of the rcsim environments.

Frames have one fixed size whatever the text (video recorders need every frame alike):
lines are wrapped at ``columns`` characters and cut after ``rows`` lines (the last line shown
then ends in ``...``). Drawing uses matplotlib's Agg canvas directly (no pyplot, no display,
no global backend switch), imported only when a frame is drawn.
"""

from __future__ import annotations

import textwrap
import warnings

import numpy as np

FRAME_HEIGHT = 480
FRAME_WIDTH = 640
COLUMNS = 74
ROWS = 26
_DPI = 100
_FONT_SIZE = 10
_ELLIPSIS = "..."


def layout_lines(text: str, columns: int = COLUMNS, rows: int = ROWS) -> list[str]:
    """The lines a frame shows: ``text``'s lines wrapped at ``columns`` characters, at most ``rows``.

    A wrapped line's continuation keeps the line's indentation (up to half a line). When
    lines are left out, the last line shown ends in ``...``. Long inputs cost no more than a
    screenful: each source line is cut to ``columns * rows`` characters before wrapping.
    """
    if columns < len(_ELLIPSIS) + 1 or rows < 1:
        raise ValueError(f"a frame needs at least {len(_ELLIPSIS) + 1} columns and 1 row")
    budget = columns * rows
    lines: list[str] = []
    cut = False
    for source in text.splitlines() or [""]:
        indent = source[: min(len(source) - len(source.lstrip()), columns // 2)]
        wrapped = textwrap.wrap(source[: budget + 1], width=columns, subsequent_indent=indent) or [""]
        cut = cut or len(source) > budget
        lines.extend(line.rstrip() for line in wrapped)
        if len(lines) > rows:
            break
    if len(lines) > rows or cut:
        lines = lines[:rows]
        lines[-1] = lines[-1][: columns - len(_ELLIPSIS)] + _ELLIPSIS
    return lines


def text_frame(text: str, height: int = FRAME_HEIGHT, width: int = FRAME_WIDTH) -> np.ndarray:
    """``text`` drawn in black monospace on white: a uint8 array of shape ``(height, width, 3)``.

    The text is laid out by :func:`layout_lines` and drawn verbatim: ``$`` signs are not
    read as mathematics, and characters the bundled font lacks are drawn as boxes (without
    matplotlib's missing-glyph warning).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    figure.text(
        0.015,
        0.985,
        "\n".join(layout_lines(text)),
        family="DejaVu Sans Mono",
        fontsize=_FONT_SIZE,
        color="black",
        va="top",
        ha="left",
        linespacing=1.25,
        parse_math=False,
        usetex=False,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    if rgba.shape[:2] != (height, width):
        raise RuntimeError(f"matplotlib drew a {rgba.shape[1]}x{rgba.shape[0]} frame, not {width}x{height}")
    return np.ascontiguousarray(rgba[:, :, :3], dtype=np.uint8)
