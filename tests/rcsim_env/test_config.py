import argparse
from dataclasses import dataclass, field

import pytest

from rcsim_env.config import add_dataclass_arguments, dataclass_from_args


@dataclass
class Example:
    steps: int = field(default=3, metadata={"help": "how many"})
    name: str | None = None
    rate: float = 0.5
    verbose: bool = False


def parse(argv):
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, Example)
    return dataclass_from_args(Example, parser.parse_args(argv))


def test_defaults_come_from_the_dataclass():
    assert parse([]) == Example()


def test_options_are_typed():
    assert parse(["--steps", "7", "--name", "x", "--rate", "0.25", "--verbose"]) == Example(
        7, "x", 0.25, True
    )
    assert parse(["--name", "none"]).name is None


def test_bad_values_are_refused(capsys):
    with pytest.raises(SystemExit):
        parse(["--steps", "many"])
    assert "--steps" in capsys.readouterr().err


@dataclass
class WithLists:
    budgets: tuple[int, ...] = field(default=(250, 500), metadata={"help": "budgets"})
    names: tuple[str, ...] = ("a",)


def test_tuple_fields_take_comma_separated_lists(capsys):
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, WithLists)
    assert dataclass_from_args(WithLists, parser.parse_args([])) == WithLists()
    parsed = dataclass_from_args(WithLists, parser.parse_args(["--budgets", "10, 20,30", "--names", "x,y"]))
    assert parsed == WithLists((10, 20, 30), ("x", "y"))
    assert "default: 250,500" in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args(["--budgets", "10,many"])
    assert "not a comma-separated list of int" in capsys.readouterr().err


def test_dataclass_from_json_ignores_unknown_keys_and_defaults_missing_ones(tmp_path):
    import json

    from rcsim_env.config import dataclass_from_json

    @dataclass
    class Saved:
        steps: int = 3
        name: str = "run"

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"steps": 7, "removed_option": True}), encoding="utf-8")
    assert dataclass_from_json(Saved, path) == Saved(steps=7, name="run")
