"""batch_infer.py end to end as the app runs it (a subprocess), with onnxruntime replaced by a
fake whose logits depend on the image, so every row can be checked against its own image.

What is proved: one row per image in a nested folder (JPEG and PNG), a corrupt image among good
ones is an error row and the rest are done, a cancel (SIGTERM) mid-batch keeps the rows written so
far and --resume finishes without a duplicate (also after a half-written last line), bad inputs
fail with a message in status.json, and Parquet without pyarrow is refused at start-up.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from PIL import Image

JOBS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = ["red", "green", "blue", "dark"]

FAKE_ORT = textwrap.dedent('''
    """Test stand-in for onnxruntime: logits are the mean of each input channel (+ a constant)."""
    import os, time
    import numpy as np

    def get_available_providers():
        return ["CPUExecutionProvider"]

    class InferenceSession:
        def __init__(self, path, providers=None):
            self.path = path

        def run(self, names, feed):
            x = next(iter(feed.values()))
            time.sleep(float(os.environ.get("LV_FAKE_ORT_SLEEP", "0")))
            means = x.reshape(x.shape[0], 3, -1).mean(-1)
            return [np.concatenate([means * 4, np.full((x.shape[0], 1), 0.5, np.float32)], 1).astype(np.float32)]
''')


def model_dir(d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(b"fake onnx")
    meta = {"task": "classification", "labels": LABELS, "outputs": ["logits"],
            "input": {"name": "images", "height": 8, "width": 8, "batch": "dynamic",
                      "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]},
            "decoding": {"type": "classification", "output": "logits", "activation": "softmax"},
            "defaults": {"top_k": 2}}
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump(meta, f)
    return d


COLOURS = [(250, 10, 10), (10, 250, 10), (10, 10, 250), (5, 5, 5)]


def image_folder(root, n):
    """n images, colour i % 4 (so the expected label is known), half JPEG, in two sub-folders."""
    for i in range(n):
        sub = os.path.join(root, "a" if i % 2 else "b")
        os.makedirs(sub, exist_ok=True)
        ext = "png" if i % 3 else "jpg"
        Image.new("RGB", (20 + i, 16), COLOURS[i % 4]).save(os.path.join(sub, f"img_{i:03d}.{ext}"))
    with open(os.path.join(root, "notes.txt"), "w") as f:
        f.write("not an image")
    return root


def expected_label(path):
    return LABELS[int(os.path.basename(path)[4:7]) % 4]


class BatchInferTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        stubs = os.path.join(self.root, "stubs")
        os.makedirs(stubs)
        with open(os.path.join(stubs, "onnxruntime.py"), "w") as f:
            f.write(FAKE_ORT)
        self.env = {**os.environ, "PYTHONPATH": stubs, "PYTHONUNBUFFERED": "1"}
        self.model = model_dir(os.path.join(self.root, "models", "3"))
        self.out = os.path.join(self.root, "batch", "results.jsonl")
        self.run_dir = os.path.join(self.root, "batch")

    def tearDown(self):
        self.tmp.cleanup()

    def args(self, inp, *extra):
        return [sys.executable, os.path.join(JOBS, "batch_infer.py"), "--model", self.model, "--input", inp,
                "--output", self.out, "--run-dir", self.run_dir, *extra]

    def run_job(self, inp, *extra, sleep=0):
        env = {**self.env, "LV_FAKE_ORT_SLEEP": str(sleep)}
        return subprocess.run(self.args(inp, *extra), env=env, capture_output=True, text=True, timeout=300)

    def rows(self):
        with open(self.out) as f:
            return [json.loads(line) for line in f if line.strip()]

    def status(self):
        with open(os.path.join(self.run_dir, "status.json")) as f:
            return json.load(f)

    def test_one_row_per_image_and_a_corrupt_image_is_an_error_row(self):
        imgs = image_folder(os.path.join(self.root, "imgs"), 7)
        with open(os.path.join(imgs, "a", "broken.jpg"), "wb") as f:
            f.write(b"\xff\xd8\xff\xe0 truncated")
        r = self.run_job(imgs, "--path-root", "/Volumes/main/cv/data/imgs", "--batch-size", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.rows()
        self.assertEqual(len(rows), 8)
        self.assertEqual(len({x["path"] for x in rows}), 8)
        bad = [x for x in rows if x["error"]]
        self.assertEqual([x["path"] for x in bad], ["/Volumes/main/cv/data/imgs/a/broken.jpg"])
        self.assertIn("cannot read image", bad[0]["error"])
        self.assertIsNone(bad[0]["prediction"])
        for x in rows:
            if x["error"]:
                continue
            self.assertTrue(x["path"].startswith("/Volumes/main/cv/data/imgs/"), x["path"])
            top = x["prediction"]["top_k"]
            self.assertEqual(len(top), 2)  # model.json defaults.top_k
            self.assertEqual(top[0]["label_name"], expected_label(x["path"]), x)
            self.assertGreaterEqual(top[0]["score"], top[1]["score"])
        st = self.status()
        self.assertEqual((st["phase"], st["step"], st["total_steps"], st["errors"]), ("succeeded", 8, 8, 1))
        self.assertEqual(st["eta_seconds"], 0)

    def test_cancel_then_resume_finishes_without_duplicates(self):
        imgs = image_folder(os.path.join(self.root, "imgs"), 14)
        env = {**self.env, "LV_FAKE_ORT_SLEEP": "0.25"}
        p = subprocess.Popen(self.args(imgs, "--batch-size", "1"), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if self.status().get("step", 0) >= 3 and self.status()["phase"] == "predicting":
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 128 + signal.SIGTERM, out)
        self.assertEqual(self.status()["phase"], "cancelled")
        first = self.rows()
        self.assertGreaterEqual(len(first), 3)
        self.assertLess(len(first), 14)
        # a kill in the middle of a write leaves half a line: resume cuts it off
        with open(self.out, "a") as f:
            f.write('{"path": "/half')
        r = self.run_job(imgs, "--resume", "--batch-size", "4")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.rows()
        paths = [x["path"] for x in rows]
        self.assertEqual(len(paths), 14)
        self.assertEqual(len(set(paths)), 14)
        self.assertEqual(rows[:len(first)], first)  # what was written stays as it was
        st = self.status()
        self.assertEqual((st["phase"], st["step"], st["skipped"]), ("succeeded", 14, len(first)))
        # resuming a finished batch does nothing more
        r = self.run_job(imgs, "--resume")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.rows()), 14)

    def test_without_resume_an_old_output_is_replaced(self):
        imgs = image_folder(os.path.join(self.root, "imgs"), 3)
        self.assertEqual(self.run_job(imgs).returncode, 0)
        self.assertEqual(self.run_job(imgs).returncode, 0)
        self.assertEqual(len(self.rows()), 3)

    def test_bad_inputs_fail_with_a_message(self):
        imgs = image_folder(os.path.join(self.root, "imgs"), 2)
        r = self.run_job(os.path.join(self.root, "nowhere"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("folder not found", self.status()["error"])
        empty = os.path.join(self.root, "empty")
        os.makedirs(empty)
        r = self.run_job(empty)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no JPEG or PNG images", self.status()["error"])
        os.remove(os.path.join(self.model, "model.onnx"))
        r = self.run_job(imgs)
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no model.onnx", self.status()["error"])
        self.assertNotIn("Traceback", r.stderr)

    def test_parquet_without_pyarrow_is_refused_with_the_reason(self):
        try:
            import pyarrow  # noqa: F401
            self.skipTest("pyarrow is installed here")
        except ImportError:
            pass
        imgs = image_folder(os.path.join(self.root, "imgs"), 2)
        r = subprocess.run([*self.args(imgs)[:-4], "--output", self.out[:-6] + ".parquet", "--run-dir",
                            self.run_dir], env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 1)
        self.assertIn("needs pyarrow", self.status()["error"])


if __name__ == "__main__":
    unittest.main()
