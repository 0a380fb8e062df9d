"""Classification on real data: Debian's dataset-fashion-mnist as an ImageFolder (skipped when the
package is not installed: apt-get install dataset-fashion-mnist)."""

import gzip
import os
import struct
import tempfile
import unittest

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from PIL import Image  # noqa: E402

from tests.helpers import read_json, read_status, run_job, write_config  # noqa: E402

ROOT = "/usr/share/datasets/fashion-mnist"
CLASSES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]


def _idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return [data[16 + i * rows * cols:16 + (i + 1) * rows * cols] for i in range(n)], (cols, rows)
    return list(data[8:8 + n]), None


def write_imagefolder(split, out, per_class):
    prefix = "train" if split == "train" else "t10k"
    images, size = _idx(f"{ROOT}/{prefix}-images-idx3-ubyte.gz")
    labels, _ = _idx(f"{ROOT}/{prefix}-labels-idx1-ubyte.gz")
    counts = [0] * 10
    for c in CLASSES:
        os.makedirs(f"{out}/{c}", exist_ok=True)
    for i, (img, lab) in enumerate(zip(images, labels)):
        if counts[lab] < per_class:
            Image.frombytes("L", size, img).save(f"{out}/{CLASSES[lab]}/{i:05d}.png")
            counts[lab] += 1
        if min(counts) >= per_class:
            break


@unittest.skipUnless(os.path.isdir(ROOT), "dataset-fashion-mnist is not installed")
class FashionMnist(unittest.TestCase):
    def test_resnet18_reaches_70_percent_accuracy_in_93_steps(self):
        with tempfile.TemporaryDirectory() as d:
            write_imagefolder("train", f"{d}/train", 100)
            write_imagefolder("val", f"{d}/val", 50)
            cfg = write_config(
                f"{d}/fmnist.yaml",
                {"model_name": "torchvision/resnet18", "task_type": "classification", "num_classes": 10,
                 "pretrained": False, "image_size": 32, "learning_rate": 3e-3, "scheduler": "cosine"},
                {"train_data_path": f"{d}/train", "val_data_path": f"{d}/val", "batch_size": 32, "num_workers": 0,
                 "augmentations": {"horizontal_flip": True}},
                {"max_epochs": 3, "monitor_metric": "val_accuracy", "monitor_mode": "max", "log_every_n_steps": 20})
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", "--no-export")
            self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-2000:])
            st = read_status(f"{d}/run")
            self.assertEqual(st["total_steps"], 93)  # 1000 images / 32 = 31 full batches, 3 epochs
            acc = read_json(f"{d}/run/eval_metrics.json")["metrics"]["eval_accuracy"]
            print(f"\n[fashion-mnist] eval_accuracy {acc:.3f} after {st['step']} steps")
            self.assertGreaterEqual(acc, 0.70)
            labels = {r["top_k"][0]["label_name"] for r in read_json(f"{d}/run/predictions/val.json")}
            self.assertTrue(labels <= set(CLASSES))


if __name__ == "__main__":
    unittest.main()
