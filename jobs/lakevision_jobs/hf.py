"""Hugging Face transformers backend (the path used on Databricks ML GPU runtimes).

Models come from the Auto* classes: ImageClassification, ObjectDetection, SemanticSegmentation
and UniversalSegmentation (Mask2Former, OneFormer, MaskFormer). Weights: `from_pretrained` of the
hub id or of `model.weights_path` (a folder in a volume), or, with `pretrained: false`, random
initialisation from `model.hf_config` (a `model_type` plus config fields) or from the id's cached
config. Pre-processing is ours (resize to image_size, scale to [0,1], normalise with the image
processor's mean/std), so it behaves the same across transformers versions.
"""

import torch
import torch.nn as nn
import torch.nn.functional as tnf

from .errors import JobError
from .models import TaskModel, IMAGENET_MEAN, IMAGENET_STD
from .transforms import IGNORE_INDEX

UNIVERSAL = ("mask2former", "oneformer", "maskformer")


def transformers_available():
    try:
        import transformers  # noqa: F401
        return True
    except ImportError:
        return False


def build_hf(cfg, labels):
    """Build the transformers model for the task, saying exactly what was tried when it fails."""
    try:
        import transformers
    except ImportError as e:
        raise JobError(f"{cfg.model.model_name} is a Hugging Face model but transformers is not importable "
                       f"({e}); install transformers (preinstalled on Databricks ML runtimes) or use a "
                       f"torchvision/<builder> model") from None
    m, task = cfg.model, cfg.task
    name = m.model_name.lower() + " " + str((m.hf_config or {}).get("model_type", "")).lower()
    universal = any(f in name for f in UNIVERSAL)
    if task == "classification":
        auto, cls = transformers.AutoModelForImageClassification, HfClassifier
    elif task == "detection":
        auto, cls = transformers.AutoModelForObjectDetection, HfDetector
    elif task == "semantic_segmentation" and not universal:
        auto, cls = transformers.AutoModelForSemanticSegmentation, HfSemantic
    elif task in ("semantic_segmentation", "instance_segmentation", "panoptic_segmentation"):
        if not universal:
            raise JobError(f"{m.model_name}: {task} needs a universal segmentation model "
                           f"(Mask2Former, OneFormer, MaskFormer)")
        auto, cls = transformers.AutoModelForUniversalSegmentation, HfUniversal
    else:
        raise JobError(f"no Hugging Face model class for task {task}")
    id2label = {i: n for i, n in enumerate(labels)}
    label2id = {n: i for i, n in enumerate(labels)}
    hf_cfg = dict(m.hf_config or {})
    mean = hf_cfg.pop("image_mean", None)
    std = hf_cfg.pop("image_std", None)
    tried = []
    src = m.weights_path or m.model_name
    if m.pretrained or m.weights_path:
        kwargs = dict(num_labels=len(labels), id2label=id2label, label2id=label2id,
                      ignore_mismatched_sizes=True, **hf_cfg)
        try:
            model = auto.from_pretrained(src, **kwargs)
        except Exception as e:
            tried.append(f"{auto.__name__}.from_pretrained({src!r}): {type(e).__name__}: {_short(e)}")
            raise JobError("could not load pretrained weights. Tried:\n  - " + "\n  - ".join(tried) +
                           "\nSet model.weights_path to a saved model folder in a volume, or "
                           "model.pretrained: false with model.hf_config (model_type + sizes) to start "
                           "from random weights.") from None
        proc_mean, proc_std = _processor_mean_std(transformers, src)
        mean, std = mean or proc_mean, std or proc_std
    else:
        conf = None
        if hf_cfg:
            mt = hf_cfg.pop("model_type", None)
            if not mt:
                raise JobError("model.hf_config needs model_type (e.g. detr, vit, segformer, mask2former)")
            try:
                conf = transformers.AutoConfig.for_model(mt, **hf_cfg)
            except Exception as e:
                raise JobError(f"model.hf_config: cannot build a {mt} config: {type(e).__name__}: {_short(e)}") from None
        else:
            try:
                conf = transformers.AutoConfig.from_pretrained(m.model_name)
            except Exception as e:
                raise JobError(f"model.pretrained is false but no config is available for {m.model_name}: "
                               f"AutoConfig.from_pretrained failed ({type(e).__name__}: {_short(e)}). "
                               f"Give model.hf_config with model_type and sizes.") from None
        conf.num_labels = len(labels)
        conf.id2label, conf.label2id = id2label, label2id
        _no_pretrained_backbone(conf)
        try:
            model = auto.from_config(conf)
        except Exception as e:
            raise JobError(f"{auto.__name__}.from_config({type(conf).__name__}) failed: "
                           f"{type(e).__name__}: {_short(e)}") from None
    if task == "classification" and m.dropout is not None:
        for attr in ("hidden_dropout_prob", "classifier_dropout"):
            if hasattr(model.config, attr):
                setattr(model.config, attr, m.dropout)
    mean = cfg.data.normalize_mean or mean or IMAGENET_MEAN
    std = cfg.data.normalize_std or std or IMAGENET_STD
    tm = cls(model, task, labels, m.image_size, mean, std, m.model_name,
             pretrained_loaded=bool(m.pretrained or m.weights_path))
    tm.max_detections = m.max_detections
    return tm


def _short(e, n=300):
    s = str(e).strip().splitlines()
    s = s[0] if s else ""
    return s[:n]


def _processor_mean_std(transformers, src):
    try:
        p = transformers.AutoImageProcessor.from_pretrained(src)
        return list(p.image_mean), list(p.image_std)
    except Exception:
        return None, None


def _no_pretrained_backbone(conf):
    """Random init must not reach for hub/timm backbone weights (clusters may be offline)."""
    for attr in ("use_pretrained_backbone",):
        if hasattr(conf, attr):
            setattr(conf, attr, False)


class HfTaskModel(TaskModel):
    backend = "hf"

    def is_backbone(self, name):
        prefix = getattr(self.model, "base_model_prefix", "")
        if "backbone" in name:
            return True
        return self.task == "classification" and bool(prefix) and name.startswith(prefix + ".")

    def _run(self, images, **kw):
        return self.model(pixel_values=self.normalize(images), **kw)


class HfClassifier(HfTaskModel):
    def _losses(self, images, targets):
        y = torch.as_tensor([t["label"] for t in targets], device=images.device)
        out = self._run(images)
        return {"loss": tnf.cross_entropy(out.logits.float(), y)}

    @torch.no_grad()
    def predict(self, images):
        return [{"probs": p} for p in self._run(images).logits.float().softmax(-1)]

    def export_module(self):
        return _HfExport(self, "classification"), ["logits"], {"type": "classification", "output": "logits",
                                                               "activation": "softmax"}


class HfDetector(HfTaskModel):
    """DETR family: targets are class_labels + cxcywh boxes normalised to the input size."""

    def _labels(self, targets, images):
        h, w = images.shape[-2:]
        scale = torch.tensor([w, h, w, h], dtype=torch.float32)
        out = []
        for t in targets:
            keep = ~t["iscrowd"] if t.get("iscrowd") is not None else slice(None)
            t = {"boxes": t["boxes"][keep], "labels": t["labels"][keep]}
            b = t["boxes"].float() / scale
            cxcywh = torch.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2,
                                  b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1) if len(b) else b.view(0, 4)
            out.append({"class_labels": t["labels"].to(images.device), "boxes": cxcywh.to(images.device)})
        return out

    def _losses(self, images, targets):
        out = self._run(images, labels=self._labels(targets, images))
        d = {k: v for k, v in (getattr(out, "loss_dict", None) or {}).items() if torch.is_tensor(v) and v.ndim == 0}
        d["loss"] = out.loss
        return d

    @torch.no_grad()
    def predict(self, images):
        out = self._run(images)
        h, w = images.shape[-2:]
        res = []
        for i in range(images.shape[0]):
            boxes, scores, labels = decode_detr(out.logits[i].float(), out.pred_boxes[i].float(),
                                                len(self.labels), h, w, self.max_detections)
            res.append({"boxes": boxes, "scores": scores, "labels": labels})
        return res

    def export_module(self):
        return _HfExport(self, "detection"), ["boxes", "scores", "labels"], {
            "type": "detection", "batch": 1, "boxes": "boxes", "scores": "scores", "labels": "labels",
            "box_format": "xyxy", "coordinates": "input_pixels"}


def decode_detr(logits, boxes, num_classes, h, w, k):
    """Scores, labels, xyxy pixel boxes from one image's query outputs.

    A head with one extra logit (DETR, YOLOS) is softmax with a 'no object' class; a head with
    exactly num_classes logits (Conditional/Deformable DETR, DETA, RT-DETR) is sigmoid, top-k
    over query × class as in their reference post-processing.
    """
    scale = torch.stack([torch.tensor(w), torch.tensor(h), torch.tensor(w), torch.tensor(h)]).to(boxes)
    cx, cy, bw, bh = boxes.unbind(-1)
    xyxy = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1) * scale
    if logits.shape[-1] == num_classes + 1:
        scores, labels = logits.softmax(-1)[:, :-1].max(-1)
        k = min(k, scores.shape[0])
        scores, idx = scores.topk(k)
        return xyxy[idx], scores, labels[idx]
    prob = logits.sigmoid().flatten()
    k = min(k, prob.shape[0])
    scores, idx = prob.topk(k)
    q = torch.div(idx, num_classes, rounding_mode="floor")
    return xyxy[q], scores, idx % num_classes


class HfSemantic(HfTaskModel):
    def _losses(self, images, targets):
        y = torch.stack([t["semantic"] for t in targets]).to(images.device)
        logits = self._run(images).logits.float()
        logits = tnf.interpolate(logits, size=y.shape[-2:], mode="bilinear", align_corners=False)
        return {"loss": tnf.cross_entropy(logits, y, ignore_index=IGNORE_INDEX)}

    @torch.no_grad()
    def predict(self, images):
        logits = self._run(images).logits.float()
        logits = tnf.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=False)
        return [{"mask": m} for m in logits.argmax(1)]

    def export_module(self):
        return _HfExport(self, "semantic"), ["mask"], {"type": "semantic_segmentation", "output": "mask",
                                                       "format": "class_index", "size": "input"}


class HfUniversal(HfTaskModel):
    """Mask2Former / OneFormer / MaskFormer: a set of (class, mask) queries per image."""

    def _labels(self, targets, device):
        mask_labels, class_labels = [], []
        for t in targets:
            if t.get("semantic") is not None:
                sem = t["semantic"]
                cls = [int(c) for c in sem.unique().tolist() if c != IGNORE_INDEX]
                masks = torch.stack([(sem == c) for c in cls]).float() if cls else sem.new_zeros((0,) + sem.shape).float()
                cls = torch.tensor(cls, dtype=torch.int64)
            else:
                keep = ~t["iscrowd"] if t.get("iscrowd") is not None else slice(None)
                masks, cls = t["masks"][keep].float(), t["labels"][keep]
            mask_labels.append(masks.to(device))
            class_labels.append(cls.to(device))
        return mask_labels, class_labels

    def _losses(self, images, targets):
        ml, cl = self._labels(targets, images.device)
        kw = {"mask_labels": ml, "class_labels": cl}
        if "oneformer" in type(self.model).__name__.lower():
            raise JobError("OneFormer training needs task text inputs, which are not supported yet; "
                           "use Mask2Former")
        out = self._run(images, **kw)
        return {"loss": out.loss}

    @torch.no_grad()
    def predict(self, images):
        out = self._run(images)
        h, w = images.shape[-2:]
        cls = out.class_queries_logits.float().softmax(-1)  # [N,Q,C+1]
        masks = tnf.interpolate(out.masks_queries_logits.float(), size=(h, w), mode="bilinear",
                                align_corners=False).sigmoid()  # [N,Q,H,W]
        res = []
        for i in range(images.shape[0]):
            if self.task == "semantic_segmentation":
                seg = torch.einsum("qc,qhw->chw", cls[i, :, :-1], masks[i])
                res.append({"mask": seg.argmax(0)})
            elif self.task == "instance_segmentation":
                res.append(_universal_instances(cls[i], masks[i], self.max_detections))
            else:
                res.append(_universal_panoptic(cls[i], masks[i]))
        return res

    def export_module(self):
        return _HfExport(self, "universal"), ["class_probs", "mask_probs"], {
            "type": "mask_classification", "task": self.task, "class_probs": "class_probs",
            "mask_probs": "mask_probs", "no_object_last": True, "size": "input"}


def _universal_instances(cls, masks, k):
    c = cls.shape[-1] - 1
    scores = cls[:, :-1].flatten()
    k = min(k, scores.numel())
    scores, idx = scores.topk(k)
    q = torch.div(idx, c, rounding_mode="floor")
    m = masks[q]
    binm = (m > 0.5).float()
    mask_score = (m * binm).flatten(1).sum(1) / binm.flatten(1).sum(1).clamp(min=1e-6)
    from .transforms import masks_to_boxes_safe
    return {"boxes": masks_to_boxes_safe(binm.to(torch.uint8).cpu(), None).to(m.device),
            "scores": scores * mask_score, "labels": idx % c, "masks": m}


def _universal_panoptic(cls, masks, threshold=0.5, overlap=0.8):
    scores, labels = cls.max(-1)
    c = cls.shape[-1] - 1
    keep = (labels != c) & (scores > threshold)
    h, w = masks.shape[-2:]
    seg = torch.zeros((h, w), dtype=torch.int64, device=masks.device)
    segments = []
    if keep.any():
        m, s, lab = masks[keep], scores[keep], labels[keep]
        owner = (m * s[:, None, None]).argmax(0)
        nid = 0
        for j in range(m.shape[0]):
            region = (owner == j) & (m[j] >= 0.5)
            orig = (m[j] >= 0.5).sum()
            if region.sum() == 0 or orig == 0 or region.sum() / orig < overlap:
                continue
            nid += 1
            seg[region] = nid
            segments.append({"id": nid, "label": int(lab[j]), "score": float(s[j])})
    return {"segments": seg, "segments_info": segments}


class _HfExport(nn.Module):
    def __init__(self, tm, kind):
        super().__init__()
        self.tm, self.kind = tm, kind

    def forward(self, images):
        out = self.tm.model(pixel_values=self.tm.normalize(images))
        if self.kind == "classification":
            return out.logits
        if self.kind == "detection":
            h, w = images.shape[-2:]
            return decode_detr(out.logits[0], out.pred_boxes[0], len(self.tm.labels), h, w, self.tm.max_detections)
        if self.kind == "semantic":
            logits = tnf.interpolate(out.logits, size=images.shape[-2:], mode="bilinear", align_corners=False)
            return logits.argmax(1)
        masks = tnf.interpolate(out.masks_queries_logits, size=images.shape[-2:], mode="bilinear",
                                align_corners=False).sigmoid()
        return out.class_queries_logits.softmax(-1), masks
