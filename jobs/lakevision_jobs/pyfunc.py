"""The MLflow pyfunc wrapper logged by register.py (imports mlflow, so only load it where mlflow is).

Model Serving hands `predict` a pandas DataFrame with a base64 `image` column and the signature's
params (defaults filled in by MLflow); it answers one serving-contract entry per row, as declared
in the signature's outputs (signature.py).
"""

import os

import mlflow.pyfunc

from .inference import Predictor
from .serving import predict_request


class LakevisionOnnxModel(mlflow.pyfunc.PythonModel):
    """Serves model.onnx with onnxruntime; answers in the serving contract (one entry per image)."""

    def load_context(self, context):
        self.predictor = Predictor.from_onnx(os.path.join(context.artifacts["model_dir"], "model.onnx"))

    def predict(self, context, model_input, params=None):
        return predict_request(self.predictor, model_input, params or {})
