"""Running pretraining on several processes: torchrun / ``accelerate launch`` detection, DDP, sharding.

The same command runs alone or under a launcher. A launcher (``torchrun``,
``python -m torch.distributed.run``, ``accelerate launch``) sets ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``; when ``WORLD_SIZE`` is above 1,
:func:`init_distributed` joins the process group (gloo on CPU, NCCL on CUDA, each process on
GPU ``LOCAL_RANK``). Without them everything here is a no-op for one process.

How the batch is split: ``batch_size`` is the batch over all processes. Every process draws
the same seeded order of the corpus, cuts the same global batches, and takes its contiguous
share of each (:func:`global_batches`, :func:`local_shard`), so every process runs the same
number of steps. The losses then gather every process's embeddings
(:func:`gather_with_grad`) and compute the loss over the whole global batch, exactly as one
process would; gradients flow through the process's own share, DDP averages them, and the
loss is scaled by the process count so that the average equals the one-process gradient.
Only rank 0 writes files, evaluates and shows a progress bar; the others wait at a barrier.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn

from rcsim_env.encoders.sentence_encoder import pick_device


@dataclass(frozen=True)
class DistributedContext:
    """Where this process stands: its rank, the process count, its device, the backend (None: alone)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        """True when several processes train together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the process that writes files, evaluates and reports."""
        return self.rank == 0

    def barrier(self) -> None:
        """Wait until every process reaches this point (no-op alone)."""
        if self.enabled:
            dist.barrier()

    def any(self, flag: bool) -> bool:
        """True on every process when ``flag`` is true on any of them (an all-reduce of one number)."""
        if not self.enabled:
            return bool(flag)
        value = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item() > 0)

    def all_gather_object(self, value: Any) -> list[Any]:
        """Every process's ``value``, in rank order, on every process (``[value]`` alone)."""
        if not self.enabled:
            return [value]
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, value)
        return gathered

    def broadcast_object(self, value: Any) -> Any:
        """Rank 0's ``value`` on every process (``value`` itself alone)."""
        if not self.enabled:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]


def launched_world() -> tuple[int, int, int]:
    """``(rank, world_size, local_rank)`` from the launcher's environment; ``(0, 1, 0)`` without one.

    Raises ValueError when the variables are present but inconsistent.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1") or 1)
    rank = int(os.environ.get("RANK", "0") or 0)
    local_rank = int(os.environ.get("LOCAL_RANK", str(rank)) or 0)
    if world_size < 1 or not 0 <= rank < world_size or local_rank < 0:
        raise ValueError(f"inconsistent launcher environment: RANK={rank} WORLD_SIZE={world_size}")
    return rank, world_size, local_rank


def init_distributed(device: str = "auto") -> DistributedContext:
    """Join the launcher's process group when there is one; returns this process's context.

    ``device`` is ``auto``, ``cpu`` or ``cuda`` (alone, any torch device string). Under a
    launcher with CUDA, each process uses ``cuda:LOCAL_RANK`` and NCCL; on CPU, gloo. A
    process group that is already initialised is reused.
    """
    rank, world_size, local_rank = launched_world()
    if world_size == 1:
        return DistributedContext(device=pick_device(device))
    chosen = pick_device(device)
    if chosen.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise ValueError(f"LOCAL_RANK {local_rank} but only {torch.cuda.device_count()} CUDA devices")
        chosen = torch.device("cuda", local_rank)
        torch.cuda.set_device(chosen)
        backend = "nccl"
    else:
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return DistributedContext(rank, world_size, local_rank, chosen, dist.get_backend())


def cleanup_distributed(context: DistributedContext) -> None:
    """Leave the process group (after a final barrier); no-op alone."""
    if context.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def wrap_model(module: nn.Module, context: DistributedContext) -> nn.Module:
    """``module`` wrapped in DistributedDataParallel when several processes train; else ``module``.

    ``find_unused_parameters`` is on because a BERT model's pooler takes no part in the
    mean-pooled losses. DDP broadcasts rank 0's weights at wrapping, so every process starts equal.
    """
    if not context.enabled:
        return module
    device_ids = [context.device.index] if context.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=device_ids, find_unused_parameters=True)


def gather_with_grad(local: Tensor, context: DistributedContext) -> Tensor:
    """Concatenate every process's ``local`` rows in rank order; gradients flow into this process's rows.

    Every process must pass a tensor of the same shape. Alone, returns ``local``.
    """
    if not context.enabled:
        return local
    parts = [torch.empty_like(local) for _ in range(context.world_size)]
    dist.all_gather(parts, local.detach().contiguous())
    parts[context.rank] = local
    return torch.cat(parts, dim=0)


def global_batches(n: int, batch_size: int, epoch: int, seed: int, world_size: int = 1) -> list[Tensor]:
    """The global batches of one epoch: index tensors into a corpus of ``n`` sentences.

    One seeded permutation per ``(seed, epoch)``, the same on every process, cut into batches of
    ``batch_size``. The last, smaller batch is trimmed to a multiple of ``world_size`` (so it
    splits evenly) and dropped when that leaves fewer than two sentences or fewer than one per
    process. A corpus smaller than ``batch_size`` gives one batch.
    """
    generator = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))
    order = torch.randperm(n, generator=generator)
    batches = list(order.split(int(batch_size)))
    if batches:
        last = batches[-1]
        usable = len(last) - len(last) % world_size
        if usable < max(2, world_size):
            batches.pop()
        else:
            batches[-1] = last[:usable]
    return batches


def local_shard(batch: Sequence[int] | Tensor, rank: int, world_size: int) -> Tensor:
    """This process's contiguous share of one global batch (its length must divide by ``world_size``)."""
    indices = torch.as_tensor(batch)
    if len(indices) % world_size:
        raise ValueError(f"a batch of {len(indices)} cannot be split evenly over {world_size} processes")
    share = len(indices) // world_size
    return indices[rank * share : (rank + 1) * share]
