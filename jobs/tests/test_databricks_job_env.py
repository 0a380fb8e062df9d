"""What a Databricks run needs beyond training: dependencies checked at start, the app's MLflow
experiment, MLflow credentials for child processes, and TorchDistributor's code path."""

import json
import os
import sys
import tempfile
import types
import unittest
from types import SimpleNamespace
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # jobs/

from lakevision_jobs import distributed, tracking  # noqa: E402

STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs")


def _fake_mlflow(fail_start=False):
    calls = []
    m = types.ModuleType("mlflow")
    m.set_experiment = lambda name: calls.append(("set_experiment", name))

    def start_run(**kw):
        if fail_start:
            raise RuntimeError("403 PERMISSION_DENIED on the experiment")
        calls.append(("start_run", kw))
        return SimpleNamespace(info=SimpleNamespace(run_id="r1", experiment_id="e1"))
    m.start_run = start_run
    m.set_tag = lambda *a: None
    m.set_tags = lambda *a: None
    m.end_run = lambda **kw: None
    return m, calls


CFG = SimpleNamespace(enabled=True, experiment_name=None, run_name="r", tags={})


class Requirements(unittest.TestCase):
    def test_names_are_read_without_versions_comments_or_options(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# c\n--extra-index-url x\nonnx>=1.14\nscipy>=1.9   # why\n\ntimm\n")
        try:
            self.assertEqual(tracking._requirement_names(f.name), ["onnx", "scipy", "timm"])
            with open(f.name, "a") as g:
                g.write("surely-not-installed-lakevision-pkg>=1\n")
            self.assertEqual(tracking.missing_requirements(f.name),
                             [n for n in ["onnx", "scipy", "timm"] if not _installed(n)]
                             + ["surely-not-installed-lakevision-pkg"])
        finally:
            os.remove(f.name)

    def test_the_jobs_requirements_file_is_found_beside_the_code(self):
        names = tracking._requirement_names(os.path.join(os.path.dirname(tracking.__file__), "..",
                                                         "requirements.txt"))
        self.assertIn("onnxruntime", names)

    def test_a_missing_dependency_fails_the_job_at_start_naming_it(self):
        with tempfile.TemporaryDirectory() as d, \
                mock.patch.dict(os.environ, {"LAKEVISION_CHECK_REQUIREMENTS": "1"}), \
                mock.patch.object(tracking, "missing_requirements", return_value=["onnxruntime"]):
            with self.assertRaises(SystemExit) as cm:
                tracking.RunTracker(d, "train")
            self.assertIn("onnxruntime", str(cm.exception))
            with open(f"{d}/status.json") as f:
                st = json.load(f)
            self.assertEqual(st["phase"], "failed")
            self.assertIn("missing job dependencies: onnxruntime", st["error"])


class Experiment(unittest.TestCase):
    def test_the_apps_experiment_is_used_when_the_config_names_none(self):
        m, calls = _fake_mlflow()
        with tempfile.TemporaryDirectory() as d, mock.patch.dict(sys.modules, {"mlflow": m}), \
                mock.patch.dict(os.environ, {"LAKEVISION_EXPERIMENT": "/Shared/lakevision/shapes"}):
            t = tracking.RunTracker(d, "train", mlflow_cfg=CFG)
            self.assertEqual(calls[0], ("set_experiment", "/Shared/lakevision/shapes"))
            self.assertEqual(t.status["mlflow_run_id"], "r1")

    def test_the_experiment_argument_comes_after_the_config_and_before_the_environment(self):
        named = SimpleNamespace(**{**vars(CFG), "experiment_name": "/Users/a@b.c/own"})
        cases = [  # (config, --experiment, $LAKEVISION_EXPERIMENT, expected)
            (named, "/Shared/lv/arg", "/Shared/lv/env", "/Users/a@b.c/own"),
            (CFG, "/Shared/lv/arg", "/Shared/lv/env", "/Shared/lv/arg"),
            (CFG, None, "/Shared/lv/env", "/Shared/lv/env"),
            (CFG, None, None, None),
        ]
        for cfg, arg, env, expected in cases:
            m, calls = _fake_mlflow()
            with self.subTest(arg=arg, env=env), tempfile.TemporaryDirectory() as d, \
                    mock.patch.dict(sys.modules, {"mlflow": m}), mock.patch.dict(os.environ, {}):
                os.environ.pop("LAKEVISION_EXPERIMENT", None)
                if env:
                    os.environ["LAKEVISION_EXPERIMENT"] = env
                self.assertEqual(tracking.experiment_for(cfg, arg), expected)
                t = tracking.RunTracker(d, "train")
                t._start_mlflow(cfg, experiment=arg)
                sets = [c[1] for c in calls if c[0] == "set_experiment"]
                self.assertEqual(sets, [expected] if expected else [])
                self.assertEqual(t.status["mlflow_run_id"], "r1")

    def test_an_mlflow_failure_is_in_the_log_and_in_status(self):
        m, _ = _fake_mlflow(fail_start=True)
        with tempfile.TemporaryDirectory() as d, mock.patch.dict(sys.modules, {"mlflow": m}):
            tracking._warned.discard("mlflow-start")
            tracking.RunTracker(d, "train", mlflow_cfg=CFG)
            with open(f"{d}/status.json") as f:
                st = json.load(f)
            self.assertIn("MLflow could not start a run", st["mlflow_error"])
            self.assertIn("PERMISSION_DENIED", st["mlflow_error"])


class ExperimentArgument(unittest.TestCase):
    """train.py --experiment, as the app passes it for a run on an existing cluster (whose
    environment a run cannot set), reaches MLflow when the config names no experiment."""

    def test_train_py_sets_the_experiment_it_is_given(self):
        import yaml
        from tests.helpers import read_status, run_job
        from tests.test_train_classification import classification_config
        with tempfile.TemporaryDirectory() as d:
            cfg = classification_config(d, max_epochs=1)
            with open(cfg) as f:
                raw = yaml.safe_load(f)
            raw["mlflow"] = {"enabled": True, "run_name": "r1"}
            with open(cfg, "w") as f:
                yaml.safe_dump(raw, f)
            log = f"{d}/mlflow.jsonl"
            env = {"PYTHONPATH": STUBS, "LV_MLFLOW_STUB_LOG": log, "LAKEVISION_EXPERIMENT": ""}
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", "--no-export",
                        "--max-steps", "1", "--experiment", "/Shared/lakevision/shapes", env=env)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            with open(log) as f:
                calls = [json.loads(line) for line in f]
            self.assertEqual(calls[0], {"call": "set_experiment", "name": "/Shared/lakevision/shapes"})
            self.assertEqual(read_status(f"{d}/run")["mlflow_run_id"], "stub-run-1")


class ChildProcesses(unittest.TestCase):
    def test_children_get_the_drivers_host_token_and_experiment(self):
        utils = types.ModuleType("mlflow.utils.databricks_utils")
        utils.get_databricks_host_creds = lambda uri: SimpleNamespace(host="https://h", token="t")
        mods = {"mlflow": types.ModuleType("mlflow"), "mlflow.utils": types.ModuleType("mlflow.utils"),
                "mlflow.utils.databricks_utils": utils}
        env = {"DATABRICKS_RUNTIME_VERSION": "15.4", "LAKEVISION_EXPERIMENT": "/Shared/lv/x"}
        with mock.patch.dict(sys.modules, mods), mock.patch.dict(os.environ, env):
            os.environ.pop("DATABRICKS_HOST", None)
            os.environ.pop("DATABRICKS_TOKEN", None)
            self.assertEqual(tracking.child_env(), {
                "LAKEVISION_EXPERIMENT": "/Shared/lv/x", "MLFLOW_TRACKING_URI": "databricks",
                "DATABRICKS_HOST": "https://h", "DATABRICKS_TOKEN": "t"})

    def test_missing_credentials_are_a_visible_warning(self):
        utils = types.ModuleType("mlflow.utils.databricks_utils")

        def no_creds(uri):
            raise RuntimeError("no notebook context")
        utils.get_databricks_host_creds = no_creds
        mods = {"mlflow": types.ModuleType("mlflow"), "mlflow.utils": types.ModuleType("mlflow.utils"),
                "mlflow.utils.databricks_utils": utils}
        tracking._warned.discard("mlflow-creds")
        with mock.patch.dict(sys.modules, mods), \
                mock.patch.dict(os.environ, {"DATABRICKS_RUNTIME_VERSION": "15.4"}), \
                mock.patch("sys.stderr") as err:
            os.environ.pop("DATABRICKS_HOST", None)
            tracking.child_env()
            self.assertIn("credentials for child processes not found",
                          "".join(c.args[0] for c in err.write.call_args_list))

    def test_distributor_processes_run_train_py_from_the_code_copy_with_the_env(self):
        with tempfile.TemporaryDirectory() as d:
            with open(f"{d}/train.py", "w") as f:
                f.write("import os, sys, json\nfrom helper import X\n"
                        "json.dump({'argv': sys.argv[1:], 'exp': os.environ['LAKEVISION_EXPERIMENT'],"
                        " 'x': X}, open(sys.argv[-1], 'w'))\n")
            with open(f"{d}/helper.py", "w") as f:
                f.write("X = 7\n")
            argv = sys.argv
            try:
                distributed.run_train_file(f"{d}/train.py", ["--a", f"{d}/out.json"],
                                           {"LAKEVISION_EXPERIMENT": "/Shared/lv/y"})
            finally:
                sys.argv = argv
                os.environ.pop("LAKEVISION_EXPERIMENT", None)
            with open(f"{d}/out.json") as f:
                self.assertEqual(json.load(f), {"argv": ["--a", f"{d}/out.json"],
                                                "exp": "/Shared/lv/y", "x": 7})


def _installed(name):
    from importlib import metadata
    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False


if __name__ == "__main__":
    unittest.main()
