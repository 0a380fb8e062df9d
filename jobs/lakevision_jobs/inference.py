"""One predictor over an exported ONNX model or a checkpoint, answering in the serving contract.

Per image (DESIGN.md "Serving contract"):
  detection:       {boxes: [[x1,y1,x2,y2]] (original pixels), scores, labels, label_names}
  instance seg.:   the detection fields + masks: [COCO RLE {size, counts}]
  classification:  {top_k: [{label, label_name, score}]}
  semantic / panoptic: {mask_png (base64 class-index PNG), classes, width, height}
Used by evaluate.py, batch_infer.py and the MLflow pyfunc wrapper of register.py.
"""

import base64
import io
import json
import os

import torch
import torch.nn.functional as tnf
from PIL import Image

from .errors import JobError


def pil_to_input(images, height, width, mean, std):
    """Stretch-resize, scale to [0,1], normalise: the model.json input recipe, NCHW float32."""
    arrs = []
    for im in images:
        im = im.convert("RGB").resize((width, height), Image.BILINEAR)
        t = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(height, width, 3)
        arrs.append(t.permute(2, 0, 1).float() / 255)
    x = torch.stack(arrs)
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return (x - m) / s


def decode_image(value):
    """A PIL image from base64 text, bytes, a data URL or a file path."""
    if isinstance(value, Image.Image):
        return value
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, str):
        if os.path.isfile(value):
            return Image.open(value)
        s = value.split(",", 1)[1] if value.startswith("data:") else value
        try:
            data = base64.b64decode(s, validate=False)
        except (ValueError, TypeError) as e:
            raise JobError(f"image is neither a file path nor valid base64 ({e})") from None
    else:
        raise JobError(f"unsupported image value of type {type(value).__name__}")
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
        return im
    except OSError as e:
        raise JobError(f"cannot decode image ({e})") from None


class Predictor:
    """Loads model.onnx (+ model.json) with onnxruntime, or a .pt checkpoint with PyTorch."""

    def __init__(self, task, labels, height, width, defaults, runner, kind):
        self.task, self.labels = task, labels
        self.height, self.width = height, width
        self.defaults = {"confidence_threshold": 0.5, "max_detections": 100, "top_k": 5, **(defaults or {})}
        self._run = runner
        self.kind = kind

    @classmethod
    def load(cls, path, device="cpu", prefer="auto"):
        """A run dir (ONNX when onnxruntime is importable, else checkpoints/best.pt), .onnx or .pt."""
        if os.path.isdir(path):
            onnx_path, ck = os.path.join(path, "model.onnx"), os.path.join(path, "checkpoints", "best.pt")
            if not os.path.isfile(ck):
                ck = os.path.join(path, "checkpoints", "last.pt")
            if prefer != "torch" and os.path.isfile(onnx_path) and _has_ort():
                return cls.from_onnx(onnx_path)
            if os.path.isfile(ck):
                return cls.from_checkpoint(ck, device)
            raise JobError(f"{path}: no model.onnx (with onnxruntime) or checkpoints/best.pt to load")
        if path.endswith(".onnx"):
            return cls.from_onnx(path)
        return cls.from_checkpoint(path, device)

    @classmethod
    def from_onnx(cls, onnx_path):
        try:
            import onnxruntime as ort
        except ImportError:
            raise JobError("onnxruntime is not importable; install it or point at a .pt checkpoint") from None
        meta_path = os.path.join(os.path.dirname(onnx_path), "model.json")
        if not os.path.isfile(meta_path):
            raise JobError(f"{meta_path} not found (model.json must sit beside model.onnx)")
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
        sess = ort.InferenceSession(onnx_path, providers=providers)
        inp, dec = meta["input"], meta["decoding"]
        names = meta["outputs"]

        def run(x):
            outs = []
            xs = [x[i:i + 1] for i in range(x.shape[0])] if inp.get("batch") == 1 else [x]
            for xb in xs:
                res = dict(zip(names, (torch.from_numpy(o) for o in sess.run(None, {inp["name"]: xb.numpy()}))))
                outs.extend(_split_outputs(res, dec, xb.shape[0]))
            return outs

        p = cls(meta["task"], meta["labels"], inp["height"], inp["width"], meta.get("defaults"), run, "onnx")
        p.mean, p.std = inp["mean"], inp["std"]
        p.decoding = dec
        return p

    @classmethod
    def from_checkpoint(cls, ck_path, device="cpu"):
        from .config import resolve_config
        from .models import build_model
        from . import checkpoint as ckpt
        d = ckpt.load(ck_path)
        cfg = resolve_config(d["config"], source=ck_path, check_paths=False)
        cfg.model.pretrained, cfg.model.weights_path = False, None
        if d.get("hf_model_config"):
            cfg.model.hf_config = d["hf_model_config"]
        cfg.model.image_size = tuple(d.get("image_size", cfg.model.image_size))
        tm = build_model(cfg, d["labels"])
        tm.model.load_state_dict(d["model"])
        tm = tm.to(device).eval()

        def run(x):
            with torch.no_grad():
                return tm.predict(x.to(device))

        p = cls(tm.task, tm.labels, tm.image_size[0], tm.image_size[1],
                {"confidence_threshold": cfg.model.confidence_threshold,
                 "max_detections": cfg.model.max_detections}, run, "torch")
        p.mean, p.std = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]  # TaskModel normalises inside
        return p

    def predict(self, images, confidence_threshold=None, max_detections=None, top_k=None):
        """Serving-contract predictions for a list of PIL images (or base64/bytes/paths)."""
        thr = self.defaults["confidence_threshold"] if confidence_threshold is None else float(confidence_threshold)
        md = int(self.defaults["max_detections"] if max_detections is None else max_detections)
        k = int(self.defaults["top_k"] if top_k is None else top_k)
        pils = [decode_image(im) for im in images]
        sizes = [im.size for im in pils]
        x = pil_to_input(pils, self.height, self.width, self.mean, self.std)
        raw = self._run(x)
        return [self._format(r, w, h, thr, md, k) for r, (w, h) in zip(raw, sizes)]

    def _format(self, r, w, h, thr, md, k):
        names = self.labels
        if self.task == "classification":
            probs = r["probs"].float()
            s, i = probs.topk(min(k, len(names)))
            return {"top_k": [{"label": int(j), "label_name": names[int(j)], "score": round(float(v), 6)}
                              for v, j in zip(s, i)]}
        if self.task in ("detection", "instance_segmentation"):
            keep = (r["scores"] >= thr).nonzero().flatten()
            keep = keep[r["scores"][keep].argsort(descending=True)][:md]
            sx, sy = w / self.width, h / self.height
            boxes = (r["boxes"][keep].float() * torch.tensor([sx, sy, sx, sy])).tolist()
            out = {"boxes": [[round(v, 2) for v in b] for b in boxes],
                   "scores": [round(float(v), 5) for v in r["scores"][keep]],
                   "labels": [int(v) for v in r["labels"][keep]],
                   "label_names": [names[int(v)] for v in r["labels"][keep]]}
            if self.task == "instance_segmentation" and r.get("masks") is not None:
                from .datasets import mask_to_rle
                m = r["masks"][keep].float()
                m = tnf.interpolate(m[None], size=(h, w), mode="bilinear", align_corners=False)[0] > 0.5 \
                    if len(m) else m.view(0, h, w).bool()
                out["masks"] = [mask_to_rle(mm) for mm in m]
            return out
        if self.task == "panoptic_segmentation" and "segments" in r:
            mask = _panoptic_class_map(r)
        else:
            mask = r["mask"]
        mask = tnf.interpolate(mask[None, None].float(), size=(h, w), mode="nearest")[0, 0].to(torch.int64)
        buf = io.BytesIO()
        from .predictions import save_class_png
        save_class_png(mask, buf)
        return {"mask_png": base64.b64encode(buf.getvalue()).decode("ascii"),
                "classes": sorted(int(c) for c in mask.unique().tolist() if c != 255), "width": w, "height": h}


def _panoptic_class_map(r):
    seg = r["segments"]
    out = torch.full_like(seg, 255)  # 255: pixels no segment claims
    for s in r["segments_info"]:
        out[seg == s["id"]] = s["label"]
    return out


def _split_outputs(res, dec, n):
    """ONNX outputs -> the per-image dicts TaskModel.predict returns."""
    t = dec["type"]
    if t == "classification":
        return [{"probs": p} for p in res[dec["output"]].float().softmax(-1)]
    if t in ("detection", "instance_segmentation"):
        d = {"boxes": res[dec["boxes"]], "scores": res[dec["scores"]], "labels": res[dec["labels"]]}
        if t == "instance_segmentation":
            d["masks"] = res[dec["masks"]]
        return [d]
    if t == "semantic_segmentation":
        return [{"mask": m} for m in res[dec["output"]]]
    if t == "mask_classification":  # Mask2Former-style (class, mask) queries, decoded per task
        from .hf import _universal_instances, _universal_panoptic
        cls, masks = res[dec["class_probs"]].float(), res[dec["mask_probs"]].float()
        task = dec.get("task", "semantic_segmentation")
        if task == "panoptic_segmentation":
            return [_universal_panoptic(c, m) for c, m in zip(cls, masks)]
        if task == "instance_segmentation":
            return [_universal_instances(c, m, 100) for c, m in zip(cls, masks)]
        return [{"mask": torch.einsum("qc,qhw->chw", c[:, :-1], m).argmax(0)} for c, m in zip(cls, masks)]
    raise JobError(f"unknown decoding type {t!r} in model.json")


def _has_ort():
    try:
        import onnxruntime  # noqa: F401
        return True
    except ImportError:
        return False
