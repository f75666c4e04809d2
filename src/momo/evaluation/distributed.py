"""The runner's view of torch.distributed: which rank this process is, and waiting for the rest.

``torchrun --nproc-per-node N -m momo evaluate ...`` starts N processes with ``RANK``,
``WORLD_SIZE`` and a rendezvous in the environment; `process_group` joins them (gloo on CPU,
NCCL on CUDA). Without torchrun (or with one process) nothing is initialised and the run is
rank 0 of 1.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator

from momo.errors import EvaluationError

#: How long a rank waits for the others at the end of its shard (shards may be uneven).
BARRIER_TIMEOUT = datetime.timedelta(hours=48)


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of this process; (0, 1) outside an initialised process group."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def barrier() -> None:
    """Wait until every rank reaches this point (no-op for one process)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


@contextlib.contextmanager
def process_group(device: str | None) -> Iterator[None]:
    """Join the torchrun job described by the environment for the duration of the block.

    Args:
        device: the model's device; ``cuda`` uses NCCL and this rank's ``LOCAL_RANK`` GPU,
            anything else gloo.

    Raises:
        EvaluationError: ``WORLD_SIZE``/``RANK`` are malformed or torch lacks distributed support.
    """
    import torch
    import torch.distributed as dist

    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
    except ValueError:
        raise EvaluationError(
            "WORLD_SIZE and RANK must be integers; start parallel runs with torchrun"
        ) from None
    if world <= 1 or (dist.is_available() and dist.is_initialized()):
        yield
        return
    if not dist.is_available():
        raise EvaluationError("this torch build has no torch.distributed; run one process")
    cuda = device is not None and str(device).startswith("cuda")
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(
        backend="nccl" if cuda else "gloo", rank=rank, world_size=world, timeout=BARRIER_TIMEOUT
    )
    try:
        yield
    finally:
        dist.destroy_process_group()
