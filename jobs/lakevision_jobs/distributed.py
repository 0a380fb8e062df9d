"""Process-group set-up that works under torchrun, Spark's TorchDistributor, or alone.

torchrun and TorchDistributor both export RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT; without them the job is a single process and every helper here is a no-op.
"""

import math
import os
from datetime import timedelta

import torch
import torch.distributed as dist


class DistInfo:
    def __init__(self, rank=0, world_size=1, local_rank=0, device=torch.device("cpu")):
        self.rank, self.world_size, self.local_rank, self.device = rank, world_size, local_rank, device

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def distributed(self):
        return self.world_size > 1


def init_distributed(device_arg="auto"):
    """Initialise DDP when launched by torchrun/TorchDistributor; pick the device either way."""
    want_cuda = device_arg == "cuda" or (device_arg == "auto" and torch.cuda.is_available())
    if device_arg == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for but no CUDA GPU is visible")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and "RANK" in os.environ:
        rank = int(os.environ["RANK"])
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if want_cuda:
            torch.cuda.set_device(local)
            device = torch.device("cuda", local)
        else:
            device = torch.device("cpu")
        if not dist.is_initialized():
            # Rank 0 alone evaluates and exports while the others wait at a collective; the default
            # 10-30 min timeout would kill them during a long COCO evaluation.
            dist.init_process_group(backend="nccl" if want_cuda else "gloo", timeout=timedelta(hours=3))
        return DistInfo(rank, world, local, device)
    return DistInfo(device=torch.device("cuda", 0) if want_cuda else torch.device("cpu"))


def barrier(info):
    if info.distributed:
        dist.barrier()


def all_reduce_mean(value, info):
    """Average a python float across ranks (identity when single-process)."""
    if not info.distributed:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return float(t.item()) / info.world_size


def broadcast_flag(flag, info):
    """True on every rank if it is true on any (used to stop all ranks together)."""
    if not info.distributed:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=info.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def gather_objects(obj, info):
    """All ranks' python objects on every rank (predictions for rank-0 evaluation)."""
    if not info.distributed:
        return [obj]
    out = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def cleanup(info):
    if info.distributed and dist.is_initialized():
        dist.destroy_process_group()


class EpochSampler(torch.utils.data.Sampler):
    """Shuffled per epoch from (seed, epoch), sharded across ranks, able to skip already-seen
    batches so that a resumed run continues mid-epoch exactly where it stopped."""

    def __init__(self, n, rank=0, world_size=1, shuffle=True, seed=0):
        self.n, self.rank, self.world, self.shuffle, self.seed = n, rank, world_size, shuffle, seed
        self.epoch, self.skip = 0, 0
        self.per_rank = int(math.ceil(n / world_size))

    def set_epoch(self, epoch, skip=0):
        self.epoch, self.skip = epoch, skip

    def __iter__(self):
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            idx = torch.randperm(self.n, generator=g).tolist()
        else:
            idx = list(range(self.n))
        total = self.per_rank * self.world
        idx += idx[: total - len(idx)]
        mine = idx[self.rank:total:self.world]
        return iter(mine[self.skip:])

    def __len__(self):
        return max(self.per_rank - self.skip, 0)


def run_train_file(train_path, args, env):
    """What each TorchDistributor process runs: the driver's MLflow environment, then train.py
    from the volume copy of the code (executors cannot read the driver's workspace folder)."""
    import runpy
    import sys
    os.environ.update(env)
    code_dir = os.path.dirname(os.path.abspath(train_path))
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    sys.argv = [train_path, *args]
    runpy.run_path(train_path, run_name="__main__")
