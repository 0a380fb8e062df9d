"""The tiny detectors the local demos train (fcos_tiny, maskrcnn_tiny): built, trained, exported."""

import contextlib
import io
import os as _os
import sys as _sys
import tempfile
import unittest

import torch

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from lakevision_jobs.models import TINY_BUILDERS, _tv_builder, fcos_tiny, maskrcnn_tiny  # noqa: E402
from tests.helpers import make_coco, read_json, read_metrics, read_status, run_job, write_config  # noqa: E402


def _targets(n, size, with_masks=False):
    out = []
    for _ in range(n):
        t = {"boxes": torch.tensor([[8.0, 8.0, 40.0, 36.0], [50.0, 40.0, 80.0, 70.0]]),
             "labels": torch.tensor([1, 2])}
        if with_masks:
            m = torch.zeros(2, size, size, dtype=torch.uint8)
            m[0, 8:36, 8:40] = 1
            m[1, 40:70, 50:80] = 1
            t["masks"] = m
        out.append(t)
    return out


class TinyBuilders(unittest.TestCase):
    def test_registered_under_torchvision_names(self):
        self.assertIs(_tv_builder("fcos_tiny"), fcos_tiny)
        self.assertIs(_tv_builder("maskrcnn_tiny"), maskrcnn_tiny)
        self.assertEqual(set(TINY_BUILDERS), {"fcos_tiny", "maskrcnn_tiny"})

    def test_train_step_and_predictions_in_input_pixels(self):
        for fn, masks in ((fcos_tiny, False), (maskrcnn_tiny, True)):
            with self.subTest(fn.__name__):
                torch.manual_seed(0)
                m = fn(3, image_size=(96, 96))
                # the job has resized already: the inner transform keeps the size
                self.assertEqual((m.transform.min_size, m.transform.max_size), ((96,), 96))
                imgs = [torch.rand(3, 96, 96) for _ in range(2)]
                m.train()
                losses = m(imgs, _targets(2, 96, masks))
                total = sum(losses.values())
                self.assertTrue(torch.isfinite(total))
                total.backward()
                m.eval()
                with torch.no_grad():
                    out = m(imgs)
                self.assertEqual(len(out), 2)
                self.assertEqual(out[0]["boxes"].shape[-1], 4)
                if masks:
                    self.assertEqual(tuple(out[0]["masks"].shape[-2:]), (96, 96))

    def test_pretrained_request_trains_from_random_weights_and_says_so(self):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            m = fcos_tiny(3, image_size=(64, 64), weights=None, weights_backbone="DEFAULT", detections_per_img=7)
        self.assertIn("no pretrained weights", buf.getvalue())
        self.assertEqual(m.detections_per_img, 7)


class TinyFcosRun(unittest.TestCase):
    def test_train_py_runs_fcos_tiny_and_exports(self):
        with tempfile.TemporaryDirectory() as d:
            make_coco(d, "train", n=4)
            make_coco(d, "val", n=2, seed=1)
            cfg = write_config(
                f"{d}/det.yaml",
                {"model_name": "torchvision/fcos_tiny", "task_type": "detection", "num_classes": 2,
                 "pretrained": False, "image_size": 96, "learning_rate": 2e-3, "max_detections": 20},
                {"train_data_path": f"{d}/train", "train_annotation_file": f"{d}/instances_train.json",
                 "val_data_path": f"{d}/val", "val_annotation_file": f"{d}/instances_val.json", "batch_size": 2,
                 "num_workers": 0, "augmentations": {"horizontal_flip": True}},
                {"max_epochs": 1, "monitor_metric": "val_map", "monitor_mode": "max", "log_every_n_steps": 1})
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run")
            self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-3000:])
            self.assertEqual(read_status(f"{d}/run")["phase"], "succeeded")
            self.assertIn("eval_map_50", {r["name"] for r in read_metrics(f"{d}/run")})
            preds = read_json(f"{d}/run/predictions/val.json")
            self.assertLessEqual(max([sum(1 for q in preds if q["image_id"] == i) for i in (1, 2)]), 20)
            meta = read_json(f"{d}/run/model.json")
            self.assertEqual(meta["model_name"], "torchvision/fcos_tiny")
            self.assertEqual(meta["decoding"]["type"], "detection")
            self.assertTrue(_os.path.getsize(f"{d}/run/model.onnx") > 0)


class TinyMaskRcnnRun(unittest.TestCase):
    def test_train_py_runs_maskrcnn_tiny_with_mask_metrics(self):
        with tempfile.TemporaryDirectory() as d:
            make_coco(d, "train", n=4)
            make_coco(d, "val", n=2, seed=1)
            cfg = write_config(
                f"{d}/inst.yaml",
                {"model_name": "torchvision/maskrcnn_tiny", "task_type": "instance_segmentation",
                 "num_classes": 2, "pretrained": False, "image_size": 64, "learning_rate": 2e-3},
                {"train_data_path": f"{d}/train", "train_annotation_file": f"{d}/instances_train.json",
                 "val_data_path": f"{d}/val", "val_annotation_file": f"{d}/instances_val.json", "batch_size": 2,
                 "num_workers": 0},
                {"max_epochs": 1, "monitor_metric": "val_map", "monitor_mode": "max"})
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", "--no-export")
            self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-3000:])
            names = {r["name"] for r in read_metrics(f"{d}/run")}
            self.assertTrue({"eval_map", "eval_bbox_map", "eval_miou"} <= names)


if __name__ == "__main__":
    unittest.main()
