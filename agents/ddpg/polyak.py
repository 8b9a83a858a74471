"""Soft (Polyak) target-network update: theta' <- tau * theta + (1 - tau) * theta'."""

from __future__ import annotations

import torch
from torch import nn


def _check_match(kind: str, source: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> None:
    if list(source) != list(target):
        missing = sorted(set(source) - set(target))
        extra = sorted(set(target) - set(source))
        raise ValueError(f"source and target {kind} differ: missing in target {missing}, extra {extra}")
    for name, tensor in source.items():
        if tensor.shape != target[name].shape:
            raise ValueError(
                f"{kind[:-1]} {name!r} has shape {tuple(tensor.shape)} in source "
                f"but {tuple(target[name].shape)} in target"
            )


@torch.no_grad()
def polyak_update(source: nn.Module, target: nn.Module, tau: float) -> None:
    """Move ``target`` toward ``source`` in place: ``theta' <- tau * theta + (1 - tau) * theta'``.

    Expects two modules of the same architecture (same parameter and buffer names and
    shapes, e.g. ``target = copy.deepcopy(source)``) and ``0 < tau <= 1``; ``tau = 1`` copies.
    Parameters and floating-point buffers (e.g. BatchNorm running statistics) are averaged;
    other buffers (integer counters) are copied. Runs without autograd; returns None.
    """
    if not 0.0 < tau <= 1.0:
        raise ValueError(f"tau must satisfy 0 < tau <= 1, got {tau}")
    source_params = dict(source.named_parameters())
    target_params = dict(target.named_parameters())
    _check_match("parameters", source_params, target_params)
    source_buffers = dict(source.named_buffers())
    target_buffers = dict(target.named_buffers())
    _check_match("buffers", source_buffers, target_buffers)
    for name, value in source_params.items():
        target_params[name].lerp_(value, tau)
    for name, value in source_buffers.items():
        destination = target_buffers[name]
        if destination.is_floating_point():
            destination.lerp_(value.to(destination.dtype), tau)
        else:
            destination.copy_(value)
