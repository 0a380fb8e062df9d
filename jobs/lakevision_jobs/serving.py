"""The serving contract shared by the MLflow pyfunc wrapper (register.py) and batch inference.

Requests arrive as Databricks Model Serving bodies (`dataframe_split`, `dataframe_records`,
`instances`, `inputs`) or, inside the pyfunc, as the DataFrame MLflow already built from them.
Each row carries a base64 `image` (also accepted: `b64`, `data`, a data URL); optional `params`
are `confidence_threshold`, `max_detections`, `top_k`. The answer is one entry per image (MLflow
wraps the list as `{"predictions": [...]}`); an unreadable image gives `{"error": ...}` in its
place instead of failing the whole request.
"""

from .errors import JobError

IMAGE_KEYS = ("image", "b64", "data", "image_base64")
PARAM_TYPES = {"confidence_threshold": float, "max_detections": int, "top_k": int}


def parse_request(body):
    """(list of image values, params dict) from any accepted body or DataFrame."""
    params = {}
    if hasattr(body, "to_dict") and hasattr(body, "columns"):  # pandas DataFrame
        rows = body.to_dict(orient="records")
    elif isinstance(body, dict):
        params = dict(body.get("params") or {})
        if "dataframe_split" in body:
            split = body["dataframe_split"]
            cols = split.get("columns") or []
            rows = [dict(zip(cols, r)) for r in split.get("data") or []]
        elif "dataframe_records" in body:
            rows = body["dataframe_records"]
        elif "instances" in body:
            rows = body["instances"]
        elif "inputs" in body:
            inp = body["inputs"]
            rows = [dict(zip(inp, vals)) for vals in zip(*inp.values())] if isinstance(inp, dict) else inp
        else:
            raise JobError("request needs dataframe_split, dataframe_records, instances or inputs")
    elif isinstance(body, list):
        rows = body
    else:
        raise JobError(f"unsupported request of type {type(body).__name__}")
    images = []
    for i, r in enumerate(rows):
        if isinstance(r, dict):
            key = next((k for k in IMAGE_KEYS if r.get(k) is not None), None)
            if key is None:
                raise JobError(f"row {i} has no image column (expected one of {', '.join(IMAGE_KEYS)})")
            images.append(r[key])
        else:
            images.append(r)
    return images, clean_params(params)


def clean_params(params):
    """Known params with the right types; unknown names are refused so typos do not pass silently."""
    out = {}
    for k, v in (params or {}).items():
        if k not in PARAM_TYPES:
            raise JobError(f"unknown param {k!r}; allowed: {', '.join(PARAM_TYPES)}")
        if v is None:
            continue
        try:
            out[k] = PARAM_TYPES[k](v)
        except (TypeError, ValueError):
            raise JobError(f"param {k} must be a number (got {v!r})") from None
    return out


def predict_request(predictor, body, params=None):
    """Serving-contract predictions for a request body; bad images become per-row errors."""
    images, p = parse_request(body)
    p.update(clean_params(params))
    out = []
    for img in images:
        try:
            out.append(predictor.predict([img], **p)[0])
        except JobError as e:
            out.append({"error": str(e)})
    return out
