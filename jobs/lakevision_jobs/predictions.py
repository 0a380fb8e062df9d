"""predictions/<split>.json in the formats the app's evaluation reads (DESIGN.md contracts).

- detection: a COCO results list `[{image_id, category_id, bbox: [x, y, w, h], score}]` in the
  original image's pixels, with the dataset's own category ids.
- instance_segmentation: the same plus `segmentation` as compressed RLE `{size: [h, w], counts}`.
- classification: `[{image_id, file_name, label, top_k: [{label, label_name, score}]}]`
  (`label` is the ground-truth index).
- semantic_segmentation: `[{image_id, file_name, mask_png, width, height}]` where mask_png is a
  single-channel class-index PNG (path relative to predictions/) at the original size.
- panoptic_segmentation: `[{image_id, file_name, png, segments_info: [{id, category_id, score}]}]`
  with COCO panoptic RGB-encoded id PNGs.
"""

import json
import os

import torch
import torch.nn.functional as tnf
from PIL import Image

from .datasets import mask_to_rle


class PredictionWriter:
    def __init__(self, out_dir, split, task, labels, cat_ids=None, top_k=5, score_floor=0.0):
        self.out_dir, self.split, self.task, self.labels = out_dir, split, task, labels
        self.cat_ids = cat_ids or list(range(len(labels)))
        self.top_k = min(top_k, len(labels))
        self.score_floor = score_floor
        self.rows = []
        self.png_dir = os.path.join(out_dir, split)
        os.makedirs(self.png_dir if task in ("semantic_segmentation", "panoptic_segmentation") else out_dir,
                    exist_ok=True)

    def add(self, meta, pred, input_size):
        h, w = meta["height"], meta["width"]
        h_in, w_in = input_size
        if self.task == "classification":
            p = pred["probs"].float().cpu()
            scores, idx = p.topk(self.top_k)
            self.rows.append({"image_id": meta["image_id"], "file_name": meta["file_name"],
                              "label": meta.get("label"),
                              "top_k": [{"label": int(i), "label_name": self.labels[int(i)], "score": float(s)}
                                        for s, i in zip(scores, idx)]})
        elif self.task in ("detection", "instance_segmentation"):
            sx, sy = w / w_in, h / h_in
            boxes = pred["boxes"].float().cpu()
            masks = pred.get("masks")
            if masks is not None and self.task == "instance_segmentation" and len(masks):
                masks = tnf.interpolate(masks[None].float(), size=(h, w), mode="bilinear",
                                        align_corners=False)[0].cpu() > 0.5
            for k in range(len(boxes)):
                s = float(pred["scores"][k])
                if s < self.score_floor:
                    continue
                x1, y1, x2, y2 = boxes[k].tolist()
                row = {"image_id": meta["image_id"], "category_id": self.cat_ids[int(pred["labels"][k])],
                       # full float32 precision: rounded boxes and scores move IoUs across the
                       # thresholds and reorder ties, so the file would no longer score as the model
                       "bbox": [x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy], "score": s}
                if masks is not None and self.task == "instance_segmentation":
                    row["segmentation"] = mask_to_rle(masks[k])
                self.rows.append(row)
        elif self.task == "semantic_segmentation":
            m = pred["mask"].cpu()
            m = tnf.interpolate(m[None, None].float(), size=(h, w), mode="nearest")[0, 0].to(torch.int64)
            name = _png_name(meta)
            save_class_png(m, os.path.join(self.png_dir, name))
            self.rows.append({"image_id": meta["image_id"], "file_name": meta["file_name"],
                              "mask_png": f"{self.split}/{name}", "width": w, "height": h})
        else:
            seg = pred["segments"].cpu()
            seg = tnf.interpolate(seg[None, None].float(), size=(h, w), mode="nearest")[0, 0].to(torch.int64)
            rgb = torch.stack([seg % 256, (seg // 256) % 256, seg // 65536]).to(torch.uint8)
            name = _png_name(meta)
            Image.fromarray(rgb.permute(1, 2, 0).contiguous().numpy(), "RGB").save(os.path.join(self.png_dir, name))
            self.rows.append({"image_id": meta["image_id"], "file_name": meta["file_name"],
                              "png": f"{self.split}/{name}",
                              "segments_info": [{"id": s["id"], "category_id": self.cat_ids[s["label"]],
                                                 "score": round(s["score"], 5)} for s in pred["segments_info"]]})

    def close(self):
        path = os.path.join(self.out_dir, f"{self.split}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(self.rows, f)
        os.replace(path + ".tmp", path)
        return path


def _png_name(meta):
    stem = os.path.splitext(str(meta["file_name"]).replace("/", "__").replace("\\", "__"))[0]
    return f"{stem}.png"


def save_class_png(mask, path):
    """Class-index PNG: 8-bit grey when ids fit, 16-bit otherwise."""
    mx = int(mask.max()) if mask.numel() else 0
    if mx < 256:
        img = Image.fromarray(mask.to(torch.uint8).numpy(), "L")
    else:
        img = Image.fromarray(mask.to(torch.int32).numpy().astype("uint16"), "I;16")
    img.save(path, format="PNG")
