r"""Line-by-line reading of text files, with the file name and line number kept for error messages.

What is read, and what is refused (a :class:`~rcsim_env.errors.DataFormatError` naming the file
and the 1-based line), so that no file is ever read silently wrong:

* Encodings: UTF-8, with or without a byte-order mark; UTF-16 and UTF-32 (little or big endian)
  when the file starts with their byte-order mark. Bytes that are not valid in the encoding
  (Latin-1 or Windows-1252 text, binary data) are refused.
* Line ends: ``\n``, ``\r\n`` and a lone ``\r`` (old Mac files) all end a line, and a file may
  mix ``\n`` and ``\r\n``. A file that mixes lone ``\r`` with ``\n`` or ``\r\n`` is refused at
  the first line that breaks the pattern: there a ``\r`` may be part of a sentence.
  Only ``\r`` and ``\n`` end lines: U+2028, U+2029, U+0085 and the other characters
  ``str.splitlines`` splits on stay inside the line.
* Characters: a NUL character (binary data, or UTF-16 without a byte-order mark) and a
  byte-order mark anywhere but at the very start (files joined together) are refused.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from rcsim_env.errors import DataFormatError, DataNotFoundError

# Longest byte-order mark first: UTF-32-LE's starts with UTF-16-LE's.
_BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE_END = re.compile(r"\r\n|\r|\n")
_END_NAMES = {"\n": "\\n", "\r\n": "\\r\\n", "\r": "a lone \\r (old Mac)"}

PhysicalLine = tuple[int, str, str]


def text_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    r"""Yield ``(line_number, line)`` for every line of the text file at ``path``.

    Line numbers start at 1. A leading byte-order mark and the line ends are removed; nothing
    else (spaces, tabs, quotes) is touched. A last line without a line end is yielded like the
    others, and a final line end does not add an empty line. What is read and what is refused
    is described in this module's docstring.

    Raises:
        DataNotFoundError: ``path`` does not exist or is not a file.
        DataFormatError: a line cannot be read faithfully (the message names file and line).
    """
    path = Path(path)
    line_ends = LineEnds(path)
    for number, line, end in physical_lines(path):
        line_ends.check(number, end)
        yield number, line


class LineEnds:
    r"""Checks that the line ends of one file do not mix lone ``\r`` with ``\n`` or ``\r\n``.

    ``check(number, end)`` is called with each line's end (``""`` for a last line without one);
    ``\n`` and ``\r\n`` may mix, but once one family is seen the other raises DataFormatError.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.first: tuple[int, str] | None = None

    def check(self, number: int, end: str) -> None:
        """Raise DataFormatError when line ``number``'s ``end`` is of the other family than the first."""
        if not end:
            return
        if self.first is None:
            self.first = (number, end)
            return
        first_number, first_end = self.first
        if (end == "\r") != (first_end == "\r"):
            raise DataFormatError(
                self.path,
                number,
                f"mixed line ends: this line ends with {_END_NAMES[end]} but line {first_number} ends "
                f"with {_END_NAMES[first_end]}, so a \\r may be part of a sentence; give the file one "
                "kind of line end (lines are counted at every \\n, \\r\\n and lone \\r)",
            )


def physical_lines(path: str | os.PathLike[str]) -> Iterator[PhysicalLine]:
    r"""Yield ``(line_number, line, end)`` for every line of ``path``; ``end`` is ``"\n"``, ``"\r\n"``,
    ``"\r"`` or ``""`` (a last line without a line end).

    Decodes, numbers and checks lines as :func:`text_lines` does, but lets any line end mix:
    for readers (CSV) in which a quoted field may hold a line end of its own.
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such file")
    with path.open("rb") as stream:
        encoding, bom = _encoding(stream.read(4))
        stream.seek(len(bom))
        utf8 = encoding == "utf-8"
        if utf8:  # streamed: a UTF-8 line end is always the byte 0x0A or 0x0D
            pieces = _split_ends(stream, b"\r", b"\n")
        else:  # the code units of UTF-16 and UTF-32 contain those bytes: decode first, then split
            text = _decode_whole(stream.read(), encoding, path)
            pieces = _split_ends(io.StringIO(text, newline="\n"), "\r", "\n")
        for number, (raw, end) in enumerate(pieces, start=1):
            line = _decode_utf8(raw, path, number) if utf8 else raw
            if "\x00" in line or "\ufeff" in line:
                _refuse_character(line, path, number)
            yield number, line, end


def _encoding(head: bytes) -> tuple[str, bytes]:
    """The encoding announced by the byte-order mark at the start of ``head`` (UTF-8 without one)."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return encoding, mark
    return "utf-8", b""


def _split_ends(chunks: Iterable, cr, lf) -> Iterator[tuple]:
    r"""Split ``chunks`` (lines that end at ``lf``, str or bytes alike) into ``(line, end)`` at every
    ``\r\n``, ``\r`` and ``\n``; ``end`` is a str, empty for a last line without an end."""
    crlf = cr + lf
    for chunk in chunks:
        if chunk.endswith(crlf):
            body, end = chunk[:-2], "\r\n"
        elif chunk.endswith(lf):
            body, end = chunk[:-1], "\n"
        else:
            body, end = chunk, ""
        if cr in body:
            *parts, body = body.split(cr)
            for part in parts:
                yield part, "\r"
        if body or end:
            yield body, end


def _decode_utf8(raw: bytes, path: Path, number: int) -> str:
    """Decode one line as UTF-8, or raise DataFormatError naming the file, line and byte offset."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            path,
            number,
            f"not valid UTF-8 ({exc.reason} at byte {exc.start} of the line); save the file as UTF-8 "
            "(it may be Latin-1 or Windows-1252 text, or not text at all)",
        ) from None


def _decode_whole(data: bytes, encoding: str, path: Path) -> str:
    """Decode a whole UTF-16 or UTF-32 file, or raise DataFormatError naming the line of the bad bytes."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode(encoding, errors="replace")
        number = len(_LINE_END.findall(before)) + 1
        name = encoding.upper().replace("-LE", " little-endian").replace("-BE", " big-endian")
        raise DataFormatError(
            path, number, f"not valid {name}, as its byte-order mark says ({exc.reason})"
        ) from None


def _refuse_character(line: str, path: Path, number: int) -> None:
    """Raise DataFormatError for the NUL character or byte-order mark that ``line`` holds."""
    if "\x00" in line:
        raise DataFormatError(
            path,
            number,
            f"holds a NUL character (at character {line.index(chr(0))}): binary data, or UTF-16 "
            "text without a byte-order mark; save the file as UTF-8",
        )
    if "\ufeff" in line:
        raise DataFormatError(
            path,
            number,
            f"holds a byte-order mark (U+FEFF) at character {line.index(chr(0xFEFF))}, not at the start "
            "of the file: were files joined together? remove it",
        )
