"""The serving contract's request parsing and per-image errors (used by the pyfunc and the app)."""

import base64
import io
import os as _os
import sys as _sys
import unittest

from PIL import Image

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from lakevision_jobs.errors import JobError  # noqa: E402
from lakevision_jobs.serving import parse_request, predict_request  # noqa: E402


def _b64():
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 10, 10)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


class ParseRequest(unittest.TestCase):
    def test_every_databricks_body_form_gives_the_same_images(self):
        b = _b64()
        forms = [
            {"dataframe_split": {"columns": ["image"], "data": [[b], [b]]}},
            {"dataframe_records": [{"image": b}, {"image": b}]},
            {"instances": [{"image": b}, {"b64": b}]},
            {"inputs": {"image": [b, b]}},
        ]
        for body in forms:
            images, params = parse_request(body)
            self.assertEqual(images, [b, b], body)
            self.assertEqual(params, {})

    def test_params_are_typed_and_unknown_ones_refused(self):
        _, params = parse_request({"instances": [{"image": "x"}],
                                   "params": {"confidence_threshold": "0.3", "top_k": 2}})
        self.assertEqual(params, {"confidence_threshold": 0.3, "top_k": 2})
        with self.assertRaises(JobError) as cm:
            parse_request({"instances": [{"image": "x"}], "params": {"threshold": 0.3}})
        self.assertIn("unknown param 'threshold'", str(cm.exception))

    def test_row_without_an_image_is_named(self):
        with self.assertRaises(JobError) as cm:
            parse_request({"dataframe_records": [{"image": "x"}, {"picture": "y"}]})
        self.assertIn("row 1 has no image column", str(cm.exception))

    def test_a_bad_image_is_an_error_entry_not_a_failed_request(self):
        class Echo:
            def predict(self, images, **kw):
                from lakevision_jobs.inference import decode_image
                return [{"size": list(decode_image(images[0]).size), **kw}]

        out = predict_request(Echo(), {"instances": [{"image": _b64()}, {"image": "bm90IGFuIGltYWdl"}]},
                              {"top_k": 3})
        self.assertEqual(out[0], {"size": [8, 6], "top_k": 3})
        self.assertIn("cannot decode image", out[1]["error"])


if __name__ == "__main__":
    unittest.main()
