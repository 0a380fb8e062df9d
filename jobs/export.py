#!/usr/bin/env python3
"""Export a checkpoint to ONNX + model.json (train.py does this at the end of every run).

    python jobs/export.py --run-dir runs/r1                 # checkpoints/best.pt -> runs/r1/model.onnx
    python jobs/export.py --checkpoint x.pt --out-dir out/  # any checkpoint written by train.py

When onnxruntime is importable the exported graph is re-run on one image and compared with
PyTorch; the differences and tolerances are printed and stored in model.json["verification"].
"""

import argparse
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lakevision_jobs import checkpoint as ckpt  # noqa: E402
from lakevision_jobs.config import resolve_config  # noqa: E402
from lakevision_jobs.errors import JobError, clean_message  # noqa: E402
from lakevision_jobs.export_onnx import OPSET, export_model  # noqa: E402
from lakevision_jobs.models import build_model  # noqa: E402
from lakevision_jobs.tracking import suppress_noisy_warnings  # noqa: E402


def get_args_parser():
    p = argparse.ArgumentParser(description="Lakevision ONNX export")
    p.add_argument("--run-dir", default=None, help="training run directory (uses checkpoints/best.pt)")
    p.add_argument("--checkpoint", default=None, help="checkpoint file (overrides --run-dir's best.pt)")
    p.add_argument("--out-dir", default=None, help="where model.onnx and model.json go (default: --run-dir)")
    p.add_argument("--opset", type=int, default=OPSET, help="ONNX opset version")
    p.add_argument("--no-verify", action="store_true", help="skip the onnxruntime comparison")
    return p


def main(args):
    suppress_noisy_warnings()
    try:
        if not (args.run_dir or args.checkpoint):
            raise JobError("give --run-dir or --checkpoint")
        ck_path = args.checkpoint or os.path.join(args.run_dir, "checkpoints", "best.pt")
        out_dir = args.out_dir or args.run_dir or os.path.dirname(os.path.abspath(ck_path))
        print(f"[building_model] from {ck_path}", flush=True)
        d = ckpt.load(ck_path)
        cfg = resolve_config(d["config"], source=ck_path, check_paths=False)
        cfg.model.pretrained, cfg.model.weights_path = False, None
        if d.get("hf_model_config"):
            cfg.model.hf_config = d["hf_model_config"]
        cfg.model.image_size = tuple(d.get("image_size", cfg.model.image_size))
        tm = build_model(cfg, d["labels"])
        tm.model.load_state_dict(d["model"])
        tm.eval()
        print("[exporting]", flush=True)
        meta = export_model(tm, out_dir, None, opset=args.opset, verify=not args.no_verify, extra_meta={
            "category_ids": d.get("cat_ids"),
            "defaults": {"confidence_threshold": cfg.model.confidence_threshold,
                         "max_detections": cfg.model.max_detections, "top_k": min(5, len(tm.labels))},
            "source_checkpoint": os.path.abspath(ck_path)})
        print(f"[succeeded] {os.path.join(out_dir, 'model.onnx')} ({meta['onnx_bytes'] / 1e6:.1f} MB)", flush=True)
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
