"""The Hugging Face backend against a stub `transformers` (the real one needs the hub or a GPU
cluster): model building and its error messages, label formats, decoding, and a full train.py run."""

import importlib.util
import os
import sys
import tempfile
import unittest
from unittest import mock

import torch

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from tests.helpers import make_coco, make_coco_panoptic, read_json, read_metrics, read_status, run_job, write_config
from lakevision_jobs.config import resolve_config
from lakevision_jobs.errors import JobError
from lakevision_jobs.hf import decode_detr

STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs")


def _stub():
    spec = importlib.util.spec_from_file_location("transformers", os.path.join(STUBS, "transformers", "__init__.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cfg(task_type, name, data=None, **model):
    raw = {"model": {"model_name": name, "task_type": task_type, "num_classes": 2, "image_size": 32, **model},
           "data": data or {"train_data_path": "/x/train", "val_data_path": "/x/val"}}
    return resolve_config(raw, check_paths=False)


class BuildHf(unittest.TestCase):
    def setUp(self):
        self.patch = mock.patch.dict(sys.modules, {"transformers": _stub()})
        self.patch.start()

    def tearDown(self):
        self.patch.stop()

    def build(self, cfg, labels=("cat", "dog")):
        from lakevision_jobs.models import build_model
        return build_model(cfg, list(labels))

    def test_random_init_from_hf_config_writes_dataset_class_names(self):
        tm = self.build(_cfg("classification", "google/vit-base-patch16-224", pretrained=False,
                             hf_config={"model_type": "vit", "hidden_size": 8}))
        self.assertEqual(tm.model.config.id2label, {0: "cat", 1: "dog"})
        self.assertEqual(tm.model.config.hidden_size, 8)
        self.assertFalse(tm.model.config.use_pretrained_backbone)
        x = torch.rand(2, 3, 32, 32)
        loss = tm(x, [{"label": 0}, {"label": 1}])["loss"]
        loss.backward()
        probs = tm.predict(x)[0]["probs"]
        self.assertAlmostEqual(float(probs.sum()), 1.0, places=5)

    def test_failed_download_says_what_was_tried(self):
        with self.assertRaises(JobError) as cm:
            self.build(_cfg("classification", "google/vit-base-patch16-224", pretrained=True))
        msg = str(cm.exception)
        self.assertIn("from_pretrained('google/vit-base-patch16-224'): OSError: We couldn't connect", msg)
        self.assertIn("model.pretrained: false with model.hf_config", msg)

    def test_random_init_without_a_config_is_refused_clearly(self):
        with self.assertRaises(JobError) as cm:
            self.build(_cfg("classification", "google/vit-base-patch16-224", pretrained=False))
        self.assertIn("AutoConfig.from_pretrained failed", str(cm.exception))
        with self.assertRaises(JobError) as cm:
            self.build(_cfg("classification", "x/y", pretrained=False, hf_config={"hidden_size": 8}))
        self.assertIn("model.hf_config needs model_type", str(cm.exception))

    def test_detection_targets_become_normalised_cxcywh(self):
        tm = self.build(_cfg("detection", "facebook/detr-resnet-50", pretrained=False,
                             hf_config={"model_type": "detr"},
                             data={"train_data_path": "/x", "val_data_path": "/x", "train_annotation_file": "a.json",
                                   "val_annotation_file": "b.json"}))
        labels = tm._labels([{"boxes": torch.tensor([[0., 0., 16., 8.]]), "labels": torch.tensor([1]),
                              "iscrowd": torch.tensor([False])}], torch.zeros(1, 3, 32, 32))
        self.assertEqual(labels[0]["boxes"].tolist(), [[0.25, 0.125, 0.5, 0.25]])
        self.assertEqual(labels[0]["class_labels"].tolist(), [1])
        out = tm.predict(torch.rand(1, 3, 32, 32))[0]
        self.assertEqual(out["boxes"].shape[-1], 4)
        self.assertTrue(bool((out["labels"] < 2).all()))

    def test_decoding_softmax_with_no_object_and_sigmoid_heads(self):
        boxes = torch.tensor([[0.5, 0.5, 0.5, 0.5], [0.25, 0.25, 0.1, 0.1]])
        logits = torch.tensor([[5.0, 0.0, 0.0], [0.0, 0.0, 9.0]])  # 2 classes + no-object
        b, s, lab = decode_detr(logits, boxes, 2, 100, 200, 10)
        self.assertEqual(lab.tolist()[0], 0)
        self.assertEqual([round(v) for v in b[0].tolist()], [50, 25, 150, 75])  # xyxy in pixels (w=200, h=100)
        b, s, lab = decode_detr(torch.tensor([[-9.0, 4.0], [3.0, -9.0]]), boxes, 2, 100, 200, 2)
        self.assertEqual(lab.tolist(), [1, 0])  # top-k over query x class

    def test_universal_model_gives_panoptic_segments(self):
        tm = self.build(_cfg("segmentation", "facebook/mask2former-swin-tiny-coco-panoptic", pretrained=False,
                             hf_config={"model_type": "mask2former"},
                             data={"train_data_path": "/x", "val_data_path": "/x",
                                   "train_annotation_file": "/x/panoptic_train.json",
                                   "val_annotation_file": "/x/panoptic_val.json"}))
        self.assertEqual(tm.task, "panoptic_segmentation")
        masks = torch.zeros((2, 32, 32), dtype=torch.uint8)
        masks[0, :10] = 1
        masks[1, 10:] = 1
        loss = tm(torch.rand(1, 3, 32, 32), [{"masks": masks, "labels": torch.tensor([0, 1])}])["loss"]
        loss.backward()
        out = tm.predict(torch.rand(1, 3, 32, 32))[0]
        self.assertEqual(tuple(out["segments"].shape), (32, 32))
        self.assertIsInstance(out["segments_info"], list)

    def test_onnx_mask_classification_outputs_decode_per_task(self):
        from lakevision_jobs.inference import _split_outputs
        cls = torch.tensor([[[0.9, 0.05, 0.05], [0.1, 0.1, 0.8]]])  # query 0: class 0; query 1: no object
        masks = torch.zeros((1, 2, 8, 8))
        masks[0, 0, :4] = 0.9
        dec = {"type": "mask_classification", "class_probs": "c", "mask_probs": "m"}
        pan = _split_outputs({"c": cls, "m": masks}, {**dec, "task": "panoptic_segmentation"}, 1)[0]
        self.assertEqual([s["label"] for s in pan["segments_info"]], [0])
        self.assertEqual(int((pan["segments"] == 1).sum()), 32)
        sem = _split_outputs({"c": cls, "m": masks}, {**dec, "task": "semantic_segmentation"}, 1)[0]
        self.assertEqual(tuple(sem["mask"].shape), (8, 8))

    def test_missing_transformers_is_a_clear_error(self):
        with mock.patch.dict(sys.modules, {"transformers": None}):
            from lakevision_jobs.hf import build_hf
            with self.assertRaises(JobError) as cm:
                build_hf(_cfg("classification", "google/vit-base-patch16-224"), ["a", "b"])
        self.assertIn("transformers is not importable", str(cm.exception))
        self.assertIn("torchvision/<builder>", str(cm.exception))


class HfTrainJob(unittest.TestCase):
    """train.py + evaluate.py as subprocesses with the stub first on PYTHONPATH."""

    def test_detection_run_writes_predictions_export_and_a_rebuildable_checkpoint(self):
        env = {"PYTHONPATH": STUBS + os.pathsep + os.environ.get("PYTHONPATH", "")}
        with tempfile.TemporaryDirectory() as d:
            make_coco(d, "train", n=4, size=(48, 40))
            make_coco(d, "val", n=2, size=(48, 40), seed=1)
            cfg = write_config(
                f"{d}/hf.yaml",
                {"model_name": "facebook/detr-resnet-50", "task_type": "detection", "num_classes": 2,
                 "pretrained": False, "image_size": 32, "hf_config": {"model_type": "detr"}},
                {"train_data_path": f"{d}/train", "train_annotation_file": f"{d}/instances_train.json",
                 "val_data_path": f"{d}/val", "val_annotation_file": f"{d}/instances_val.json",
                 "batch_size": 2, "num_workers": 0},
                {"max_epochs": 2, "monitor_metric": "val_map", "monitor_mode": "max", "log_every_n_steps": 1})
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", env=env)
            self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-3000:])
            self.assertIn("(hf, detection, 2 classes", p.stdout)
            self.assertEqual(read_status(f"{d}/run")["phase"], "succeeded")
            meta = read_json(f"{d}/run/model.json")
            self.assertEqual((meta["backend"], meta["decoding"]["type"]), ("hf", "detection"))
            for r in read_json(f"{d}/run/predictions/val.json"):
                self.assertIn(r["category_id"], (1, 3))
            ck = torch.load(f"{d}/run/checkpoints/best.pt", map_location="cpu")
            self.assertEqual(ck["hf_model_config"]["id2label"], {0: "red", 1: "green"})
            p = run_job("evaluate.py", "--run-dir", f"{d}/run", env=env)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertIn("eval_map", read_json(f"{d}/run/eval-val/eval_metrics.json")["metrics"])

    def test_panoptic_run_writes_segment_pngs(self):
        env = {"PYTHONPATH": STUBS + os.pathsep + os.environ.get("PYTHONPATH", "")}
        with tempfile.TemporaryDirectory() as d:
            make_coco_panoptic(d, "train", n=2, size=(40, 40))
            make_coco_panoptic(d, "val", n=2, size=(40, 40), seed=1)
            cfg = write_config(
                f"{d}/pan.yaml",
                {"model_name": "facebook/mask2former-swin-tiny-coco-panoptic", "task_type": "segmentation",
                 "num_classes": 2, "pretrained": False, "image_size": 32, "hf_config": {"model_type": "mask2former"}},
                {"train_data_path": f"{d}/train", "train_annotation_file": f"{d}/panoptic_train.json",
                 "val_data_path": f"{d}/val", "val_annotation_file": f"{d}/panoptic_val.json",
                 "batch_size": 2, "num_workers": 0},
                {"max_epochs": 1, "monitor_metric": "val_pq", "monitor_mode": "max"})
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", "--no-export", env=env)
            self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-3000:])
            rows = read_json(f"{d}/run/predictions/val.json")
            self.assertEqual(len(rows), 2)
            self.assertTrue(os.path.isfile(os.path.join(d, "run", "predictions", rows[0]["png"])))
            names = {r["name"] for r in read_metrics(f"{d}/run")}
            self.assertTrue({"eval_pq", "eval_sq", "eval_rq"} <= names)


if __name__ == "__main__":
    unittest.main()
