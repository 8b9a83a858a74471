"""One lifecycle for every training run: folder, settings, checkpoints and exact resume, Ctrl-C,
the NaN guard, keep-best, the report and the progress bar (see :mod:`agents.runs.lifecycle`)."""
