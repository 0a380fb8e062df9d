"""MLflow logging (against a recording stub), early stopping and top-k checkpoint retention."""

import json
import os
import tempfile
import unittest
from types import SimpleNamespace
from unittest import mock

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

import torch  # noqa: E402

from tests.helpers import read_json, read_status, run_job  # noqa: E402
from tests.test_train_classification import classification_config  # noqa: E402

STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs")


def _with_mlflow(cfg, **mlflow):
    import yaml
    with open(cfg) as f:
        raw = yaml.safe_load(f)
    raw["mlflow"] = {"enabled": True, "experiment_name": "/Users/a@b.c/cv_cls", "run_name": "r1",
                     "tags": {"team": "vision"}, **mlflow}
    with open(cfg, "w") as f:
        yaml.safe_dump(raw, f)
    return cfg


class Mlflow(unittest.TestCase):
    def test_metrics_params_tags_and_run_id_reach_mlflow(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = _with_mlflow(classification_config(d, max_epochs=1))
            log = f"{d}/mlflow.jsonl"
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", "--no-export",
                        env={"PYTHONPATH": STUBS, "LV_MLFLOW_STUB_LOG": log})
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            with open(log) as f:
                calls = [json.loads(line) for line in f]
            kinds = [c["call"] for c in calls]
            self.assertEqual(calls[0], {"call": "set_experiment", "name": "/Users/a@b.c/cv_cls"})
            self.assertIn({"call": "set_tags", "tags": {"team": "vision"}}, calls)
            params = next(c["params"] for c in calls if c["call"] == "log_params")
            self.assertEqual(params["task_type"], "classification")
            self.assertEqual(params["model_name"], "torchvision/resnet18")
            logged = set().union(*(c["metrics"] for c in calls if c["call"] == "log_metrics"))
            self.assertTrue({"loss", "learning_rate", "epoch", "eval_accuracy", "eval_loss"} <= logged)
            self.assertEqual(kinds[-1], "end_run")
            self.assertEqual(calls[-1]["status"], "FINISHED")
            self.assertEqual(read_status(f"{d}/run")["mlflow_run_id"], "stub-run-1")

    def test_an_unreachable_tracking_server_does_not_stop_training(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = _with_mlflow(classification_config(d, max_epochs=1))
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", "--no-export",
                        env={"PYTHONPATH": STUBS, "LV_MLFLOW_STUB_LOG": f"{d}/log", "LV_MLFLOW_STUB_FAIL": "1"})
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertEqual(p.stderr.count("MLflow log_metrics failed"), 1)  # warned once
            self.assertEqual(read_status(f"{d}/run")["phase"], "succeeded")

    def test_missing_mlflow_warns_once_and_trains(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = _with_mlflow(classification_config(d, max_epochs=1))
            os.makedirs(f"{d}/nomlflow/mlflow")
            with open(f"{d}/nomlflow/mlflow/__init__.py", "w") as f:
                f.write("raise ImportError('No module named mlflow (test)')\n")
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", "--no-export",
                        env={"PYTHONPATH": f"{d}/nomlflow"})
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertEqual(p.stderr.count("mlflow is not importable"), 1)


class EarlyStoppingAndTopK(unittest.TestCase):
    def test_patience_counts_evaluations_and_top_k_keeps_the_best_files(self):
        import train
        from lakevision_jobs import checkpoint as ckpt
        from lakevision_jobs.config import resolve_config
        from lakevision_jobs.distributed import DistInfo
        from lakevision_jobs.engine import TrainState
        from lakevision_jobs.tracking import RunTracker
        cfg = resolve_config({"model": {"model_name": "torchvision/resnet18", "task_type": "classification"},
                              "data": {"train_data_path": "/x", "val_data_path": "/x"},
                              "training": {"monitor_metric": "val_accuracy", "monitor_mode": "max",
                                           "early_stopping_patience": 2, "save_top_k": 2}}, check_paths=False)
        with tempfile.TemporaryDirectory() as d:
            model = torch.nn.Linear(2, 2)
            tm = SimpleNamespace(model=model, task="classification", labels=["a", "b"], model_name="m",
                                 image_size=(8, 8), backend="torchvision")
            run = SimpleNamespace(device="cpu", amp=None, steps_per_epoch=1, total_steps=5, optimizer=None,
                                  scheduler=None, scaler=None, ck_dir=f"{d}/checkpoints", cat_ids=None,
                                  topk=ckpt.TopK(f"{d}/checkpoints/top", 2, "max"))
            tracker, state, info = RunTracker(d, "train"), TrainState(), DistInfo()
            args = SimpleNamespace(max_eval_batches=None)
            stops = []
            for step, acc in enumerate([0.5, 0.7, 0.6, 0.7, 0.65], start=1):
                state.step = step
                with mock.patch.object(train, "evaluate", return_value={"eval_accuracy": acc}):
                    stops.append(train.evaluate_and_checkpoint(cfg, args, tm, run, None, state, tracker, info))
            self.assertEqual(stops, [False, False, False, True, True])  # 0.7 at step 4 is not better than 0.7
            self.assertEqual(state.best, 0.7)
            kept = sorted(os.listdir(f"{d}/checkpoints/top"))
            self.assertEqual(kept, ["step-00000002.pt", "step-00000004.pt"])
            best = torch.load(f"{d}/checkpoints/best.pt", map_location="cpu")
            self.assertEqual(best["train_state"]["step"], 2)
            self.assertIn("early stopping", read_json(f"{d}/status.json")["message"])


if __name__ == "__main__":
    unittest.main()
