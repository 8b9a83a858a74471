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


@dataclass
class Inner:
    """Inner settings."""

    rate: float = field(default=0.1, metadata={"help": "a rate"})
    kind: str = field(default="a", metadata={"help": "which kind", "flag": "--inner-kind"})
    hidden: int = field(default=5, metadata={"cli": False})


@dataclass
class Outer:
    steps: int = 3
    inner: Inner = field(default_factory=Inner)


def test_nested_configs_are_flattened_on_the_command_line_and_rebuilt():
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, Outer)
    assert dataclass_from_args(Outer, parser.parse_args([])) == Outer()
    parsed = dataclass_from_args(Outer, parser.parse_args(["--rate", "0.5", "--inner-kind", "b"]))
    assert parsed == Outer(inner=Inner(rate=0.5, kind="b"))
    text = parser.format_help()
    assert (
        "inner settings" in text
        and "Inner settings." in text
        and "--hidden" not in text
        and "--kind" not in text
    )


def test_defaults_can_come_from_an_instance():
    parser = argparse.ArgumentParser()
    base = Outer(steps=9, inner=Inner(rate=0.7, hidden=11))
    add_dataclass_arguments(parser, Outer, base)
    parsed = dataclass_from_args(Outer, parser.parse_args(["--steps", "1"]), base)
    assert parsed == Outer(steps=1, inner=Inner(rate=0.7, hidden=11))


def test_two_fields_with_one_option_string_fail_when_the_parser_is_built():
    @dataclass
    class Clash:
        rate: float = 1.0
        inner: Inner = field(default_factory=Inner)

    with pytest.raises(argparse.ArgumentError, match="--rate"):
        add_dataclass_arguments(argparse.ArgumentParser(), Clash)


def test_nested_json_round_trips_and_the_old_flat_layout_still_loads(tmp_path):
    import json
    from dataclasses import asdict

    from rcsim_env.config import dataclass_from_json

    config = Outer(steps=4, inner=Inner(rate=0.25, kind="z", hidden=2))
    path = tmp_path / "config.json"
    path.write_text(json.dumps(asdict(config)), encoding="utf-8")
    assert dataclass_from_json(Outer, path) == config
    path.write_text(json.dumps({"steps": 4, "rate": 0.25, "kind": "z", "gone": 1}), encoding="utf-8")
    assert dataclass_from_json(Outer, path) == Outer(steps=4, inner=Inner(rate=0.25, kind="z"))


@pytest.mark.parametrize("text", ["", "{", '{"steps": 4', "[1, 2]", "null", "\udcff"])
def test_a_damaged_config_file_is_named_in_the_error(tmp_path, text):
    from rcsim_env.config import ConfigFileError, dataclass_from_json

    path = tmp_path / "config.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ConfigFileError, match="config.json"):
        dataclass_from_json(Outer, path)
    with pytest.raises(ConfigFileError, match="does not exist"):
        dataclass_from_json(Outer, tmp_path / "missing.json")


@dataclass
class WithFactoryDefaults:
    inner: Inner = field(default_factory=lambda: Inner(rate=0.9, hidden=7))


def test_a_nested_config_keeps_its_fields_default_instance_when_loaded_from_a_partial_dict():
    from rcsim_env.config import dataclass_from_dict

    assert dataclass_from_dict(WithFactoryDefaults, {"kind": "q"}) == WithFactoryDefaults(
        Inner(rate=0.9, kind="q", hidden=7)
    )
    assert dataclass_from_dict(WithFactoryDefaults, {"inner": {"rate": 0.1}}).inner == Inner(
        rate=0.1, hidden=7
    )


def test_flat_names_and_option_names_reach_the_nested_field():
    from rcsim_env.config import dataclass_from_dict

    @dataclass
    class Holder:
        steps: int = 1
        inner: Inner = field(default_factory=Inner)

    loaded = dataclass_from_dict(Holder, {"inner_kind": "b", "rate": 0.3, "hidden": 9})
    assert loaded == Holder(inner=Inner(rate=0.3, kind="b", hidden=9))


def test_changed_options_rebuild_the_config_through_the_parser():
    from rcsim_env.config import changed_options

    @dataclass
    class Full:
        steps: int = 3
        name: str | None = "x"
        flag: bool = True
        sizes: tuple[int, ...] = (1, 2)
        inner: Inner = field(default_factory=Inner)

    wanted = Full(steps=5, name=None, flag=False, sizes=(3,), inner=Inner(rate=0.5, kind="k", hidden=9))
    argv = changed_options(wanted, Full())
    assert argv == [
        "--steps",
        "5",
        "--name",
        "none",
        "--no-flag",
        "--sizes",
        "3",
        "--rate",
        "0.5",
        "--inner-kind",
        "k",
    ]
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, Full)
    rebuilt = dataclass_from_args(Full, parser.parse_args(argv))
    assert rebuilt == Full(steps=5, name=None, flag=False, sizes=(3,), inner=Inner(rate=0.5, kind="k"))
