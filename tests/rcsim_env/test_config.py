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
