"""Checkpoints as plain dicts (torchvision references style): last, best, and the top k.

`checkpoints/last.pt` is rewritten after every evaluation and on cancel; `best.pt` when the
monitored metric improves; `top/<step>.pt` keeps the `save_top_k` best. Files are written to a
temporary name and renamed, so a kill mid-write never leaves a truncated checkpoint.
"""

import os

import torch

from .errors import JobError


def save(path, state):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path, map_location="cpu"):
    """Read a checkpoint this code wrote (trusted: full unpickling, as torch < 2.6 did by default)."""
    if not os.path.isfile(path):
        raise JobError(f"checkpoint not found: {path}")
    try:
        return torch_load(path, map_location, trusted=True)
    except Exception as e:
        raise JobError(f"cannot read checkpoint {path}: {e}") from None


def torch_load(path, map_location="cpu", trusted=False):
    """torch.load across versions: torch >= 2.6 defaults to weights_only=True, which refuses
    anything but tensors and primitives; our own checkpoints also hold optimiser state."""
    if trusted:
        try:
            return torch.load(path, map_location=map_location, weights_only=False)
        except TypeError:  # torch without the weights_only argument
            return torch.load(path, map_location=map_location)
    return torch.load(path, map_location=map_location)


def is_better(value, best, mode):
    if value is None:
        return False
    if best is None:
        return True
    return value > best if mode == "max" else value < best


class TopK:
    """Keeps the k best checkpoints by the monitored metric; survives resume via its state."""

    def __init__(self, directory, k, mode, entries=None):
        self.dir, self.k, self.mode = directory, k, mode
        self.entries = list(entries or [])  # [(value, path)]

    def offer(self, value, step, state):
        if self.k <= 0 or value is None:
            return None
        worst = self._worst()
        if len(self.entries) >= self.k and not is_better(value, worst[0], self.mode):
            return None
        path = os.path.join(self.dir, f"step-{step:08d}.pt")
        save(path, state)
        self.entries.append((value, path))
        while len(self.entries) > self.k:
            w = self._worst()
            self.entries.remove(w)
            if w[1] != path and os.path.isfile(w[1]):
                os.remove(w[1])
        return path

    def _worst(self):
        if not self.entries:
            return (None, None)
        key = (lambda e: e[0]) if self.mode == "max" else (lambda e: -e[0])
        return min(self.entries, key=key)
