"""model.json options the Python predictor honours as lib/inference/ does (jobs/README.md "model.json").

Each test feeds hand-made tensors or images and checks values worked out by hand (or by numpy,
independently of the code under test): `output_activation`, semantic `format: "scores"`,
`input.scale` / `layout` / `color`, instance `mask_threshold`, `id2label`, and ties in top-k.
The last tests go through Predictor.from_onnx, the MLflow pyfunc's path, with a fake onnxruntime.
"""

import base64
import contextlib
import io
import json
import math
import os
import sys
import tempfile
import unittest
from types import ModuleType, SimpleNamespace
from unittest import mock

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # jobs/

from lakevision_jobs.datasets import mask_to_rle  # noqa: E402
from lakevision_jobs.errors import JobError  # noqa: E402
from lakevision_jobs.inference import (  # noqa: E402
    Predictor, _split_outputs, check_model_json, label_names, output_activation, pil_to_input)
from lakevision_jobs.serving import predict_request  # noqa: E402

CLS_DEC = {"type": "classification", "output": "logits"}
SEM_SCORES = {"type": "semantic_segmentation", "output": "scores", "format": "scores"}


def predictor(task, labels=("a", "b", "c", "d"), height=2, width=3):
    return Predictor(task, list(labels), height, width, None, None, "onnx")


def classify(logits, activation=None, decoding=CLS_DEC, k=5, labels=("a", "b", "c", "d")):
    r = _split_outputs({"logits": torch.tensor([logits], dtype=torch.float32)}, decoding, 1, activation)[0]
    return predictor("classification", labels)._format(r, 10, 10, 0.5, 100, k)["top_k"]


def png_values(entry):
    return np.array(Image.open(io.BytesIO(base64.b64decode(entry["mask_png"]))))


def meta(task, decoding, **top):
    return {"task": task, "labels": ["a", "b", "c"], "decoding": decoding,
            "input": {"name": "images", "height": 2, "width": 3, "mean": [0, 0, 0], "std": [1, 1, 1]}, **top}


class OutputActivation(unittest.TestCase):
    def test_absent_is_the_decodings_own_then_softmax_for_classification_none_otherwise(self):
        self.assertEqual(output_activation(meta("classification", CLS_DEC)), "softmax")
        self.assertEqual(output_activation(meta("classification", {**CLS_DEC, "activation": "sigmoid"})), "sigmoid")
        self.assertEqual(output_activation(meta("classification", {**CLS_DEC, "activation": "softmax"},
                                                output_activation="none")), "none")
        self.assertEqual(output_activation(meta("semantic_segmentation", SEM_SCORES)), "none")
        self.assertEqual(output_activation(meta("detection", {"type": "detection"})), "none")

    def test_none_passes_a_classifier_that_already_ends_in_softmax_through(self):
        top = classify([0.1, 0.7, 0.15, 0.05], "none")
        self.assertEqual([t["label"] for t in top], [1, 2, 0, 3])
        self.assertEqual([t["score"] for t in top], [0.7, 0.15, 0.1, 0.05])
        self.assertEqual(top[0]["label_name"], "b")

    def test_default_softmax_is_applied_to_the_raw_output(self):
        logits = [0.1, 0.7, 0.15, 0.05]
        e = np.exp(np.array(logits, dtype=np.float64))
        expected = e / e.sum()  # 0.2222..., 0.4049..., ...: what a second softmax does to probabilities
        top = classify(logits)
        self.assertEqual([t["label"] for t in top], [1, 2, 0, 3])
        for t in top:
            self.assertAlmostEqual(t["score"], expected[t["label"]], delta=1.5e-6)

    def test_sigmoid_scores_each_class_on_its_own(self):
        top = classify([0.0, 2.0, -1.0], "sigmoid", labels=("a", "b", "c"))
        self.assertEqual([t["label"] for t in top], [1, 0, 2])
        # 1 / (1 + e^-2) = 0.880797..., 1 / (1 + e^0) = 0.5, 1 / (1 + e^1) = 0.268941...
        self.assertEqual([t["score"] for t in top], [0.880797, 0.5, 0.268941])

    def test_top_level_output_activation_overrides_the_decodings_activation(self):
        dec = {**CLS_DEC, "activation": "softmax"}
        m = meta("classification", dec, output_activation="none")
        top = classify([0.1, 0.7, 0.15, 0.05], output_activation(m), dec)
        self.assertEqual(top[0]["score"], 0.7)

    def test_one_dimensional_logits_are_one_image(self):
        r = _split_outputs({"logits": torch.tensor([0.3, 0.6, 0.1])}, CLS_DEC, 1, "none")
        self.assertEqual(len(r), 1)
        top = predictor("classification", ("a", "b", "c"))._format(r[0], 5, 5, 0.5, 100, 2)["top_k"]
        self.assertEqual([(t["label"], t["score"]) for t in top], [(1, 0.6), (0, 0.3)])


class TopKTies(unittest.TestCase):
    def test_equal_scores_list_the_lowest_label_first(self):
        top = classify([0.25, 0.5, 0.25, 0.5], "none")
        self.assertEqual([t["label"] for t in top], [1, 3, 0, 2])

    def test_equal_logits_after_softmax_keep_label_order(self):
        top = classify([1.0, 1.0, 1.0, 1.0], k=3)
        self.assertEqual([t["label"] for t in top], [0, 1, 2])
        self.assertEqual([t["score"] for t in top], [0.25, 0.25, 0.25])

    def test_k_is_capped_by_the_labels_and_may_be_zero(self):
        self.assertEqual(len(classify([0.1, 0.2, 0.3, 0.4], "none", k=10)), 4)
        self.assertEqual(classify([0.1, 0.2, 0.3, 0.4], "none", k=0), [])

    def test_equal_detection_scores_keep_the_models_order(self):
        r = {"boxes": torch.zeros(4, 4), "scores": torch.tensor([0.6, 0.9, 0.6, 0.9]),
             "labels": torch.tensor([0, 1, 2, 3])}
        out = predictor("detection", height=10, width=10)._format(r, 10, 10, 0.5, 100, 5)
        self.assertEqual(out["labels"], [1, 3, 0, 2])


class SemanticScores(unittest.TestCase):
    def test_argmax_over_classes_first_class_on_ties(self):
        # [1, C=3, H=2, W=3]; pixel by pixel the winners are worked out by hand
        s = torch.tensor([[[[5., 0., 1.], [2., 2., 0.]],
                           [[1., 4., 1.], [2., 0., 0.]],
                           [[0., 4., 3.], [1., 2., 0.]]]])
        r = _split_outputs({"scores": s}, SEM_SCORES, 1, "none")[0]
        self.assertEqual(r["mask"].tolist(), [[0, 1, 2], [0, 0, 0]])
        for act in ("softmax", "sigmoid"):  # monotonic: the same argmax
            self.assertEqual(_split_outputs({"scores": s}, SEM_SCORES, 1, act)[0]["mask"].tolist(),
                             [[0, 1, 2], [0, 0, 0]])

    def test_each_image_of_a_batch_and_an_unbatched_map(self):
        s = torch.zeros(2, 2, 1, 2)
        s[0, 1, 0, 0] = 1  # image 0: class 1 at x = 0
        s[1, 1, 0, 1] = 1  # image 1: class 1 at x = 1
        maps = _split_outputs({"scores": s}, SEM_SCORES, 2, "none")
        self.assertEqual([m["mask"].tolist() for m in maps], [[[1, 0]], [[0, 1]]])
        one = _split_outputs({"scores": s[1]}, SEM_SCORES, 1, "none")
        self.assertEqual([m["mask"].tolist() for m in one], [[[0, 1]]])

    def test_one_channel_is_a_binary_mask_at_the_threshold_after_sigmoid(self):
        logits = torch.tensor([[[[-1.0, 0.0, 0.5, 1.0, -0.1]]]])
        # sigmoid: 0.2689, 0.5, 0.6225, 0.7311, 0.4750
        dec = {**SEM_SCORES}
        self.assertEqual(_split_outputs({"scores": logits}, dec, 1, "sigmoid")[0]["mask"].tolist(),
                         [[0, 1, 1, 1, 0]])
        dec = {**SEM_SCORES, "threshold": 0.7}
        self.assertEqual(_split_outputs({"scores": logits}, dec, 1, "sigmoid")[0]["mask"].tolist(),
                         [[0, 0, 0, 1, 0]])

    def test_one_channel_without_activation_thresholds_the_raw_score(self):
        probs = torch.tensor([[[[0.2, 0.5, 0.49, 0.9]]]])
        self.assertEqual(_split_outputs({"scores": probs}, SEM_SCORES, 1, "none")[0]["mask"].tolist(),
                         [[0, 1, 0, 1]])

    def test_the_decoded_map_is_the_served_png(self):
        s = torch.tensor([[[[0., 3., 0.], [0., 0., 0.]], [[1., 0., 0.], [0., 0., 9.]]]])
        r = _split_outputs({"scores": s}, SEM_SCORES, 1, "none")[0]
        entry = predictor("semantic_segmentation")._format(r, 6, 4, 0.5, 100, 5)
        expected = np.repeat(np.repeat(np.array([[1, 0, 0], [0, 0, 1]]), 2, 0), 2, 1)  # nearest, 2x
        self.assertEqual(png_values(entry).tolist(), expected.tolist())
        self.assertEqual(entry["classes"], [0, 1])

    def test_class_index_stays_the_default(self):
        m = torch.tensor([[[0, 2, 1], [1, 1, 0]]])
        r = _split_outputs({"mask": m}, {"type": "semantic_segmentation", "output": "mask"}, 1)[0]
        self.assertEqual(r["mask"].tolist(), [[0, 2, 1], [1, 1, 0]])


class InputRecipe(unittest.TestCase):
    PIXELS = np.array([[[200, 100, 50], [0, 255, 10], [30, 60, 90]],
                       [[1, 2, 3], [250, 128, 64], [17, 34, 51]]], dtype=np.uint8)  # H = 2, W = 3
    MEAN, STD = [0.5, 0.25, 0.125], [0.5, 2.0, 0.25]

    def image(self):
        return Image.fromarray(self.PIXELS, "RGB")

    def expected(self, scale, channels):
        """numpy float32 NCHW: (pixel·scale − mean) / std, channels in the given order."""
        px = self.PIXELS.astype(np.float32)[..., channels]
        px = px / np.float32(255) if scale is None else px * np.float32(scale)
        x = (px - np.array(self.MEAN, np.float32)) / np.array(self.STD, np.float32)
        return x.transpose(2, 0, 1)[None]

    def test_default_is_rgb_nchw_divided_by_255(self):
        x = pil_to_input([self.image()], 2, 3, self.MEAN, self.STD)
        self.assertEqual(tuple(x.shape), (1, 3, 2, 3))
        np.testing.assert_array_equal(x.numpy(), self.expected(None, [0, 1, 2]))
        # one value by hand: red of pixel (0, 0) = (200/255 − 0.5) / 0.5
        self.assertAlmostEqual(float(x[0, 0, 0, 0]), (200 / 255 - 0.5) / 0.5, places=6)

    def test_scale_multiplies_the_0_255_pixel(self):
        x = pil_to_input([self.image()], 2, 3, self.MEAN, self.STD, scale=1.0)
        np.testing.assert_array_equal(x.numpy(), self.expected(1.0, [0, 1, 2]))
        self.assertEqual(float(x[0, 0, 0, 0]), (200 - 0.5) / 0.5)

    def test_bgr_swaps_the_channels_and_mean_std_follow_the_model_order(self):
        x = pil_to_input([self.image()], 2, 3, self.MEAN, self.STD, color="BGR")
        np.testing.assert_array_equal(x.numpy(), self.expected(None, [2, 1, 0]))
        # channel 0 is blue: (50/255 − mean[0]) / std[0]
        self.assertAlmostEqual(float(x[0, 0, 0, 0]), (50 / 255 - 0.5) / 0.5, places=6)

    def test_nhwc_puts_the_channels_last(self):
        x = pil_to_input([self.image()], 2, 3, self.MEAN, self.STD, layout="NHWC", color="BGR", scale=2.0)
        self.assertEqual(tuple(x.shape), (1, 2, 3, 3))
        self.assertTrue(x.is_contiguous())
        np.testing.assert_array_equal(x.numpy(), self.expected(2.0, [2, 1, 0]).transpose(0, 2, 3, 1))
        self.assertEqual(x[0, 1, 1].tolist(), [(128 - 0.5) / 0.5, (256 - 0.25) / 2.0, (500 - 0.125) / 0.25])


class MaskThreshold(unittest.TestCase):
    def instance(self, dec, masks):
        res = {"boxes": torch.zeros(1, 4), "scores": torch.tensor([0.9]), "labels": torch.tensor([0]), "masks": masks}
        r = _split_outputs(res, {"type": "instance_segmentation", "boxes": "boxes", "scores": "scores",
                                 "labels": "labels", "masks": "masks", **dec}, 1)[0]
        return predictor("instance_segmentation")._format(r, 3, 2, 0.5, 100, 5)["masks"][0]

    MASKS = torch.tensor([[[0.2, 0.6, 0.8], [0.5, 0.75, 0.1]]])  # [K = 1, 2, 3] at the original size

    def test_default_keeps_pixels_above_one_half(self):
        self.assertEqual(self.instance({}, self.MASKS),
                         mask_to_rle(torch.tensor([[False, True, True], [False, True, False]])))

    def test_model_json_threshold_is_used(self):
        self.assertEqual(self.instance({"mask_threshold": 0.7}, self.MASKS),
                         mask_to_rle(torch.tensor([[False, False, True], [False, True, False]])))
        self.assertEqual(self.instance({"mask_threshold": 0.1}, self.MASKS),
                         mask_to_rle(torch.tensor([[True, True, True], [True, True, False]])))

    def test_masks_with_a_channel_axis_are_read_as_k_h_w(self):
        self.assertEqual(self.instance({"mask_threshold": 0.7}, self.MASKS[:, None]),
                         mask_to_rle(torch.tensor([[False, False, True], [False, True, False]])))


class Labels(unittest.TestCase):
    def test_id2label_gives_names_in_label_order(self):
        self.assertEqual(label_names({"id2label": {"1": "dog", "0": "cat", "2": "bird"}}), ["cat", "dog", "bird"])
        self.assertEqual(label_names({"id2label": {str(i): f"c{i}" for i in range(12)}})[10], "c10")

    def test_labels_win_over_id2label(self):
        self.assertEqual(label_names({"labels": ["x", "y"], "id2label": {"0": "cat", "1": "dog"}}), ["x", "y"])

    def test_gaps_or_no_names_are_refused(self):
        with self.assertRaisesRegex(JobError, r"0\.\.1 without gaps"):
            label_names({"id2label": {"0": "cat", "2": "dog"}})
        with self.assertRaisesRegex(JobError, "needs labels"):
            label_names({})

    def test_a_label_the_names_do_not_cover_is_an_error_not_a_wrong_name(self):
        r = {"boxes": torch.zeros(1, 4), "scores": torch.tensor([0.9]), "labels": torch.tensor([-1])}
        with self.assertRaisesRegex(JobError, "predicted label -1, but model.json has 4 labels"):
            predictor("detection")._format(r, 3, 2, 0.5, 100, 5)


class CheckModelJson(unittest.TestCase):
    def test_bad_values_are_refused_listing_the_allowed_ones(self):
        cases = [({"output_activation": "relu"}, "output_activation is 'relu'; allowed: none, softmax, sigmoid"),
                 ({"input": {"layout": "CHW"}}, "input.layout is 'CHW'; allowed: NCHW, NHWC"),
                 ({"input": {"color": "RGBA"}}, "input.color is 'RGBA'; allowed: RGB, BGR"),
                 ({"input": {"scale": 0}}, "input.scale must be a number > 0"),
                 ({"decoding": {**SEM_SCORES, "format": "probs"}}, "allowed: class_index, scores"),
                 ({"decoding": {"type": "instance_segmentation", "mask_threshold": 2}},
                  r"mask_threshold must be a number in \[0, 1\]")]
        for change, message in cases:
            m = meta("classification", CLS_DEC)
            m.update({k: ({**m[k], **v} if k == "input" else v) for k, v in change.items()})
            with self.assertRaisesRegex(JobError, message, msg=change):
                check_model_json(m)

    def test_what_export_onnx_writes_passes(self):
        m = meta("classification", {**CLS_DEC, "activation": "softmax"})
        m["input"].update(layout="NCHW", color="RGB", dtype="float32", resize="stretch", scale=1 / 255)
        self.assertIs(check_model_json(m), m)


class FakeSession:
    """onnxruntime.InferenceSession stand-in: records the input, returns fixed outputs by graph name."""

    def __init__(self, path, providers=None):
        with open(os.path.join(os.path.dirname(path), "outputs.json")) as f:
            self.outputs = {k: np.array(v["data"], dtype=v["dtype"]) for k, v in json.load(f).items()}
        self.feeds = []

    def get_outputs(self):
        return [SimpleNamespace(name=n) for n in self.outputs]

    def run(self, names, feed):
        self.feeds.append(feed)
        FakeSession.last = self
        return list(self.outputs.values())


@contextlib.contextmanager
def onnx_model(model_json, outputs):
    """A folder with model.onnx + model.json, and a fake onnxruntime answering `outputs`."""
    ort = ModuleType("onnxruntime")
    ort.InferenceSession = FakeSession
    ort.get_available_providers = lambda: ["CPUExecutionProvider"]
    with tempfile.TemporaryDirectory() as d, mock.patch.dict(sys.modules, {"onnxruntime": ort}):
        open(os.path.join(d, "model.onnx"), "wb").close()
        with open(os.path.join(d, "model.json"), "w") as f:
            json.dump(model_json, f)
        with open(os.path.join(d, "outputs.json"), "w") as f:
            json.dump(outputs, f)
        yield Predictor.from_onnx(os.path.join(d, "model.onnx"))


def png(pixels):
    buf = io.BytesIO()
    Image.fromarray(np.array(pixels, dtype=np.uint8), "RGB").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


class ThroughTheServingPath(unittest.TestCase):
    """Predictor.from_onnx + predict_request: what the MLflow pyfunc answers."""

    def test_an_external_softmax_classifier_with_hf_labels_bgr_nhwc_and_scale(self):
        mj = {"task": "classification", "id2label": {"0": "cat", "1": "dog", "2": "bird"},
              "input": {"name": "pixel_values", "height": 1, "width": 2, "layout": "NHWC", "color": "BGR",
                        "scale": 1.0, "mean": [0, 0, 0], "std": [1, 1, 2]},
              "decoding": {"type": "classification", "output": "probs"}, "output_activation": "none"}
        outputs = {"probs": {"dtype": "float32", "data": [[0.2, 0.3, 0.5]]}}  # no "outputs": the graph's names
        with onnx_model(mj, outputs) as p:
            out = predict_request(p, {"instances": [{"image": png([[[10, 20, 30], [40, 50, 60]]])}],
                                      "params": {"top_k": 2}})
            x = FakeSession.last.feeds[0]["pixel_values"]
        self.assertEqual(x.shape, (1, 1, 2, 3))
        self.assertEqual(x.dtype, np.float32)
        self.assertEqual(x[0, 0].tolist(), [[30, 20, 5], [60, 50, 20]])  # B, G, R/2; pixels unscaled
        self.assertEqual(out, [{"top_k": [{"label": 2, "label_name": "bird", "score": 0.5},
                                          {"label": 1, "label_name": "dog", "score": 0.3}]}])

    def test_a_binary_segmenter_with_sigmoid_logits(self):
        mj = {"task": "semantic_segmentation", "labels": ["background", "lesion"],
              "input": {"name": "x", "height": 1, "width": 2, "mean": [0, 0, 0], "std": [1, 1, 1]},
              "outputs": ["logits"], "output_activation": "sigmoid",
              "decoding": {"type": "semantic_segmentation", "output": "logits", "format": "scores",
                           "threshold": 0.6}}
        # sigmoid(0.2) = 0.5498 < 0.6, sigmoid(0.5) = 0.6225 ≥ 0.6
        outputs = {"logits": {"dtype": "float32", "data": [[[[0.2, 0.5]]]]}}
        with onnx_model(mj, outputs) as p:
            out = predict_request(p, [png([[[0, 0, 0]] * 4] * 2)])  # a 4 × 2 image: 2× wider, 2× taller
        self.assertEqual(png_values(out[0]).tolist(), [[0, 0, 1, 1], [0, 0, 1, 1]])
        self.assertEqual(out[0]["classes"], [0, 1])
        self.assertTrue(math.isclose(1 / (1 + math.exp(-0.5)), 0.6225, abs_tol=1e-4))

    def test_a_bad_option_fails_at_load_naming_it(self):
        mj = meta("classification", CLS_DEC, output_activation="logsoftmax")
        with self.assertRaisesRegex(JobError, "output_activation is 'logsoftmax'"):
            with onnx_model(mj, {"logits": {"dtype": "float32", "data": [[0, 1, 2]]}}):
                pass


if __name__ == "__main__":
    unittest.main()
