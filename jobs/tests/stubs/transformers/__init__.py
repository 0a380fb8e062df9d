"""A tiny stand-in for Hugging Face transformers, for testing the jobs' HF plumbing offline.

It mimics the parts the jobs use: AutoConfig.for_model / from_pretrained, the Auto* model classes
(from_config / from_pretrained) and the output fields (logits, pred_boxes, class_queries_logits,
masks_queries_logits, loss, loss_dict). The models are small conv nets with real gradients.
"""

from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.nn.functional as F

__version__ = "0.0-stub"
OFFLINE = "We couldn't connect to 'https://huggingface.co' to load this file (stub: offline)"


class PretrainedConfig:
    def __init__(self, model_type="stub", num_labels=2, **kw):
        self.model_type = model_type
        self.num_labels = num_labels
        self.id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
        self.label2id = {v: k for k, v in self.id2label.items()}
        self.use_pretrained_backbone = True
        self.__dict__.update(kw)

    def to_dict(self):
        return {k: v for k, v in self.__dict__.items()}


class AutoConfig:
    @staticmethod
    def for_model(model_type, **kw):
        if model_type == "broken":
            raise ValueError("Unrecognized model identifier: broken")
        kw.pop("num_labels", None)
        return PretrainedConfig(model_type=model_type, **kw)

    @staticmethod
    def from_pretrained(name, **kw):
        raise OSError(OFFLINE)


class AutoImageProcessor:
    @staticmethod
    def from_pretrained(name, **kw):
        raise OSError(OFFLINE)


class _Base(nn.Module):
    base_model_prefix = "stub"

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.stub = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                                  nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU())

    @property
    def c(self):
        return len(self.config.id2label)


class _Classifier(_Base):
    def __init__(self, config):
        super().__init__(config)
        self.head = nn.Linear(8, self.c)

    def forward(self, pixel_values, labels=None):
        logits = self.head(self.stub(pixel_values).mean((2, 3)))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SimpleNamespace(logits=logits, loss=loss)


class _Detector(_Base):
    """DETR-like: Q queries, softmax with a trailing no-object class (sigmoid when no_object=False)."""

    Q = 6

    def __init__(self, config):
        super().__init__(config)
        extra = 1 if getattr(config, "no_object", True) else 0
        self.cls = nn.Linear(8, self.Q * (self.c + extra))
        self.box = nn.Linear(8, self.Q * 4)
        self.extra = extra

    def forward(self, pixel_values, labels=None):
        f = self.stub(pixel_values).mean((2, 3))
        n = f.shape[0]
        logits = self.cls(f).view(n, self.Q, self.c + self.extra)
        boxes = self.box(f).view(n, self.Q, 4).sigmoid()
        out = SimpleNamespace(logits=logits, pred_boxes=boxes, loss=None, loss_dict=None)
        if labels is not None:
            ce, l1 = 0.0, 0.0
            for i, t in enumerate(labels):
                k = len(t["class_labels"])
                tgt = torch.full((self.Q,), self.c if self.extra else 0, dtype=torch.long, device=f.device)
                tgt[:k] = t["class_labels"][: self.Q]
                ce = ce + F.cross_entropy(logits[i], tgt)
                if k:
                    l1 = l1 + (boxes[i, :k] - t["boxes"][: self.Q]).abs().mean()
            out.loss_dict = {"loss_ce": ce / n, "loss_bbox": l1 / n}
            out.loss = out.loss_dict["loss_ce"] + out.loss_dict["loss_bbox"]
        return out


class _Semantic(_Base):
    def __init__(self, config):
        super().__init__(config)
        self.head = nn.Conv2d(8, self.c, 1)

    def forward(self, pixel_values, labels=None):
        return SimpleNamespace(logits=self.head(self.stub(pixel_values)), loss=None)


class _Universal(_Base):
    Q = 5

    def __init__(self, config):
        super().__init__(config)
        self.cls = nn.Linear(8, self.Q * (self.c + 1))
        self.mask = nn.Conv2d(8, self.Q, 1)

    def forward(self, pixel_values, mask_labels=None, class_labels=None):
        f = self.stub(pixel_values)
        n = f.shape[0]
        cls = self.cls(f.mean((2, 3))).view(n, self.Q, self.c + 1)
        masks = self.mask(f)
        loss = None
        if mask_labels is not None:
            loss = 0.0
            for i, (ml, cl) in enumerate(zip(mask_labels, class_labels)):
                k = min(len(cl), self.Q)
                tgt = torch.full((self.Q,), self.c, dtype=torch.long, device=f.device)
                tgt[:k] = cl[:k]
                loss = loss + F.cross_entropy(cls[i], tgt)
                if k:
                    m = F.interpolate(masks[i:i + 1, :k], size=ml.shape[-2:], mode="bilinear", align_corners=False)[0]
                    loss = loss + F.binary_cross_entropy_with_logits(m, ml[:k])
            loss = loss / n
        return SimpleNamespace(class_queries_logits=cls, masks_queries_logits=masks, loss=loss)


def _auto(model_cls):
    class Auto:
        @staticmethod
        def from_config(config):
            return model_cls(config)

        @staticmethod
        def from_pretrained(name, **kw):
            if str(name).startswith("/") and not str(name).startswith("/nonexistent"):
                raise OSError(f"{name} does not appear to have a file named config.json")
            raise OSError(OFFLINE)

    Auto.__name__ = "AutoModelFor" + model_cls.__name__.strip("_")
    return Auto


AutoModelForImageClassification = _auto(_Classifier)
AutoModelForObjectDetection = _auto(_Detector)
AutoModelForSemanticSegmentation = _auto(_Semantic)
AutoModelForUniversalSegmentation = _auto(_Universal)
