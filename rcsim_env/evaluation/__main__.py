"""``python -m rcsim_env.evaluation``: the same as the ``rcsim eval`` command."""

from __future__ import annotations

from rcsim_env.evaluation.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
