#!/usr/bin/env python3
"""Log a run's ONNX model as an MLflow pyfunc and register it to Unity Catalog.

    python jobs/register.py --run-dir /Volumes/main/cv/data/runs/r1 --name main.cv.detector \
        --alias champion --tag team=vision

The pyfunc holds model.onnx + model.json and the lakevision_jobs code; its input is a DataFrame
with a base64 `image` column, `params` (confidence_threshold, max_detections, top_k) pass through
serving, and its output is the serving contract of DESIGN.md — so the registered version can be
deployed to Model Serving as is. Writes <run-dir>/registration.json.
"""

import argparse
import inspect
import json
import os
import shutil
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lakevision_jobs.errors import JobError, clean_message  # noqa: E402
from lakevision_jobs.tracking import write_json_atomic  # noqa: E402


def get_args_parser():
    p = argparse.ArgumentParser(description="Register a Lakevision model to Unity Catalog")
    p.add_argument("--run-dir", required=True, help="run directory with model.onnx and model.json")
    p.add_argument("--name", required=True, help="three-level Unity Catalog name catalog.schema.model")
    p.add_argument("--alias", action="append", default=None, help="alias to point at the new version (repeatable)")
    p.add_argument("--tag", action="append", default=[], help="version tag key=value (repeatable)")
    p.add_argument("--registry-uri", default="databricks-uc", help="MLflow registry URI")
    p.add_argument("--experiment", default=None, help="MLflow experiment to log the model run under")
    p.add_argument("--description", default=None, help="model version description")
    return p


def main(args):
    try:
        import mlflow
        from mlflow.models import ModelSignature
        from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema
    except ImportError as e:
        print(f"[failed] mlflow is not importable ({e}); run this on a Databricks cluster or pip install mlflow",
              file=sys.stderr)
        return 1
    try:
        if args.name.count(".") != 2:
            raise JobError(f"--name must be catalog.schema.model (got {args.name!r})")
        onnx_path = os.path.join(args.run_dir, "model.onnx")
        meta_path = os.path.join(args.run_dir, "model.json")
        for p in (onnx_path, meta_path):
            if not os.path.isfile(p):
                raise JobError(f"{p} not found; train.py (or export.py) writes it")
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        defaults = meta.get("defaults") or {}
        tags = dict(t.split("=", 1) for t in args.tag if "=" in t)
        tags.update(task=meta["task"], framework="lakevision-onnx", source_model=meta.get("model_name", ""))

        from lakevision_jobs.pyfunc import LakevisionOnnxModel
        signature = ModelSignature(
            inputs=Schema([ColSpec("string", "image")]),
            params=ParamSchema([
                ParamSpec("confidence_threshold", "double", float(defaults.get("confidence_threshold", 0.5))),
                ParamSpec("max_detections", "long", int(defaults.get("max_detections", 100))),
                ParamSpec("top_k", "long", int(defaults.get("top_k", 5)))]))
        work = tempfile.mkdtemp(prefix="lv-register-")
        model_dir = os.path.join(work, "model_dir")
        os.makedirs(model_dir)
        shutil.copy(onnx_path, model_dir)
        shutil.copy(meta_path, model_dir)
        mlflow.set_registry_uri(args.registry_uri)
        if args.experiment:
            mlflow.set_experiment(args.experiment)
        print(f"[registering] {args.name} from {args.run_dir}", flush=True)
        with mlflow.start_run(run_name=f"register {args.name}") as run:
            kw = dict(python_model=LakevisionOnnxModel(), artifacts={"model_dir": model_dir},
                      code_paths=[os.path.join(HERE, "lakevision_jobs")], signature=signature,
                      pip_requirements=["onnxruntime>=1.16", "torch>=1.13", "pillow>=9", "numpy"])
            params = inspect.signature(mlflow.pyfunc.log_model).parameters
            kw["name" if "name" in params else "artifact_path"] = "model"
            info = mlflow.pyfunc.log_model(**kw)
            model_uri = info.model_uri
        version = mlflow.register_model(model_uri, args.name)
        client = mlflow.MlflowClient(registry_uri=args.registry_uri)
        for k, v in tags.items():
            client.set_model_version_tag(args.name, version.version, k, v)
        if args.description:
            client.update_model_version(args.name, version.version, description=args.description)
        aliases = args.alias if args.alias is not None else ["champion"]
        for a in aliases:
            client.set_registered_model_alias(args.name, a, version.version)
        result = {"name": args.name, "version": str(version.version), "aliases": aliases, "model_uri": model_uri,
                  "mlflow_run_id": run.info.run_id, "task": meta["task"], "tags": tags}
        write_json_atomic(os.path.join(args.run_dir, "registration.json"), result)
        print(f"[succeeded] {args.name} version {version.version} (aliases: {', '.join(aliases) or 'none'})", flush=True)
        return 0
    except JobError as e:
        print(f"[failed] {clean_message(e)}", file=sys.stderr, flush=True)
        return 1
    except Exception as e:
        traceback.print_exc()
        print(f"[failed] {type(e).__name__}: {clean_message(e)}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
