#!/usr/bin/env python3
"""Re-run a trained model (checkpoint or ONNX) on a split; write predictions and metrics.

    python jobs/evaluate.py --run-dir runs/r1                       # best.pt on val
    python jobs/evaluate.py --run-dir runs/r1 --onnx --split train  # the exported graph

Writes <output-dir>/predictions/<split>.json (formats in lakevision_jobs/predictions.py),
<output-dir>/eval_metrics.json (eval_* metrics plus images/s) and <output-dir>/status.json.
The app computes its detailed views from the predictions itself.
"""

import argparse
import contextlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from lakevision_jobs import checkpoint as ckpt  # noqa: E402
from lakevision_jobs.config import load_config, resolve_config  # noqa: E402
from lakevision_jobs.datasets import build_dataset  # noqa: E402
from lakevision_jobs.distributed import DistInfo  # noqa: E402
from lakevision_jobs.engine import evaluate  # noqa: E402
from lakevision_jobs.errors import ConfigError, JobError, clean_message  # noqa: E402
from lakevision_jobs.inference import Predictor  # noqa: E402
from lakevision_jobs.models import build_model  # noqa: E402
from lakevision_jobs.pipeline import build_loader  # noqa: E402
from lakevision_jobs.predictions import PredictionWriter  # noqa: E402
from lakevision_jobs.signals import STOP  # noqa: E402
from lakevision_jobs.tracking import RunTracker, suppress_noisy_warnings, write_json_atomic  # noqa: E402
from lakevision_jobs.transforms import build_transforms  # noqa: E402


def get_args_parser():
    p = argparse.ArgumentParser(description="Lakevision evaluation job")
    p.add_argument("--run-dir", required=True, help="a training run directory")
    p.add_argument("--config", default=None, help="config YAML (default: <run-dir>/config.yaml); its data paths are used")
    p.add_argument("--checkpoint", default=None, help="checkpoint file (default: <run-dir>/checkpoints/best.pt)")
    p.add_argument("--onnx", action="store_true", help="evaluate <run-dir>/model.onnx with onnxruntime instead")
    p.add_argument("--split", choices=("val", "train"), default="val", help="which split of the config to use")
    p.add_argument("--output-dir", default=None, help="where to write (default: <run-dir>/eval-<split>)")
    p.add_argument("--batch-size", type=int, default=None, help="images per batch (default: data.batch_size)")
    p.add_argument("--max-batches", type=int, default=None, help="stop after this many batches")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    return p


def main(args):
    suppress_noisy_warnings()
    out_dir = args.output_dir or os.path.join(args.run_dir, f"eval-{args.split}")
    tracker = RunTracker(out_dir, "evaluate")
    STOP.install(on_request=tracker.cancel_requested)
    try:
        device = torch.device("cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
                              else "cpu")
        tracker.phase("building_model")
        tm, cfg, cat_ids = load_model(args, device)
        tracker.update(task=tm.task, model_name=tm.model_name, source=tm.source)
        tracker.phase("loading_data", f"{args.split} split")
        ds = build_dataset(cfg, args.split, build_transforms(cfg.data, tm.image_size, train=False),
                           reference=_Reference(tm.labels, cat_ids))
        loader = build_loader(ds, cfg, DistInfo(device=device), train=False, batch_size=args.batch_size)
        tracker.phase("evaluating", f"{len(ds)} images with {tm.source}")
        writer = PredictionWriter(os.path.join(out_dir, "predictions"), args.split, tm.task, tm.labels,
                                  cat_ids=getattr(getattr(ds, "cats", None), "ids", None))
        t0 = time.time()
        metrics = evaluate(tm, loader, device, contextlib.nullcontext(), writer=writer, max_batches=args.max_batches)
        if STOP.requested:
            tracker.finish("cancelled")
            return STOP.exit_code
        secs = time.time() - t0
        path = writer.close()
        n = len(ds) if not args.max_batches else min(len(ds), args.max_batches * loader.batch_size)
        result = {"split": args.split, "source": tm.source, "images": n, "seconds": round(secs, 2),
                  "images_per_second": round(n / max(secs, 1e-9), 2), "device": str(device), "metrics": metrics}
        write_json_atomic(os.path.join(out_dir, "eval_metrics.json"), result)
        tracker.log_metrics(metrics, 0, 0)
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if "_class_" not in k)
        print(f"[eval] {shown}\n[predictions] {path}", flush=True)
        tracker.finish("succeeded")
        return 0
    except ConfigError as e:
        return _fail(tracker, str(e), 2)
    except JobError as e:
        return _fail(tracker, clean_message(e), 1)
    except Exception as e:
        traceback.print_exc()
        return _fail(tracker, f"{type(e).__name__}: {clean_message(e)}", 1)


class _Reference:
    """Stands in for the train dataset so the split uses the model's class indices."""

    def __init__(self, labels, cat_ids):
        self.labels = labels
        if cat_ids:
            from lakevision_jobs.datasets import CategoryMap
            self.cats = CategoryMap([{"id": c, "name": n} for c, n in zip(cat_ids, labels)], "checkpoint")


def load_model(args, device):
    """(task model, config, COCO category ids) from the checkpoint or the ONNX export."""
    cfg_path = args.config or os.path.join(args.run_dir, "config.yaml")
    if args.onnx:
        onnx_path = os.path.join(args.run_dir, "model.onnx")
        p = Predictor.from_onnx(onnx_path)
        cfg = load_config(cfg_path)
        from lakevision_jobs.export_onnx import read_model_json
        meta = read_model_json(os.path.join(args.run_dir, "model.json"))
        return OnnxTaskModel(p, onnx_path), cfg, meta.get("category_ids")
    ck_path = args.checkpoint or os.path.join(args.run_dir, "checkpoints", "best.pt")
    if not os.path.isfile(ck_path) and not args.checkpoint:
        ck_path = os.path.join(args.run_dir, "checkpoints", "last.pt")
    d = ckpt.load(ck_path)
    cfg = load_config(cfg_path) if os.path.isfile(cfg_path) else resolve_config(d["config"], source=ck_path)
    cfg.model.pretrained, cfg.model.weights_path = False, None
    if d.get("hf_model_config"):
        cfg.model.hf_config = d["hf_model_config"]
    cfg.model.image_size = tuple(d.get("image_size", cfg.model.image_size))
    tm = build_model(cfg, d["labels"])
    tm.model.load_state_dict(d["model"])
    tm.source = os.path.relpath(ck_path, args.run_dir) if ck_path.startswith(args.run_dir) else ck_path
    return tm.to(device).eval(), cfg, d.get("cat_ids")


class OnnxTaskModel:
    """The slice of TaskModel that engine.evaluate uses, backed by onnxruntime."""

    has_eval_loss = False
    backend = "onnx"

    def __init__(self, predictor, path):
        self.p = predictor
        self.task, self.labels = predictor.task, predictor.labels
        self.image_size = (predictor.height, predictor.width)
        self.model_name = path
        self.source = "model.onnx"
        m = torch.tensor(predictor.mean).view(1, 3, 1, 1)
        s = torch.tensor(predictor.std).view(1, 3, 1, 1)
        self._norm = lambda x: (x - m) / s

    def eval(self):
        return self

    def predict(self, images):
        return self.p._run(self._norm(images.cpu()))


def _fail(tracker, msg, code):
    print(f"[failed] {msg}", file=sys.stderr, flush=True)
    tracker.finish("failed", error=msg)
    return code


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
