"""Tests of the name -> object registries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rcsim_env.errors import UnknownNameError
from rcsim_env.registry import Registry

names = st.text(min_size=1, max_size=12).filter(lambda s: s.strip())


@given(st.lists(names, min_size=1, max_size=6, unique=True), names)
def test_unknown_names_raise_an_error_listing_the_known_ones(known: list[str], asked: str) -> None:
    registry: Registry[int] = Registry("widget")
    for value, name in enumerate(known):
        registry.register(name, value, help=f"number {value}")
    if asked in known:
        assert registry[asked] == known.index(asked)
        return
    with pytest.raises(UnknownNameError) as excinfo:
        registry[asked]
    message = str(excinfo.value)
    assert message.startswith(f"unknown widget {asked!r}; known: ")
    assert all(name in message for name in known)
    assert isinstance(excinfo.value, KeyError) and isinstance(excinfo.value, ValueError)
    assert registry.get(asked, "default") == "default"


@pytest.mark.parametrize("bad", [None, 3, "", "   ", b"name"])
def test_names_that_cannot_be_looked_up_are_refused(bad: object) -> None:
    registry: Registry[int] = Registry("widget")
    with pytest.raises(ValueError, match="non-empty string"):
        registry.register(bad, 1)  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError):
        registry[bad]  # type: ignore[index]


def test_registration_order_help_and_the_decorator_form() -> None:
    registry: Registry[object] = Registry("widget")
    registry.register("b", 2, help="the second")

    @registry.register("a", help="the first")
    def build() -> int:
        return 1

    assert list(registry) == ["b", "a"] and registry["a"] is build and len(registry) == 2
    assert registry.describe() == "b (the second), a (the first)"
    assert registry.help_of("a") == "the first" and registry.check("b") == "b"
    with pytest.raises(ValueError, match="already registered"):
        registry.register("a", 3)
