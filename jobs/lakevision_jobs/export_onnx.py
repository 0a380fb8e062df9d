"""ONNX export + model.json, verified against PyTorch when onnxruntime is importable.

model.json tells any client (the app's onnxruntime-web endpoint, the pyfunc wrapper,
batch_infer.py) how to feed and read the graph without knowing the architecture:

  input:    resize the RGB image to height×width (stretch), x = (pixel/255 - mean) / std, NCHW
            float32 (normalisation the model needs is inside the graph, so mean/std here are
            [0,0,0]/[1,1,1]; `graph_normalization` records what the graph does)
  decoding: per task, which outputs hold what (see DECODING in jobs/README.md)
"""

import copy
import inspect
import json
import os
import time

import torch

from .tracking import write_json_atomic

OPSET = 17


def export_model(tm, out_dir, sample_images, extra_meta=None, opset=OPSET, verify=True):
    """Write model.onnx and model.json into out_dir; returns the model.json dict."""
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    model = copy.deepcopy(tm).cpu().eval()
    module, output_names, decoding = model.export_module()
    module.eval()
    h, w = model.image_size
    batch_fixed = decoding.get("batch") == 1
    x = sample_images[:1].float().cpu() if sample_images is not None else torch.rand(1, 3, h, w)
    if x.dtype == torch.uint8 or x.max() > 1.5:
        x = x.float() / 255
    dynamic = None if batch_fixed else {"images": {0: "batch"}, **{n: {0: "batch"} for n in output_names}}
    kwargs = dict(input_names=["images"], output_names=output_names, opset_version=opset,
                  dynamic_axes=dynamic, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter handles torchvision detection graphs
    t0 = time.time()
    exporter = "torch.onnx.export (TorchScript)"
    with torch.no_grad():
        try:
            torch.onnx.export(module, (x,), onnx_path, **kwargs)
        except Exception as first:
            if kwargs.get("dynamo") is False:
                kwargs.pop("dynamo")
                kwargs.pop("do_constant_folding", None)
                exporter = "torch.onnx.export (dynamo)"
                try:
                    torch.onnx.export(module, (x,), onnx_path, dynamo=True, **kwargs)
                except Exception as second:
                    raise RuntimeError(f"ONNX export failed: TorchScript exporter: {first}; dynamo exporter: {second}") from None
            else:
                raise RuntimeError(f"ONNX export failed: {first}") from None
    export_s = time.time() - t0
    meta = {
        "format": "lakevision.onnx/1",
        "task": model.task,
        "model_name": model.model_name,
        "backend": model.backend,
        "labels": model.labels,
        "input": {"name": "images", "layout": "NCHW", "color": "RGB", "dtype": "float32",
                  "height": h, "width": w, "batch": 1 if batch_fixed else "dynamic", "resize": "stretch",
                  "scale": 1 / 255, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]},
        "graph_normalization": {"mean": [round(v, 6) for v in model.mean.flatten().tolist()],
                                "std": [round(v, 6) for v in model.std.flatten().tolist()]},
        "outputs": output_names,
        "decoding": decoding,
        "opset": opset,
        "exporter": exporter,
        "torch_version": str(torch.__version__),
        "export_seconds": round(export_s, 2),
        "onnx_bytes": os.path.getsize(onnx_path),
    }
    meta.update(extra_meta or {})
    meta["verification"] = verify_onnx(onnx_path, module, x, output_names, decoding) if verify else \
        {"verified": False, "reason": "verification disabled"}
    write_json_atomic(os.path.join(out_dir, "model.json"), meta)
    return meta


def verify_onnx(onnx_path, module, x, output_names, decoding):
    """Re-run the exported graph on the sample batch and compare with PyTorch."""
    try:
        import onnxruntime as ort
    except ImportError:
        return _structural_check(onnx_path)
    with torch.no_grad():
        ref = module(x)
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    outs = sess.run(None, {"images": x.numpy()})
    report = {"verified": True, "runtime": f"onnxruntime {ort.__version__}", "outputs": {}}
    ok = True
    for name, r, o in zip(output_names, ref, outs):
        r = r.detach().float()
        o = torch.from_numpy(o).float()
        entry = {"shape_torch": list(r.shape), "shape_onnx": list(o.shape)}
        if r.shape != o.shape:
            entry["match"] = False
            # NMS can keep a different number of near-tie boxes; compare what both kept.
            n = min(r.shape[0], o.shape[0]) if r.ndim and o.ndim else 0
            if n and decoding.get("batch") == 1:
                entry["max_abs_diff_common"] = float((r[:n] - o[:n]).abs().max())
            ok = False
        elif name in ("mask", "labels"):
            agree = float((r == o).float().mean()) if r.numel() else 1.0
            entry.update(agreement=agree, tolerance=0.99, match=agree >= 0.99)
            ok &= entry["match"]
        else:
            diff = float((r - o).abs().max()) if r.numel() else 0.0
            tol = 1e-3 * max(1.0, float(r.abs().max()) if r.numel() else 1.0)
            entry.update(max_abs_diff=diff, tolerance=tol, match=diff <= tol)
            ok &= entry["match"]
        report["outputs"][name] = entry
    report["match"] = bool(ok)
    summary = ", ".join(f"{k}: " + (f"max|diff| {v['max_abs_diff']:.2e} (tol {v['tolerance']:.1e})" if "max_abs_diff" in v
                                     else f"agreement {v.get('agreement', 0):.4f}" if "agreement" in v
                                     else f"shape {v['shape_torch']} vs {v['shape_onnx']}")
                        for k, v in report["outputs"].items())
    print(f"[export] onnxruntime vs PyTorch on 1 image: {summary} -> {'OK' if ok else 'MISMATCH'}", flush=True)
    return report


def _structural_check(onnx_path):
    try:
        import onnx
    except ImportError:
        print("[export] onnxruntime and onnx are not importable here; the graph was written but not "
              "re-run (it is verified on clusters, where onnxruntime is installed)", flush=True)
        return {"verified": False, "reason": "onnxruntime not importable"}
    try:
        onnx.checker.check_model(onnx.load(onnx_path))
    except Exception as e:
        return {"verified": False, "reason": f"onnx.checker failed: {e}"}
    print("[export] onnx.checker: graph is valid (onnxruntime not importable, outputs not compared)", flush=True)
    return {"verified": False, "checker": "ok", "reason": "onnxruntime not importable"}


def read_model_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
