#!/usr/bin/env python3
"""GPU smoke run: short real fine-tunes of the Hugging Face paths (and torchvision with AMP).

Needs a CUDA GPU, transformers and onnxruntime; no network (models are built from small
configs with random weights, data is generated). Not part of the unittest suite:

    python jobs/tests/gpu_smoke.py --out /tmp/smoke [--steps 40] [--cases vit,detr]

Writes <out>/summary.json (per case: status, steps/s, final metrics, ONNX check, evaluate/batch
results) and <out>/smoke.log (every job's output).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from tests.helpers import (make_coco, make_coco_panoptic, make_imagefolder, make_mask_folder,  # noqa: E402
                           write_config)

JOBS = os.path.dirname(HERE)

SMALL_RESNET = {"model_type": "resnet", "embedding_size": 16, "hidden_sizes": [16, 32, 64, 128],
                "depths": [1, 1, 1, 1], "out_features": ["stage4"]}
SMALL_SWIN = {"model_type": "swin", "embed_dim": 24, "depths": [1, 1, 1, 1], "num_heads": [1, 2, 2, 4],
              "window_size": 4, "image_size": 64, "out_features": ["stage1", "stage2", "stage3", "stage4"]}
DETR_COMMON = {"d_model": 64, "encoder_layers": 1, "decoder_layers": 2, "encoder_attention_heads": 2,
               "decoder_attention_heads": 2, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128, "num_queries": 20,
               "use_pretrained_backbone": False}


def cases(d):
    det_data = {"train_data_path": f"{d}/coco/train", "train_annotation_file": f"{d}/coco/instances_train.json",
                "val_data_path": f"{d}/coco/val", "val_annotation_file": f"{d}/coco/instances_val.json",
                "batch_size": 8, "num_workers": 2,
                "augmentations": {"horizontal_flip": True, "rotation": 5, "brightness_contrast": 0.2}}
    cls_data = {"train_data_path": f"{d}/cls/train", "val_data_path": f"{d}/cls/val", "batch_size": 16,
                "num_workers": 2, "augmentations": {"horizontal_flip": True, "random_crop": True, "color_jitter": 0.2}}
    seg_data = {"train_data_path": f"{d}/seg/train", "val_data_path": f"{d}/seg/val", "batch_size": 8,
                "num_workers": 2, "augmentations": {"horizontal_flip": True, "random_crop": True}}
    pan_data = {"train_data_path": f"{d}/pan/train", "train_annotation_file": f"{d}/pan/panoptic_train.json",
                "val_data_path": f"{d}/pan/val", "val_annotation_file": f"{d}/pan/panoptic_val.json",
                "batch_size": 4, "num_workers": 2, "augmentations": {"horizontal_flip": True}}
    return {
        "vit": dict(model={"model_name": "google/vit-base-patch16-224", "task_type": "classification",
                           "num_classes": 2, "pretrained": False, "image_size": 64, "learning_rate": 3e-4,
                           "weight_decay": 0.01},
                    data=cls_data, training={"monitor_metric": "val_accuracy", "monitor_mode": "max"}, steps=100,
                    hf=[{"model_type": "vit", "image_size": 64, "patch_size": 8, "hidden_size": 64,
                         "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128}]),
        "detr": dict(model={"model_name": "facebook/detr-resnet-50", "task_type": "detection", "num_classes": 2,
                            "pretrained": False, "image_size": 128, "learning_rate": 2e-4},
                     data=det_data, training={"monitor_metric": "val_map", "monitor_mode": "max",
                                              "eval_every_n_epochs": 10}, steps=400,
                     hf=[{"model_type": "detr", "use_timm_backbone": False, "backbone": None,
                          "backbone_config": SMALL_RESNET, **DETR_COMMON},
                         {"model_type": "detr", "backbone_config": SMALL_RESNET, **DETR_COMMON}]),
        "conditional_detr": dict(
            model={"model_name": "microsoft/conditional-detr-resnet-50", "task_type": "detection", "num_classes": 2,
                   "pretrained": False, "image_size": 128, "learning_rate": 2e-4},
            data=det_data, training={"monitor_metric": "val_map", "monitor_mode": "max",
                                     "eval_every_n_epochs": 10}, steps=400,
            hf=[{"model_type": "conditional_detr", "use_timm_backbone": False, "backbone": None,
                 "backbone_config": SMALL_RESNET, **DETR_COMMON},
                {"model_type": "conditional_detr", "backbone_config": SMALL_RESNET, **DETR_COMMON}]),
        "segformer": dict(model={"model_name": "nvidia/segformer-b0-finetuned-ade-512-512", "task_type": "segmentation",
                                 "num_classes": 3, "pretrained": False, "image_size": 64, "learning_rate": 6e-4},
                          data=seg_data, training={"monitor_metric": "val_miou", "monitor_mode": "max"}, steps=100,
                          hf=[{"model_type": "segformer", "depths": [1, 1, 1, 1], "hidden_sizes": [16, 32, 64, 128],
                               "num_attention_heads": [1, 2, 2, 4], "decoder_hidden_size": 64}]),
        "mask2former": dict(model={"model_name": "facebook/mask2former-swin-tiny-coco-panoptic",
                                   "task_type": "segmentation", "num_classes": 2, "pretrained": False,
                                   "image_size": 64, "learning_rate": 2e-4},
                            data=pan_data, training={"monitor_metric": "val_pq", "monitor_mode": "max",
                                                     "eval_every_n_epochs": 5}, steps=120,
                            hf=[{"model_type": "mask2former", "backbone_config": SMALL_SWIN, "backbone": None,
                                 "use_timm_backbone": False, "hidden_dim": 64, "mask_feature_size": 64,
                                 "feature_size": 64, "encoder_layers": 1, "decoder_layers": 2, "num_queries": 16,
                                 "dim_feedforward": 128, "encoder_feedforward_dim": 128, "num_attention_heads": 2,
                                 "train_num_points": 1024, "use_pretrained_backbone": False},
                                {"model_type": "mask2former", "backbone_config": SMALL_SWIN, "hidden_dim": 64,
                                 "mask_feature_size": 64, "feature_size": 64, "encoder_layers": 1,
                                 "decoder_layers": 2, "num_queries": 16, "dim_feedforward": 128,
                                 "encoder_feedforward_dim": 128, "num_attention_heads": 2, "train_num_points": 1024}]),
        "tv_fasterrcnn_amp": dict(model={"model_name": "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
                                         "task_type": "detection", "num_classes": 2, "pretrained": False,
                                         "image_size": 128, "learning_rate": 1e-3},
                                  data=det_data, training={"monitor_metric": "val_map", "monitor_mode": "max",
                                                           "eval_every_n_epochs": 5}, steps=200,
                                  hf=[None]),
        "tv_resnet_fp16": dict(model={"model_name": "torchvision/resnet18", "task_type": "classification",
                                      "num_classes": 2, "pretrained": False, "image_size": 64, "learning_rate": 1e-3},
                               data=cls_data, training={"monitor_metric": "val_accuracy", "monitor_mode": "max",
                                                        "precision": "16-mixed"}, steps=100,
                               hf=[None]),
    }


def sh(cmd, log, timeout=150):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or "") + (e.stderr or "") if isinstance(e.stdout, str) else "", 124
    log.write(f"\n$ {' '.join(cmd)}\n(rc {rc}, {time.time() - t0:.1f} s)\n{out[-20000:]}\n")
    log.flush()
    return rc, out, time.time() - t0


def last_metrics(run_dir):
    vals = {}
    try:
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            for line in f:
                r = json.loads(line)
                if "_class_" not in r["name"]:
                    vals[r["name"]] = (r["step"], round(r["value"], 4))
    except OSError:
        pass
    return vals


def steps_per_s(out):
    rates = [float(x.split("(")[1].split(" steps/s")[0]) for x in out.splitlines() if " steps/s)" in x]
    return round(sum(rates[2:]) / len(rates[2:]), 2) if len(rates) > 2 else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--cases", default=None)
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    d = tempfile.mkdtemp(prefix="lv-smoke-")
    make_imagefolder(f"{d}/cls/train", n=64, size=(64, 64))
    make_imagefolder(f"{d}/cls/val", n=16, size=(64, 64), seed=1)
    make_coco(f"{d}/coco", "train", n=64, size=(128, 128))
    make_coco(f"{d}/coco", "val", n=16, size=(128, 128), seed=1)
    make_mask_folder(f"{d}/seg/train", n=32)
    make_mask_folder(f"{d}/seg/val", n=8, seed=1)
    make_coco_panoptic(f"{d}/pan", "train", n=16)
    make_coco_panoptic(f"{d}/pan", "val", n=8, seed=1)
    summary = {"env": env_info()}
    print(json.dumps(summary["env"]), flush=True)
    log = open(os.path.join(a.out, "smoke.log"), "w")
    todo = cases(d)
    wanted = a.cases.split(",") if a.cases else list(todo)
    for name in wanted:
        c = todo[name]
        res = {"tries": []}
        for k, hf in enumerate(c["hf"]):
            model = dict(c["model"])
            if hf is not None:
                model["hf_config"] = hf
            cfg = write_config(f"{d}/{name}_{k}.yaml", model, c["data"],
                               {"max_epochs": 1000, "log_every_n_steps": 10, **c["training"]})
            run = f"{d}/runs/{name}_{k}"
            steps = c.get("steps", a.steps)
            rc, out, secs = sh([sys.executable, f"{JOBS}/train.py", "--config", cfg, "--run-dir", run,
                                "--device", a.device, "--max-steps", str(steps)], log)
            st = json.load(open(f"{run}/status.json")) if os.path.isfile(f"{run}/status.json") else {}
            res["tries"].append({"hf_config": k, "rc": rc, "phase": st.get("phase"), "error": st.get("error"),
                                 "seconds": round(secs, 1)})
            if rc == 0:
                mj = json.load(open(f"{run}/model.json")) if os.path.isfile(f"{run}/model.json") else {}
                res.update(status="succeeded", steps=steps, steps_per_s=steps_per_s(out), metrics=last_metrics(run),
                           final=st.get("final_metrics"), onnx=mj.get("verification"),
                           exporter=mj.get("exporter"), total_s=round(secs, 1))
                rc2, out2, _ = sh([sys.executable, f"{JOBS}/evaluate.py", "--run-dir", run, "--onnx"], log)
                ev = f"{run}/eval-val/eval_metrics.json"
                res["evaluate_onnx"] = json.load(open(ev)) if rc2 == 0 and os.path.isfile(ev) else out2[-600:]
                img_dir = c["data"]["val_data_path"] + ("/images" if name == "segformer" else "")
                rc3, out3, _ = sh([sys.executable, f"{JOBS}/batch_infer.py", "--model", run, "--input", img_dir,
                                   "--output", f"{run}/batch/out.jsonl"], log)
                res["batch_infer"] = out3.strip().splitlines()[-1][:300] if out3.strip() else rc3
                break
            res["status"] = "failed"
        summary[name] = res
        print(name, json.dumps(res)[:1500], flush=True)
        json.dump(summary, open(os.path.join(a.out, "summary.json"), "w"), indent=1, default=str)
    log.close()


def env_info():
    info = {"python": sys.version.split()[0]}
    for mod in ("torch", "torchvision", "transformers", "onnxruntime", "onnx", "mlflow", "scipy", "timm",
                "accelerate", "numpy"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception as e:
            info[mod] = f"missing ({type(e).__name__})"
    try:
        import torch
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        info["bf16"] = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    except Exception:
        pass
    return info


if __name__ == "__main__":
    main()
