"""JSON-lines files: one JSON object per line, each checked so that a bad line is named, never a traceback.

Lines are read with :func:`~rcsim_env.data.text_lines.text_lines` (encodings, line ends and
characters as it describes; a raw U+2028 or U+2029 inside a JSON string stays in the string).
Each non-blank line must be one JSON object. Besides invalid JSON, a line is refused with a
:class:`~rcsim_env.errors.DataFormatError` naming the file and the line when it holds a key twice
in one object, an unpaired surrogate (``"\\ud800"``: not text, and no UTF-8 file or database can
hold it), values nested more than :data:`MAX_DEPTH` levels deep, or an integer
too long for Python to read.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from rcsim_env.data.text_lines import text_lines
from rcsim_env.errors import DataFormatError

MAX_DEPTH = 32
"""How deeply a JSON line may nest arrays and objects (a record is one flat object)."""


class _BadJson(ValueError):
    """What a parse hook raises; turned into a DataFormatError naming the line."""


def json_object_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield ``(line_number, object)`` for each non-blank line of the JSON-lines file at ``path``.

    Raises:
        DataNotFoundError: ``path`` does not exist.
        DataFormatError: a line is not one JSON object, or holds what this module's docstring
            refuses (the message names the file and line).
    """
    path = Path(path)
    for number, line in text_lines(path):
        if line.strip():
            yield number, parse_json_object(line, path, number)


def parse_json_object(line: str, path: Path, number: int) -> dict[str, object]:
    """Parse one line as a JSON object, refusing what the module docstring lists with DataFormatError."""
    try:
        record = json.loads(line, object_pairs_hook=_unique_keys, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, number, f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise DataFormatError(path, number, "invalid JSON: nested too deeply") from None
    except _BadJson as exc:
        raise DataFormatError(path, number, f"invalid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise DataFormatError(path, number, f"expected a JSON object, got {type(record).__name__}")
    problem = _content_problem(record)
    if problem:
        raise DataFormatError(path, number, problem)
    return record


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An object's members as a dict; a key given twice raises (json would keep the last silently)."""
    record: dict[str, object] = {}
    for key, value in pairs:
        if key in record:
            raise _BadJson(f"key {key[:40]!r} appears twice in one object")
        record[key] = value
    return record


def _integer(text: str) -> int:
    """A JSON integer; one longer than Python reads (``sys.get_int_max_str_digits``) raises."""
    limit = sys.get_int_max_str_digits()
    if limit and len(text.lstrip("-")) > limit:
        raise _BadJson(f"a number with {len(text.lstrip('-'))} digits is too long (at most {limit})")
    return int(text)


def _content_problem(value: object) -> str | None:
    """What is wrong with the strings (keys and values) and the nesting of ``value``, or None.

    Walks the value without recursion, so that no nesting can overflow the stack.
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                return problem
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"invalid JSON: nested more than {MAX_DEPTH} levels deep"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _text_problem(text: str) -> str | None:
    """Why a JSON string cannot be stored as text (it holds an unpaired surrogate), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        return f"a JSON string holds an unpaired surrogate (\\u{code:04x}), which is not text"
    return None
