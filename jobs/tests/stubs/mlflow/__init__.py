"""A recording stand-in for mlflow: every call is appended as JSON to $LV_MLFLOW_STUB_LOG."""

import json
import os
from types import SimpleNamespace

__version__ = "0.0-stub"


def _rec(call, **kw):
    with open(os.environ["LV_MLFLOW_STUB_LOG"], "a") as f:
        f.write(json.dumps({"call": call, **kw}, default=str) + "\n")


def set_experiment(name):
    _rec("set_experiment", name=name)


def start_run(run_name=None, run_id=None):
    _rec("start_run", run_name=run_name, run_id=run_id)
    return SimpleNamespace(info=SimpleNamespace(run_id=run_id or "stub-run-1", experiment_id="stub-exp"))


def set_tags(tags):
    _rec("set_tags", tags=tags)


def set_tag(k, v):
    _rec("set_tag", key=k, value=v)


def log_params(params):
    _rec("log_params", params=params)


def log_metrics(metrics, step=None):
    if os.environ.get("LV_MLFLOW_STUB_FAIL"):
        raise ConnectionError("tracking server unreachable (stub)")
    _rec("log_metrics", metrics=metrics, step=step)


def log_artifact(path, artifact_path=None):
    _rec("log_artifact", path=path, artifact_path=artifact_path)


def end_run(status="FINISHED"):
    _rec("end_run", status=status)
