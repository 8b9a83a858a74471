"""Judgements out of the label store (JSONL, CSV) and back in.

An exported file has the columns ``sentence_a``, ``sentence_b``, ``score`` first, so it is
a pairs file: :func:`rcsim_env.data.loaders.load_pairs_file` and
:meth:`rcsim_env.oracles.ReplayOracle.from_file` read it as it is (several annotators'
labels of one pair become several stored labels). The other columns keep the audit
trail: ``annotator``, ``skipped``, ``retracted``, ``judged_at`` (ISO 8601, UTC),
``pair`` (the store's pair id), ``source_id``, ``gold``, ``judgement_id``, ``request_id``.

By default only usable labels are exported (not skipped, not retracted): a file with
skipped rows has blank scores, which a replay oracle cannot answer with.

CSV files follow RFC 4180: records end in CRLF and every cell holding a comma, a quote, a
carriage return or a line feed is quoted, so any text (a lone ``\r`` included) reads back
as it was written. Text cells that a spreadsheet would run as a formula (a leading ``=``,
``+``, ``-``, ``@``, ...) get a leading apostrophe, which :func:`import_judgements` removes
again (the exact rule is in :mod:`rcsim_env.data.csv_cells`). Export then import gives
back the same judgements, from CSV as from JSONL.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rcsim_env.data.csv_cells import escape_cell, unescape_cell
from rcsim_env.data.json_lines import json_object_lines
from rcsim_env.data.rows import check_field_count, checked_number, csv_rows, first_row
from rcsim_env.errors import DataFormatError, InvalidLabelError
from rcsim_env.labelling.store import InvalidAnnotatorError, LabelStore, validate_annotator
from rcsim_env.validation import validate_score, validate_sentence

EXPORT_COLUMNS = (
    "sentence_a",
    "sentence_b",
    "score",
    "annotator",
    "skipped",
    "retracted",
    "judged_at",
    "pair",
    "source_id",
    "gold",
    "judgement_id",
    "request_id",
)
FORMATS = (".jsonl", ".csv")
TEXT_COLUMNS = ("sentence_a", "sentence_b", "annotator", "source_id")
"""The CSV columns of free text, escaped against formulas (see :mod:`~rcsim_env.data.csv_cells`)."""


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataFormatError(path, None, f"unsupported file type {suffix!r}; use .jsonl or .csv")
    return suffix


def iso_time(seconds: float) -> str:
    """Unix seconds as an ISO 8601 UTC timestamp with microseconds (``2024-05-01T12:00:00.123456Z``)."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"  # the date, then optionally the time and the offset
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,6})?)?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def parse_time(text: str) -> float:
    """An ISO 8601 timestamp as Unix seconds; ValueError otherwise.

    ``YYYY-MM-DD``, optionally ``THH:MM[:SS[.ffffff]]``, then ``Z`` or an offset ``+HH:MM`` (none:
    UTC). Other forms that ``datetime.fromisoformat`` would guess at (``"1" * 5000`` reads as a
    time in the year 1111) are refused.
    """
    if not _ISO_TIME.fullmatch(text.strip()):
        raise ValueError(f"{text!r:.40} is not an ISO 8601 time such as 2024-05-01T12:00:00Z")
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def export_rows(
    store: LabelStore, include_skipped: bool = False, include_retracted: bool = False
) -> list[dict[str, object]]:
    """One dict per judgement (columns :data:`EXPORT_COLUMNS`), oldest first."""
    pairs = {pair.id: pair for pair in store.pairs()}
    rows = []
    for judgement in store.judgements(include_retracted=include_retracted, include_skipped=include_skipped):
        pair = pairs[judgement.pair_id]
        rows.append(
            {
                "sentence_a": pair.sentence_a,
                "sentence_b": pair.sentence_b,
                "score": judgement.score,
                "annotator": judgement.annotator,
                "skipped": judgement.skipped,
                "retracted": judgement.retracted,
                "judged_at": iso_time(judgement.judged_at),
                "pair": pair.id,
                "source_id": pair.source_id,
                "gold": pair.gold,
                "judgement_id": judgement.id,
                "request_id": judgement.request_id,
            }
        )
    return rows


def export_judgements(
    store: LabelStore,
    path: str | os.PathLike[str],
    include_skipped: bool = False,
    include_retracted: bool = False,
) -> int:
    """Write the store's judgements to ``path`` (``.jsonl`` or ``.csv``, by extension); returns the row count.

    The file is written to a temporary name and renamed, so a crash never leaves half a file.
    """
    target = Path(path)
    suffix = _format_of(target)
    rows = export_rows(store, include_skipped, include_retracted)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        if suffix == ".jsonl":
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        **row,
                        **{name: escape_cell(str(row[name] or "")) for name in TEXT_COLUMNS},
                        "score": "" if row["score"] is None else repr(row["score"]),
                        "gold": "" if row["gold"] is None else repr(row["gold"]),
                        "skipped": int(bool(row["skipped"])),
                        "retracted": int(bool(row["retracted"])),
                        "request_id": "" if row["request_id"] is None else row["request_id"],
                    }
                )
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    return len(rows)


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: rows read, pairs newly stored, judgements added, rows already present."""

    rows: int
    pairs_added: int
    judgements_added: int
    already_present: int


def _records(path: Path, suffix: str) -> Iterator[tuple[int, dict[str, object]]]:
    """``(line number, record)`` per data row; malformed lines raise DataFormatError naming file and line.

    Encodings, line ends and hostile content are handled by the package's readers: JSON lines by
    :mod:`rcsim_env.data.json_lines`, CSV by :func:`rcsim_env.data.rows.csv_rows`.
    """
    if suffix == ".jsonl":
        yield from json_object_lines(path)
        return
    rows = csv_rows(path)
    _, header = first_row(path, rows, "a header row")
    names = [name.strip().lower() for name in header]
    for number, fields in rows:
        check_field_count(path, number, fields, len(names))
        record = dict(zip(names, fields, strict=True))
        for name in TEXT_COLUMNS:
            if name in record:
                record[name] = unescape_cell(record[name])
        yield number, record


def _flag(value: object, path: Path, number: int, name: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise DataFormatError(path, number, f"{name} must be true/false or 1/0, got {value!r:.40}")


def _optional_number(value: object, path: Path, number: int, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return checked_number(value, path, number, name)


def import_judgements(
    store: LabelStore, path: str | os.PathLike[str], annotator: str | None = None
) -> ImportSummary:
    """Read an exported ``.jsonl`` or ``.csv`` file into ``store``; returns what was added.

    Every row needs ``sentence_a`` and ``sentence_b``. A row with a ``score`` (0-5) or
    ``skipped`` true adds a judgement by its ``annotator`` column, else by ``annotator``
    (the argument); a row with neither only stores the pair (as a plain pairs file
    does). ``judged_at`` (ISO 8601) is kept when present. Importing the same file twice,
    or an export of the same store, adds nothing the second time. The file is checked
    completely before anything is written: a malformed line raises
    :class:`~rcsim_env.errors.DataFormatError` naming the file and the line, and leaves
    the store untouched.
    """
    source = Path(path)
    suffix = _format_of(source)
    if not source.is_file():
        raise DataFormatError(source, None, "no such file")
    default_annotator = None if annotator is None else validate_annotator(annotator)
    parsed = []
    for number, record in _records(source, suffix):
        missing = [key for key in ("sentence_a", "sentence_b") if key not in record]
        if missing:
            raise DataFormatError(source, number, f"missing column(s) {', '.join(missing)}")
        try:
            a = validate_sentence(record["sentence_a"], "sentence_a")
            b = validate_sentence(record["sentence_b"], "sentence_b")
        except ValueError as exc:
            raise DataFormatError(source, number, str(exc)) from exc
        skipped = _flag(record.get("skipped"), source, number, "skipped")
        retracted = _flag(record.get("retracted"), source, number, "retracted")
        score = _optional_number(record.get("score"), source, number, "score")
        if score is not None:
            try:
                validate_score(score, "score")
            except InvalidLabelError as exc:
                raise DataFormatError(source, number, str(exc)) from exc
            if skipped:
                raise DataFormatError(source, number, f"the row is skipped but has score {score}")
        gold = _optional_number(record.get("gold"), source, number, "gold")
        who = record.get("annotator")
        who = default_annotator if who is None or (isinstance(who, str) and not who.strip()) else who
        has_judgement = score is not None or skipped
        if has_judgement:
            if who is None:
                raise DataFormatError(
                    source,
                    number,
                    "the row has a score but no annotator column; pass annotator= (--annotator)",
                )
            try:
                who = validate_annotator(who)
            except InvalidAnnotatorError as exc:
                raise DataFormatError(source, number, str(exc)) from exc
        when_text = record.get("judged_at")
        try:
            when = parse_time(str(when_text)) if when_text not in (None, "") else None
        except (ValueError, OverflowError):
            raise DataFormatError(
                source, number, f"judged_at {when_text!r:.40} is not an ISO 8601 time"
            ) from None
        source_id = record.get("source_id") or f"{source.name}:{number}"
        parsed.append(
            (number, a, b, gold, str(source_id), has_judgement, who, score, skipped, retracted, when)
        )

    before = len(store.pairs())
    added = present = 0
    modified = source.stat().st_mtime
    for _number, a, b, gold, source_id, has_judgement, who, score, skipped, retracted, when in parsed:
        pair_id = store.add_pair(a, b, gold=gold, source_id=source_id, task=not has_judgement)
        if not has_judgement:
            continue
        judged_at = when if when is not None else modified
        key = json.dumps([who, a, b, score, skipped, retracted, round(judged_at, 3)], ensure_ascii=False)
        client_id = "import:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
        if store.insert_imported(pair_id, who, score, skipped, judged_at, retracted, client_id):
            added += 1
        else:
            present += 1
    return ImportSummary(len(parsed), len(store.pairs()) - before, added, present)
