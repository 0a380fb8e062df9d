"""Model builders and the task adapter every job talks to.

`TaskModel` hides the backend (torchvision or Hugging Face transformers): it takes images as
float tensors in [0, 1] at the configured input size and normalises them itself, returns a loss
dict in training, per-image predictions in input-pixel coordinates from `predict`, and an
export module with a fixed output layout for ONNX. Labels are contiguous 0..C-1 everywhere
outside this module (torchvision's background class 0 never leaks out).
"""

import torch
import torch.nn as nn
import torch.nn.functional as tnf

from .errors import JobError
from .transforms import IGNORE_INDEX

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class TaskModel(nn.Module):
    """The common interface; subclasses fill in `_losses`, `predict` and `export_module`."""

    backend = "torchvision"

    def __init__(self, model, task, labels, image_size, mean, std, model_name, pretrained_loaded):
        super().__init__()
        self.model = model
        self.task = task
        self.labels = list(labels)
        self.image_size = tuple(image_size)
        self.model_name = model_name
        self.pretrained_loaded = pretrained_loaded
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.has_eval_loss = True

    def normalize(self, images):
        return (images - self.mean.to(images.dtype)) / self.std.to(images.dtype)

    def forward(self, images, targets=None):
        """Training: the loss dict (`loss` is the total). DDP wraps this method."""
        return self._losses(images, targets)

    @torch.no_grad()
    def eval_loss(self, images, targets):
        """Validation loss, or None where the architecture only computes losses in train mode."""
        if not self.has_eval_loss:
            return None
        return float(self._losses(images, targets)["loss"])

    def param_groups(self, weight_decay, backbone_mult):
        """AdamW groups: no decay on biases and norms; backbone at lr × backbone_mult."""
        groups = {}
        for name, p in self.model.named_parameters():
            if not p.requires_grad:
                continue
            decay = 0.0 if p.ndim <= 1 or name.endswith(".bias") else weight_decay
            mult = backbone_mult if self.is_backbone(name) else 1.0
            groups.setdefault((decay, mult), []).append(p)
        return [{"params": ps, "weight_decay": d, "lr_mult": m} for (d, m), ps in groups.items()]

    def is_backbone(self, name):
        return "backbone" in name

    def describe(self):
        n = sum(p.numel() for p in self.model.parameters())
        return f"{self.model_name} ({self.backend}, {self.task}, {len(self.labels)} classes, {n / 1e6:.2f} M parameters)"


# ---------------------------------------------------------------------------------------------
# torchvision


def _tv_builder(name):
    if name in TINY_BUILDERS:
        return TINY_BUILDERS[name]
    import torchvision.models as tvm
    for mod in (tvm, getattr(tvm, "detection", None), getattr(tvm, "segmentation", None)):
        fn = getattr(mod, name, None) if mod is not None else None
        if callable(fn) and not isinstance(fn, type):
            return fn
    raise JobError(f"model.model_name: torchvision has no builder named {name!r} "
                   f"(examples: resnet18, mobilenet_v3_small, fasterrcnn_mobilenet_v3_large_320_fpn, "
                   f"lraspp_mobilenet_v3_large, maskrcnn_resnet50_fpn)")


def _call(fn, attempts):
    """Call the builder with the first keyword set it accepts (builders differ across versions)."""
    last = None
    for kw in attempts:
        try:
            return fn(**kw)
        except TypeError as e:
            last = e
    raise JobError(f"cannot build torchvision/{fn.__name__}: {last}")


# ---------------------------------------------------------------------------------------------
# Tiny detectors assembled from torchvision parts: they train from scratch on a CPU in minutes
# (the local demos), where torchvision's own builders need a GPU or ImageNet weights to learn.


class TinyBackbone(nn.Module):
    """Conv-BN-ReLU stages to strides 8/16/32 with a torchvision FPN on top (`out_channels` wide).

    Plain 3×3 convs rather than a MobileNet: depthwise layers are slow per FLOP on a CPU and
    learn slower from random weights; at 64 channels this is ~0.5 M parameters.
    """

    def __init__(self, out_channels=64, widths=(16, 32, 64, 96, 128)):
        super().__init__()
        from torchvision.ops import FeaturePyramidNetwork

        def stage(cin, cout, blocks=1):
            layers = [nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            for _ in range(blocks):
                layers += [nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            return nn.Sequential(*layers)

        w = widths
        self.stem = nn.Sequential(stage(3, w[0], 0), stage(w[0], w[1]))      # stride 4
        self.c3 = stage(w[1], w[2])                                           # stride 8
        self.c4 = stage(w[2], w[3])                                           # stride 16
        self.c5 = stage(w[3], w[4])                                           # stride 32
        self.fpn = FeaturePyramidNetwork([w[2], w[3], w[4]], out_channels)
        self.out_channels = out_channels

    def forward(self, x):
        from collections import OrderedDict
        c3 = self.c3(self.stem(x))
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        return self.fpn(OrderedDict([("0", c3), ("1", c4), ("2", c5)]))


def _tiny_common(kw, name):
    """Pops the arguments torchvision builders take that tiny models answer themselves."""
    weights = [kw.pop("weights", None), kw.pop("weights_backbone", None)]
    if any(w is not None for w in weights):
        print(f"[weights] {name} has no pretrained weights; training from random weights", flush=True)
    size = kw.pop("image_size", 320)
    # The job resizes to model.image_size already; the inner transform must not resize again.
    kw.setdefault("min_size", min(size))
    kw.setdefault("max_size", max(size))
    return kw


def fcos_tiny(num_classes, fpn_channels=64, num_convs=2, **kw):
    """FCOS (anchor-free, one stage) with a tiny backbone and a 2-conv head; strides 8/16/32."""
    from torchvision.models.detection import FCOS
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.fcos import FCOSHead
    kw = _tiny_common(kw, "fcos_tiny")
    limit = kw.pop("box_detections_per_img", None)
    if limit:
        kw.setdefault("detections_per_img", limit)
    backbone = TinyBackbone(fpn_channels)
    anchors = AnchorGenerator(sizes=((8,), (16,), (32,)), aspect_ratios=((1.0,),) * 3)
    head = FCOSHead(fpn_channels, 1, num_classes, num_convs=num_convs)
    kw.setdefault("score_thresh", 0.05)
    kw.setdefault("topk_candidates", 300)
    return FCOS(backbone, num_classes, anchor_generator=anchors, head=head, **kw)


def maskrcnn_tiny(num_classes, fpn_channels=64, **kw):
    """Mask R-CNN with a tiny backbone, small anchors for small pictures, and slim box/mask heads."""
    from torchvision.models.detection import MaskRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
    from torchvision.ops import MultiScaleRoIAlign
    kw = _tiny_common(kw, "maskrcnn_tiny")
    kw.pop("detections_per_img", None)
    backbone = TinyBackbone(fpn_channels)
    c = fpn_channels
    levels = ["0", "1", "2"]
    defaults = dict(
        rpn_anchor_generator=AnchorGenerator(sizes=((16,), (32,), (64,)), aspect_ratios=((0.5, 1.0, 2.0),) * 3),
        rpn_pre_nms_top_n_train=600, rpn_post_nms_top_n_train=300,
        rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=100,
        rpn_batch_size_per_image=128, box_batch_size_per_image=128,
        box_roi_pool=MultiScaleRoIAlign(levels, 7, 2),
        box_head=TwoMLPHead(c * 7 * 7, 256), box_predictor=FastRCNNPredictor(256, num_classes),
        mask_roi_pool=MultiScaleRoIAlign(levels, 14, 2),
        mask_head=MaskRCNNHeads(c, (64, 64), 1), mask_predictor=MaskRCNNPredictor(64, 64, num_classes),
    )
    for k, v in defaults.items():
        kw.setdefault(k, v)
    return MaskRCNN(backbone, None, **kw)  # the predictors above carry num_classes


TINY_BUILDERS = {"fcos_tiny": fcos_tiny, "maskrcnn_tiny": maskrcnn_tiny}


def build_torchvision(cfg, labels):
    """A torchvision model for the task; weights: none, torchvision's (downloaded), or a file."""
    m = cfg.model
    fn = _tv_builder(m.builder)
    c = len(labels)
    task = cfg.task
    tried = []
    user_kw = dict(m.builder_kwargs or {})
    weights_kw = {"weights": None}
    if m.pretrained and not m.weights_path:
        # Classification loads full weights then swaps the head; detection/segmentation take an
        # ImageNet backbone with a fresh head sized for this dataset.
        weights_kw = {"weights": "DEFAULT"} if task == "classification" else \
            {"weights": None, "weights_backbone": "DEFAULT"}
    if task == "classification":
        base = dict(weights_kw)
        if base.get("weights") is None:
            base["num_classes"] = c
        extra = {"dropout": m.dropout} if m.dropout is not None else {}
        model = _with_download(lambda: _call(fn, [{**base, **extra, **user_kw}, {**base, **user_kw}]), m, tried)
        if base.get("weights") is not None:
            _replace_last_linear(model, c)
        tm = TvClassifier(model, task, labels, m.image_size, *_mean_std(cfg), m.model_name,
                          pretrained_loaded=m.pretrained or bool(m.weights_path))
    elif task in ("detection", "instance_segmentation"):
        base = {"weights": None, "weights_backbone": weights_kw.get("weights_backbone"), "num_classes": c + 1}
        limits = [{"box_detections_per_img": m.max_detections}, {"detections_per_img": m.max_detections}, {}]
        if m.builder in TINY_BUILDERS:
            base["image_size"] = tuple(m.image_size)
        model = _with_download(lambda: _call(fn, [{**base, **lim, **user_kw} for lim in limits]), m, tried)
        cls = TvInstanceSeg if task == "instance_segmentation" else TvDetector
        tm = cls(model, task, labels, m.image_size, [0, 0, 0], [1, 1, 1], m.model_name,
                 pretrained_loaded=m.pretrained)
    elif task == "semantic_segmentation":
        base = {"weights": None, "weights_backbone": weights_kw.get("weights_backbone"), "num_classes": c}
        model = _with_download(lambda: _call(fn, [{**base, **user_kw}]), m, tried)
        tm = TvSegmenter(model, task, labels, m.image_size, *_mean_std(cfg), m.model_name,
                         pretrained_loaded=m.pretrained)
    else:
        raise JobError(f"torchvision has no {task} models; use a Hugging Face Mask2Former or OneFormer")
    if m.weights_path:
        load_weights_file(tm.model, m.weights_path)
    elif not m.pretrained:
        _short_run_batchnorm(tm.model)
    return tm


def _short_run_batchnorm(model):
    """From random weights, BatchNorm running statistics must follow the weights quickly.

    MobileNetV3 builds its BatchNorm with momentum 0.01 (tuned for hundreds of ImageNet
    epochs): after a few hundred steps from scratch the running statistics are still near
    their initial 0/1, so eval mode predicts one class everywhere (LR-ASPP on the semantic demo:
    train loss 0.03, eval mIoU = background only). PyTorch's default 0.1 tracks within ~20 steps.
    """
    n = 0
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm) and mod.momentum is not None and mod.momentum < 0.1:
            mod.momentum = 0.1
            n += 1
    if n:
        print(f"[model] random weights: BatchNorm momentum raised to 0.1 in {n} layers so evaluation "
              f"statistics keep up with a short run", flush=True)


def _with_download(build, m, tried):
    try:
        model = build()
    except JobError:
        raise
    except Exception as e:  # urllib/SSL/HTTP errors differ by version; all mean the same here
        raise JobError(f"could not get pretrained weights for {m.model_name}: tried torchvision's DEFAULT "
                       f"weights from download.pytorch.org and got {type(e).__name__}: {e}. "
                       f"Set model.pretrained: false to train from scratch, or model.weights_path to a "
                       f".pth file in a volume") from None
    return model


def load_weights_file(model, path):
    """Load a state dict (or a checkpoint dict with `model`) leniently: mismatched heads are skipped."""
    from .checkpoint import torch_load
    try:
        try:
            sd = torch_load(path)
        except Exception as e:  # torch >= 2.6 refuses non-tensor pickles unless told the file is trusted
            if "weights_only" not in str(e):
                raise
            print(f"[weights] {path} holds more than tensors; loading it as a trusted file", flush=True)
            sd = torch_load(path, trusted=True)
    except FileNotFoundError:
        raise JobError(f"model.weights_path: file not found: {path}") from None
    except Exception as e:
        raise JobError(f"model.weights_path: cannot load {path}: {e}") from None
    if isinstance(sd, dict) and "model" in sd and isinstance(sd["model"], dict):
        sd = sd["model"]
    sd = {k[len("model."):] if k.startswith("model.") else k: v for k, v in sd.items()}
    own = model.state_dict()
    usable = {k: v for k, v in sd.items() if k in own and own[k].shape == v.shape}
    if not usable:
        raise JobError(f"model.weights_path: no tensor in {path} matches {type(model).__name__}")
    model.load_state_dict(usable, strict=False)
    print(f"[weights] loaded {len(usable)}/{len(own)} tensors from {path} "
          f"({len(sd) - len(usable)} skipped: missing or different shape)", flush=True)


def _replace_last_linear(model, c):
    last = None
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Linear):
            last = name
    if last is None:
        raise JobError("cannot find the classification head to resize")
    parent = model
    parts = last.split(".")
    for p in parts[:-1]:
        parent = getattr(parent, p)
    old = getattr(parent, parts[-1])
    setattr(parent, parts[-1], nn.Linear(old.in_features, c))


def _mean_std(cfg):
    return (cfg.data.normalize_mean or IMAGENET_MEAN, cfg.data.normalize_std or IMAGENET_STD)


class TvClassifier(TaskModel):
    def _losses(self, images, targets):
        y = torch.as_tensor([t["label"] for t in targets], device=images.device)
        logits = self.model(self.normalize(images))
        return {"loss": tnf.cross_entropy(logits.float(), y)}

    @torch.no_grad()
    def predict(self, images):
        probs = self.model(self.normalize(images)).float().softmax(-1)
        return [{"probs": p} for p in probs]

    def export_module(self):
        return _ClsExport(self), ["logits"], {"type": "classification", "output": "logits",
                                              "activation": "softmax"}


class _ClsExport(nn.Module):
    def __init__(self, tm):
        super().__init__()
        self.tm = tm

    def forward(self, images):
        return self.tm.model(self.tm.normalize(images))


def _tv_targets(targets, device, with_masks=False):
    out = []
    for t in targets:
        keep = ~t["iscrowd"] if t.get("iscrowd") is not None else slice(None)
        d = {"boxes": t["boxes"][keep].to(device), "labels": (t["labels"][keep] + 1).to(device)}
        if with_masks:
            d["masks"] = t["masks"][keep].to(device)
        out.append(d)
    return out


class TvDetector(TaskModel):
    with_masks = False

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.has_eval_loss = False  # torchvision detectors compute losses only in train mode

    def _losses(self, images, targets):
        losses = self.model(list(images), _tv_targets(targets, images.device, self.with_masks))
        losses = {k: v for k, v in losses.items()}
        losses["loss"] = sum(losses.values())
        return losses

    @torch.no_grad()
    def predict(self, images):
        outs = self.model(list(images))
        res = []
        for o in outs:
            d = {"boxes": o["boxes"].float(), "scores": o["scores"].float(), "labels": o["labels"] - 1}
            if "masks" in o:
                d["masks"] = o["masks"][:, 0].float()
            res.append(d)
        return res

    def export_module(self):
        names = ["boxes", "scores", "labels"] + (["masks"] if self.with_masks else [])
        dec = {"type": "detection", "batch": 1, "boxes": "boxes", "scores": "scores", "labels": "labels",
               "box_format": "xyxy", "coordinates": "input_pixels"}
        if self.with_masks:
            dec.update(type="instance_segmentation", masks="masks", mask_threshold=0.5)
        return _TvDetExport(self), names, dec


class TvInstanceSeg(TvDetector):
    with_masks = True


class _TvDetExport(nn.Module):
    def __init__(self, tm):
        super().__init__()
        self.tm = tm

    def forward(self, images):
        o = self.tm.model([images[0]])[0]
        out = (o["boxes"], o["scores"], o["labels"] - 1)
        if "masks" in o:
            out = out + (o["masks"][:, 0],)
        return out


class TvSegmenter(TaskModel):
    def _losses(self, images, targets):
        y = torch.stack([t["semantic"] for t in targets]).to(images.device)
        out = self.model(self.normalize(images))
        loss = tnf.cross_entropy(out["out"].float(), y, ignore_index=IGNORE_INDEX)
        losses = {"loss_main": loss}
        if "aux" in out:
            losses["loss_aux"] = 0.5 * tnf.cross_entropy(out["aux"].float(), y, ignore_index=IGNORE_INDEX)
        losses["loss"] = sum(losses.values())
        return losses

    @torch.no_grad()
    def predict(self, images):
        logits = self.model(self.normalize(images))["out"].float()
        return [{"mask": m} for m in logits.argmax(1)]

    def export_module(self):
        return _SegExport(self), ["mask"], {"type": "semantic_segmentation", "output": "mask",
                                            "format": "class_index", "size": "input"}


class _SegExport(nn.Module):
    def __init__(self, tm):
        super().__init__()
        self.tm = tm

    def forward(self, images):
        return self.tm.model(self.tm.normalize(images))["out"].argmax(1)


def build_model(cfg, labels):
    """The TaskModel for the config: torchvision for `torchvision/...`, else transformers."""
    if cfg.model.backend == "torchvision":
        return build_torchvision(cfg, labels)
    from .hf import build_hf
    return build_hf(cfg, labels)
