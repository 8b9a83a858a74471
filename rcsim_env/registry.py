"""Name -> object registries: one per kind of name (oracles, rewards, noise presets, agents, pools).

Adding a kind of thing is one :meth:`Registry.register` call next to its definition; every
command, config check and ``--help`` text reads the names from the registry, so nothing else
changes. An unknown name raises :class:`~rcsim_env.errors.UnknownNameError` listing the known
ones, never a silent fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar, overload

from rcsim_env.errors import UnknownNameError

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping of names to objects of one ``kind``, filled by :meth:`register`.

    ``registry[name]`` (and :meth:`get` without a default) raise
    :class:`~rcsim_env.errors.UnknownNameError` naming the kind and listing the known names.
    Names keep their registration order; :meth:`describe` gives one line per name for help texts.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._help: dict[str, str] = {}

    @overload
    def register(self, name: str, obj: T, *, help: str = "") -> T: ...

    @overload
    def register(self, name: str, obj: None = None, *, help: str = "") -> Callable[[T], T]: ...

    def register(self, name: str, obj: T | None = None, *, help: str = ""):
        """Register ``obj`` under ``name`` (or, without ``obj``, return a decorator that does).

        Raises ValueError when ``name`` is empty, not a string, or already taken.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")

        def add(item: T) -> T:
            self._items[name] = item
            self._help[name] = help
            return item

        return add if obj is None else add(obj)

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; known: {', '.join(self._items) or '(none)'}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._items

    def check(self, name: str) -> str:
        """Return ``name`` if registered, else raise :class:`UnknownNameError` (for config validation)."""
        self[name]
        return name

    def help_of(self, name: str) -> str:
        """The one-line description given when ``name`` was registered ('' when none)."""
        self[name]
        return self._help[name]

    def describe(self) -> str:
        """``"a (what a does), b (what b does)"``: the names with their descriptions, for help texts."""
        return ", ".join(f"{name} ({text})" if text else name for name, text in self._help.items())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._items)})"
