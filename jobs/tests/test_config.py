"""Config loading: the accelerator's files resolve, task mapping, and clear errors for bad input."""

import os
import tempfile
import unittest

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from tests.helpers import JOBS, make_imagefolder, read_status, run_job, write_config
from lakevision_jobs.config import load_config, resolve_config
from lakevision_jobs.errors import ConfigError

# Copies kept in the repository (tests/fixtures/PROVENANCE.md says where they come from).
FIXTURES = os.path.join(os.path.dirname(JOBS), "tests", "fixtures", "accelerator-configs")


def _base(**model):
    return {"model": {"model_name": "torchvision/resnet18", "task_type": "classification", "num_classes": 2,
                      **model},
            "data": {"train_data_path": "/tmp/x/train", "val_data_path": "/tmp/x/val"}}


class AcceleratorFiles(unittest.TestCase):
    def test_every_accelerator_config_resolves_with_the_accelerators_task_mapping(self):
        import yaml
        expected = {
            "classification_vit_config.yaml": "classification",
            "detection_detr_config.yaml": "detection",
            "segmentation_segformer_config.yaml": "semantic_segmentation",
            "segmentation_mask2former_config.yaml": "semantic_segmentation",
            "segmentation_mask2former_coco_config.yaml": "panoptic_segmentation",
            "segmentation_mask2former_coco_instances_config.yaml": "instance_segmentation",
            "sanity_segmentation_mask2former.yaml": "instance_segmentation",
        }
        names = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".yaml"))
        self.assertEqual(len(names), 14)
        for name in names:
            with open(os.path.join(FIXTURES, name)) as f:
                raw = yaml.safe_load(f)
            cfg = resolve_config(raw, source=name, check_paths=False)
            if name in expected:
                self.assertEqual(cfg.task, expected[name], name)
            if name.startswith("detection") or name.startswith("sanity_detection"):
                self.assertEqual(cfg.task, "detection", name)
            self.assertTrue(cfg.training.monitor_metric.startswith("eval_"), name)
            self.assertEqual(cfg.model.backend, "hf")

    def test_val_monitor_names_become_eval_names_and_strings_become_numbers(self):
        raw = _base(learning_rate="5e-5", weight_decay="1e-2", image_size=[224])
        raw["training"] = {"monitor_metric": "val_accuracy", "monitor_mode": "max", "learning_rate": 1}
        cfg = resolve_config(raw, check_paths=False)
        self.assertEqual(cfg.training.monitor_metric, "eval_accuracy")
        self.assertAlmostEqual(cfg.model.learning_rate, 5e-5)
        self.assertEqual(cfg.model.image_size, (224, 224))
        self.assertTrue(any("training.learning_rate is deprecated" in w for w in cfg.warnings))


class BadConfigs(unittest.TestCase):
    def assertProblem(self, raw, fragment):
        with self.assertRaises(ConfigError) as cm:
            resolve_config(raw, check_paths=False)
        self.assertIn(fragment, str(cm.exception))

    def test_missing_model_name(self):
        raw = _base()
        del raw["model"]["model_name"]
        self.assertProblem(raw, "model.model_name: required")

    def test_not_a_number(self):
        self.assertProblem(_base(learning_rate="fast"), "model.learning_rate: must be a number (got 'fast')")

    def test_unknown_task_lists_the_allowed_ones(self):
        self.assertProblem(_base(task_type="keypoints"), "unknown task 'keypoints'; use one of detection")

    def test_monitor_metric_the_task_never_logs(self):
        raw = _base()
        raw["training"] = {"monitor_metric": "val_map"}
        self.assertProblem(raw, "classification never logs eval_map")

    def test_torchvision_builder_that_cannot_do_the_task(self):
        self.assertProblem(_base(model_name="torchvision/lraspp_mobilenet_v3_large"),
                           "torchvision/lraspp_mobilenet_v3_large cannot do classification")

    def test_unknown_augmentation_and_bad_rotation(self):
        raw = _base()
        raw["data"]["augmentations"] = {"mosaic": True, "rotation": 400}
        with self.assertRaises(ConfigError) as cm:
            resolve_config(raw, check_paths=False)
        msg = str(cm.exception)
        self.assertIn("data.augmentations.mosaic: unknown augmentation", msg)
        self.assertIn("data.augmentations.rotation: degrees 0..180", msg)

    def test_all_problems_are_reported_together(self):
        raw = _base(num_classes=0, scheduler="onecycle")
        raw["data"]["batch_size"] = "many"
        with self.assertRaises(ConfigError) as cm:
            resolve_config(raw, check_paths=False)
        self.assertEqual(len(cm.exception.problems), 3, cm.exception.problems)

    def test_yaml_syntax_error_names_line_and_column(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("model:\n  model_name: [unclosed\ndata: {}\n")
        with self.assertRaises(ConfigError) as cm:
            load_config(f.name)
        self.assertIn("YAML syntax error at line", str(cm.exception))
        os.unlink(f.name)

    def test_top_level_must_be_a_mapping(self):
        with self.assertRaises(ConfigError) as cm:
            resolve_config(["model"], check_paths=False)
        self.assertIn("top level must be a mapping", str(cm.exception))

    def test_missing_data_folder(self):
        raw = _base()
        with self.assertRaises(ConfigError) as cm:
            resolve_config(raw)  # check_paths: the folders do not exist
        self.assertIn("data.train_data_path: directory not found: /tmp/x/train", str(cm.exception))


class BadConfigJob(unittest.TestCase):
    def test_train_exits_2_and_status_json_says_what_is_wrong(self):
        with tempfile.TemporaryDirectory() as d:
            make_imagefolder(f"{d}/train", n=2)
            cfg = write_config(f"{d}/c.yaml", {"model_name": "torchvision/resnet18", "task_type": "classification",
                                               "learning_rate": "fast"},
                               {"train_data_path": f"{d}/train", "val_data_path": f"{d}/train"})
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run")
            self.assertEqual(p.returncode, 2, p.stderr)
            st = read_status(f"{d}/run")
            self.assertEqual(st["phase"], "failed")
            self.assertIn("model.learning_rate: must be a number", st["error"])
            self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()
