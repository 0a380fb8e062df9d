"""Tiny generated datasets (shapes on noise) in the layouts the jobs read, and a job runner."""

import json
import os
import random
import subprocess
import sys

from PIL import Image, ImageDraw

JOBS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLORS = [(230, 40, 40), (40, 200, 60), (50, 80, 230)]


def _noise(size, rng):
    w, h = size
    return Image.frombytes("RGB", (w, h), bytes(rng.randrange(40, 120) for _ in range(w * h * 3)))


def make_imagefolder(root, classes=("circle", "square"), n=8, size=(48, 48), seed=0):
    """Class = shape (circle / square), drawn in a random colour at a random place."""
    rng = random.Random(seed)
    for ci, c in enumerate(classes):
        os.makedirs(os.path.join(root, c), exist_ok=True)
        for i in range(n):
            im = _noise(size, rng)
            d = ImageDraw.Draw(im)
            r = rng.randint(8, 14)
            x, y = rng.randint(r, size[0] - r), rng.randint(r, size[1] - r)
            box = [x - r, y - r, x + r, y + r]
            (d.ellipse if ci == 0 else d.rectangle)(box, fill=COLORS[rng.randrange(3)])
            im.save(os.path.join(root, c, f"{c}_{i:03d}.png"))
    return root


def make_coco(root, split, n=6, size=(96, 80), seed=0, categories=((1, "red"), (3, "green"))):
    """COCO instances: coloured rectangles (category = colour) with polygon segmentations.

    Category ids are deliberately not contiguous (1 and 3) to exercise the id mapping.
    """
    rng = random.Random(seed)
    img_dir = os.path.join(root, split)
    os.makedirs(img_dir, exist_ok=True)
    images, anns = [], []
    aid = 1
    for i in range(n):
        im = _noise(size, rng)
        d = ImageDraw.Draw(im)
        for _ in range(rng.randint(1, 2)):
            k = rng.randrange(len(categories))
            w, h = rng.randint(18, 34), rng.randint(18, 30)
            x, y = rng.randint(0, size[0] - w - 1), rng.randint(0, size[1] - h - 1)
            d.rectangle([x, y, x + w - 1, y + h - 1], fill=COLORS[k])
            anns.append({"id": aid, "image_id": i + 1, "category_id": categories[k][0],
                         "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0,
                         "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]]})
            aid += 1
        name = f"img_{i:03d}.jpg"
        im.save(os.path.join(img_dir, name), quality=95)
        images.append({"id": i + 1, "file_name": name, "width": size[0], "height": size[1]})
    ann_file = os.path.join(root, f"instances_{split}.json")
    with open(ann_file, "w") as f:
        json.dump({"images": images, "annotations": anns,
                   "categories": [{"id": c, "name": nme} for c, nme in categories]}, f)
    return img_dir, ann_file


def make_mask_folder(root, n=6, size=(64, 64), num_classes=3, seed=0):
    """images/ + masks/: background 0, a red square = 1, a green disc = 2."""
    rng = random.Random(seed)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    os.makedirs(os.path.join(root, "masks"), exist_ok=True)
    for i in range(n):
        im = _noise(size, rng)
        m = Image.new("L", size, 0)
        di, dm = ImageDraw.Draw(im), ImageDraw.Draw(m)
        for c in range(1, num_classes):
            r = rng.randint(8, 14)
            x, y = rng.randint(r, size[0] - r), rng.randint(r, size[1] - r)
            box = [x - r, y - r, x + r, y + r]
            (di.rectangle if c == 1 else di.ellipse)(box, fill=COLORS[c - 1])
            (dm.rectangle if c == 1 else dm.ellipse)(box, fill=c)
        im.save(os.path.join(root, "images", f"s_{i:03d}.png"))
        m.save(os.path.join(root, "masks", f"s_{i:03d}.png"))
    return root


def write_config(path, model, data, training=None, extra=None):
    import yaml
    doc = {"model": model, "data": data, "training": training or {}, "mlflow": {"enabled": False}}
    doc.update(extra or {})
    with open(path, "w") as f:
        yaml.safe_dump(doc, f)
    return path


def run_job(script, *args, timeout=600, env=None):
    """Run a job as the app does (a subprocess) and return the CompletedProcess."""
    e = dict(os.environ)
    e.setdefault("OMP_NUM_THREADS", "2")
    e.update(env or {})
    return subprocess.run([sys.executable, os.path.join(JOBS, script), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=e)


def read_metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_status(run_dir):
    with open(os.path.join(run_dir, "status.json")) as f:
        return json.load(f)


def make_coco_panoptic(root, split, n=6, size=(64, 64), seed=0):
    """COCO panoptic: a 'thing' square (id 1) and 'stuff' sky band (id 2); PNGs in panoptic_<split>/."""
    rng = random.Random(seed)
    img_dir = os.path.join(root, split)
    png_dir = os.path.join(root, f"panoptic_{split}")
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(png_dir, exist_ok=True)
    images, anns = [], []
    for i in range(n):
        im = _noise(size, rng)
        pan = Image.new("RGB", size, (0, 0, 0))
        di, dp = ImageDraw.Draw(im), ImageDraw.Draw(pan)
        band = rng.randint(10, 20)
        di.rectangle([0, 0, size[0], band], fill=(60, 120, 230))
        dp.rectangle([0, 0, size[0], band], fill=(7, 0, 0))  # segment id 7
        r = rng.randint(8, 12)
        x, y = rng.randint(r, size[0] - r), rng.randint(band + r, size[1] - r)
        di.rectangle([x - r, y - r, x + r, y + r], fill=COLORS[0])
        dp.rectangle([x - r, y - r, x + r, y + r], fill=(0, 1, 0))  # segment id 256
        name = f"pan_{i:03d}"
        im.save(os.path.join(img_dir, name + ".jpg"), quality=95)
        pan.save(os.path.join(png_dir, name + ".png"))
        images.append({"id": i + 1, "file_name": name + ".jpg", "width": size[0], "height": size[1]})
        anns.append({"image_id": i + 1, "file_name": name + ".png",
                     "segments_info": [{"id": 7, "category_id": 2, "iscrowd": 0},
                                       {"id": 256, "category_id": 1, "iscrowd": 0}]})
    ann_file = os.path.join(root, f"panoptic_{split}.json")
    with open(ann_file, "w") as f:
        json.dump({"images": images, "annotations": anns,
                   "categories": [{"id": 1, "name": "box", "isthing": 1}, {"id": 2, "name": "sky", "isthing": 0}]}, f)
    return img_dir, ann_file


def read_json(path):
    with open(path) as f:
        return json.load(f)
