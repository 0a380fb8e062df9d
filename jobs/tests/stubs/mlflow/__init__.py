"""A recording stand-in for mlflow: every call is appended as JSON to $LV_MLFLOW_STUB_LOG.

Tracking (train.py) and the model registry (register.py). Registry behaviour is steered by env:
  LV_MLFLOW_STUB_STATUS      comma list of statuses get_model_version answers in turn (last one repeats;
                             default READY)
  LV_MLFLOW_STUB_ALIASES     JSON {alias: version} already set on the model
  LV_MLFLOW_STUB_FAIL_ALIAS  comma list of aliases whose set_registered_model_alias fails
  LV_MLFLOW_STUB_OLD_TYPES   set: mlflow.types.schema has no Array/Object/Property (MLflow < 2.10)
As Unity Catalog does, register_model refuses a model logged with an inputs-only signature when the
registry URI is databricks-uc.
"""

import json
import os
from types import SimpleNamespace

__version__ = "0.0-stub"


def _rec(call, **kw):
    with open(os.environ["LV_MLFLOW_STUB_LOG"], "a") as f:
        f.write(json.dumps({"call": call, **kw}, default=str) + "\n")


def set_experiment(name):
    _rec("set_experiment", name=name)


class _Run:
    """What start_run returns: `.info`, and usable as a context manager as the real ActiveRun is."""

    def __init__(self, run_id):
        self.info = SimpleNamespace(run_id=run_id, experiment_id="stub-exp")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        end_run("FAILED" if exc_type else "FINISHED")
        return False


def start_run(run_name=None, run_id=None):
    _rec("start_run", run_name=run_name, run_id=run_id)
    _state["run_id"] = run_id or "stub-run-1"
    return _Run(_state["run_id"])


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


# ---- model registry -------------------------------------------------------------------------

_state = {"run_id": None, "registry_uri": None, "signature": None, "polls": 0,
          "aliases": json.loads(os.environ.get("LV_MLFLOW_STUB_ALIASES") or "{}")}


def set_registry_uri(uri):
    _rec("set_registry_uri", uri=uri)
    _state["registry_uri"] = uri


def register_model(model_uri, name, await_registration_for=300, **kw):
    from .exceptions import MlflowException
    _rec("register_model", model_uri=model_uri, name=name, await_registration_for=await_registration_for)
    sig = _state["signature"]
    if _state["registry_uri"] == "databricks-uc" and not (sig and sig.get("outputs")):
        raise MlflowException("Model passed for registration contained a signature that includes only inputs. "
                              "All models in the Unity Catalog must be logged with a model signature containing "
                              "both input and output type specifications.")
    return SimpleNamespace(name=name, version=os.environ.get("LV_MLFLOW_STUB_VERSION", "4"),
                           status="PENDING_REGISTRATION")


class MlflowClient:
    def __init__(self, tracking_uri=None, registry_uri=None):
        self.registry_uri = registry_uri

    def get_model_version(self, name, version):
        statuses = (os.environ.get("LV_MLFLOW_STUB_STATUS") or "READY").split(",")
        status = statuses[min(_state["polls"], len(statuses) - 1)]
        _state["polls"] += 1
        _rec("get_model_version", name=name, version=version, status=status)
        return SimpleNamespace(name=name, version=str(version), status=status,
                               status_message="stub: copying artifacts failed" if status == "FAILED_REGISTRATION" else "")

    def set_model_version_tag(self, name, version, key, value):
        _rec("set_model_version_tag", name=name, version=version, key=key, value=value)

    def update_model_version(self, name, version, description=None):
        _rec("update_model_version", name=name, version=version, description=description)

    def get_model_version_by_alias(self, name, alias):
        from .exceptions import MlflowException
        if alias not in _state["aliases"]:
            raise MlflowException(f"RESOURCE_DOES_NOT_EXIST: alias {alias} not found (stub)")
        return SimpleNamespace(name=name, version=str(_state["aliases"][alias]), aliases=[alias])

    def set_registered_model_alias(self, name, alias, version):
        from .exceptions import MlflowException
        if alias in (os.environ.get("LV_MLFLOW_STUB_FAIL_ALIAS") or "").split(","):
            raise MlflowException(f"PERMISSION_DENIED: cannot set alias {alias} (stub)")
        _rec("set_registered_model_alias", name=name, alias=alias, version=str(version))
        _state["aliases"][alias] = str(version)

    def delete_registered_model_alias(self, name, alias):
        _rec("delete_registered_model_alias", name=name, alias=alias)
        _state["aliases"].pop(alias, None)


from . import exceptions, models, pyfunc, types  # noqa: E402,F401  (real mlflow imports these too)
