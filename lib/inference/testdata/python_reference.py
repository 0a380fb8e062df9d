"""Answers lib/inference's parity tests with jobs/'s own code (stdin JSON cases -> stdout JSON).

Each case is one of:
  {"kind": "preprocess", "rgba": b64, "w", "h", "input": model.json input}
      -> {"resized": b64 RGB bytes (PIL BILINEAR), "tensor": b64 float32 (pil_to_input)}
  {"kind": "decode", "meta": model.json, "outputs": {name: {"dims", "dtype", "b64"}},
   "width", "height", "index", "params"}
      -> Predictor._format(...) of jobs/lakevision_jobs/inference.py
"""

import base64
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "jobs"))
from lakevision_jobs.inference import (  # noqa: E402
    Predictor, _split_outputs, label_names, output_activation, pil_to_input)

DTYPES = {"float32": np.float32, "int64": np.int64}


def preprocess(case):
    rgba = np.frombuffer(base64.b64decode(case["rgba"]), dtype=np.uint8).reshape(case["h"], case["w"], 4)
    im = Image.fromarray(rgba, "RGBA")
    inp = case["input"]
    resized = im.convert("RGB").resize((inp["width"], inp["height"]), Image.BILINEAR)
    x = pil_to_input([im], inp["height"], inp["width"], inp["mean"], inp["std"],
                     scale=inp.get("scale", 1 / 255), layout=inp.get("layout", "NCHW"),
                     color=inp.get("color", "RGB"))
    return {"resized": base64.b64encode(resized.tobytes()).decode(),
            "tensor": base64.b64encode(x.numpy().astype(np.float32).tobytes()).decode()}


def decode(case):
    meta = case["meta"]
    res = {}
    for name, t in case["outputs"].items():
        arr = np.frombuffer(base64.b64decode(t["b64"]), dtype=DTYPES[t["dtype"]]).reshape(t["dims"])
        res[name] = torch.from_numpy(arr.copy())
    inp = meta["input"]
    p = Predictor(meta["task"], label_names(meta), inp["height"], inp["width"], meta.get("defaults"), None, "onnx")
    params = case.get("params") or {}
    thr = float(params.get("confidence_threshold", p.defaults["confidence_threshold"]))
    md = int(params.get("max_detections", p.defaults["max_detections"]))
    k = int(params.get("top_k", p.defaults["top_k"]))
    n = next(iter(res.values())).shape[0]
    r = _split_outputs(res, meta["decoding"], n, output_activation(meta))[case.get("index", 0)]
    return p._format(r, case["width"], case["height"], thr, md, k)


def main():
    cases = json.load(sys.stdin)["cases"]
    out = [preprocess(c) if c["kind"] == "preprocess" else decode(c) for c in cases]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    with torch.no_grad():
        main()
