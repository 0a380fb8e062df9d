"""What a run used, for status.json `resources`: peak CPU memory (the process's peak RSS), peak GPU
memory (what torch allocated on this rank's device) and training throughput in images/s.

The app copies `resources` into its run history (lib/history/runs.ts reads `peak_cpu_mem_mb`,
`peak_gpu_mem_mb`, `images_per_second`). Every figure is optional: a CPU run has no GPU peak,
and a platform without `resource` (Windows) has no RSS peak. Throughput counts training images
only (steps × global batch) over the wall time of the training epochs, not evaluation.
"""

import sys
import time

try:  # POSIX only
    import resource as _resource
except ImportError:  # pragma: no cover - Windows
    _resource = None


def peak_cpu_mem_mb():
    """Peak resident set size of this process in MiB, or None where the OS does not say."""
    if _resource is None:
        return None
    peak = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def peak_gpu_mem_mb(device=None):
    """Peak memory torch allocated on `device` (a CUDA device) in MiB, else None."""
    try:
        import torch
    except ImportError:
        return None
    dev = torch.device(device) if device is not None else None
    if dev is None or dev.type != "cuda" or not torch.cuda.is_available():
        return None
    return round(torch.cuda.max_memory_allocated(dev) / (1024 * 1024), 1)


class ResourceMeter:
    """Measures a run between `start(step)` and each `update(step, images_per_step)`.

    `images_per_step` is the global batch (per-GPU batch × world size), so images/s is the whole
    job's throughput, the same on every rank.
    """

    def __init__(self, device=None, clock=time.monotonic):
        self.device = device
        self.clock = clock
        self.images = 0
        self.seconds = 0.0
        self._t0 = None
        self._step0 = None

    def start(self, step):
        """Begins (or resumes after evaluation) timing at optimizer step `step`."""
        self._t0, self._step0 = self.clock(), step

    def update(self, step, images_per_step):
        """Adds the images since the last `start`/`update` and returns the report for status.json."""
        if self._t0 is not None:
            now = self.clock()
            self.seconds += max(now - self._t0, 0.0)
            self.images += max(step - self._step0, 0) * max(int(images_per_step), 0)
            self._t0, self._step0 = now, step
        return self.report()

    def pause(self):
        """Stops the clock (e.g. during evaluation); `start` resumes it."""
        if self._t0 is not None:
            self.seconds += max(self.clock() - self._t0, 0.0)
            self._t0 = None

    def report(self):
        """`{peak_cpu_mem_mb, peak_gpu_mem_mb, images_per_second, images, seconds}`; None when unknown."""
        ips = round(self.images / self.seconds, 2) if self.seconds > 0 and self.images > 0 else None
        return {
            "peak_cpu_mem_mb": peak_cpu_mem_mb(),
            "peak_gpu_mem_mb": peak_gpu_mem_mb(self.device),
            "images_per_second": ips,
            "images": self.images,
            "seconds": round(self.seconds, 3),
        }
