"""Augmentations from `data.augmentations`, applied to the image and its targets together.

A sample is a dict: `image` (uint8 tensor [3,H,W]) and, depending on the task, `boxes` (float
[K,4] xyxy in pixels), `labels` (int64 [K]), `masks` (uint8 [K,H,W]) and `semantic` (int64 [H,W],
255 = ignore). Geometric transforms move boxes and masks with the pixels; photometric ones touch
the image only. Everything is plain torch (plus torchvision.transforms.functional for rotation
and colour), which behaves the same on torch 1.13 and 2.x.
"""

import math
import random

import torch
import torch.nn.functional as tnf
import torchvision.transforms.functional as TF

IGNORE_INDEX = 255


class Compose:
    def __init__(self, ops):
        self.ops = ops

    def __call__(self, sample):
        for op in self.ops:
            sample = op(sample)
        return sample

    def __repr__(self):
        return "Compose(" + ", ".join(type(o).__name__ for o in self.ops) + ")"


def build_transforms(data_cfg, image_size, train):
    """The train (augmenting) or eval pipeline; both end with a resize to `image_size` (H, W)."""
    ops = []
    a = data_cfg.augmentations if (train and data_cfg.augment) else {}
    if train and data_cfg.augment and not a:
        a = {"horizontal_flip": True}
    if a.get("random_resized_crop") or a.get("random_crop"):
        spec = a.get("random_resized_crop") if isinstance(a.get("random_resized_crop"), dict) else {}
        ops.append(RandomResizedCrop(scale=tuple(spec.get("scale", (0.6, 1.0))),
                                     ratio=tuple(spec.get("ratio", (3 / 4, 4 / 3)))))
    if a.get("random_resize"):
        ops.append(RandomZoom(*a["random_resize"]))
    if a.get("horizontal_flip"):
        ops.append(RandomFlip(_prob(a["horizontal_flip"]), horizontal=True))
    if a.get("vertical_flip"):
        ops.append(RandomFlip(_prob(a["vertical_flip"]), horizontal=False))
    if a.get("rotation"):
        ops.append(RandomRotation(float(a["rotation"])))
    jitter = {}
    cj = a.get("color_jitter")
    if isinstance(cj, dict):
        jitter.update({k: float(v) for k, v in cj.items() if k in ("brightness", "contrast", "saturation", "hue")})
    elif cj:
        v = float(cj)
        jitter.update(brightness=v, contrast=v, saturation=v)
    if a.get("brightness_contrast"):
        v = float(a["brightness_contrast"])
        jitter.setdefault("brightness", v)
        jitter.setdefault("contrast", v)
    if a.get("hue_saturation"):
        v = float(a["hue_saturation"])
        jitter.setdefault("hue", min(v, 0.5))
        jitter.setdefault("saturation", v)
    if jitter:
        ops.append(ColorJitter(**jitter))
    ops.append(Resize(image_size))
    return Compose(ops)


def _prob(v):
    return 0.5 if v is True else float(v)


class Resize:
    """Stretch to a fixed (H, W); boxes are scaled, masks use nearest neighbour."""

    def __init__(self, size):
        self.size = tuple(size)

    def __call__(self, s):
        img = s["image"]
        h, w = img.shape[-2:]
        oh, ow = self.size
        if (h, w) == (oh, ow):
            return s
        x = img.unsqueeze(0).float()
        s["image"] = tnf.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False,
                                     antialias=(oh < h or ow < w)).round_().clamp_(0, 255).to(torch.uint8)[0]
        if s.get("boxes") is not None and len(s["boxes"]):
            s["boxes"] = s["boxes"] * torch.tensor([ow / w, oh / h, ow / w, oh / h])
        if s.get("masks") is not None:
            s["masks"] = _resize_nearest(s["masks"], (oh, ow))
        if s.get("semantic") is not None:
            s["semantic"] = _resize_nearest(s["semantic"][None], (oh, ow))[0]
        return s


def _resize_nearest(m, size):
    if m.shape[0] == 0:
        return m.new_zeros((0,) + tuple(size))
    return tnf.interpolate(m[None].float(), size=size, mode="nearest")[0].to(m.dtype)


class RandomFlip:
    def __init__(self, p, horizontal):
        self.p, self.horizontal = p, horizontal

    def __call__(self, s):
        if random.random() >= self.p:
            return s
        dim = -1 if self.horizontal else -2
        s["image"] = s["image"].flip(dim)
        h, w = s["image"].shape[-2:]
        b = s.get("boxes")
        if b is not None and len(b):
            b = b.clone()
            if self.horizontal:
                b[:, [0, 2]] = w - b[:, [2, 0]]
            else:
                b[:, [1, 3]] = h - b[:, [3, 1]]
            s["boxes"] = b
        for k in ("masks", "semantic"):
            if s.get(k) is not None:
                s[k] = s[k].flip(dim)
        return s


class RandomRotation:
    """Rotate by a uniform angle in [-deg, deg] about the centre (same canvas size)."""

    def __init__(self, degrees):
        self.degrees = degrees

    def __call__(self, s):
        angle = random.uniform(-self.degrees, self.degrees)
        if abs(angle) < 1e-3:
            return s
        s["image"] = TF.rotate(s["image"], angle, interpolation=TF.InterpolationMode.BILINEAR, fill=0)
        h, w = s["image"].shape[-2:]
        if s.get("masks") is not None:
            m = s["masks"]
            if m.shape[0]:
                s["masks"] = TF.rotate(m, angle, interpolation=TF.InterpolationMode.NEAREST, fill=0)
            if s.get("boxes") is not None:
                s["boxes"] = masks_to_boxes_safe(s["masks"], s.get("boxes"))
        elif s.get("boxes") is not None and len(s["boxes"]):
            s["boxes"] = _rotate_boxes(s["boxes"], angle, w, h)
        if s.get("semantic") is not None:
            s["semantic"] = TF.rotate(s["semantic"][None], angle, interpolation=TF.InterpolationMode.NEAREST,
                                      fill=IGNORE_INDEX)[0]
        return _drop_empty(s)


def _rotate_boxes(boxes, angle, w, h):
    """Enclosing box of the rotated corners; TF.rotate turns counter-clockwise on screen."""
    t = math.radians(angle)
    cx, cy = w / 2.0, h / 2.0
    x1, y1, x2, y2 = boxes.unbind(1)
    xs = torch.stack([x1, x2, x2, x1], 1) - cx
    ys = torch.stack([y1, y1, y2, y2], 1) - cy
    nx = cx + xs * math.cos(t) + ys * math.sin(t)
    ny = cy - xs * math.sin(t) + ys * math.cos(t)
    out = torch.stack([nx.min(1).values, ny.min(1).values, nx.max(1).values, ny.max(1).values], 1)
    out[:, [0, 2]] = out[:, [0, 2]].clamp(0, w)
    out[:, [1, 3]] = out[:, [1, 3]].clamp(0, h)
    return out


def masks_to_boxes_safe(masks, old_boxes):
    """Tight boxes around each mask; an emptied mask gets a zero-size box (dropped later)."""
    k = masks.shape[0]
    out = torch.zeros((k, 4), dtype=torch.float32)
    for i in range(k):
        ys, xs = torch.nonzero(masks[i], as_tuple=True)
        if len(xs):
            out[i] = torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=torch.float32)
    return out


class RandomResizedCrop:
    """Crop a random region (area fraction `scale`, aspect `ratio`); the final Resize restores size."""

    def __init__(self, scale=(0.6, 1.0), ratio=(3 / 4, 4 / 3)):
        self.scale, self.ratio = scale, ratio

    def __call__(self, s):
        h, w = s["image"].shape[-2:]
        area = h * w
        for _ in range(10):
            target = area * random.uniform(*self.scale)
            log_r = (math.log(self.ratio[0]), math.log(self.ratio[1]))
            ar = math.exp(random.uniform(*log_r))
            cw = int(round(math.sqrt(target * ar)))
            ch = int(round(math.sqrt(target / ar)))
            if 0 < cw <= w and 0 < ch <= h:
                top = random.randint(0, h - ch)
                left = random.randint(0, w - cw)
                return crop(s, top, left, ch, cw)
        return s


class RandomZoom:
    """`random_resize: [lo, hi]`: zoom in (crop) or out (pad) by a factor, keeping the canvas."""

    def __init__(self, lo, hi):
        self.lo, self.hi = float(lo), float(hi)

    def __call__(self, s):
        f = random.uniform(self.lo, self.hi)
        h, w = s["image"].shape[-2:]
        ch, cw = max(1, int(round(h / f))), max(1, int(round(w / f)))
        if f >= 1.0:
            return crop(s, random.randint(0, h - ch), random.randint(0, w - cw), ch, cw)
        return pad(s, random.randint(0, ch - h), random.randint(0, cw - w), ch, cw)


def crop(s, top, left, ch, cw):
    s["image"] = s["image"][:, top:top + ch, left:left + cw]
    b = s.get("boxes")
    if b is not None and len(b):
        b = b - torch.tensor([left, top, left, top], dtype=b.dtype)
        b[:, [0, 2]] = b[:, [0, 2]].clamp(0, cw)
        b[:, [1, 3]] = b[:, [1, 3]].clamp(0, ch)
        s["boxes"] = b
    if s.get("masks") is not None:
        s["masks"] = s["masks"][:, top:top + ch, left:left + cw]
    if s.get("semantic") is not None:
        s["semantic"] = s["semantic"][top:top + ch, left:left + cw]
    return _drop_empty(s)


def pad(s, top, left, nh, nw):
    img = s["image"]
    h, w = img.shape[-2:]
    out = img.new_zeros((img.shape[0], nh, nw))
    out[:, top:top + h, left:left + w] = img
    s["image"] = out
    if s.get("boxes") is not None and len(s["boxes"]):
        s["boxes"] = s["boxes"] + torch.tensor([left, top, left, top], dtype=s["boxes"].dtype)
    if s.get("masks") is not None:
        m = s["masks"].new_zeros((s["masks"].shape[0], nh, nw))
        m[:, top:top + h, left:left + w] = s["masks"]
        s["masks"] = m
    if s.get("semantic") is not None:
        m = s["semantic"].new_full((nh, nw), IGNORE_INDEX)
        m[top:top + h, left:left + w] = s["semantic"]
        s["semantic"] = m
    return s


def _drop_empty(s):
    """Remove objects a crop or rotation pushed out of the picture (under 1 px wide or tall)."""
    b = s.get("boxes")
    if b is None or not len(b):
        return s
    keep = ((b[:, 2] - b[:, 0]) >= 1) & ((b[:, 3] - b[:, 1]) >= 1)
    if s.get("masks") is not None and s["masks"].shape[0] == len(keep):
        keep &= (s["masks"].flatten(1) > 0).any(1)
        s["masks"] = s["masks"][keep]
    s["boxes"] = b[keep]
    for k in ("labels", "iscrowd", "area", "ann_ids"):
        if s.get(k) is not None and len(s[k]) == len(keep):
            s[k] = s[k][keep]
    return s


class ColorJitter:
    """Random brightness, contrast, saturation (factors 1±v) and hue (shift ±v), in random order."""

    def __init__(self, brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0):
        self.b, self.c, self.s, self.h = brightness, contrast, saturation, min(hue, 0.5)

    def __call__(self, s):
        img = s["image"]
        fns = []
        if self.b:
            f = random.uniform(max(0.0, 1 - self.b), 1 + self.b)
            fns.append(lambda x: TF.adjust_brightness(x, f))
        if self.c:
            g = random.uniform(max(0.0, 1 - self.c), 1 + self.c)
            fns.append(lambda x: TF.adjust_contrast(x, g))
        if self.s:
            k = random.uniform(max(0.0, 1 - self.s), 1 + self.s)
            fns.append(lambda x: TF.adjust_saturation(x, k))
        if self.h:
            d = random.uniform(-self.h, self.h)
            fns.append(lambda x: TF.adjust_hue(x, d))
        random.shuffle(fns)
        for fn in fns:
            img = fn(img)
        s["image"] = img
        return s
