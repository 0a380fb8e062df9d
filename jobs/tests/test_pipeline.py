"""Optimiser groups and learning-rate schedules."""

import unittest

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

import torch  # noqa: E402

from lakevision_jobs import pipeline as pl  # noqa: E402
from lakevision_jobs.config import resolve_config  # noqa: E402
from lakevision_jobs.models import build_model  # noqa: E402


def _cfg(**model):
    return resolve_config({"model": {"model_name": "torchvision/resnet18", "task_type": "classification",
                                     "num_classes": 2, "pretrained": False, "learning_rate": 1e-3, **model},
                           "data": {"train_data_path": "/x", "val_data_path": "/x"}}, check_paths=False)


def _lrs(cfg, total, per_epoch=10):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=cfg.model.learning_rate)
    sched = pl.build_scheduler(opt, cfg, total, per_epoch)
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
    return out


class Schedules(unittest.TestCase):
    def test_cosine_warms_up_from_a_tenth_then_decays_to_eta_min(self):
        lrs = _lrs(_cfg(scheduler="cosine", scheduler_params={"warmup_steps": 10, "eta_min": 1e-5}), 110)
        self.assertAlmostEqual(lrs[0], 1e-4)
        self.assertAlmostEqual(lrs[10], 1e-3)
        self.assertTrue(all(a >= b for a, b in zip(lrs[10:], lrs[11:])))
        self.assertAlmostEqual(lrs[60], (1e-3 + 1e-5) / 2, places=6)
        self.assertLess(lrs[-1], 2e-5)

    def test_step_decays_every_step_size_epochs(self):
        lrs = _lrs(_cfg(scheduler="step", scheduler_params={"step_size": 2, "gamma": 0.5}), 60, per_epoch=10)
        self.assertAlmostEqual(lrs[19], 1e-3)
        self.assertAlmostEqual(lrs[20], 5e-4)
        self.assertAlmostEqual(lrs[40], 2.5e-4)

    def test_none_keeps_the_rate(self):
        self.assertEqual(set(_lrs(_cfg(scheduler="none"), 5)), {1e-3})

    def test_no_weight_decay_on_biases_and_norms(self):
        cfg = _cfg(weight_decay=0.05)
        tm = build_model(cfg, ["a", "b"])
        opt = pl.build_optimizer(tm, cfg)
        for g in opt.param_groups:
            for p in g["params"]:
                self.assertEqual(g["weight_decay"], 0.0 if p.ndim <= 1 else 0.05)


if __name__ == "__main__":
    unittest.main()


class Weights(unittest.TestCase):
    def test_weights_path_loads_matching_tensors_and_skips_a_different_head(self):
        import tempfile
        import torchvision
        src = torchvision.models.resnet18(weights=None, num_classes=5)
        with tempfile.TemporaryDirectory() as d:
            torch.save(src.state_dict(), f"{d}/r18.pth")
            tm = build_model(_cfg(weights_path=f"{d}/r18.pth"), ["a", "b"])
        self.assertTrue(torch.equal(tm.model.conv1.weight, src.conv1.weight))
        self.assertEqual(tm.model.fc.out_features, 2)  # the 5-class head was skipped, not forced in

    def test_failed_torchvision_download_says_what_was_tried(self):
        from unittest import mock
        from urllib.error import URLError
        from lakevision_jobs.errors import JobError
        import torchvision.models._api as api
        patches = [mock.patch("torch.hub.load_state_dict_from_url", side_effect=URLError("offline"))]
        if hasattr(api, "load_state_dict_from_url"):
            patches.append(mock.patch.object(api, "load_state_dict_from_url", side_effect=URLError("offline")))
        for p in patches:
            p.start()
        try:
            with self.assertRaises(JobError) as cm:
                build_model(_cfg(pretrained=True), ["a", "b"])
        finally:
            for p in patches:
                p.stop()
        msg = str(cm.exception)
        self.assertIn("tried torchvision's DEFAULT weights from download.pytorch.org", msg)
        self.assertIn("model.pretrained: false", msg)
