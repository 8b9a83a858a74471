"""Tests of rcsim_env.data.text_lines: BOM, line ends, UTF-8 errors, missing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcsim_env.data.text_lines import text_lines
from rcsim_env.errors import DataFormatError, DataNotFoundError


def write_bytes(tmp_path: Path, data: bytes, name: str = "sample.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_strips_bom_and_crlf_and_numbers_lines_from_one(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b'\xef\xbb\xbfQuality\tText\r\n1\tsay "hi" \r\n0\tlast')
    assert list(text_lines(path)) == [(1, "Quality\tText"), (2, '1\tsay "hi" '), (3, "0\tlast")]


def test_final_newline_adds_no_line_but_blank_lines_are_kept(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"a\n\n  \nb\n")
    assert list(text_lines(path)) == [(1, "a"), (2, ""), (3, "  "), (4, "b")]


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    assert list(text_lines(write_bytes(tmp_path, b""))) == []


def test_only_a_leading_bom_is_removed_one_later_is_refused(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "\ufeffone\n\ufefftwo\n".encode())
    lines = text_lines(path)
    assert next(lines) == (1, "one")
    with pytest.raises(DataFormatError, match=r":2: holds a byte-order mark"):
        next(lines)


def test_non_ascii_utf8_is_decoded(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "Zürich café\tnaïve\n".encode())
    assert list(text_lines(path)) == [(1, "Zürich café\tnaïve")]


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b"fine\nstill fine\nbad \xff byte\nnever read\n", name="broken.txt")
    lines = text_lines(path)
    assert next(lines) == (1, "fine")
    assert next(lines) == (2, "still fine")
    with pytest.raises(DataFormatError) as info:
        next(lines)
    assert info.value.line == 3
    assert info.value.path == path
    assert f"{path}:3" in str(info.value)
    assert "UTF-8" in str(info.value)


def test_latin1_file_is_rejected_on_its_first_bad_line(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "ok\ncaf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match=r":2: not valid UTF-8"):
        list(text_lines(path))


def test_missing_file_raises_data_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(DataNotFoundError, match=r"nope.txt"):
        list(text_lines(missing))
    with pytest.raises(FileNotFoundError):  # DataNotFoundError is also a FileNotFoundError
        list(text_lines(missing))
