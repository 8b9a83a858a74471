"""Run Python as if Flask were not installed: ``python without_flask.py -m MODULE [ARGS]`` or ``-c CODE``.

A ``sys.meta_path`` finder, installed before anything else is imported, raises
``ModuleNotFoundError: No module named 'flask'`` (with ``name`` set) for the packages named
in ``RCSIM_TEST_MISSING`` (default ``flask,werkzeug``) and their submodules, exactly as
Python does when a package is absent.
"""

import os
import runpy
import sys

MISSING = tuple(os.environ.get("RCSIM_TEST_MISSING", "flask,werkzeug").split(","))


class MissingPackageFinder:
    """Answers every import of a :data:`MISSING` package the way Python answers one that is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in MISSING:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def main() -> None:
    already = sorted(name for name in sys.modules if name.partition(".")[0] in MISSING)
    if already:
        raise SystemExit(f"without_flask: {already} were imported before the finder was installed")
    sys.meta_path.insert(0, MissingPackageFinder())
    mode, target, *args = sys.argv[1:]
    if mode == "-m":
        sys.argv = [target, *args]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    elif mode == "-c":
        sys.argv = ["-c", *args]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
    else:
        raise SystemExit(f"usage: {sys.argv[0]} -m MODULE [ARGS] | -c CODE [ARGS]")


if __name__ == "__main__":
    main()
