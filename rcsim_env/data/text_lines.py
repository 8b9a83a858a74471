"""Line-by-line reading of UTF-8 text files, with the file name and line number kept for error messages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from rcsim_env.errors import DataFormatError, DataNotFoundError

_BOM = b"\xef\xbb\xbf"


def text_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    r"""Yield ``(line_number, line)`` for every line of the UTF-8 text file at ``path``.

    Line numbers start at 1. A leading UTF-8 byte-order mark and the ``\\n`` or ``\\r\\n``
    line ends are removed; nothing else (spaces, tabs, quotes) is touched. A last line
    without a line end is yielded like the others, and a final line end does not add an
    empty line.

    Raises:
        DataNotFoundError: ``path`` does not exist or is not a file.
        DataFormatError: a line is not valid UTF-8 (the message names file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such file")
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            yield number, _decode(raw.rstrip(b"\r\n"), path, number)


def _decode(raw: bytes, path: Path, number: int) -> str:
    """Decode one line as UTF-8, or raise DataFormatError naming the file, line and byte offset."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            path, number, f"not valid UTF-8 ({exc.reason} at byte {exc.start} of the line)"
        ) from exc
