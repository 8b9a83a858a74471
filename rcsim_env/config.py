"""Typed command-line configuration: a dataclass's fields become ``--options`` with defaults and help."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import typing
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _scalar_type(annotation: Any) -> type:
    """The concrete type argparse should convert to: ``int | None`` -> ``int``, ``str`` -> ``str``."""
    if isinstance(annotation, type):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if len(args) == 1 and isinstance(args[0], type) else str


def _tuple_item_type(annotation: Any) -> type | None:
    """``tuple[int, ...]`` -> ``int``; None for anything that is not a homogeneous tuple."""
    if typing.get_origin(annotation) is not tuple:
        return None
    args = typing.get_args(annotation)
    return args[0] if len(args) == 2 and args[1] is Ellipsis and isinstance(args[0], type) else None


def _tuple_converter(kind: type):
    def convert(text: str) -> tuple:
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise argparse.ArgumentTypeError("expected a comma-separated list, got an empty one")
        try:
            return tuple(kind(item) for item in items)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a comma-separated list of {kind.__name__}"
            ) from exc

    return convert


def add_dataclass_arguments(parser: argparse.ArgumentParser, config_class: type) -> None:
    """Add one ``--field-name`` option per field of ``config_class``.

    The help text is the field's ``metadata["help"]``; booleans become
    ``--flag/--no-flag``; ``X | None`` fields accept ``none`` for None;
    ``tuple[X, ...]`` fields take a comma-separated list (``--budgets 250,500``).
    """
    hints = typing.get_type_hints(config_class)
    for field in dataclasses.fields(config_class):
        flag = "--" + field.name.replace("_", "-")
        kind = _scalar_type(hints[field.name])
        help_text = field.metadata.get("help", "")
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)
            continue
        item_type = _tuple_item_type(hints[field.name])
        if item_type is not None:
            shown = ",".join(str(item) for item in default)
            parser.add_argument(
                flag,
                type=_tuple_converter(item_type),
                default=default,
                metavar=f"{item_type.__name__.upper()},...",
                help=f"{help_text} (default: {shown})",
            )
            continue
        nullable = type(None) in typing.get_args(hints[field.name])

        def convert(text: str, kind: type = kind, nullable: bool = nullable) -> Any:
            return None if nullable and text.lower() == "none" else kind(text)

        parser.add_argument(
            flag,
            type=convert,
            default=default,
            metavar=kind.__name__.upper(),
            help=f"{help_text} (default: {default})",
        )


def run_config_command(
    config_class: type[T], run, argv: list[str] | None = None, description: str | None = None
) -> int:
    """Parse ``argv`` into ``config_class`` (one option per field) and call ``run(config)``; returns 0.

    The ``main`` of the benchmark scripts.
    """
    parser = argparse.ArgumentParser(description=description)
    add_dataclass_arguments(parser, config_class)
    run(dataclass_from_args(config_class, parser.parse_args(argv)))
    return 0


def dataclass_from_args(config_class: type[T], args: argparse.Namespace) -> T:
    """Build ``config_class`` from parsed arguments added by :func:`add_dataclass_arguments`."""
    values = {field.name: getattr(args, field.name) for field in dataclasses.fields(config_class)}
    return config_class(**values)


def dataclass_from_json(config_class: type[T], path: str | os.PathLike[str]) -> T:
    """Build ``config_class`` from a JSON object saved with ``dataclasses.asdict``.

    Keys the class no longer has are ignored (a folder saved by an older version still
    loads); missing ones take their defaults. ``path`` must exist.
    """
    saved = json.loads(Path(path).read_text(encoding="utf-8"))
    known = {field.name for field in dataclasses.fields(config_class)}
    return config_class(**{key: value for key, value in saved.items() if key in known})
