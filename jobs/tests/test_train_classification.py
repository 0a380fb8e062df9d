"""End to end on CPU: train.py for classification, then evaluate / export / batch_infer, resume,
cancel by signal, and failures reported in status.json."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import torch

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from tests.helpers import JOBS, make_imagefolder, read_metrics, read_status, read_json, run_job, write_config

SIZE = 40


def classification_config(d, run_name="c", **training):
    make_imagefolder(f"{d}/train", n=8, size=(SIZE, SIZE))
    make_imagefolder(f"{d}/val", n=4, size=(SIZE, SIZE), seed=1)
    return write_config(
        f"{d}/{run_name}.yaml",
        {"model_name": "torchvision/resnet18", "task_type": "classification", "num_classes": 2,
         "pretrained": False, "image_size": SIZE, "learning_rate": 1e-3, "scheduler": "cosine"},
        {"train_data_path": f"{d}/train", "val_data_path": f"{d}/val", "batch_size": 4, "num_workers": 0,
         "augmentations": {"horizontal_flip": True, "rotation": 10, "color_jitter": 0.2, "random_crop": True}},
        {"max_epochs": 2, "monitor_metric": "val_accuracy", "monitor_mode": "max", "log_every_n_steps": 2,
         "save_top_k": 1, **training})


class ClassificationRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.d = cls.tmp.name
        cls.cfg = classification_config(cls.d)
        cls.run_dir = f"{cls.d}/run"
        cls.proc = run_job("train.py", "--config", cls.cfg, "--run-dir", cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_train_exits_0(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout[-2000:] + self.proc.stderr[-3000:])

    def test_metrics_jsonl_rows_follow_the_contract(self):
        rows = read_metrics(self.run_dir)
        for r in rows:
            self.assertEqual(set(r), {"step", "epoch", "name", "value", "ts"})
        names = {r["name"] for r in rows}
        for n in ("loss", "learning_rate", "epoch", "eval_loss", "eval_accuracy", "eval_precision",
                  "eval_recall", "eval_f1", "eval_f1_class_0"):
            self.assertIn(n, names)
        loss_steps = [r["step"] for r in rows if r["name"] == "loss"]
        self.assertEqual(loss_steps, sorted(loss_steps))
        self.assertEqual([r["step"] for r in rows if r["name"] == "eval_accuracy"], [4, 8])
        self.assertTrue(all(0.0 <= r["value"] <= 1.0 for r in rows if r["name"] == "eval_accuracy"))

    def test_status_json_ends_succeeded(self):
        st = read_status(self.run_dir)
        self.assertEqual(st["phase"], "succeeded")
        self.assertEqual((st["step"], st["total_steps"], st["epoch"]), (8, 8, 2))
        self.assertIsNone(st["error"])
        self.assertEqual(st["eta_seconds"], 0)
        self.assertIsInstance(st["pid"], int)
        self.assertIn("mlflow_run_id", st)
        self.assertEqual(st["monitor"], "eval_accuracy")

    def test_checkpoints_are_plain_dicts(self):
        last = torch.load(f"{self.run_dir}/checkpoints/last.pt", map_location="cpu")
        self.assertIsInstance(last, dict)
        self.assertEqual(last["train_state"]["step"], 8)
        self.assertEqual(last["labels"], ["circle", "square"])
        self.assertIn("optimizer", last)
        self.assertTrue(os.path.isfile(f"{self.run_dir}/checkpoints/best.pt"))
        self.assertEqual(len(os.listdir(f"{self.run_dir}/checkpoints/top")), 1)  # save_top_k: 1

    def test_onnx_and_model_json(self):
        self.assertGreater(os.path.getsize(f"{self.run_dir}/model.onnx"), 1000)
        meta = read_json(f"{self.run_dir}/model.json")
        self.assertEqual(meta["task"], "classification")
        self.assertEqual(meta["labels"], ["circle", "square"])
        self.assertEqual((meta["input"]["height"], meta["input"]["width"], meta["input"]["layout"]),
                         (SIZE, SIZE, "NCHW"))
        self.assertEqual(meta["decoding"], {"type": "classification", "output": "logits", "activation": "softmax"})
        self.assertIn("verification", meta)
        if meta["verification"].get("verified"):
            self.assertTrue(meta["verification"]["match"], meta["verification"])

    def test_predictions_hold_sorted_top_k_per_image(self):
        preds = read_json(f"{self.run_dir}/predictions/val.json")
        self.assertEqual(len(preds), 8)
        for p in preds:
            scores = [t["score"] for t in p["top_k"]]
            self.assertEqual(scores, sorted(scores, reverse=True))
            self.assertAlmostEqual(sum(scores), 1.0, places=4)
            self.assertIn(p["top_k"][0]["label_name"], ["circle", "square"])
            self.assertIn(p["label"], (0, 1))

    def test_evaluate_reproduces_the_final_metrics(self):
        p = run_job("evaluate.py", "--run-dir", self.run_dir)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        got = read_json(f"{self.run_dir}/eval-val/eval_metrics.json")
        final = read_json(f"{self.run_dir}/eval_metrics.json")
        self.assertAlmostEqual(got["metrics"]["eval_accuracy"], final["metrics"]["eval_accuracy"])
        self.assertEqual(len(read_json(f"{self.run_dir}/eval-val/predictions/val.json")), 8)

    def test_export_job_rewrites_the_onnx(self):
        out = f"{self.d}/export"
        p = run_job("export.py", "--run-dir", self.run_dir, "--out-dir", out)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertEqual(read_json(f"{out}/model.json")["labels"], ["circle", "square"])

    def test_batch_infer_writes_serving_contract_rows_and_survives_a_broken_file(self):
        folder = f"{self.d}/batch_in"
        shutil.copytree(f"{self.d}/val", folder)
        with open(f"{folder}/circle/broken.jpg", "wb") as f:
            f.write(b"\x00\x01")
        out = f"{self.d}/batch/out.jsonl"
        p = run_job("batch_infer.py", "--model", self.run_dir, "--input", folder, "--output", out, "--top-k", "1",
                    "--prefer", "torch")
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        with open(out) as f:
            rows = [json.loads(line) for line in f]
        self.assertEqual(len(rows), 9)
        bad = [r for r in rows if r["error"]]
        self.assertEqual(len(bad), 1)
        self.assertIn("broken.jpg", bad[0]["path"])
        good = [r for r in rows if not r["error"]]
        self.assertTrue(all(len(r["prediction"]["top_k"]) == 1 for r in good))
        st = read_status(f"{self.d}/batch")
        self.assertEqual((st["phase"], st["step"], st["total_steps"]), ("succeeded", 9, 9))


class ResumeAndCancel(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_resume_continues_the_step_count(self):
        cfg = classification_config(self.d, max_epochs=3)
        run = f"{self.d}/run"
        p = run_job("train.py", "--config", cfg, "--run-dir", run, "--max-steps", "3", "--no-export")
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertEqual(read_status(run)["step"], 3)
        p = run_job("train.py", "--config", cfg, "--run-dir", run, "--max-steps", "6", "--resume", "--no-export")
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertIn("[resume] from", p.stdout)
        st = read_status(run)
        self.assertEqual((st["phase"], st["step"], st["total_steps"]), ("succeeded", 6, 6))
        loss_steps = [r["step"] for r in read_metrics(run) if r["name"] == "loss"]
        self.assertEqual(loss_steps, [1, 2, 4, 6])  # step 1, every 2nd; the resumed part starts after 3
        ck = torch.load(f"{run}/checkpoints/last.pt", map_location="cpu")
        self.assertEqual(ck["train_state"]["step"], 6)

    def test_sigterm_marks_the_run_cancelled_promptly_and_it_can_resume(self):
        cfg = classification_config(self.d, max_epochs=500, log_every_n_steps=1)
        run = f"{self.d}/run"
        env = dict(os.environ, OMP_NUM_THREADS="2")
        proc = subprocess.Popen([sys.executable, os.path.join(JOBS, "train.py"), "--config", cfg, "--run-dir", run,
                                 "--no-export"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            deadline = time.time() + 180
            while time.time() < deadline:
                st = read_status(run) if os.path.isfile(f"{run}/status.json") else {}
                if st.get("phase") == "training" and (st.get("step") or 0) >= 5:
                    break
                if proc.poll() is not None:
                    self.fail("train.py ended early: " + proc.stdout.read()[-2000:])
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=8)  # the app expects the state to change within 5 s
        finally:
            if proc.poll() is None:
                proc.kill()
        out = proc.stdout.read()
        proc.stdout.close()
        self.assertEqual(rc, 128 + signal.SIGTERM, out[-2000:])
        st = read_status(run)
        self.assertEqual(st["phase"], "cancelled")
        self.assertIsNone(st["error"])
        # saved at the cancel (step >= 5), or, if the watchdog had to end a slow save, at the last evaluation
        step = torch.load(f"{run}/checkpoints/last.pt", map_location="cpu")["train_state"]["step"]
        self.assertGreaterEqual(step, 4)
        p = run_job("train.py", "--config", cfg, "--run-dir", run, "--resume", "--max-steps", str(step + 2),
                    "--no-export")
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertEqual(read_status(run)["step"], step + 2)
        steps = [r["step"] for r in read_metrics(run) if r["name"] == "loss"]
        self.assertEqual(steps[-2:], [step + 1, step + 2])


class Distributed(unittest.TestCase):
    def test_two_process_ddp_run_as_torchrun_launches_it(self):
        """RANK/WORLD_SIZE/MASTER_* are what torchrun and TorchDistributor set; gloo on CPU."""
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with tempfile.TemporaryDirectory() as d:
            cfg = classification_config(d)
            procs = []
            for rank in (0, 1):
                env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                           WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank))
                procs.append(subprocess.Popen(
                    [sys.executable, os.path.join(JOBS, "train.py"), "--config", cfg, "--run-dir", f"{d}/run",
                     "--device", "cpu", "--no-export"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    text=True, env=env))
            try:
                outs = [p.communicate(timeout=180)[0] for p in procs]
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.kill()
            for p, out in zip(procs, outs):
                self.assertEqual(p.returncode, 0, out[-3000:])
            st = read_status(f"{d}/run")
            # 16 images over 2 ranks at batch 4: 2 steps per epoch, 2 epochs
            self.assertEqual((st["phase"], st["step"], st["total_steps"]), ("succeeded", 4, 4))
            self.assertIn("[eval]", outs[0])
            self.assertNotIn("[eval]", outs[1])  # rank 0 alone evaluates, logs and saves


class Failures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_non_finite_loss_stops_with_a_clear_error(self):
        cfg = classification_config(self.d, gradient_clip_val=0, max_epochs=3)
        import yaml
        with open(cfg) as f:
            raw = yaml.safe_load(f)
        raw["model"].update(learning_rate=1e20, scheduler="none")  # weight decay x lr overflows within 3 steps
        with open(cfg, "w") as f:
            yaml.safe_dump(raw, f)
        p = run_job("train.py", "--config", cfg, "--run-dir", f"{self.d}/run")
        self.assertEqual(p.returncode, 1)
        st = read_status(f"{self.d}/run")
        self.assertEqual(st["phase"], "failed")
        self.assertRegex(st["error"], r"loss is (nan|inf) at step \d+ \(epoch \d+\).*learning_rate")
        self.assertNotIn("Traceback", p.stderr)

    def test_broken_training_image_is_named_in_status(self):
        cfg = classification_config(self.d)
        bad = f"{self.d}/train/square/square_003.png"
        with open(bad, "wb") as f:
            f.write(b"garbage")
        p = run_job("train.py", "--config", cfg, "--run-dir", f"{self.d}/run")
        self.assertEqual(p.returncode, 1)
        st = read_status(f"{self.d}/run")
        self.assertEqual(st["error"], f"cannot read image {bad}: cannot identify image file '{bad}'")
        self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()
