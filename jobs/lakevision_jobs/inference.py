"""One predictor over an exported ONNX model or a checkpoint, answering in the serving contract.

Per image (DESIGN.md "Serving contract"):
  detection:       {boxes: [[x1,y1,x2,y2]] (original pixels), scores, labels, label_names}
  instance seg.:   the detection fields + masks: [COCO RLE {size, counts}]
  classification:  {top_k: [{label, label_name, score}]}
  semantic / panoptic: {mask_png (base64 class-index PNG), classes, width, height}
Used by evaluate.py, batch_infer.py and the MLflow pyfunc wrapper of register.py. The model.json
options (jobs/README.md "model.json") are read exactly as lib/inference/ reads them (model_json.ts,
preprocess.ts, postprocess.ts), so Model Serving, the app's local endpoint and the browser agree.
"""

import base64
import io
import json
import os

import torch
import torch.nn.functional as tnf
from PIL import Image

from .errors import JobError

ACTIVATIONS = ("none", "softmax", "sigmoid")
LAYOUTS = ("NCHW", "NHWC")
COLORS = ("RGB", "BGR")
SEMANTIC_FORMATS = ("class_index", "scores")


def pil_to_input(images, height, width, mean, std, scale=1 / 255, layout="NCHW", color="RGB"):
    """The model.json input recipe: stretch-resize (Pillow BILINEAR), channels in `color` order,
    x = (pixel·scale − mean) / std in float32 (mean/std in that channel order), NCHW or NHWC."""
    arrs = []
    for im in images:
        im = im.convert("RGB").resize((width, height), Image.BILINEAR)
        arrs.append(torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(height, width, 3))
    x = torch.stack(arrs).permute(0, 3, 1, 2).float()
    if color == "BGR":
        x = x.flip(1)
    # 1/255 divides (what jobs/ exports, as preprocess.ts does); any other scale multiplies in float32
    x = x / 255 if abs(scale - 1 / 255) < 1e-12 else x * torch.tensor(scale, dtype=torch.float32)
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    x = (x - m) / s
    if layout == "NHWC":
        x = x.permute(0, 2, 3, 1)
    return x.contiguous()


def label_names(meta):
    """Class names by 0-based label: `labels`, else Hugging Face `id2label` ({"0": "cat", ...})."""
    if meta.get("labels"):
        return list(meta["labels"])
    m = meta.get("id2label") or {}
    if not m:
        raise JobError("model.json needs labels (class names by label), or id2label")
    if set(m) != {str(i) for i in range(len(m))}:
        raise JobError(f"model.json id2label must number labels 0..{len(m) - 1} without gaps (got keys "
                       f"{', '.join(sorted(m, key=lambda k: (len(k), k)))})")
    return [m[str(i)] for i in range(len(m))]


def output_activation(meta):
    """`output_activation`, else the decoding's own `activation`, else softmax for classification and
    none otherwise (detection scores, mask probabilities and class indices come out ready)."""
    if meta.get("output_activation"):
        return meta["output_activation"]
    dec = meta["decoding"]
    if dec.get("type") == "classification":
        return dec.get("activation") or "softmax"
    return "none"


def check_model_json(meta):
    """Refuses model.json values this reader would misread, naming the field and the allowed values."""
    inp, dec = meta.get("input") or {}, meta.get("decoding") or {}
    for where, value, allowed in (("output_activation", meta.get("output_activation"), ACTIVATIONS),
                                  ("decoding.activation", dec.get("activation"), ACTIVATIONS),
                                  ("input.layout", inp.get("layout"), LAYOUTS),
                                  ("input.color", inp.get("color"), COLORS),
                                  ("input.dtype", inp.get("dtype"), ("float32",)),
                                  ("input.resize", inp.get("resize"), ("stretch",))):
        if value is not None and value not in allowed:
            raise JobError(f"model.json {where} is {value!r}; allowed: {', '.join(allowed)}")
    if dec.get("type") == "semantic_segmentation" and dec.get("format", "class_index") not in SEMANTIC_FORMATS:
        raise JobError(f"model.json decoding.format is {dec['format']!r}; allowed: {', '.join(SEMANTIC_FORMATS)}")
    scale = inp.get("scale", 1 / 255)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise JobError(f"model.json input.scale must be a number > 0 (got {scale!r})")
    mt = dec.get("mask_threshold", 0.5)
    if isinstance(mt, bool) or not isinstance(mt, (int, float)) or not 0 <= mt <= 1:
        raise JobError(f"model.json decoding.mask_threshold must be a number in [0, 1] (got {mt!r})")
    label_names(meta)
    return meta


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
        self.mean, self.std = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
        self.scale, self.layout, self.color = 1 / 255, "NCHW", "RGB"

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
            meta = check_model_json(json.load(f))
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
        sess = ort.InferenceSession(onnx_path, providers=providers)
        inp, dec = meta["input"], meta["decoding"]
        names = meta.get("outputs") or [o.name for o in sess.get_outputs()]
        activation = output_activation(meta)

        def run(x):
            outs = []
            xs = [x[i:i + 1] for i in range(x.shape[0])] if inp.get("batch") == 1 else [x]
            for xb in xs:
                res = dict(zip(names, (torch.from_numpy(o) for o in sess.run(None, {inp["name"]: xb.numpy()}))))
                outs.extend(_split_outputs(res, dec, xb.shape[0], activation))
            return outs

        p = cls(meta["task"], label_names(meta), inp["height"], inp["width"], meta.get("defaults"), run, "onnx")
        p.mean, p.std = inp["mean"], inp["std"]
        p.scale, p.layout, p.color = inp.get("scale", 1 / 255), inp.get("layout", "NCHW"), inp.get("color", "RGB")
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
        x = pil_to_input(pils, self.height, self.width, self.mean, self.std, self.scale, self.layout, self.color)
        raw = self._run(x)
        return [self._format(r, w, h, thr, md, k) for r, (w, h) in zip(raw, sizes)]

    def _format(self, r, w, h, thr, md, k):
        names = self.labels
        if self.task == "classification":
            probs = r["probs"].float().flatten().tolist()
            # equal scores: lowest label first (as argmax; lib/inference/torch_like.ts topIndices)
            top = sorted(range(len(probs)), key=lambda j: (-probs[j], j))[:max(0, min(k, len(names)))]
            return {"top_k": [{"label": j, "label_name": names[j] if j < len(names) else str(j),
                               "score": round(probs[j], 6)} for j in top]}
        if self.task in ("detection", "instance_segmentation"):
            keep = (r["scores"] >= thr).nonzero().flatten()
            keep = keep[r["scores"][keep].argsort(descending=True, stable=True)][:max(0, md)]
            labels = [int(v) for v in r["labels"][keep]]
            bad = next((v for v in labels if not 0 <= v < len(names)), None)
            if bad is not None:
                raise JobError(f"the model predicted label {bad}, but model.json has {len(names)} labels")
            sx, sy = w / self.width, h / self.height
            boxes = (r["boxes"][keep].float() * torch.tensor([sx, sy, sx, sy])).tolist()
            out = {"boxes": [[round(v, 2) for v in b] for b in boxes],
                   "scores": [round(float(v), 5) for v in r["scores"][keep]],
                   "labels": labels, "label_names": [names[v] for v in labels]}
            if self.task == "instance_segmentation" and r.get("masks") is not None:
                out["masks"] = _instance_masks(r, keep, w, h)
            return out
        if self.task == "panoptic_segmentation" and "segments" in r:
            mask = _panoptic_class_map(r)
        else:
            mask = r["mask"]
        lo, hi = (int(mask.min()), int(mask.max())) if mask.numel() else (0, 0)
        if lo < 0 or hi > 65535:
            raise JobError(f"the model's mask has class ids outside 0..65535 ({lo}..{hi})")
        mask = tnf.interpolate(mask[None, None].float(), size=(h, w), mode="nearest")[0, 0].to(torch.int64)
        buf = io.BytesIO()
        from .predictions import save_class_png
        save_class_png(mask, buf)
        return {"mask_png": base64.b64encode(buf.getvalue()).decode("ascii"),
                "classes": sorted(int(c) for c in mask.unique().tolist() if c != 255), "width": w, "height": h}


def _instance_masks(r, keep, w, h):
    """Kept masks bilinear-resized to the original size, > `mask_threshold` (0.5 unless model.json says), as RLE."""
    from .datasets import mask_to_rle
    m = r["masks"]
    if m.dim() == 4 and m.shape[1] == 1:  # [K, 1, H, W], as torchvision's Mask R-CNN gives them
        m = m[:, 0]
    if m.dim() != 3 or m.shape[0] != r["scores"].shape[0]:
        raise JobError(f"masks output has shape {list(r['masks'].shape)}; expected [{r['scores'].shape[0]}, H, W]")
    m = m[keep].float()
    thr = r.get("mask_threshold", 0.5)
    m = tnf.interpolate(m[None], size=(h, w), mode="bilinear", align_corners=False)[0] > thr \
        if len(m) else m.view(0, h, w).bool()
    return [mask_to_rle(mm) for mm in m]


def _panoptic_class_map(r):
    seg = r["segments"]
    out = torch.full_like(seg, 255)  # 255: pixels no segment claims
    for s in r["segments_info"]:
        out[seg == s["id"]] = s["label"]
    return out


def _split_outputs(res, dec, n, activation=None):
    """ONNX outputs -> the per-image dicts TaskModel.predict returns. `activation` is model.json's
    (output_activation(meta)); None: the decoding's own (softmax for classification)."""
    t = dec["type"]
    if activation is None:
        activation = output_activation({"decoding": dec})
    if t == "classification":
        out = res[dec["output"]]
        return [{"probs": p} for p in _activate(out.reshape(-1, out.shape[-1]), activation)]
    if t in ("detection", "instance_segmentation"):
        d = {"boxes": res[dec["boxes"]], "scores": res[dec["scores"]], "labels": res[dec["labels"]]}
        if t == "instance_segmentation":
            d["masks"] = res[dec["masks"]]
            d["mask_threshold"] = dec.get("mask_threshold", 0.5)
        return [d]
    if t == "semantic_segmentation":
        out = res[dec["output"]]
        if dec.get("format", "class_index") == "scores":
            return [{"mask": m} for m in _score_maps(out, activation, dec.get("threshold", 0.5))]
        return [{"mask": m} for m in out.reshape(-1, *out.shape[-2:])]
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


def _activate(scores, activation):
    """float32 probabilities from raw scores along the last axis, as lib/inference/torch_like.ts."""
    if activation == "softmax":
        return scores.float().softmax(-1)
    if activation == "sigmoid":  # 1 / (1 + e^-x) in float64, rounded once to float32, as sigmoid32
        return torch.sigmoid(scores.float().double()).float()
    return scores.float()


def _score_maps(scores, activation, threshold):
    """[N, C, H, W] (or [C, H, W]) per-class scores -> [N, H, W] class ids: argmax over C, first on
    ties (softmax and sigmoid keep the order, so raw scores decide); C = 1: class 1 where the score,
    after sigmoid when that is the activation, is ≥ threshold."""
    if scores.dim() == 3:
        scores = scores[None]
    if scores.dim() != 4 or 0 in scores.shape:
        raise JobError(f"score map has shape {list(scores.shape)}; expected [N, C, H, W]")
    if scores.shape[1] == 1:
        v = _activate(scores[:, 0], "sigmoid") if activation == "sigmoid" else scores[:, 0].float()
        return (v >= threshold).to(torch.int64)
    return scores.argmax(1)


def _has_ort():
    try:
        import onnxruntime  # noqa: F401
        return True
    except ImportError:
        return False
