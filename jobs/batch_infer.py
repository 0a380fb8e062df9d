#!/usr/bin/env python3
"""Run a trained, exported or registered model over many images and write the results.

    python jobs/batch_infer.py --model runs/r1 --input /Volumes/main/cv/data/new_images \
        --output /Volumes/main/cv/data/results/r1.jsonl --run-dir /Volumes/main/cv/data/batch/b1
    python jobs/batch_infer.py --model models:/main.cv.detector@champion \
        --input-table main.cv.images --path-column path --output-table main.cv.detections

--model: a run directory, model.onnx (model.json beside it), a .pt checkpoint, or an MLflow URI
(models:/..., runs:/...) of a model logged by register.py. Each output row is
{"path", "prediction" (the serving contract's per-image object), "error"}; one unreadable image
becomes a row with its error, never a failed job. Progress goes to <run-dir>/status.json.
"""

import argparse
import glob
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lakevision_jobs.datasets import IMAGE_EXTS  # noqa: E402
from lakevision_jobs.errors import JobError, clean_message  # noqa: E402
from lakevision_jobs.inference import Predictor  # noqa: E402
from lakevision_jobs.signals import STOP  # noqa: E402
from lakevision_jobs.tracking import RunTracker, suppress_noisy_warnings  # noqa: E402


def get_args_parser():
    p = argparse.ArgumentParser(description="Lakevision batch inference")
    p.add_argument("--model", required=True, help="run dir, model.onnx, checkpoint .pt, or models:/ / runs:/ URI")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", help="folder of images (searched recursively)")
    src.add_argument("--input-table", help="Delta table with image paths or bytes (needs Spark)")
    p.add_argument("--path-column", default="path", help="column of --input-table holding file paths")
    p.add_argument("--content-column", default=None, help="column of --input-table holding image bytes")
    dst = p.add_mutually_exclusive_group(required=True)
    dst.add_argument("--output", help="result file: .jsonl, or .parquet (needs pandas + pyarrow)")
    dst.add_argument("--output-table", help="Delta table to write (needs Spark)")
    p.add_argument("--run-dir", default=None, help="where status.json goes (default: beside --output)")
    p.add_argument("--batch-size", type=int, default=8, help="images per forward pass")
    p.add_argument("--confidence-threshold", type=float, default=None, help="detection score cut (default: model's)")
    p.add_argument("--max-detections", type=int, default=None, help="detections kept per image")
    p.add_argument("--top-k", type=int, default=None, help="classes returned per image (classification)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--prefer", choices=("auto", "onnx", "torch"), default="auto",
                   help="for a run dir: ONNX (when onnxruntime is importable) or the checkpoint")
    return p


def main(args):
    suppress_noisy_warnings()
    run_dir = args.run_dir or os.path.dirname(os.path.abspath(args.output or ".")) or "."
    tracker = RunTracker(run_dir, "batch_infer")
    STOP.install(on_request=tracker.cancel_requested)
    try:
        tracker.phase("building_model", args.model)
        predictor = load_predictor(args)
        tracker.update(task=predictor.task, model=args.model, backend=predictor.kind)
        tracker.phase("loading_data")
        items = list_inputs(args)
        total = len(items)
        if not total:
            raise JobError(f"no images found in {args.input or args.input_table}")
        tracker.phase("predicting", f"{total} images")
        rows, errors, t0 = [], 0, time.time()
        for start in range(0, total, args.batch_size):
            if STOP.requested:
                break
            batch = items[start:start + args.batch_size]
            rows.extend(predict_batch(predictor, batch, args))
            errors = sum(1 for r in rows if r["error"])
            done = len(rows)
            rate = done / max(time.time() - t0, 1e-9)
            tracker.update(step=done, total_steps=total, eta_seconds=round((total - done) / rate, 1),
                           errors=errors, images_per_second=round(rate, 2))
        target = write_rows(rows, args)
        if STOP.requested:
            tracker.finish("cancelled")
            return STOP.exit_code
        tracker.update(output=target)
        tracker.finish("succeeded")
        print(f"[succeeded] {len(rows)} images ({errors} unreadable) -> {target}", flush=True)
        return 0
    except JobError as e:
        print(f"[failed] {clean_message(e)}", file=sys.stderr, flush=True)
        tracker.finish("failed", error=clean_message(e))
        return 1
    except Exception as e:
        traceback.print_exc()
        tracker.finish("failed", error=f"{type(e).__name__}: {clean_message(e)}")
        return 1


def load_predictor(args):
    import torch
    device = "cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu"
    path = args.model
    if path.startswith(("models:/", "runs:/")):
        try:
            import mlflow
        except ImportError:
            raise JobError(f"{path} is an MLflow URI but mlflow is not importable") from None
        if path.startswith("models:/") and "." in path.split("/")[1]:
            mlflow.set_registry_uri("databricks-uc")
        local = mlflow.artifacts.download_artifacts(artifact_uri=path)
        found = glob.glob(os.path.join(local, "**", "model.onnx"), recursive=True)
        if not found:
            raise JobError(f"{path}: no model.onnx among the downloaded artifacts ({local})")
        return Predictor.from_onnx(found[0])
    if not os.path.exists(path):
        raise JobError(f"--model: not found: {path}")
    return Predictor.load(path, device=device, prefer=args.prefer)


def list_inputs(args):
    """[(path, bytes or None)] from a folder or a Delta table."""
    if args.input:
        if not os.path.isdir(args.input):
            raise JobError(f"--input: folder not found: {args.input}")
        out = []
        for dirpath, _, files in sorted(os.walk(args.input)):
            out += [(os.path.join(dirpath, f), None) for f in sorted(files) if f.lower().endswith(IMAGE_EXTS)]
        return out
    spark = _spark()
    df = spark.read.table(args.input_table)
    cols = [args.path_column] + ([args.content_column] if args.content_column else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise JobError(f"{args.input_table} has no column(s) {missing}; columns: {df.columns}")
    return [(r[args.path_column], bytes(r[args.content_column]) if args.content_column else None)
            for r in df.select(*cols).collect()]


def predict_batch(predictor, batch, args):
    images, rows = [], []
    for path, data in batch:
        try:
            im = predictor_image(data if data is not None else path)
            images.append((path, im))
        except Exception as e:  # a broken file is a row with its error, not a failed job
            rows.append({"path": path, "prediction": None, "error": f"cannot read image: {clean_message(e)}"})
    if images:
        preds = predictor.predict([im for _, im in images], confidence_threshold=args.confidence_threshold,
                                  max_detections=args.max_detections, top_k=args.top_k)
        rows += [{"path": p, "prediction": pr, "error": None} for (p, _), pr in zip(images, preds)]
    return rows


def predictor_image(value):
    from lakevision_jobs.inference import decode_image
    im = decode_image(value)
    im.load()
    return im.convert("RGB")


def write_rows(rows, args):
    if args.output_table:
        spark = _spark()
        data = [(r["path"], json.dumps(r["prediction"]) if r["prediction"] is not None else None, r["error"]) for r in rows]
        spark.createDataFrame(data, "path string, prediction string, error string") \
            .write.mode("append").saveAsTable(args.output_table)
        return args.output_table
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    if args.output.endswith(".parquet"):
        try:
            import pandas as pd
        except ImportError:
            raise JobError("--output .parquet needs pandas and pyarrow; use .jsonl") from None
        pd.DataFrame([{**r, "prediction": json.dumps(r["prediction"])} for r in rows]).to_parquet(args.output)
        return args.output
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, args.output)
    return args.output


def _spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise JobError("Delta tables need Spark (run on a Databricks cluster)") from None
    return SparkSession.builder.getOrCreate()


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
