"""Typed configuration: dataclasses become command-line options, JSON files and back.

A config is a dataclass whose fields have defaults and a ``metadata["help"]`` text. A field
whose type is itself a config dataclass *nests* it (a calibration config holds a DDPG
config, a run config, an oracle config): on the command line its fields appear flattened,
as ``--field-name`` options of their own (grouped under "<field> settings" in ``--help``),
and in ``config.json`` as a nested object. Field metadata understood here:

- ``help``: the option's help text;
- ``flag``: the option string when it is not ``--field-name`` (e.g. ``"--oracle"`` for a
  nested ``OracleConfig.kind``);
- ``cli``: ``False`` keeps the field off the command line (its default is used).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from rcsim_env.errors import RCSimError

T = TypeVar("T")

_DEST_SEPARATOR = "__"


class ConfigFileError(RCSimError, ValueError):
    """A saved configuration file is missing, truncated or not a JSON object; the message names it."""


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


def _nested_class(annotation: Any) -> type | None:
    """The config dataclass a field nests, or None for a plain option."""
    return annotation if isinstance(annotation, type) and dataclasses.is_dataclass(annotation) else None


def _tuple_converter(kind: type) -> Callable[[str], tuple]:
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


def _default_of(field: dataclasses.Field, defaults: object | None) -> Any:
    if defaults is not None:
        return getattr(defaults, field.name)
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    raise TypeError(f"config field {field.name!r} has no default")


def add_dataclass_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    config_class: type,
    defaults: object | None = None,
    _path: tuple[str, ...] = (),
) -> None:
    """Add one ``--field-name`` option per field of ``config_class`` (nested configs flattened).

    The help text is the field's ``metadata["help"]``; booleans become ``--flag/--no-flag``;
    ``X | None`` fields accept ``none`` for None; ``tuple[X, ...]`` fields take a
    comma-separated list (``--budgets 250,500``). Defaults come from ``defaults`` (an instance)
    when given, else from the class. Two fields wanting the same option string is an error
    (argparse's), caught when the parser is built.
    """
    hints = typing.get_type_hints(config_class)
    target = parser
    if _path and isinstance(parser, argparse.ArgumentParser):
        doc = (config_class.__doc__ or "").strip().split("\n\n")[0]
        target = parser.add_argument_group(f"{' '.join(_path)} settings", " ".join(doc.split()) or None)
    for field in dataclasses.fields(config_class):
        if field.metadata.get("cli", True) is False:
            continue
        default = _default_of(field, defaults)
        nested = _nested_class(hints[field.name])
        if nested is not None:
            add_dataclass_arguments(
                parser if isinstance(parser, argparse.ArgumentParser) else target,
                nested,
                default,
                (*_path, field.name),
            )
            continue
        flag = field.metadata.get("flag") or "--" + field.name.replace("_", "-")
        dest = _DEST_SEPARATOR.join((*_path, field.name))
        kind = _scalar_type(hints[field.name])
        help_text = field.metadata.get("help", "")
        if kind is bool:
            target.add_argument(
                flag, dest=dest, action=argparse.BooleanOptionalAction, default=default, help=help_text
            )
            continue
        item_type = _tuple_item_type(hints[field.name])
        if item_type is not None:
            shown = ",".join(str(item) for item in default)
            target.add_argument(
                flag,
                dest=dest,
                type=_tuple_converter(item_type),
                default=default,
                metavar=f"{item_type.__name__.upper()},...",
                help=f"{help_text} (default: {shown})",
            )
            continue
        nullable = type(None) in typing.get_args(hints[field.name])

        def convert(text: str, kind: type = kind, nullable: bool = nullable) -> Any:
            return None if nullable and text.lower() == "none" else kind(text)

        target.add_argument(
            flag,
            dest=dest,
            type=convert,
            default=default,
            metavar=kind.__name__.upper(),
            help=f"{help_text} (default: {default})",
        )


def dataclass_from_args(
    config_class: type[T], args: argparse.Namespace, defaults: T | None = None, _path: tuple[str, ...] = ()
) -> T:
    """Build ``config_class`` (nested configs included) from :func:`add_dataclass_arguments`' options.

    Fields kept off the command line (``cli=False``) take their value from ``defaults`` (the
    instance given to :func:`add_dataclass_arguments`) or the class default.
    """
    hints = typing.get_type_hints(config_class)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(config_class):
        default = _default_of(field, defaults)
        if field.metadata.get("cli", True) is False:
            values[field.name] = default
            continue
        nested = _nested_class(hints[field.name])
        if nested is not None:
            values[field.name] = dataclass_from_args(nested, args, default, (*_path, field.name))
        else:
            values[field.name] = getattr(args, _DEST_SEPARATOR.join((*_path, field.name)))
    return config_class(**values)


def run_config_command(
    config_class: type[T],
    run: Callable[[T], object],
    argv: list[str] | None = None,
    description: str | None = None,
    defaults: T | None = None,
) -> int:
    """Parse ``argv`` into ``config_class`` (one option per field) and call ``run(config)``; returns 0.

    The ``main`` of the benchmark scripts; ``description`` may be a whole docstring: ``--help`` shows
    its first paragraph.
    """
    if description:
        description = " ".join(description.split("\n\n")[0].split())
    parser = argparse.ArgumentParser(description=description)
    add_dataclass_arguments(parser, config_class, defaults)
    run(dataclass_from_args(config_class, parser.parse_args(argv), defaults))
    return 0


def leaf_names(config_class: type) -> dict[str, tuple[str, ...]]:
    """Every plain (non-nested) field of ``config_class`` and its nested configs, name -> path.

    A field is listed under its name and under its option's name (``flag`` metadata without the
    dashes: ``OracleConfig.kind`` is also ``oracle``). Of two equal names, one on the command line
    wins over one kept off it, then the first wins.
    """
    visible, hidden = _leaf_names(config_class)
    return {**hidden, **visible}


def _leaf_names(config_class: type) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(names of fields on the command line, names of fields kept off it), each name -> path."""
    hints = typing.get_type_hints(config_class)
    visible: dict[str, tuple[str, ...]] = {}
    hidden: dict[str, tuple[str, ...]] = {}
    for field in dataclasses.fields(config_class):
        nested = _nested_class(hints[field.name])
        if nested is not None:
            inner_visible, inner_hidden = _leaf_names(nested)
            for target, inner in ((visible, inner_visible), (hidden, inner_hidden)):
                for name, path in inner.items():
                    target.setdefault(name, (field.name, *path))
            continue
        target = hidden if field.metadata.get("cli", True) is False else visible
        target.setdefault(field.name, (field.name,))
        flag = field.metadata.get("flag")
        if flag:
            target.setdefault(flag.lstrip("-").replace("-", "_"), (field.name,))
    return visible, hidden


def dataclass_from_dict(config_class: type[T], saved: Mapping[str, Any], strict: bool = False) -> T:
    """Build ``config_class`` from a mapping such as ``dataclasses.asdict`` gives (nested configs included).

    Keys the class no longer has are ignored (a folder saved by an older version still loads),
    missing ones take their defaults, and a top-level key naming a field of a nested config by
    its name or its option's name (the flat layout older versions saved, e.g. ``"oracle":
    "human"`` or ``"batch_size": 8``) is moved into that config. With ``strict`` an unknown key
    is a ValueError listing the known names (for settings a person typed).
    """
    hints = typing.get_type_hints(config_class)
    fields = {field.name: field for field in dataclasses.fields(config_class)}
    values: dict[str, Any] = {}
    moved: dict[str, dict[str, Any]] = {}
    leaves = leaf_names(config_class)
    if strict:
        unknown = sorted(key for key in saved if key not in fields and key not in leaves)
        if unknown:
            raise ValueError(
                f"unknown {config_class.__name__} setting(s) {unknown}; known: {', '.join(sorted(leaves))}"
            )
    for key, value in saved.items():
        nested = _nested_class(hints[key]) if key in fields else None
        if key in fields and nested is not None and isinstance(value, Mapping):
            values[key] = value
        elif key in fields and nested is None:
            values[key] = tuple(value) if isinstance(value, list) else value
        elif key in leaves and len(leaves[key]) > 1:  # a flat name of a nested field
            moved.setdefault(leaves[key][0], {})[".".join(leaves[key][1:])] = value
    for name, field in fields.items():
        nested = _nested_class(hints[name])
        if nested is None or not (name in values or name in moved):
            continue
        # the nested config's own defaults are those of this field's default instance
        given = _merged(dataclasses.asdict(_default_of(field, None)), values.get(name, {}))
        for dotted, value in moved.get(name, {}).items():
            _set_dotted(given, dotted.split("."), value)
        values[name] = dataclass_from_dict(nested, given)
    return config_class(**values)


def _merged(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` laid over it, nested mappings merged key by key."""
    result = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result


def _set_dotted(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def dataclass_from_json(config_class: type[T], path: str | os.PathLike[str]) -> T:
    """Build ``config_class`` from a JSON object (see :func:`dataclass_from_dict`).

    Raises :class:`ConfigFileError` naming ``path`` when it is missing, not valid JSON (a
    truncated write, say) or not a JSON object.
    """
    path = Path(path)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigFileError(f"{path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigFileError(
            f"{path} is damaged ({exc}); it cannot be read as the run's settings. Restore it from a "
            "backup, or start a new run in another folder"
        ) from None
    if not isinstance(saved, dict):
        raise ConfigFileError(f"{path} holds a JSON {type(saved).__name__}, not an object of settings")
    return dataclass_from_dict(config_class, saved)


def validate_nested(config: object) -> None:
    """Call ``validate()`` on every nested config of ``config`` that has one (depth first)."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            validate_nested(value)
            check = getattr(value, "validate", None)
            if callable(check):
                check()


def changed_options(config: object, defaults: object) -> list[str]:
    """The command-line options that turn ``defaults`` into ``config`` (same class), in field order.

    For showing the exact command that reproduces a run: ``["--queries", "500", "--no-keep-best"]``.
    Fields kept off the command line are skipped.
    """
    hints = typing.get_type_hints(type(config))
    options: list[str] = []
    for field in dataclasses.fields(config):
        value, default = getattr(config, field.name), getattr(defaults, field.name)
        if _nested_class(hints[field.name]) is not None:
            options += changed_options(value, default)
            continue
        if field.metadata.get("cli", True) is False or value == default:
            continue
        flag = field.metadata.get("flag") or "--" + field.name.replace("_", "-")
        if isinstance(value, bool):
            options.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, tuple):
            options += [flag, ",".join(str(item) for item in value)]
        else:
            options += [flag, "none" if value is None else str(value)]
    return options
