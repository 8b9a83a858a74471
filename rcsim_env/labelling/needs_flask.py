"""Flask is an optional extra (``rcsim[label]``): the error that says so, and a check for it.

Only the labelling page needs Flask; the label store, export, import, agreement and the
terminal oracle do not. This module imports nothing from Flask, so callers can catch
:class:`FlaskNotInstalledError` without having it.
"""

from __future__ import annotations

import importlib

from rcsim_env.errors import RCSimError

INSTALL_COMMAND = 'pip install "rcsim[label]"'
FLASK_PACKAGES = ("flask", "werkzeug")


class FlaskNotInstalledError(RCSimError, ImportError):
    """The labelling page was asked for but Flask (the ``rcsim[label]`` extra) is not installed.

    An :class:`ImportError` too, so code that treats a missing optional package as an
    import error keeps working; ``name`` is the missing module.
    """


def is_flask_module(name: str | None) -> bool:
    """True when ``name`` (a dotted module name, or None) is Flask, werkzeug or one of their submodules."""
    return name is not None and name.partition(".")[0] in FLASK_PACKAGES


def flask_not_installed(missing: ModuleNotFoundError) -> FlaskNotInstalledError:
    """The error to raise in place of ``missing``, the ModuleNotFoundError of an absent Flask or werkzeug."""
    return FlaskNotInstalledError(
        f"the labelling page needs Flask, which is not installed ({missing}); install it with: "
        f"{INSTALL_COMMAND} (the label store, export, import, agreement and the terminal oracle work "
        "without it)",
        name=missing.name,
    )


def require_flask() -> None:
    """Return when the labelling page can be served; raise :class:`FlaskNotInstalledError` otherwise.

    Useful to refuse a setting early, before a long run reaches the point where it
    starts the page.
    """
    importlib.import_module("rcsim_env.labelling.flask_imports")
