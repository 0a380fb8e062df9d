"""mlflow.pyfunc: PythonModel and a log_model that records what it was given."""

from types import SimpleNamespace

import mlflow


class PythonModel:
    def load_context(self, context):
        pass


def log_model(name=None, python_model=None, artifacts=None, code_paths=None, signature=None,
              pip_requirements=None, **kw):
    sig = signature.to_dict() if signature is not None else None
    mlflow._state["signature"] = sig
    mlflow._rec("log_model", name=name, python_model=type(python_model).__name__, artifacts=artifacts,
                code_paths=code_paths, signature=sig, pip_requirements=pip_requirements)
    return SimpleNamespace(model_uri=f"runs:/{mlflow._state['run_id']}/{name}")
