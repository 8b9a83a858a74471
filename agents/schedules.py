"""Learning-rate schedules, as factors of a base rate: one place for every trainer's schedule.

Every function returns the factor (0 to 1) to multiply the base learning rate by before
optimizer step ``step`` (0-based); ``torch.optim.lr_scheduler.LambdaLR`` takes them as they are.
"""

from __future__ import annotations

SCHEDULES = ("constant", "linear")
"""Schedule names :func:`lr_factor` accepts: ``constant`` (after warm-up) or ``linear`` decay to 0."""


def warmup_linear(step: int, warmup_steps: int, total_steps: int) -> float:
    """Rise linearly from 0 to 1 over ``warmup_steps``, then fall linearly to 0 at ``total_steps``.

    sentence-transformers' ``WarmupLinear``; with ``warmup_steps = 0`` it is a plain linear decay
    ``1 - step / total_steps`` (never below 0).
    """
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def lr_factor(step: int, warmup_steps: int, total_steps: int, schedule: str) -> float:
    """Linear warm-up from 0 over ``warmup_steps``, then ``constant`` 1.0 or ``linear`` decay to 0.

    Raises ValueError for a schedule not in :data:`SCHEDULES`.
    """
    if schedule == "linear":
        return warmup_linear(step, warmup_steps, total_steps)
    if schedule == "constant":
        return step / warmup_steps if step < warmup_steps else 1.0
    raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
