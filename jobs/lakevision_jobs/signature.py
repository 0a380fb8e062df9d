"""The MLflow model signature of a registered Lakevision model, per task, without importing MLflow.

Unity Catalog refuses a model version whose signature has inputs only, so the signature declares
the serving contract (inference.py, serving.py) in full:

  inputs:  `image` (string: base64 image bytes or a data URL), one row per image
  params:  confidence_threshold (double), max_detections (long), top_k (long); defaults from model.json
  outputs: one entry per image, by task
    detection:              boxes [[x1,y1,x2,y2]] (array of array of double), scores (array of
                            double), labels (array of long), label_names (array of string)
    instance_segmentation:  the detection fields + masks (array of object {size: array of long,
                            counts: string}, COCO compressed RLE)
    classification:         top_k (array of object {label: long, label_name: string, score: double})
    semantic / panoptic:    mask_png (string, base64 class-index PNG), classes (array of long),
                            width (long), height (long)
    every task:             error (string), set instead of the fields above for an unreadable image

The spec is written in MLflow's own signature JSON (what MLflow stores in MLmodel), so
`signature_spec` is testable without MLflow and `to_mlflow_signature` is a mechanical conversion.
Output columns are marked optional (`required: false`) because an entry is either the task's
fields or `{error}`. MLflow >= 2.10 has Array/Object column types; on an older MLflow the array
and object columns are declared as `string` (their JSON text) instead: Unity Catalog only needs
outputs to be present, and MLflow does not check a pyfunc's output against the signature.
"""

from .errors import JobError

TASKS = ("detection", "instance_segmentation", "classification", "semantic_segmentation",
         "panoptic_segmentation")


def _t(name):
    return {"type": name}


def _array(items):
    return {"type": "array", "items": items}


def _object(**props):
    return {"type": "object", "properties": {k: {**v, "required": True} for k, v in props.items()}}


def _col(name, dtype):
    return {"name": name, **dtype, "required": False}


DETECTION = [
    _col("boxes", _array(_array(_t("double")))),
    _col("scores", _array(_t("double"))),
    _col("labels", _array(_t("long"))),
    _col("label_names", _array(_t("string"))),
]
MASKS = _col("masks", _array(_object(size=_array(_t("long")), counts=_t("string"))))
CLASSIFICATION = [_col("top_k", _array(_object(label=_t("long"), label_name=_t("string"), score=_t("double"))))]
SEGMENTATION = [
    _col("mask_png", _t("string")),
    _col("classes", _array(_t("long"))),
    _col("width", _t("long")),
    _col("height", _t("long")),
]
ERROR = _col("error", _t("string"))

OUTPUTS = {
    "detection": DETECTION,
    "instance_segmentation": DETECTION + [MASKS],
    "classification": CLASSIFICATION,
    "semantic_segmentation": SEGMENTATION,
    "panoptic_segmentation": SEGMENTATION,
}

PARAM_DEFAULTS = {"confidence_threshold": ("double", float, 0.5), "max_detections": ("long", int, 100),
                  "top_k": ("long", int, 5)}


def signature_spec(meta):
    """{inputs, outputs, params} in MLflow signature JSON for a model.json (`task`, `defaults`)."""
    task = meta.get("task")
    if task not in OUTPUTS:
        raise JobError(f"model.json task {task!r} has no serving signature; expected one of {', '.join(TASKS)}")
    defaults = meta.get("defaults") or {}
    params = []
    for name, (dtype, cast, fallback) in PARAM_DEFAULTS.items():
        value = defaults.get(name)
        params.append({"name": name, "type": dtype, "default": cast(fallback if value is None else value),
                       "shape": None})
    return {"inputs": [{"name": "image", "type": "string", "required": True}],
            "outputs": [dict(c) for c in OUTPUTS[task]] + [dict(ERROR)],
            "params": params}


def to_mlflow_signature(spec):
    """(mlflow.models.ModelSignature, "typed" | "json-strings") for a signature_spec.

    "json-strings": the installed MLflow has no Array/Object types (< 2.10), so array and object
    columns are declared as strings.
    """
    import inspect

    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema
    try:
        from mlflow.types.schema import Array, Object, Property
        typed = True
    except ImportError:
        typed = False
    has_required = "required" in inspect.signature(ColSpec.__init__).parameters

    def dtype(d):
        if d["type"] == "array":
            return Array(dtype(d["items"]))
        if d["type"] == "object":
            return Object([Property(k, dtype(v), v.get("required", True)) for k, v in d["properties"].items()])
        return d["type"]

    def col(c):
        complex_ = c["type"] in ("array", "object")
        t = dtype(c) if typed or not complex_ else "string"
        if has_required:
            return ColSpec(t, c["name"], required=c.get("required", True))
        return ColSpec(t, c["name"])

    sig = ModelSignature(
        inputs=Schema([col(c) for c in spec["inputs"]]),
        outputs=Schema([col(c) for c in spec["outputs"]]),
        params=ParamSchema([ParamSpec(p["name"], p["type"], p["default"]) for p in spec["params"]]))
    return sig, "typed" if typed else "json-strings"
