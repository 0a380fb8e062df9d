"""Dataset readers: COCO instances, COCO panoptic, ImageFolder and image+mask folders.

Paths can be local or `/Volumes/...` (a FUSE mount on Databricks clusters, so plain file I/O).
Every item is `(sample, meta)`: the sample dict of `transforms.py` after the configured
transforms, and `meta` = {index, image_id, file_name, width, height} for writing predictions in
the original image's coordinates. Problems name the file (and annotation) at fault.
"""

import json
import os
import warnings

import numpy as np
import torch
from PIL import Image, ImageDraw

from .errors import DataError
from .transforms import IGNORE_INDEX

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def load_image(path):
    """Read an RGB image as a uint8 tensor [3,H,W]; a broken file raises DataError naming it."""
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            return _pil_to_tensor(im)
    except FileNotFoundError:
        raise DataError(f"image not found: {path}") from None
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise DataError(f"cannot read image {path}: {e}") from None


def _pil_to_tensor(im):
    t = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8) if hasattr(torch, "frombuffer") \
        else torch.ByteTensor(torch.ByteStorage.from_buffer(im.tobytes()))
    return t.view(im.size[1], im.size[0], len(im.getbands())).permute(2, 0, 1).contiguous()


class _Base(torch.utils.data.Dataset):
    labels = []

    def __init__(self, transform):
        self.transform = transform

    def _finish(self, sample, meta):
        if self.transform is not None:
            sample = self.transform(sample)
        return sample, meta


class ImageFolderDataset(_Base):
    """`root/<class name>/<image>`; classes are the sorted folder names unless `class_names` is set."""

    def __init__(self, root, transform=None, class_names=None):
        super().__init__(transform)
        if not os.path.isdir(root):
            raise DataError(f"image folder not found: {root}")
        folders = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))
                         and not d.startswith("."))
        if class_names:
            missing = [c for c in class_names if c not in folders]
            if missing:
                raise DataError(f"{root}: no folder for class(es) {', '.join(missing)} listed in model.class_names")
            folders = list(class_names)
        if not folders:
            raise DataError(f"{root}: no class folders (expected <root>/<class name>/<image files>)")
        self.labels = folders
        self.items = []
        for i, c in enumerate(folders):
            for dirpath, _, files in sorted(os.walk(os.path.join(root, c))):
                for f in sorted(files):
                    if f.lower().endswith(IMAGE_EXTS):
                        self.items.append((os.path.join(dirpath, f), i))
        if not self.items:
            raise DataError(f"{root}: no images with extensions {', '.join(IMAGE_EXTS)}")
        self.root = root

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        img = load_image(path)
        meta = {"index": i, "image_id": i, "file_name": os.path.relpath(path, self.root),
                "height": img.shape[1], "width": img.shape[2], "label": label}
        return self._finish({"image": img, "label": label}, meta)


class MaskFolderDataset(_Base):
    """ADE20K style: `root/images/<name>.<ext>` + `root/masks/<name>.png` (pixel = class id, 255 = ignore)."""

    def __init__(self, root, num_classes, transform=None, class_names=None):
        super().__init__(transform)
        img_dir, mask_dir = os.path.join(root, "images"), os.path.join(root, "masks")
        if not (os.path.isdir(img_dir) and os.path.isdir(mask_dir)):
            raise DataError(f"{root}: expected images/ and masks/ folders")
        masks = {os.path.splitext(f)[0]: f for f in os.listdir(mask_dir)}
        self.items, missing = [], []
        for f in sorted(os.listdir(img_dir)):
            if not f.lower().endswith(IMAGE_EXTS):
                continue
            stem = os.path.splitext(f)[0]
            if stem in masks:
                self.items.append((os.path.join(img_dir, f), os.path.join(mask_dir, masks[stem])))
            else:
                missing.append(f)
        if missing:
            warnings.warn(f"{root}: {len(missing)} image(s) have no mask and are skipped "
                          f"(first: {missing[0]})")
        if not self.items:
            raise DataError(f"{root}: no image/mask pairs (masks/<name>.png beside images/<name>.<ext>)")
        self.num_classes = num_classes
        self.labels = _names(root, num_classes, class_names)
        self.root = root

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        ipath, mpath = self.items[i]
        img = load_image(ipath)
        try:
            with Image.open(mpath) as m:
                if m.mode not in ("L", "P", "I", "I;16"):
                    raise DataError(f"mask {mpath} has mode {m.mode}; expected a single-channel class-index PNG")
                sem = torch.from_numpy(np.array(m, dtype=np.int64))
        except DataError:
            raise
        except (OSError, ValueError) as e:
            raise DataError(f"cannot read mask {mpath}: {e}") from None
        if sem.shape != img.shape[1:]:
            raise DataError(f"mask {mpath} is {sem.shape[1]}x{sem.shape[0]} but its image is "
                            f"{img.shape[2]}x{img.shape[1]}")
        bad = sem[(sem >= self.num_classes) & (sem != IGNORE_INDEX)]
        if len(bad):
            raise DataError(f"mask {mpath} has class id {int(bad.max())} but model.num_classes is "
                            f"{self.num_classes} (use 255 for ignored pixels)")
        meta = {"index": i, "image_id": i, "file_name": os.path.basename(ipath),
                "height": img.shape[1], "width": img.shape[2]}
        return self._finish({"image": img, "semantic": sem}, meta)


def _names(root, n, class_names):
    if class_names:
        if len(class_names) != n:
            raise DataError(f"model.class_names has {len(class_names)} names but model.num_classes is {n}")
        return list(class_names)
    for p in (os.path.join(root, "classes.txt"), os.path.join(os.path.dirname(root.rstrip("/")), "classes.txt")):
        if os.path.isfile(p):
            with open(p, encoding="utf-8") as f:
                names = [ln.strip() for ln in f if ln.strip()]
            if len(names) == n:
                return names
    return [f"class_{i}" for i in range(n)]


def read_coco_json(path):
    """Parse a COCO file with a clear error for a missing file, bad JSON or a wrong shape."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise DataError(f"annotation file not found: {path}") from None
    except ValueError as e:
        raise DataError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise DataError(f"{path}: expected a JSON object with images, annotations, categories")
    for k in ("images", "annotations", "categories"):
        if not isinstance(doc.get(k), list):
            raise DataError(f"{path}: '{k}' must be a list")
    return doc


class CategoryMap:
    """COCO category ids <-> contiguous indices 0..N-1 (sorted by id), with names."""

    def __init__(self, categories, path):
        try:
            cats = sorted(({"id": int(c["id"]), "name": str(c.get("name", c["id"])),
                            "isthing": int(c.get("isthing", 1))} for c in categories), key=lambda c: c["id"])
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{path}: every category needs an integer 'id' and a 'name'") from None
        if not cats:
            raise DataError(f"{path}: no categories")
        self.ids = [c["id"] for c in cats]
        self.labels = [c["name"] for c in cats]
        self.isthing = [c["isthing"] for c in cats]
        self.index = {cid: i for i, cid in enumerate(self.ids)}

    def check_subset(self, other, path):
        unknown = [cid for cid in other.ids if cid not in self.index]
        if unknown:
            raise DataError(f"{path}: category id(s) {unknown[:5]} are not in the training categories")


class CocoInstancesDataset(_Base):
    """COCO instances: boxes (and masks from polygons/RLE when `with_masks`); crowd objects skipped."""

    def __init__(self, img_dir, ann_file, transform=None, with_masks=False, categories=None, keep_crowd=False):
        super().__init__(transform)
        self.keep_crowd = keep_crowd
        doc = read_coco_json(ann_file)
        own = CategoryMap(doc["categories"], ann_file)
        if categories is not None:
            categories.check_subset(own, ann_file)
        self.cats = categories or own
        self.labels = self.cats.labels
        self.img_dir, self.ann_file, self.with_masks = img_dir, ann_file, with_masks
        self.images, by_id = [], {}
        for k, im in enumerate(doc["images"]):
            try:
                rec = {"id": int(im["id"]), "file_name": str(im["file_name"]),
                       "width": int(im.get("width", 0)), "height": int(im.get("height", 0))}
            except (KeyError, TypeError, ValueError):
                raise DataError(f"{ann_file}: images[{k}] needs 'id' and 'file_name'") from None
            by_id[rec["id"]] = rec
            self.images.append(rec)
        self.images.sort(key=lambda r: r["id"])
        self.anns = {r["id"]: [] for r in self.images}
        self.skipped = 0
        for k, a in enumerate(doc["annotations"]):
            where = f"{ann_file}: annotation id {a.get('id', '?')} (annotations[{k}])" if isinstance(a, dict) \
                else f"{ann_file}: annotations[{k}]"
            if not isinstance(a, dict):
                raise DataError(f"{where} is not an object")
            if a.get("image_id") not in by_id:
                raise DataError(f"{where} refers to image_id {a.get('image_id')!r}, which is not in images")
            if a.get("category_id") not in self.cats.index:
                raise DataError(f"{where} has unknown category_id {a.get('category_id')!r}")
            bb = a.get("bbox")
            if not (isinstance(bb, list) and len(bb) == 4 and all(isinstance(v, (int, float)) for v in bb)):
                raise DataError(f"{where}: bbox must be [x, y, width, height] numbers (got {bb!r})")
            if a.get("iscrowd", 0) and not keep_crowd:
                continue
            if bb[2] <= 0 or bb[3] <= 0:
                self.skipped += 1
                continue
            self.anns[a["image_id"]].append(a)
        if self.skipped:
            warnings.warn(f"{ann_file}: skipped {self.skipped} annotation(s) with zero width or height")
        if not self.images:
            raise DataError(f"{ann_file}: no images")

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        rec = self.images[i]
        path = os.path.join(self.img_dir, rec["file_name"])
        img = load_image(path)
        h, w = img.shape[1:]
        anns = self.anns[rec["id"]]
        boxes = torch.tensor([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2],
                               a["bbox"][1] + a["bbox"][3]] for a in anns], dtype=torch.float32).view(-1, 4)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clamp(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clamp(0, h)
        labels = torch.tensor([self.cats.index[a["category_id"]] for a in anns], dtype=torch.int64)
        sample = {"image": img, "boxes": boxes, "labels": labels}
        if self.keep_crowd:  # evaluation: crowd regions are ignored, areas follow COCO's `area`
            sample["iscrowd"] = torch.tensor([bool(a.get("iscrowd", 0)) for a in anns], dtype=torch.bool)
            sample["area"] = torch.tensor([float(a.get("area") or a["bbox"][2] * a["bbox"][3]) for a in anns],
                                          dtype=torch.float64)
        if self.with_masks:
            masks = torch.zeros((len(anns), h, w), dtype=torch.uint8)
            for j, a in enumerate(anns):
                try:
                    masks[j] = segmentation_to_mask(a.get("segmentation"), h, w, a["bbox"])
                except (ValueError, TypeError, KeyError) as e:
                    raise DataError(f"{self.ann_file}: annotation id {a.get('id', '?')} on {rec['file_name']}: "
                                    f"bad segmentation ({e})") from None
            sample["masks"] = masks
        meta = {"index": i, "image_id": rec["id"], "file_name": rec["file_name"], "height": h, "width": w}
        return self._finish(sample, meta)


def segmentation_to_mask(seg, h, w, bbox=None):
    """A COCO segmentation (polygons, uncompressed or compressed RLE) as a uint8 [H,W] mask.

    Without a segmentation the box is filled, so detection files can feed mask models.
    """
    if not seg:
        m = Image.new("L", (w, h), 0)
        if bbox:
            x, y, bw, bh = bbox
            ImageDraw.Draw(m).rectangle([x, y, x + bw - 1, y + bh - 1], fill=1)
        return _pil_to_tensor(m)[0]
    if isinstance(seg, list):
        m = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(m)
        for poly in seg:
            if len(poly) >= 6:
                d.polygon([(float(poly[k]), float(poly[k + 1])) for k in range(0, len(poly) - 1, 2)], fill=1)
        return _pil_to_tensor(m)[0]
    if isinstance(seg, dict) and "counts" in seg:
        rh, rw = seg.get("size", [h, w])
        counts = seg["counts"]
        if isinstance(counts, str):
            counts = rle_string_to_counts(counts)
        flat = torch.zeros(rh * rw, dtype=torch.uint8)
        pos, val = 0, 0
        for c in counts:
            if val:
                flat[pos:pos + c] = 1
            pos += c
            val ^= 1
        return flat.view(rw, rh).t().contiguous()
    raise ValueError(f"unsupported segmentation of type {type(seg).__name__}")


def rle_string_to_counts(s):
    """Decode COCO's compressed RLE string (the same scheme as pycocotools' rleFrString)."""
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def counts_to_rle_string(counts):
    """Encode run lengths as COCO's compressed RLE string (pycocotools' rleToString)."""
    out = []
    for i, x in enumerate(counts):
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (c & 0x10 and x != -1) or (not (c & 0x10) and x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def mask_to_rle(mask):
    """uint8/bool [H,W] mask -> COCO compressed RLE {size, counts} (column-major runs)."""
    h, w = mask.shape
    flat = mask.t().reshape(-1).to(torch.int8)
    change = torch.nonzero(flat[1:] != flat[:-1], as_tuple=False).flatten() + 1
    bounds = [0] + change.tolist() + [flat.numel()]
    runs = [bounds[k + 1] - bounds[k] for k in range(len(bounds) - 1)]
    if flat.numel() and int(flat[0]) == 1:
        runs = [0] + runs
    return {"size": [int(h), int(w)], "counts": counts_to_rle_string(runs)}


class CocoPanopticDataset(_Base):
    """COCO panoptic: PNGs in the sibling folder named after the JSON (panoptic_val2017.json ->
    panoptic_val2017/), segment id = R + 256·G + 65536·B. `semantic=True` gives a class map
    (255 for void and crowd) for semantic models; otherwise masks + labels per segment."""

    def __init__(self, img_dir, ann_file, transform=None, semantic=False, categories=None):
        super().__init__(transform)
        doc = read_coco_json(ann_file)
        own = CategoryMap(doc["categories"], ann_file)
        if categories is not None:
            categories.check_subset(own, ann_file)
        self.cats = categories or own
        self.labels = self.cats.labels
        self.semantic = semantic
        self.img_dir, self.ann_file = img_dir, ann_file
        self.png_dir = os.path.splitext(ann_file)[0]
        images = {im["id"]: im for im in doc["images"] if isinstance(im, dict) and "id" in im}
        self.items, dropped = [], 0
        for k, a in enumerate(doc["annotations"]):
            if not isinstance(a, dict) or "segments_info" not in a or a.get("image_id") not in images:
                raise DataError(f"{ann_file}: annotations[{k}] needs image_id (in images), file_name and segments_info")
            im = images[a["image_id"]]
            ipath = os.path.join(img_dir, im["file_name"])
            ppath = os.path.join(self.png_dir, a.get("file_name", os.path.splitext(im["file_name"])[0] + ".png"))
            if not (os.path.isfile(ipath) and os.path.isfile(ppath)):
                dropped += 1
                continue
            for s in a["segments_info"]:
                if s.get("category_id") not in self.cats.index:
                    raise DataError(f"{ann_file}: segment {s.get('id')} on {im['file_name']} has unknown "
                                    f"category_id {s.get('category_id')!r}")
            self.items.append((im, a, ipath, ppath))
        if dropped:
            warnings.warn(f"{ann_file}: {dropped} image(s) without their image or PNG were skipped")
        if not self.items:
            raise DataError(f"{ann_file}: no image + panoptic PNG pairs found (PNGs expected in {self.png_dir}/)")

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        im, a, ipath, ppath = self.items[i]
        img = load_image(ipath)
        ids = load_image(ppath).to(torch.int64)
        ids = ids[0] + 256 * ids[1] + 65536 * ids[2]
        if ids.shape != img.shape[1:]:
            raise DataError(f"panoptic PNG {ppath} size differs from its image {ipath}")
        h, w = img.shape[1:]
        meta = {"index": i, "image_id": im["id"], "file_name": im["file_name"], "height": h, "width": w}
        segs = [s for s in a["segments_info"] if not s.get("iscrowd", 0)]
        if self.semantic:
            sem = torch.full((h, w), IGNORE_INDEX, dtype=torch.int64)
            for s in segs:
                sem[ids == s["id"]] = self.cats.index[s["category_id"]]
            return self._finish({"image": img, "semantic": sem}, meta)
        masks = torch.stack([(ids == s["id"]).to(torch.uint8) for s in segs]) if segs \
            else torch.zeros((0, h, w), dtype=torch.uint8)
        from .transforms import masks_to_boxes_safe
        sample = {"image": img, "masks": masks,
                  "labels": torch.tensor([self.cats.index[s["category_id"]] for s in segs], dtype=torch.int64)}
        sample["boxes"] = masks_to_boxes_safe(masks, None)
        return self._finish(sample, meta)


def build_dataset(cfg, split, transform, reference=None):
    """The train or val dataset for the config's task and data format.

    `reference` (the train dataset) fixes the class list, so val labels use train's indices.
    """
    d, task = cfg.data, cfg.task
    root = d.train_data_path if split == "train" else d.val_data_path
    ann = d.train_annotation_file if split == "train" else d.val_annotation_file
    if root is None:
        raise DataError(f"data.{split}_data_path is not set")
    if d.format in ("coco_instances", "coco_panoptic") and not ann:
        raise DataError(f"data.{split}_annotation_file is required for {d.format} data")
    if d.format == "imagefolder":
        names = reference.labels if reference is not None else cfg.model.class_names
        return ImageFolderDataset(root, transform, names)
    if d.format == "mask_folder":
        return MaskFolderDataset(root, cfg.model.num_classes, transform, cfg.model.class_names)
    if d.format == "coco_instances":
        with_masks = task in ("instance_segmentation", "panoptic_segmentation")
        return CocoInstancesDataset(root, ann, transform, with_masks=with_masks,
                                    categories=getattr(reference, "cats", None), keep_crowd=split != "train")
    if d.format == "coco_panoptic":
        return CocoPanopticDataset(root, ann, transform, semantic=(task == "semantic_segmentation"),
                                   categories=getattr(reference, "cats", None))
    raise DataError(f"unknown data format {d.format!r}")


def collate(batch):
    """Stack images (all the same size after Resize); keep per-image targets and metas as lists."""
    samples, metas = zip(*batch)
    images = torch.stack([s["image"] for s in samples])
    return images, list(samples), list(metas)
