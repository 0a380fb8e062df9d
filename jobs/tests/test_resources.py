"""Resource figures for status.json: peak memory and images/s (no torch or GPU needed)."""

import json
import os as _os
import sys as _sys
import unittest

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from lakevision_jobs.resources import ResourceMeter, peak_cpu_mem_mb, peak_gpu_mem_mb  # noqa: E402


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class ResourceMeterTest(unittest.TestCase):
    def test_images_per_second_counts_steps_times_global_batch(self):
        clock = FakeClock()
        m = ResourceMeter(device="cpu", clock=clock)
        m.start(step=10)
        clock.t += 4.0
        r = m.update(step=30, images_per_step=16)  # 20 steps × 16 images in 4 s
        self.assertEqual(r["images"], 320)
        self.assertEqual(r["images_per_second"], 80.0)

    def test_paused_time_is_not_counted(self):
        clock = FakeClock()
        m = ResourceMeter(clock=clock)
        m.start(0)
        clock.t += 2.0
        m.update(10, 8)
        m.pause()
        clock.t += 100.0  # evaluation
        m.start(10)
        clock.t += 2.0
        r = m.update(20, 8)
        self.assertEqual(r["images"], 160)
        self.assertEqual(r["seconds"], 4.0)
        self.assertEqual(r["images_per_second"], 40.0)

    def test_no_training_yet_reports_no_throughput(self):
        r = ResourceMeter().report()
        self.assertIsNone(r["images_per_second"])
        self.assertEqual(r["images"], 0)

    def test_cpu_peak_is_positive_and_gpu_peak_absent_on_cpu(self):
        if _sys.platform.startswith("linux") or _sys.platform == "darwin":
            self.assertGreater(peak_cpu_mem_mb(), 1.0)
        self.assertIsNone(peak_gpu_mem_mb("cpu"))
        self.assertIsNone(peak_gpu_mem_mb(None))

    def test_report_is_json_for_status(self):
        m = ResourceMeter(clock=FakeClock())
        json.dumps(m.report(), allow_nan=False)

    def test_status_json_as_written_carries_what_the_app_reads(self):
        """The app (lib/history/runs.ts resourcesFromStatus) reads `resources.peak_cpu_mem_mb`,
        `peak_gpu_mem_mb` and `images_per_second` from the status.json the tracker writes, and
        they must survive the run's final write."""
        import tempfile

        from lakevision_jobs.tracking import RunTracker

        clock = FakeClock()
        meter = ResourceMeter(device="cpu", clock=clock)
        with tempfile.TemporaryDirectory() as d:
            tracker = RunTracker(d, "train")
            meter.start(0)
            clock.t += 2.0
            tracker.update(resources=meter.update(18, 16))
            tracker.finish("succeeded")
            with open(_os.path.join(d, "status.json"), encoding="utf-8") as f:
                status = json.load(f)
        self.assertEqual(status["phase"], "succeeded")
        res = status["resources"]
        self.assertEqual(res["images_per_second"], 144.0)
        self.assertIn("peak_gpu_mem_mb", res)
        self.assertIsNone(res["peak_gpu_mem_mb"])
        if _sys.platform.startswith("linux") or _sys.platform == "darwin":
            self.assertIsInstance(res["peak_cpu_mem_mb"], float)


if __name__ == "__main__":
    unittest.main()
