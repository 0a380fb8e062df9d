"""Loading and checking the training config YAML.

The file uses the accelerator's sections and field names (`model`, `data`, `training`, `mlflow`,
`output`, `serving`, `monitoring`), so users' existing files load. Everything is resolved once
here into a `RunConfig`; the rest of the code receives values that are already valid.
"""

import json
import os
from dataclasses import dataclass, field, asdict

from .errors import ConfigError

TASKS = (
    "detection",
    "classification",
    "semantic_segmentation",
    "instance_segmentation",
    "panoptic_segmentation",
)
SCHEDULERS = ("cosine", "step", "none")
OPTIMIZERS = ("adamw", "sgd")
PRECISIONS = ("auto", "32", "16-mixed", "bf16-mixed")

# Older accelerator files kept these under `training`; the accelerator drops them silently.
DEPRECATED_TRAINING_KEYS = (
    "distributed", "use_ray", "num_workers", "resources_per_worker", "master_port",
    "preferred_strategy", "preferred_devices", "learning_rate", "weight_decay", "scheduler",
    "scheduler_params",
)
UNIVERSAL_FAMILIES = ("mask2former", "oneformer", "maskformer")
TORCHVISION_SEMANTIC = ("lraspp", "deeplabv3", "fcn")
TORCHVISION_INSTANCE = ("maskrcnn",)
TORCHVISION_DETECTION = ("fasterrcnn", "retinanet", "ssd", "ssdlite", "fcos", "keypointrcnn")

# What each task logs, so a monitor metric that would never appear is refused up front.
TASK_METRICS = {
    "detection": ["eval_loss", "eval_map", "eval_map_50", "eval_map_75", "eval_map_small",
                  "eval_map_medium", "eval_map_large", "eval_mar_1", "eval_mar_10", "eval_mar_100"],
    "instance_segmentation": ["eval_loss", "eval_map", "eval_map_50", "eval_map_75",
                              "eval_map_small", "eval_map_medium", "eval_map_large", "eval_mar_1",
                              "eval_mar_10", "eval_mar_100", "eval_miou", "eval_pixel_accuracy"],
    "classification": ["eval_loss", "eval_accuracy", "eval_precision", "eval_recall", "eval_f1"],
    "semantic_segmentation": ["eval_loss", "eval_miou", "eval_pixel_accuracy"],
    "panoptic_segmentation": ["eval_loss", "eval_pq", "eval_sq", "eval_rq", "eval_miou",
                              "eval_pixel_accuracy"],
}


@dataclass
class ModelConfig:
    model_name: str
    backend: str  # "torchvision" or "hf"
    builder: str  # torchvision builder name, or the HF id / path
    num_classes: int
    pretrained: bool
    weights_path: str = None
    image_size: tuple = (224, 224)  # (height, width)
    learning_rate: float = 1e-4
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    momentum: float = 0.9
    backbone_lr_multiplier: float = None
    scheduler: str = "cosine"
    warmup_ratio: float = 0.1
    warmup_steps: int = None
    eta_min: float = 1e-6
    step_size_epochs: int = 10
    gamma: float = 0.1
    dropout: float = None
    confidence_threshold: float = 0.5
    max_detections: int = 100
    class_names: list = None
    hf_config: dict = None
    builder_kwargs: dict = None  # extra keyword arguments for the torchvision builder


@dataclass
class DataConfig:
    train_data_path: str
    val_data_path: str
    train_annotation_file: str = None
    val_annotation_file: str = None
    batch_size: int = 16
    num_workers: int = 4
    augment: bool = True
    augmentations: dict = field(default_factory=dict)
    normalize_mean: list = None
    normalize_std: list = None
    format: str = None  # coco_instances | coco_panoptic | imagefolder | mask_folder


@dataclass
class TrainingConfig:
    max_epochs: int = 100
    max_steps: int = None
    early_stopping_patience: int = 10
    monitor_metric: str = "eval_loss"
    monitor_mode: str = "min"
    save_top_k: int = 3
    log_every_n_steps: int = 50
    gradient_clip_val: float = 1.0
    precision: str = "auto"
    seed: int = 42
    eval_every_n_epochs: int = 1


@dataclass
class MlflowConfig:
    enabled: object = "auto"  # "auto" | True | False
    experiment_name: str = None
    run_name: str = None
    tags: dict = field(default_factory=dict)
    log_model: bool = False


@dataclass
class RunConfig:
    task: str
    model: ModelConfig
    data: DataConfig
    training: TrainingConfig
    mlflow: MlflowConfig
    raw: dict
    warnings: list = field(default_factory=list)

    def to_dict(self):
        """A JSON-able view of the resolved values (saved beside the run's outputs)."""
        d = asdict(self)
        d.pop("raw", None)
        return d


def load_config(path):
    """Read and resolve a config file, or raise ConfigError naming every problem found."""
    try:
        import yaml
    except ImportError as e:  # pragma: no cover - yaml is in every supported runtime
        raise ConfigError(f"PyYAML is not importable ({e}); install python3-yaml") from e
    if not os.path.isfile(path):
        raise ConfigError(f"config file not found: {path}")
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = yaml.safe_load(f)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"YAML syntax error{where}: {problem}", source=path) from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"not a UTF-8 text file ({e})", source=path) from None
    return resolve_config(raw, source=path)


def resolve_config(raw, source="config", check_paths=True):
    """Turn the parsed YAML into a RunConfig; raises ConfigError listing all problems.

    `check_paths=False` resolves without touching the data (to validate a file written for
    another machine, or to rebuild a model from a checkpoint): the data format is then guessed
    from the annotation file names.
    """
    problems, warnings = [], []
    if not isinstance(raw, dict):
        raise ConfigError(f"the top level must be a mapping with sections model, data, training "
                          f"(got {type(raw).__name__})", source=source)
    for sec in ("model", "data"):
        if not isinstance(raw.get(sec), dict):
            problems.append(f"{sec}: section is required and must be a mapping")
    for sec in ("training", "mlflow", "output", "serving", "monitoring"):
        if raw.get(sec) is not None and not isinstance(raw.get(sec), dict):
            problems.append(f"{sec}: must be a mapping")
    if problems:
        raise ConfigError(problems, source=source)
    m, d = raw["model"], raw["data"]
    t = raw.get("training") or {}
    ml = raw.get("mlflow") or {}
    r = _Reader(problems)

    name = m.get("model_name")
    if not isinstance(name, str) or not name.strip():
        problems.append("model.model_name: required (a Hugging Face id such as facebook/detr-resnet-50, "
                        "or torchvision/<builder> such as torchvision/resnet18)")
        name = ""
    name = name.strip()
    backend = "torchvision" if name.startswith("torchvision/") else "hf"
    builder = name.split("/", 1)[1] if backend == "torchvision" else name
    if backend == "torchvision" and not builder:
        problems.append("model.model_name: torchvision/ must be followed by a builder name")

    size = _image_size(m.get("image_size", d.get("image_size", 224)), problems)
    model = ModelConfig(
        model_name=name, backend=backend, builder=builder,
        num_classes=r.int(m, "num_classes", "model", 80, lo=1),
        pretrained=r.bool(m, "pretrained", "model", True),
        weights_path=r.str(m, "weights_path", "model", None),
        image_size=size,
        learning_rate=r.float(m, "learning_rate", "model", 1e-4, lo=0.0, lo_open=True),
        weight_decay=r.float(m, "weight_decay", "model", 1e-4, lo=0.0),
        optimizer=r.choice(m, "optimizer", "model", "adamw", OPTIMIZERS),
        momentum=r.float(m, "momentum", "model", 0.9, lo=0.0),
        backbone_lr_multiplier=r.float(m, "backbone_lr_multiplier", "model", None, lo=0.0),
        scheduler=_scheduler(m, problems),
        dropout=r.float(m, "dropout", "model", None, lo=0.0),
        confidence_threshold=r.float(m, "confidence_threshold", "model", 0.5, lo=0.0),
        max_detections=r.int(m, "max_detections", "model", 100, lo=1),
        class_names=m.get("class_names"),
        hf_config=m.get("hf_config"),
        builder_kwargs=m.get("builder_kwargs"),
    )
    if model.builder_kwargs is not None and not isinstance(model.builder_kwargs, dict):
        problems.append("model.builder_kwargs: must be a mapping of torchvision builder arguments "
                        "(e.g. min_size: 320, box_batch_size_per_image: 128)")
    sp = m.get("scheduler_params") or {}
    if not isinstance(sp, dict):
        problems.append("model.scheduler_params: must be a mapping")
        sp = {}
    model.warmup_ratio = r.float(sp, "warmup_ratio", "model.scheduler_params", 0.1, lo=0.0)
    model.warmup_steps = r.int(sp, "warmup_steps", "model.scheduler_params", None, lo=0)
    model.eta_min = r.float(sp, "eta_min", "model.scheduler_params", 1e-6, lo=0.0)
    model.step_size_epochs = r.int(sp, "step_size", "model.scheduler_params", 10, lo=1)
    model.gamma = r.float(sp, "gamma", "model.scheduler_params", 0.1, lo=0.0)
    if "T_max" in sp:
        warnings.append("model.scheduler_params.T_max is ignored: the cosine schedule spans the whole run")
    if model.hf_config is not None and not isinstance(model.hf_config, dict):
        problems.append("model.hf_config: must be a mapping of Hugging Face config fields")
    if model.class_names is not None and not (
            isinstance(model.class_names, list) and all(isinstance(c, str) for c in model.class_names)):
        problems.append("model.class_names: must be a list of strings")

    augment = d.get("augment", True)
    augs = d.get("augmentations")
    if isinstance(augment, dict):  # some files put the augmentation dict under `augment`
        augs, augment = augment, True
    if augs is not None and not isinstance(augs, dict):
        problems.append("data.augmentations: must be a mapping (e.g. horizontal_flip: true, rotation: 10)")
        augs = {}
    data = DataConfig(
        train_data_path=r.str(d, "train_data_path", "data", None, required=True),
        val_data_path=r.str(d, "val_data_path", "data", None, required=True),
        train_annotation_file=r.str(d, "train_annotation_file", "data", None),
        val_annotation_file=r.str(d, "val_annotation_file", "data", None),
        batch_size=r.int(d, "batch_size", "data", 16, lo=1),
        num_workers=r.int(d, "num_workers", "data", 4, lo=0),
        augment=bool(augment) if not isinstance(augment, str) else augment.lower() in ("true", "1", "yes"),
        augmentations=dict(augs or {}),
        normalize_mean=d.get("normalize_mean"),
        normalize_std=d.get("normalize_std"),
        format=r.choice(d, "format", "data", None,
                        ("coco_instances", "coco_panoptic", "imagefolder", "mask_folder")),
    )
    for key in ("normalize_mean", "normalize_std"):
        v = getattr(data, key)
        if v is not None and not (isinstance(v, list) and len(v) == 3
                                  and all(isinstance(x, (int, float)) for x in v)):
            problems.append(f"data.{key}: must be a list of 3 numbers (got {v!r})")
    _check_augmentations(data.augmentations, problems)

    for k in DEPRECATED_TRAINING_KEYS:
        if k in t:
            warnings.append(f"training.{k} is deprecated and ignored (optimiser settings live under model)")
    monitor = t.get("monitor_metric", "val_loss")
    if not isinstance(monitor, str) or not monitor:
        problems.append("training.monitor_metric: must be a metric name such as val_map or eval_accuracy")
        monitor = "val_loss"
    monitor = "eval_" + monitor[4:] if monitor.startswith("val_") else monitor
    if not monitor.startswith("eval_"):
        monitor = "eval_" + monitor
    training = TrainingConfig(
        max_epochs=r.int(t, "max_epochs", "training", 100, lo=1, none_as=1),
        max_steps=r.int(t, "max_steps", "training", None, lo=1),
        early_stopping_patience=r.int(t, "early_stopping_patience", "training", 10, lo=0),
        monitor_metric=monitor,
        monitor_mode=r.choice(t, "monitor_mode", "training", "min", ("min", "max")),
        save_top_k=r.int(t, "save_top_k", "training", 3, lo=0),
        log_every_n_steps=r.int(t, "log_every_n_steps", "training", 50, lo=1),
        gradient_clip_val=r.float(t, "gradient_clip_val", "training", 1.0, lo=0.0),
        precision=r.choice(t, "precision", "training", "auto", PRECISIONS, coerce=str),
        seed=r.int(t, "seed", "training", 42, lo=0),
        eval_every_n_epochs=r.int(t, "eval_every_n_epochs", "training", 1, lo=1),
    )
    enabled = ml.get("enabled", "auto")
    mlflow = MlflowConfig(
        enabled=enabled if enabled in (True, False) else "auto",
        experiment_name=ml.get("experiment_name"),
        run_name=ml.get("run_name"),
        tags={str(k): str(v) for k, v in (ml.get("tags") or {}).items()} if isinstance(ml.get("tags") or {}, dict) else {},
        log_model=str(ml.get("log_model", False)).lower() in ("true", "1", "yes"),
    )
    if problems:
        raise ConfigError(problems, source=source)

    task = resolve_task(m.get("task_type", "detection"), model, data, problems, warnings, check_paths)
    if problems:
        raise ConfigError(problems, source=source)
    allowed = TASK_METRICS[task]
    if training.monitor_metric not in allowed and "_class_" not in training.monitor_metric:
        raise ConfigError(f"training.monitor_metric: {task} never logs {training.monitor_metric}; "
                          f"use one of {', '.join(allowed)}", source=source)
    if task in ("detection", "instance_segmentation") and data.format != "coco_instances":
        raise ConfigError(f"data: {task} needs COCO instances annotation files "
                          f"(data.train_annotation_file and data.val_annotation_file)", source=source)
    if model.backend == "torchvision":
        _check_torchvision_task(builder, task, problems)
        if problems:
            raise ConfigError(problems, source=source)
    return RunConfig(task=task, model=model, data=data, training=training, mlflow=mlflow,
                     raw=raw, warnings=warnings)


def resolve_task(task_type, model, data, problems, warnings, check_paths=True):
    """Map the config's task_type (including the accelerator's `segmentation`) to one of TASKS.

    Like the accelerator, `segmentation` is split by model family and by the kind of annotation
    file: universal models (Mask2Former, OneFormer, MaskFormer) do panoptic with a panoptic JSON,
    instance segmentation with an instances JSON and semantic with mask folders; other families
    are semantic. The older names (`universal_segmentation`, `segmentation_type`) are accepted.
    """
    tt = str(task_type or "").strip().lower()
    legacy = {"universal_segmentation": "panoptic_segmentation", "semantic": "semantic_segmentation",
              "instance": "instance_segmentation", "panoptic": "panoptic_segmentation"}
    tt = legacy.get(tt, tt)
    name = model.model_name.lower()
    if data.format is None:
        data.format = detect_data_format(data, problems) if check_paths else guess_data_format(data, tt)
    if tt == "segmentation":
        if model.backend == "torchvision":
            tt = ("instance_segmentation" if any(f in model.builder for f in TORCHVISION_INSTANCE)
                  else "semantic_segmentation")
        elif any(f in name for f in UNIVERSAL_FAMILIES):
            tt = {"coco_panoptic": "panoptic_segmentation",
                  "coco_instances": "instance_segmentation"}.get(data.format, "semantic_segmentation")
        else:
            tt = "semantic_segmentation"
        warnings.append(f"model.task_type: segmentation was mapped to {tt} "
                        f"(model family and {data.format} data)")
    if tt not in TASKS:
        problems.append(f"model.task_type: unknown task {task_type!r}; use one of {', '.join(TASKS)} "
                        f"(or segmentation)")
        return tt
    want = {"classification": ("imagefolder",), "semantic_segmentation": ("mask_folder", "coco_panoptic"),
            "panoptic_segmentation": ("coco_panoptic",), "detection": ("coco_instances",),
            "instance_segmentation": ("coco_instances",)}[tt]
    if data.format not in want and not problems:
        problems.append(f"data: {tt} reads {' or '.join(want)} data but the paths look like "
                        f"{data.format} (set data.format to override)")
    return tt


def detect_data_format(data, problems):
    """Guess the dataset layout from the annotation file's content or the folder layout."""
    ann = data.train_annotation_file
    if ann:
        if not os.path.isfile(ann):
            problems.append(f"data.train_annotation_file: file not found: {ann}")
            return None
        return "coco_panoptic" if _is_panoptic_json(ann, problems) else "coco_instances"
    root = data.train_data_path
    if root and os.path.isdir(os.path.join(root, "images")) and os.path.isdir(os.path.join(root, "masks")):
        return "mask_folder"
    if root and not os.path.isdir(root):
        problems.append(f"data.train_data_path: directory not found: {root}")
        return None
    return "imagefolder"


def guess_data_format(data, task_type):
    """The data format from names alone (no file access)."""
    ann = data.train_annotation_file or data.val_annotation_file
    if ann:
        return "coco_panoptic" if "panoptic" in os.path.basename(ann).lower() else "coco_instances"
    return "imagefolder" if task_type == "classification" else "mask_folder"


def _is_panoptic_json(path, problems):
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        problems.append(f"data.train_annotation_file: cannot parse {path} as JSON ({e})")
        return False
    anns = doc.get("annotations") if isinstance(doc, dict) else None
    if not isinstance(anns, list):
        problems.append(f"data.train_annotation_file: {path} has no 'annotations' list (not COCO)")
        return False
    return bool(anns) and isinstance(anns[0], dict) and "segments_info" in anns[0]


def _check_torchvision_task(builder, task, problems):
    if task == "classification":
        ok = not any(builder.startswith(p) for p in TORCHVISION_DETECTION + TORCHVISION_SEMANTIC
                     + TORCHVISION_INSTANCE)
    elif task == "detection":
        ok = any(builder.startswith(p) for p in TORCHVISION_DETECTION)
    elif task == "semantic_segmentation":
        ok = any(builder.startswith(p) for p in TORCHVISION_SEMANTIC)
    elif task == "instance_segmentation":
        ok = any(builder.startswith(p) for p in TORCHVISION_INSTANCE)
    else:
        ok = False
    if not ok:
        examples = {"classification": "resnet18, mobilenet_v3_small",
                    "detection": "fasterrcnn_mobilenet_v3_large_320_fpn, ssdlite320_mobilenet_v3_large, "
                                 "retinanet_resnet50_fpn, fcos_resnet50_fpn",
                    "semantic_segmentation": "lraspp_mobilenet_v3_large, deeplabv3_mobilenet_v3_large, fcn_resnet50",
                    "instance_segmentation": "maskrcnn_resnet50_fpn",
                    "panoptic_segmentation": "none (use a Hugging Face Mask2Former/OneFormer model)"}[task]
        problems.append(f"model.model_name: torchvision/{builder} cannot do {task}; torchvision builders "
                        f"for {task}: {examples}")


def _scheduler(m, problems):
    s = str(m.get("scheduler", "cosine") or "none").strip().lower()
    s = {"constant": "none", "cosine_with_warmup": "cosine", "steplr": "step"}.get(s, s)
    if s not in SCHEDULERS:
        problems.append(f"model.scheduler: {s!r} is not supported; use one of {', '.join(SCHEDULERS)}")
    return s


def _image_size(v, problems):
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            v = v[0]
        elif len(v) == 2 and all(isinstance(x, int) for x in v):
            h, w = v
            if h < 32 or w < 32 or h > 4096 or w > 4096:
                problems.append(f"model.image_size: each side must be 32..4096 (got {list(v)})")
            return (h, w)
        else:
            problems.append(f"model.image_size: an integer or [height, width] (got {v!r})")
            return (224, 224)
    if isinstance(v, bool) or not isinstance(v, int):
        try:
            v = int(str(v))
        except ValueError:
            problems.append(f"model.image_size: an integer or [height, width] (got {v!r})")
            return (224, 224)
    if v < 32 or v > 4096:
        problems.append(f"model.image_size: must be 32..4096 (got {v})")
    return (v, v)


def _check_augmentations(augs, problems):
    known = {"horizontal_flip", "vertical_flip", "rotation", "brightness_contrast", "hue_saturation",
             "color_jitter", "random_crop", "random_resized_crop", "random_resize"}
    for k in augs:
        if k not in known:
            problems.append(f"data.augmentations.{k}: unknown augmentation; known: {', '.join(sorted(known))}")
    rot = augs.get("rotation")
    if rot is not None and (isinstance(rot, bool) or not isinstance(rot, (int, float)) or not 0 <= rot <= 180):
        problems.append(f"data.augmentations.rotation: degrees 0..180 (got {rot!r})")
    rr = augs.get("random_resize")
    if rr is not None and not (isinstance(rr, list) and len(rr) == 2 and 0 < rr[0] <= rr[1]):
        problems.append(f"data.augmentations.random_resize: [min_scale, max_scale] (got {rr!r})")


class _Reader:
    """Typed field access that records problems instead of raising at the first one."""

    def __init__(self, problems):
        self.problems = problems

    def _get(self, sec, key, default, required, where):
        v = sec.get(key, None)
        if v is None:
            if required:
                self.problems.append(f"{where}.{key}: required")
            return None, True
        return v, False

    def str(self, sec, key, where, default, required=False):
        v, missing = self._get(sec, key, default, required, where)
        if missing:
            return default
        if not isinstance(v, str):
            self.problems.append(f"{where}.{key}: must be a string (got {v!r})")
            return default
        return v

    def int(self, sec, key, where, default, lo=None, none_as=None):
        if key in sec and sec[key] is None and none_as is not None:
            return none_as
        v, missing = self._get(sec, key, default, False, where)
        if missing:
            return default
        try:
            if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
                raise ValueError
            iv = int(v)
        except (TypeError, ValueError):
            self.problems.append(f"{where}.{key}: must be an integer (got {v!r})")
            return default
        if lo is not None and iv < lo:
            self.problems.append(f"{where}.{key}: must be >= {lo} (got {iv})")
        return iv

    def float(self, sec, key, where, default, lo=None, lo_open=False):
        v, missing = self._get(sec, key, default, False, where)
        if missing:
            return default
        try:
            if isinstance(v, bool):
                raise ValueError
            fv = float(v)  # YAML reads 1e-4 (no dot) as a string
        except (TypeError, ValueError):
            self.problems.append(f"{where}.{key}: must be a number (got {v!r})")
            return default
        if fv != fv or fv in (float("inf"), float("-inf")):
            self.problems.append(f"{where}.{key}: must be finite (got {v!r})")
        elif lo is not None and (fv < lo or (lo_open and fv == lo)):
            self.problems.append(f"{where}.{key}: must be {'>' if lo_open else '>='} {lo} (got {fv})")
        return fv

    def bool(self, sec, key, where, default):
        v = sec.get(key, default)
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in ("true", "1", "yes", "false", "0", "no"):
            return v.strip().lower() in ("true", "1", "yes")
        if isinstance(v, int):
            return bool(v)
        self.problems.append(f"{where}.{key}: must be true or false (got {v!r})")
        return default

    def choice(self, sec, key, where, default, allowed, coerce=None):
        v = sec.get(key, None)
        if v is None:
            return default
        if coerce is not None:
            v = coerce(v)
        if isinstance(v, str):
            v = v.strip().lower() if coerce is None else v.strip()
        if v not in allowed:
            self.problems.append(f"{where}.{key}: {v!r} is not allowed; use one of {', '.join(allowed)}")
            return default
        return v
