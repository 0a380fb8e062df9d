"""register.py and the pyfunc it logs, against a recording stub mlflow (tests/stubs/mlflow).

- the signature has inputs, outputs per task and params, and what the pyfunc's predict returns
  fits it (Unity Catalog refuses an inputs-only signature);
- register.py logs that signature, tags the version with its lineage, waits for READY, moves only
  the aliases it is given and puts them back when a later step fails;
- the pyfunc answers the serving contract for detection, classification, semantic and instance
  segmentation through the real Predictor / predict_request path, with onnxruntime replaced by a
  fake session that checks the input recipe of model.json and returns fixed outputs.
"""

import base64
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest
from types import ModuleType, SimpleNamespace
from unittest import mock

import numpy as np
from PIL import Image

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from tests.helpers import read_json, run_job  # noqa: E402
from lakevision_jobs.errors import JobError  # noqa: E402
from lakevision_jobs.signature import TASKS, signature_spec, to_mlflow_signature  # noqa: E402

STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs")
LABELS = ["cat", "dog", "bird"]
IMG_W, IMG_H = 80, 64  # request images; the model input is 40 x 32, so boxes scale by 2
TASK_FIELDS = {
    "detection": {"boxes", "scores", "labels", "label_names"},
    "instance_segmentation": {"boxes", "scores", "labels", "label_names", "masks"},
    "classification": {"top_k"},
    "semantic_segmentation": {"mask_png", "classes", "width", "height"},
    "panoptic_segmentation": {"mask_png", "classes", "width", "height"},
}


def model_json(task):
    """A model.json as export_onnx writes it, for a 40 x 32 input."""
    dec = {"classification": {"type": "classification", "output": "logits", "activation": "softmax"},
           "detection": {"type": "detection", "batch": 1, "boxes": "boxes", "scores": "scores", "labels": "labels"},
           "instance_segmentation": {"type": "instance_segmentation", "batch": 1, "boxes": "boxes",
                                     "scores": "scores", "labels": "labels", "masks": "masks"},
           "semantic_segmentation": {"type": "semantic_segmentation", "output": "mask"}}[task]
    outputs = {"classification": ["logits"], "detection": ["boxes", "scores", "labels"],
               "instance_segmentation": ["boxes", "scores", "labels", "masks"],
               "semantic_segmentation": ["mask"]}[task]
    return {"format": "lakevision.onnx/1", "task": task, "model_name": "torchvision/tiny", "labels": LABELS,
            "input": {"name": "images", "height": 32, "width": 40, "batch": 1 if dec.get("batch") == 1 else "dynamic",
                      "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
            "outputs": outputs, "decoding": dec,
            "defaults": {"confidence_threshold": 0.5, "max_detections": 100, "top_k": 2}}


def write_run(d, task="detection"):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(b"fake onnx")
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump(model_json(task), f)
    return d


def png_b64(w=IMG_W, h=IMG_H):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (120, 30, 200)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


class FakeSession:
    """onnxruntime.InferenceSession stand-in: checks the input against model.json, returns fixed outputs."""

    BOXES = [[4, 4, 20, 12], [8, 2, 30, 30], [0, 0, 6, 6]]

    def __init__(self, path, providers=None):
        with open(os.path.join(os.path.dirname(path), "model.json")) as f:
            self.meta = json.load(f)

    def run(self, names, feed):
        inp, dec = self.meta["input"], self.meta["decoding"]
        assert list(feed) == [inp["name"]], feed.keys()
        x = feed[inp["name"]]
        assert x.dtype == np.float32 and x.shape[1:] == (3, inp["height"], inp["width"]), (x.dtype, x.shape)
        # the image is one colour (120, 30, 200): the recipe gives ((v/255) - 0.5) / 0.25
        assert abs(float(x[0, 0, 0, 0]) - ((120 / 255) - 0.5) / 0.25) < 1e-5
        n, h, w = x.shape[0], inp["height"], inp["width"]
        t = dec["type"]
        if t == "classification":
            out = {"logits": np.tile(np.arange(len(self.meta["labels"]), dtype=np.float32), (n, 1))}
        elif t in ("detection", "instance_segmentation"):
            assert n == 1  # batch 1 graphs get one image at a time
            out = {"boxes": np.array(self.BOXES, dtype=np.float32), "scores": np.array([0.9, 0.7, 0.2], np.float32),
                   "labels": np.array([1, 0, 2], dtype=np.int64)}
            masks = np.zeros((3, h, w), dtype=np.float32)
            for i, (x1, y1, x2, y2) in enumerate(self.BOXES):
                masks[i, y1:y2, x1:x2] = 1
            out["masks"] = masks
        else:
            m = np.zeros((n, h, w), dtype=np.int64)
            m[:, :, w // 2:] = 2
            out = {"mask": m}
        return [out[name] for name in self.meta["outputs"]]


def fake_onnxruntime():
    ort = ModuleType("onnxruntime")
    ort.InferenceSession = FakeSession
    ort.get_available_providers = lambda: ["CPUExecutionProvider"]
    return ort


def _ours(name):
    return name.split(".")[0] in ("mlflow", "onnxruntime") or name == "lakevision_jobs.pyfunc"


@contextlib.contextmanager
def stub_mlflow(log, **env):
    """The stub mlflow (and a fake onnxruntime) imported for the duration, then forgotten again.

    Only those modules are swapped: torch must not be unloaded and imported a second time.
    """
    saved = {k: sys.modules.pop(k) for k in [k for k in sys.modules if _ours(k)]}
    try:
        with mock.patch.dict(os.environ, {"LV_MLFLOW_STUB_LOG": log, **env}):
            sys.modules["onnxruntime"] = fake_onnxruntime()
            sys.path.insert(0, STUBS)
            try:
                import mlflow
            finally:
                sys.path.remove(STUBS)
            yield mlflow
    finally:
        for k in [k for k in sys.modules if _ours(k)]:
            del sys.modules[k]
        sys.modules.update(saved)


class MiniFrame:
    """What the pyfunc reads of a pandas DataFrame (`columns`, `to_dict(orient="records")`), where
    pandas is not installed; MLflow hands the pyfunc a real DataFrame."""

    def __init__(self, data):
        self.columns = list(data)
        self._rows = [dict(zip(self.columns, vals)) for vals in zip(*data.values())]

    def to_dict(self, orient="dict"):
        assert orient == "records"
        return [dict(r) for r in self._rows]


def dataframe(data):
    try:
        import pandas as pd
    except ImportError:
        return MiniFrame(data)
    return pd.DataFrame(data)


def conforms(value, t):
    """Whether a JSON value fits an MLflow signature type (MLflow's JSON form)."""
    kind = t["type"]
    if kind == "array":
        return isinstance(value, list) and all(conforms(v, t["items"]) for v in value)
    if kind == "object":
        props = t["properties"]
        return (isinstance(value, dict) and set(value) <= set(props)
                and all(k in value for k, p in props.items() if p.get("required", True))
                and all(conforms(value[k], props[k]) for k in value))
    if kind == "double":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    raise AssertionError(f"type {kind} not expected in this signature")


class Signature(unittest.TestCase):
    def test_every_task_has_image_input_outputs_and_params(self):
        for task in TASKS:
            spec = signature_spec({"task": task, "defaults": {"confidence_threshold": 0.3, "top_k": 3}})
            self.assertEqual(spec["inputs"], [{"name": "image", "type": "string", "required": True}], task)
            names = {c["name"] for c in spec["outputs"]}
            self.assertEqual(names, TASK_FIELDS[task] | {"error"}, task)
            self.assertEqual({p["name"]: (p["type"], p["default"]) for p in spec["params"]},
                             {"confidence_threshold": ("double", 0.3), "max_detections": ("long", 100),
                              "top_k": ("long", 3)}, task)

    def test_an_unknown_task_is_refused_naming_the_known_ones(self):
        with self.assertRaises(JobError) as cm:
            signature_spec({"task": "depth"})
        self.assertIn("'depth'", str(cm.exception))
        self.assertIn("semantic_segmentation", str(cm.exception))

    def test_mlflow_signature_round_trips_to_the_spec(self):
        with tempfile.TemporaryDirectory() as d, stub_mlflow(f"{d}/log"):
            for task in TASKS:
                spec = signature_spec({"task": task})
                sig, kind = to_mlflow_signature(spec)
                self.assertEqual(kind, "typed")
                self.assertEqual(sig.to_dict(), {k: spec[k] for k in ("inputs", "outputs", "params")}, task)

    def test_without_array_types_outputs_are_still_declared_as_strings(self):
        with tempfile.TemporaryDirectory() as d, stub_mlflow(f"{d}/log", LV_MLFLOW_STUB_OLD_TYPES="1"):
            spec = signature_spec({"task": "instance_segmentation"})
            sig, kind = to_mlflow_signature(spec)
            self.assertEqual(kind, "json-strings")
            outs = sig.to_dict()["outputs"]
            self.assertEqual([c["name"] for c in outs], [c["name"] for c in spec["outputs"]])
            self.assertEqual({c["type"] for c in outs}, {"string"})


class PyfuncServingContract(unittest.TestCase):
    """LakevisionOnnxModel.load_context + predict, as Model Serving calls them."""

    def predict(self, task, rows, params=None):
        with tempfile.TemporaryDirectory() as d, stub_mlflow(f"{d}/log"):
            from lakevision_jobs.pyfunc import LakevisionOnnxModel
            model_dir = write_run(os.path.join(d, "model_dir"), task)
            m = LakevisionOnnxModel()
            m.load_context(SimpleNamespace(artifacts={"model_dir": model_dir}))
            out = m.predict(None, dataframe({"image": rows}), params)
        self.assertEqual(len(out), len(rows))
        outputs = {c["name"]: c for c in signature_spec(model_json(task))["outputs"]}
        for entry in out:
            self.assertEqual(set(entry), TASK_FIELDS[task] if "error" not in entry else {"error"}, entry)
            for k, v in entry.items():
                self.assertTrue(conforms(v, outputs[k]), f"{task}: {k}={v!r} does not fit {outputs[k]}")
        return json.loads(json.dumps(out))  # what serving sends back must be plain JSON

    def test_detection_boxes_in_original_pixels_filtered_by_params(self):
        out = self.predict("detection", [png_b64(), png_b64()],
                           {"confidence_threshold": 0.5, "max_detections": 100, "top_k": 5})
        self.assertEqual(out[0], {"boxes": [[8.0, 8.0, 40.0, 24.0], [16.0, 4.0, 60.0, 60.0]], "scores": [0.9, 0.7],
                                  "labels": [1, 0], "label_names": ["dog", "cat"]})
        self.assertEqual(out[1], out[0])
        one = self.predict("detection", [png_b64()], {"confidence_threshold": 0.1, "max_detections": 1})
        self.assertEqual(one[0]["label_names"], ["dog"])

    def test_instance_segmentation_adds_rle_masks_at_image_size(self):
        out = self.predict("instance_segmentation", [png_b64()], {"confidence_threshold": 0.5})
        self.assertEqual(len(out[0]["masks"]), 2)
        self.assertEqual(out[0]["masks"][0]["size"], [IMG_H, IMG_W])
        self.assertIsInstance(out[0]["masks"][0]["counts"], str)

    def test_classification_top_k_from_params_and_model_defaults(self):
        out = self.predict("classification", [png_b64(), png_b64()], {"top_k": 3})
        self.assertEqual([e["label_name"] for e in out[0]["top_k"]], ["bird", "dog", "cat"])
        self.assertAlmostEqual(sum(e["score"] for e in out[0]["top_k"]), 1.0, places=4)
        default = self.predict("classification", [png_b64()])  # model.json defaults.top_k = 2
        self.assertEqual([e["label"] for e in default[0]["top_k"]], [2, 1])

    def test_semantic_segmentation_class_png_at_image_size(self):
        out = self.predict("semantic_segmentation", [png_b64()], {"confidence_threshold": 0.5})
        e = out[0]
        self.assertEqual((e["width"], e["height"], e["classes"]), (IMG_W, IMG_H, [0, 2]))
        png = Image.open(io.BytesIO(base64.b64decode(e["mask_png"])))
        self.assertEqual(png.size, (IMG_W, IMG_H))
        self.assertEqual(sorted(c for _, c in png.getcolors()), [0, 2])

    def test_an_unreadable_image_is_an_error_entry(self):
        out = self.predict("detection", [png_b64(), "bm90IGFuIGltYWdl"])
        self.assertIn("boxes", out[0])
        self.assertIn("cannot decode image", out[1]["error"])


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


class RegisterJob(unittest.TestCase):
    def register(self, d, *flags, task="detection", **env):
        run = write_run(os.path.join(d, "runs", "r7"), task)
        p = run_job("register.py", "--run-dir", run, "--name", "main.cv.detector", "--poll-seconds", "0.01", *flags,
                    env={"PYTHONPATH": STUBS, "LV_MLFLOW_STUB_LOG": f"{d}/mlflow.jsonl", **env})
        calls = read_log(f"{d}/mlflow.jsonl") if os.path.exists(f"{d}/mlflow.jsonl") else []
        reg = os.path.join(run, "registration.json")
        return p, calls, (read_json(reg) if os.path.exists(reg) else None)

    def test_signature_with_outputs_lineage_tags_wait_for_ready_and_no_alias_by_default(self):
        with tempfile.TemporaryDirectory() as d:
            metrics = json.dumps({"metrics": {"eval_map": 0.41234567, "eval_map_50": 0.7, "eval_map_class_0": 0.3}})
            p, calls, reg = self.register(
                d, "--run-id", "run-123", "--config-name", "detector", "--config-version", "3",
                "--dataset", "/Volumes/main/cv/data/coco", "--scan-id", "scan-9", "--metrics-json", metrics,
                "--tag", "team=vision", "--description", "first", "--copy-to", f"{d}/models/main.cv.detector",
                LV_MLFLOW_STUB_STATUS="PENDING_REGISTRATION,PENDING_REGISTRATION,READY")
            self.assertEqual(p.returncode, 0, p.stderr[-3000:])
            self.assertIn({"call": "set_registry_uri", "uri": "databricks-uc"}, calls)
            logged = next(c for c in calls if c["call"] == "log_model")
            spec = signature_spec(model_json("detection"))
            self.assertEqual(logged["signature"]["outputs"], spec["outputs"])
            self.assertEqual(logged["signature"]["inputs"], spec["inputs"])
            self.assertEqual([x["name"] for x in logged["signature"]["params"]],
                             ["confidence_threshold", "max_detections", "top_k"])
            self.assertEqual(logged["python_model"], "LakevisionOnnxModel")
            self.assertEqual(next(c for c in calls if c["call"] == "register_model")["await_registration_for"], 0)
            self.assertEqual(p.stdout.count("[waiting] version 4 status PENDING_REGISTRATION"), 2)
            tags = {c["key"]: c["value"] for c in calls if c["call"] == "set_model_version_tag"}
            self.assertEqual({k: v for k, v in tags.items() if k.startswith("lakevision.") and k != "lakevision.run_dir"},
                             {"lakevision.run_id": "run-123", "lakevision.config_name": "detector",
                              "lakevision.config_version": "3", "lakevision.dataset": "/Volumes/main/cv/data/coco",
                              "lakevision.scan_id": "scan-9", "lakevision.metric.eval_map": "0.412346",
                              "lakevision.metric.eval_map_50": "0.7"})
            self.assertEqual((tags["team"], tags["task"]), ("vision", "detection"))
            first_tag = next(i for i, c in enumerate(calls) if c["call"] == "set_model_version_tag")
            last_poll = max(i for i, c in enumerate(calls) if c["call"] == "get_model_version")
            self.assertLess(last_poll, first_tag)  # tags go on a READY version
            self.assertNotIn("set_registered_model_alias", [c["call"] for c in calls])
            self.assertEqual(reg["version"], "4")
            self.assertEqual(reg["status"], "READY")
            self.assertEqual(reg["aliases"], [])
            self.assertIsNone(reg["error"])
            self.assertEqual(reg["signature"], "typed")
            self.assertEqual(reg["metrics"], {"eval_map": 0.41234567, "eval_map_50": 0.7})
            self.assertEqual(reg["model_uri"], "runs:/stub-run-1/model")
            self.assertEqual(reg["tags"]["lakevision.run_id"], "run-123")
            copied = f"{d}/models/main.cv.detector/4"
            self.assertEqual(reg["copied_to"], copied)
            manifest = read_json(f"{copied}/manifest.json")
            self.assertEqual((manifest["name"], manifest["version"]), ("main.cv.detector", "4"))
            import hashlib
            with open(f"{copied}/model.onnx", "rb") as f:
                self.assertEqual(manifest["files"]["model.onnx"], {"sha256": hashlib.sha256(f.read()).hexdigest(),
                                                                   "bytes": len(b"fake onnx")})
            self.assertEqual(set(manifest["files"]), {"model.onnx", "model.json"})

    def test_a_failed_alias_puts_the_moved_ones_back(self):
        with tempfile.TemporaryDirectory() as d:
            p, calls, reg = self.register(d, "--alias", "champion", "--alias", "fresh", "--alias", "challenger",
                                          LV_MLFLOW_STUB_ALIASES='{"champion": "3"}',
                                          LV_MLFLOW_STUB_FAIL_ALIAS="challenger")
            self.assertEqual(p.returncode, 1)
            moves = [(c["call"], c["alias"], c.get("version")) for c in calls if "alias" in c["call"]]
            self.assertEqual(moves, [("set_registered_model_alias", "champion", "4"),
                                     ("set_registered_model_alias", "fresh", "4"),
                                     ("delete_registered_model_alias", "fresh", None),
                                     ("set_registered_model_alias", "champion", "3")])
            self.assertIn("[rolled back] alias champion back on version 3", p.stderr)
            self.assertIn("[rolled back] alias fresh removed", p.stderr)
            self.assertIn("PERMISSION_DENIED", p.stderr)
            self.assertEqual((reg["version"], reg["status"], reg["aliases"]), ("4", "READY", []))
            self.assertIn("PERMISSION_DENIED", reg["error"])
            self.assertEqual(len(reg["rolled_back"]), 2)

    def test_failed_registration_moves_no_alias_copies_nothing_and_says_why(self):
        with tempfile.TemporaryDirectory() as d:
            p, calls, reg = self.register(d, "--alias", "champion", "--copy-to", f"{d}/models",
                                          LV_MLFLOW_STUB_STATUS="FAILED_REGISTRATION")
            self.assertFalse(os.path.exists(f"{d}/models/4"))
            self.assertEqual(p.returncode, 1)
            self.assertIn("FAILED_REGISTRATION: stub: copying artifacts failed", p.stderr)
            self.assertIn("no alias was moved", p.stderr)
            kinds = {c["call"] for c in calls}
            self.assertFalse(kinds & {"set_registered_model_alias", "set_model_version_tag"})
            self.assertEqual((reg["status"], reg["aliases"]), ("FAILED_REGISTRATION", []))

    def test_a_version_still_pending_after_wait_seconds_fails(self):
        with tempfile.TemporaryDirectory() as d:
            p, calls, reg = self.register(d, "--alias", "champion", "--wait-seconds", "0",
                                          LV_MLFLOW_STUB_STATUS="PENDING_REGISTRATION")
            self.assertEqual(p.returncode, 1)
            self.assertIn("[waiting] version 4 status PENDING_REGISTRATION", p.stdout)
            self.assertIn("still PENDING_REGISTRATION after 0 s", p.stderr)
            self.assertNotIn("set_registered_model_alias", [c["call"] for c in calls])
            self.assertEqual(reg["status"], "PENDING_REGISTRATION")

    def test_bad_arguments_stop_before_mlflow_with_exit_2(self):
        import register
        with tempfile.TemporaryDirectory() as d:
            run = write_run(os.path.join(d, "r1"))
            cases = [(["--name", "main.cv"], "catalog.schema.model"),
                     (["--name", "main.cv.my model"], "space"),
                     (["--name", "main.cv.m", "--metrics-json", "{not json"], "not valid JSON"),
                     (["--name", "main.cv.m", "--metrics-json", f"{d}/missing.json"], "cannot read"),
                     (["--name", "main.cv.m", "--tag", "novalue"], "key=value"),
                     (["--name", "main.cv.m", "--alias", "latest"], "reserves")]
            for flags, expected in cases:
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    rc = register.main(register.get_args_parser().parse_args(["--run-dir", run, *flags]))
                self.assertEqual(rc, 2, flags)
                self.assertIn(expected, err.getvalue(), flags)
            os.remove(os.path.join(run, "model.onnx"))
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                rc = register.main(register.get_args_parser().parse_args(["--run-dir", run, "--name", "main.cv.m"]))
            self.assertEqual(rc, 1)
            self.assertIn("model.onnx not found", err.getvalue())


if __name__ == "__main__":
    unittest.main()
