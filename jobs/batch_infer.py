#!/usr/bin/env python3
"""Run a trained, exported or registered model over many images and write the results.

    python jobs/batch_infer.py --model /Volumes/main/cv/data/models/main.cv.det/3 \
        --input /Volumes/main/cv/data/new_images \
        --output /Volumes/main/cv/data/batch/b1/results.jsonl --run-dir /Volumes/main/cv/data/batch/b1
    python jobs/batch_infer.py --model models:/main.cv.detector@champion \
        --input-table main.cv.images --path-column path --output-table main.cv.detections

--model: a folder holding model.onnx + model.json (a registered version's folder or a run
directory), model.onnx itself, a .pt checkpoint, or an MLflow URI (models:/..., runs:/...) of a
model logged by register.py. Each output row is {"path", "prediction" (the serving contract's
per-image object), "error"}; an unreadable image becomes a row with its error, never a failed
job. Rows are appended as batches of images finish (see lakevision_jobs/batch.py for when each
output commits them); --resume keeps the rows already written and skips their images, so a
cancelled batch continues without duplicates. Progress goes to <run-dir>/status.json (phase,
step = images done, total_steps, eta_seconds, errors).

A Delta input is read twice over: its paths first (each once, nulls left out), then — with
--content-column — the image bytes streamed partition by partition as the batch goes, so the
driver never holds the whole table's images at once.
"""

import argparse
import glob
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lakevision_jobs.batch import list_folder, open_sink  # noqa: E402
from lakevision_jobs.errors import JobError, clean_message  # noqa: E402
from lakevision_jobs.signals import STOP  # noqa: E402
from lakevision_jobs.tracking import RunTracker, suppress_noisy_warnings  # noqa: E402


def get_args_parser():
    p = argparse.ArgumentParser(description="Lakevision batch inference")
    p.add_argument("--model", required=True,
                   help="folder with model.onnx + model.json, model.onnx, checkpoint .pt, or models:/ / runs:/ URI")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", help="folder of JPEG / PNG images (searched recursively)")
    src.add_argument("--input-table", help="Delta table with image paths or bytes (needs Spark)")
    p.add_argument("--path-root", default=None,
                   help="how result rows name --input (default: --input as given), e.g. its volume path")
    p.add_argument("--path-column", default="path", help="column of --input-table holding file paths")
    p.add_argument("--content-column", default=None, help="column of --input-table holding image bytes")
    dst = p.add_mutually_exclusive_group(required=True)
    dst.add_argument("--output", help="result file: .jsonl, or .parquet (needs pyarrow)")
    dst.add_argument("--output-table", help="Delta table to append to (needs Spark)")
    p.add_argument("--resume", action="store_true",
                   help="keep the rows already in the output and skip their images (default: start over)")
    p.add_argument("--run-dir", default=None, help="where status.json goes (default: beside --output)")
    p.add_argument("--batch-size", type=int, default=8, help="images per forward pass and per append")
    p.add_argument("--limit", type=int, default=0, help="stop after this many images in total (0: all)")
    p.add_argument("--confidence-threshold", type=float, default=None, help="detection score cut (default: model's)")
    p.add_argument("--max-detections", type=int, default=None, help="detections kept per image")
    p.add_argument("--top-k", type=int, default=None, help="classes returned per image (classification)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--prefer", choices=("auto", "onnx", "torch"), default="auto",
                   help="for a run dir: ONNX (when onnxruntime is importable) or the checkpoint")
    return p


def main(args):
    suppress_noisy_warnings()
    if args.batch_size < 1:
        print("[failed] --batch-size must be at least 1", file=sys.stderr)
        return 2
    run_dir = args.run_dir or os.path.dirname(os.path.abspath(args.output or ".")) or "."
    tracker = RunTracker(run_dir, "batch_infer", resume=args.resume)
    STOP.install(on_request=tracker.cancel_requested)
    sink = None
    try:
        tracker.phase("building_model", args.model)
        predictor = load_predictor(args)
        tracker.update(task=predictor.task, model=args.model, backend=predictor.kind)
        tracker.phase("loading_data")
        inputs = list_inputs(args)
        paths = inputs.paths[:args.limit] if args.limit > 0 else inputs.paths
        total = len(paths)
        if not total:
            raise JobError(f"no JPEG or PNG images found in {args.path_root or args.input or args.input_table}")
        sink = open_sink(args, _spark)
        todo = [p for p in paths if p not in sink.done]
        done0 = total - len(todo)
        tracker.phase("predicting", f"{len(todo)} of {total} images" + (f" ({done0} already done)" if done0 else ""))
        tracker.update(step=done0, total_steps=total, errors=sink.errors, skipped=done0, output=sink.target)
        t0 = time.time()
        done = done0
        for batch in chunks(inputs.sources(todo), args.batch_size):
            if STOP.requested:
                break
            rows = predict_batch(predictor, batch, args)
            sink.append(rows)  # written even when a cancel came meanwhile: these rows are complete
            done += len(rows)
            rate = (done - done0) / max(time.time() - t0, 1e-9)
            tracker.update(step=done, total_steps=total, eta_seconds=round((total - done) / rate, 1),
                           errors=sink.errors, images_per_second=round(rate, 2))
        complete = done == total
        if not complete and not STOP.requested:
            raise JobError(f"{total - done} of the {total} images listed were not found when their bytes were "
                           f"read ({args.input_table or args.input} changed while the batch ran); "
                           "--resume continues with what is there now")
        target = sink.close(complete)
        sink = None
        if not complete:
            tracker.finish("cancelled")
            print(f"[cancelled] {done} of {total} images written to {target}; --resume continues", flush=True)
            return STOP.exit_code
        tracker.update(output=target)
        tracker.finish("succeeded")
        print(f"[succeeded] {total} images ({tracker.status.get('errors', 0)} with errors) -> {target}", flush=True)
        return 0
    except JobError as e:
        print(f"[failed] {clean_message(e)}", file=sys.stderr, flush=True)
        tracker.finish("failed", error=clean_message(e))
        return 1
    except Exception as e:
        traceback.print_exc()
        tracker.finish("failed", error=f"{type(e).__name__}: {clean_message(e)}")
        return 1
    finally:
        if sink is not None:
            try:
                sink.close(False)
            except Exception as e:  # the job's own error, already in status.json, comes first
                print(f"[warning] could not write the last rows to {sink.target}: {clean_message(e)}",
                      file=sys.stderr, flush=True)


def load_predictor(args):
    from lakevision_jobs.inference import Predictor
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
    if os.path.isdir(path) and not os.path.isdir(os.path.join(path, "checkpoints")):
        # a registered version's folder: model.onnx + model.json only
        onnx = os.path.join(path, "model.onnx")
        if not os.path.isfile(onnx):
            raise JobError(f"--model: {path} has no model.onnx")
        return Predictor.from_onnx(onnx)
    import torch
    device = "cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu"
    return Predictor.load(path, device=device, prefer=args.prefer)


class Inputs:
    """The images of a batch: `paths`, the names rows get (sorted, each once), and
    `sources(todo)`, which yields (name, file path or bytes or None) for the names in `todo`."""

    def __init__(self, paths, sources):
        self.paths = paths
        self.sources = sources


def list_inputs(args):
    """The images of a folder or of a Delta table (see `Inputs`)."""
    if args.input:
        items = list_folder(args.input, args.path_root)
        found = dict(items)
        return Inputs([p for p, _ in items], lambda todo: ((p, found[p]) for p in todo))
    spark = _spark()
    if not spark.catalog.tableExists(args.input_table):
        raise JobError(f"--input-table {args.input_table} does not exist or is not readable")
    df = spark.read.table(args.input_table)
    cols = [args.path_column] + ([args.content_column] if args.content_column else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise JobError(f"{args.input_table} has no column(s) {missing}; columns: {df.columns}")
    names = [r[0] for r in df.select(args.path_column).collect()]
    paths = sorted({str(p) for p in names if p is not None})
    if len(paths) < len(names):
        nulls = sum(1 for p in names if p is None)
        print(f"[data] {args.input_table}: {len(names)} rows, {len(paths)} distinct images"
              + (f" ({nulls} rows without a {args.path_column} left out)" if nulls else "")
              + "; each image is predicted once", flush=True)
    if not args.content_column:
        return Inputs(paths, lambda todo: ((p, _dbfs_path(p)) for p in todo))

    def stream(todo):
        """The bytes of the rows named in `todo`, partition by partition (first row per name)."""
        want = set(todo)
        rows = df.select(args.path_column, args.content_column).orderBy(args.path_column).toLocalIterator()
        for r in rows:
            name = None if r[0] is None else str(r[0])
            if name in want:
                want.discard(name)
                yield name, None if r[1] is None else bytes(r[1])
    return Inputs(paths, stream)


def chunks(items, n):
    """Lists of up to `n` items of an iterable, in order."""
    batch = []
    for it in items:
        batch.append(it)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def _dbfs_path(p):
    return p[len("dbfs:"):] if p.startswith("dbfs:/Volumes/") else p


def predict_batch(predictor, batch, args):
    """Result rows for a batch, in input order; a broken image is a row with its error."""
    from lakevision_jobs.inference import decode_image
    images, rows = [], {}
    for shown, source in batch:
        if source is None:
            rows[shown] = {"path": shown, "prediction": None,
                           "error": f"no image: {args.content_column or 'the content column'} is empty in this row"}
            continue
        try:
            im = decode_image(source)
            im.load()
            images.append((shown, im.convert("RGB")))
        except Exception as e:  # a broken file is a row with its error, not a failed job
            rows[shown] = {"path": shown, "prediction": None, "error": f"cannot read image: {clean_message(e)}"}
    params = dict(confidence_threshold=args.confidence_threshold, max_detections=args.max_detections,
                  top_k=args.top_k)
    if images:
        try:
            preds = predictor.predict([im for _, im in images], **params)
            for (p, _), pr in zip(images, preds):
                rows[p] = {"path": p, "prediction": pr, "error": None}
        except JobError:
            for p, im in images:  # find the image that fails, keep the others
                try:
                    rows[p] = {"path": p, "prediction": predictor.predict([im], **params)[0], "error": None}
                except JobError as e:
                    rows[p] = {"path": p, "prediction": None, "error": clean_message(e)}
    return [rows[shown] for shown, _ in batch]


def _spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise JobError("Delta tables need Spark (run on a Databricks cluster)") from None
    return SparkSession.builder.getOrCreate()


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
