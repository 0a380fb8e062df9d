"""batch_infer.py with Delta tables and Parquet, as the app runs it on a Databricks cluster (a
subprocess), where Spark and pyarrow are stand-ins (tests/stubs_spark, tests/stubs_arrow) unless
pyarrow is installed, and onnxruntime is test_batch's fake whose logits depend on the image.

What is proved: a Delta input's image bytes are streamed, never collected on the driver; its
duplicate and null paths are predicted once or left out, an empty content cell is an error row;
a cancel keeps the appends made so far and --resume finishes a Delta output without a duplicate;
a Delta output that exists needs --resume; a missing table or column fails naming it; a Parquet
output keeps its rows in the append log while it runs and becomes one Parquet file, each image
once, when it completes after a resume.
"""

import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from PIL import Image  # noqa: E402

from tests.test_batch import COLOURS, FAKE_ORT, LABELS, image_folder, model_dir  # noqa: E402

JOBS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
SPARK_STUBS = os.path.join(HERE, "stubs_spark")
ARROW_STUBS = os.path.join(HERE, "stubs_arrow")

_spec = importlib.util.spec_from_file_location("fake_spark_store", os.path.join(SPARK_STUBS, "fake_spark_store.py"))
store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(store)

try:
    import pyarrow  # noqa: F401
    import pyarrow.parquet as real_pq
except ImportError:
    real_pq = None


def png(colour, size=(12, 10)):
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def label_of(path):
    """The expected label of an image named img_NNN (colour NNN % 4)."""
    return LABELS[int(os.path.basename(path)[4:7]) % 4]


class Job(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        ort = os.path.join(self.root, "ort")
        os.makedirs(ort)
        with open(os.path.join(ort, "onnxruntime.py"), "w") as f:
            f.write(FAKE_ORT)
        self.spark_dir = os.path.join(self.root, "spark")
        os.makedirs(self.spark_dir)
        os.environ["LV_FAKE_SPARK_DIR"] = self.spark_dir  # for `store` in this process
        path = [ort, SPARK_STUBS] + ([] if real_pq else [ARROW_STUBS]) + \
            [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "PYTHONUNBUFFERED": "1",
                    "LV_FAKE_SPARK_DIR": self.spark_dir}
        self.model = model_dir(os.path.join(self.root, "models", "3"))
        self.run_dir = os.path.join(self.root, "batch")

    def tearDown(self):
        os.environ.pop("LV_FAKE_SPARK_DIR", None)
        self.tmp.cleanup()

    def args(self, *extra):
        return [sys.executable, os.path.join(JOBS, "batch_infer.py"), "--model", self.model,
                "--run-dir", self.run_dir, *extra]

    def run_job(self, *extra, sleep=0):
        env = {**self.env, "LV_FAKE_ORT_SLEEP": str(sleep)}
        return subprocess.run(self.args(*extra), env=env, capture_output=True, text=True, timeout=300)

    def status(self):
        with open(os.path.join(self.run_dir, "status.json")) as f:
            return json.load(f)

    def cancel_after(self, steps, *extra):
        """Starts the job slowly, SIGTERMs it once `steps` images are done; returns its output."""
        env = {**self.env, "LV_FAKE_ORT_SLEEP": "0.25"}
        p = subprocess.Popen(self.args(*extra), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                st = self.status()
                if st.get("step", 0) >= steps and st["phase"] == "predicting":
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 128 + signal.SIGTERM, out)
        self.assertEqual(self.status()["phase"], "cancelled")
        return out

    def calls(self):
        with open(os.path.join(self.spark_dir, "_calls.jsonl")) as f:
            return [json.loads(line) for line in f]


class DeltaTables(Job):
    def images_table(self, n):
        """main.cv.images: n PNGs in a binary column, plus a duplicate, a null path and an empty cell."""
        rows = [[f"/Volumes/main/cv/data/imgs/img_{i:03d}.png", png(COLOURS[i % 4])] for i in range(n)]
        rows += [[rows[2][0], rows[2][1]], [None, png(COLOURS[0])], ["/Volumes/main/cv/data/imgs/empty.png", None]]
        store.append("main.cv.images", [("path", "string"), ("content", "binary")], rows[::-1])
        return [r[0] for r in rows[:n]] + ["/Volumes/main/cv/data/imgs/empty.png"]

    def output(self):
        cols, rows = store.read("main.cv.preds")
        self.assertEqual(cols, [("path", "string"), ("prediction", "string"), ("error", "string")])
        return [dict(zip(("path", "prediction", "error"), r)) for r in rows]

    def test_content_streamed_cancel_then_resume_without_duplicates(self):
        expected = self.images_table(12)
        table_args = ("--input-table", "main.cv.images", "--path-column", "path", "--content-column", "content",
                      "--output-table", "main.cv.preds")
        out = self.cancel_after(3, *table_args, "--batch-size", "1")
        self.assertIn("15 rows, 13 distinct images (1 rows without a path left out)", out)
        first = self.output()
        self.assertGreaterEqual(len(first), 3)
        self.assertLess(len(first), 13)
        # buffered rows are committed once, when the cancelled batch closes its sink
        self.assertEqual(store.parts("main.cv.preds"), 1, "one Delta commit for the cancelled part")
        st = self.status()
        self.assertEqual((st["step"], st["total_steps"], st["output"]), (len(first), 13, "main.cv.preds"))

        r = self.run_job(*table_args, "--resume", "--batch-size", "4")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.output()
        self.assertEqual(rows[:len(first)], first, "what was written stays as it was")
        self.assertEqual(sorted(x["path"] for x in rows), sorted(expected), "each image once")
        for x in rows:
            if x["path"].endswith("empty.png"):
                self.assertIsNone(x["prediction"])
                self.assertIn("content is empty in this row", x["error"])
                continue
            self.assertIsNone(x["error"], x)
            self.assertEqual(json.loads(x["prediction"])["top_k"][0]["label_name"], label_of(x["path"]), x)
        st = self.status()
        self.assertEqual((st["phase"], st["step"], st["total_steps"], st["skipped"], st["errors"]),
                         ("succeeded", 13, 13, len(first), 1))
        # The bytes came partition by partition; the driver collected only paths (and, on resume,
        # the output's path and error columns).
        calls = self.calls()
        self.assertTrue(all(not c["binary"] for c in calls if c["call"] == "collect"), calls)
        self.assertEqual(sum(1 for c in calls if c["call"] == "toLocalIterator"), 2)

        # Resuming a finished batch adds nothing; starting over on the same table is refused.
        self.assertEqual(self.run_job(*table_args, "--resume").returncode, 0)
        self.assertEqual(len(self.output()), 13)
        r = self.run_job(*table_args)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--output-table main.cv.preds exists; pass --resume", self.status()["error"])

    def test_a_path_column_names_files_and_an_unreadable_one_is_an_error_row(self):
        imgs = image_folder(os.path.join(self.root, "imgs"), 5)
        files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(imgs) for f in fs if f.endswith((".png", ".jpg")))
        store.append("main.cv.files", [("path", "string")], [[p] for p in files] + [[f"{imgs}/gone.png"]])
        r = self.run_job("--input-table", "main.cv.files", "--output-table", "main.cv.out", "--batch-size", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        _, rows = store.read("main.cv.out")
        self.assertEqual(sorted(x[0] for x in rows), sorted(files + [f"{imgs}/gone.png"]))
        bad = [x for x in rows if x[2]]
        self.assertEqual([x[0] for x in bad], [f"{imgs}/gone.png"])
        self.assertIn("cannot read image", bad[0][2])
        # rows are buffered: 6 images in batches of 2 are one commit, made when the batch ends
        self.assertEqual(store.parts("main.cv.out"), 1, "one Delta commit for 6 rows")
        self.assertFalse(any(c["call"] == "toLocalIterator" for c in self.calls()), "no bytes column to stream")

    def test_a_missing_table_or_column_fails_naming_it(self):
        r = self.run_job("--input-table", "main.cv.none", "--output-table", "main.cv.out")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--input-table main.cv.none does not exist", self.status()["error"])
        store.append("main.cv.images", [("uri", "string")], [["/x.png"]])
        r = self.run_job("--input-table", "main.cv.images", "--path-column", "path", "--output-table", "main.cv.out")
        self.assertEqual(r.returncode, 1)
        self.assertIn("main.cv.images has no column(s) ['path']", self.status()["error"])
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(store.exists("main.cv.out"), "nothing written")


class ParquetOutput(Job):
    def read_parquet(self, path):
        if real_pq:
            t = real_pq.read_table(path)
            return [(f.name, str(f.type)) for f in t.schema], t.to_pydict()
        with open(path) as f:
            doc = json.load(f)
        self.assertEqual(doc["stand_in"], "pyarrow")
        return [tuple(x) for x in doc["schema"]], doc["columns"]

    def test_rows_go_to_the_log_until_the_batch_completes_then_to_one_parquet_file(self):
        imgs = image_folder(os.path.join(self.root, "imgs"), 10)
        out = os.path.join(self.root, "batch", "results.parquet")
        folder = ("--input", imgs, "--path-root", "/Volumes/main/cv/data/imgs", "--output", out)
        self.cancel_after(3, *folder, "--batch-size", "1")
        self.assertFalse(os.path.exists(out), "no Parquet file for an unfinished batch")
        with open(out + ".log.jsonl") as f:
            first = [json.loads(line) for line in f if line.strip()]
        self.assertGreaterEqual(len(first), 3)
        self.assertEqual(self.status()["output"], out)

        r = self.run_job(*folder, "--resume", "--batch-size", "4")
        self.assertEqual(r.returncode, 0, r.stderr)
        schema, cols = self.read_parquet(out)
        self.assertEqual(schema, [("path", "string"), ("prediction", "string"), ("error", "string")])
        self.assertEqual(len(cols["path"]), 10)
        self.assertEqual(len(set(cols["path"])), 10, "each image once")
        self.assertEqual(cols["path"][:len(first)], [x["path"] for x in first])
        for path, pred, err in zip(cols["path"], cols["prediction"], cols["error"]):
            self.assertTrue(path.startswith("/Volumes/main/cv/data/imgs/"), path)
            self.assertIsNone(err)
            self.assertEqual(json.loads(pred)["top_k"][0]["label_name"], label_of(path))
        st = self.status()
        self.assertEqual((st["phase"], st["step"], st["skipped"], st["output"]), ("succeeded", 10, len(first), out))
        self.assertFalse(os.path.exists(out + ".tmp"))


if __name__ == "__main__":
    unittest.main()


class TableSinkCommits(unittest.TestCase):
    """The Delta sink commits every COMMIT_ROWS rows and on close, not once per batch."""

    def test_rows_are_committed_in_chunks_and_the_rest_on_close(self):
        d = tempfile.mkdtemp(prefix="lv-sink-")
        old = os.environ.get("LV_FAKE_SPARK_DIR")
        os.environ["LV_FAKE_SPARK_DIR"] = d
        sys.path.insert(0, SPARK_STUBS)
        try:
            from pyspark.sql import SparkSession
            from lakevision_jobs.batch import TableSink
            sink = TableSink("main.cv.chunks", False, SparkSession.builder.getOrCreate())
            sink.COMMIT_ROWS = 3
            for i in range(7):
                sink.append([{"path": f"/v/img_{i:03d}.png", "prediction": {"top_k": []}, "error": None}])
            self.assertEqual(store.parts("main.cv.chunks"), 2, "7 rows, 3 per commit: two commits so far")
            sink.close(True)
            self.assertEqual(store.parts("main.cv.chunks"), 3, "the last row on close")
            self.assertEqual(len(sink.done), 7)
        finally:
            sys.path.remove(SPARK_STUBS)
            for name in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")]:
                del sys.modules[name]  # the stand-in stays out of other tests in this process
            if old is None:
                os.environ.pop("LV_FAKE_SPARK_DIR", None)
            else:
                os.environ["LV_FAKE_SPARK_DIR"] = old
