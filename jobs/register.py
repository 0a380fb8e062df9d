#!/usr/bin/env python3
"""Log a run's ONNX model as an MLflow pyfunc and register it to Unity Catalog.

    python jobs/register.py --run-dir /Volumes/main/cv/data/runs/r1 --name main.cv.detector \
        --run-id r1 --config-name detector --config-version 3 --dataset /Volumes/main/cv/data/coco \
        --scan-id s1 --metrics-json /Volumes/main/cv/data/runs/r1/eval_metrics.json --alias champion

The pyfunc holds model.onnx + model.json and the lakevision_jobs code; its signature declares the
serving contract (inputs, outputs per task and params, lakevision_jobs/signature.py), as Unity
Catalog requires, so the version can be deployed to Model Serving as is. Lineage (run, config,
dataset, scan, headline metrics) goes into the version's tags. The job waits for the version to be
READY, then moves the aliases it was given (none by default: the app sets aliases explicitly); if
anything fails once the version exists, the aliases it moved are put back. With --copy-to, the
model files and a sha256 manifest are copied to <copy-to>/<version>/ (the app's model folder).
Writes <run-dir>/registration.json once a version exists, with its status and the error if any.

Exit codes: 0 registered, 1 failed (the reason on stderr and in registration.json), 2 bad arguments.
"""

import argparse
import datetime
import inspect
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lakevision_jobs.errors import JobError, clean_message  # noqa: E402
from lakevision_jobs.signature import signature_spec, to_mlflow_signature  # noqa: E402
from lakevision_jobs.tracking import write_json_atomic  # noqa: E402

MAX_METRIC_TAGS = 30
BAD_NAME_CHARS = re.compile(r"[\s./\x00-\x1f\x7f]")


class ArgumentsError(JobError):
    """A flag value that cannot work; the job stops before touching MLflow (exit 2)."""


class RegistrationFailed(JobError):
    """The version did not become READY; `status` is the one it was left in."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class CancelledError(JobError):
    """SIGTERM / SIGINT: raised in the main thread so the aliases already moved are put back."""

    def __init__(self, signum):
        super().__init__(f"cancelled by signal {signum}")
        self.signum = signum


def _raise_cancelled(signum, frame):
    raise CancelledError(signum)


def get_args_parser():
    p = argparse.ArgumentParser(description="Register a Lakevision model to Unity Catalog")
    p.add_argument("--run-dir", required=True, help="run directory with model.onnx and model.json")
    p.add_argument("--name", required=True, help="three-level Unity Catalog name catalog.schema.model")
    p.add_argument("--alias", action="append", default=[],
                   help="alias to move to the new version once it is READY (repeatable; default: none)")
    p.add_argument("--tag", action="append", default=[], help="version tag key=value (repeatable)")
    p.add_argument("--run-id", default=None,
                   help="Lakevision run id, tag lakevision.run_id (default: the run directory's name)")
    p.add_argument("--config-name", default=None, help="training config name, tag lakevision.config_name")
    p.add_argument("--config-version", default=None, help="training config version, tag lakevision.config_version")
    p.add_argument("--dataset", default=None, help="dataset path the run trained on, tag lakevision.dataset")
    p.add_argument("--scan-id", default=None, help="dataset scan id, tag lakevision.scan_id")
    p.add_argument("--metrics-json", default=None,
                   help="headline metrics: a JSON file or inline JSON, {name: number} or eval_metrics.json's "
                        "{metrics: {...}}; tags lakevision.metric.<name> (default: <run-dir>/eval_metrics.json "
                        "when present; per-class metrics are left out)")
    p.add_argument("--wait-seconds", type=float, default=600,
                   help="seconds to wait for the version to leave PENDING_REGISTRATION (0: check once)")
    p.add_argument("--poll-seconds", type=float, default=5, help="seconds between version status checks")
    p.add_argument("--copy-to", default=None,
                   help="folder (e.g. a volume's models/<name>/) to copy model.onnx, model.json and a sha256 "
                        "manifest.json into, as <copy-to>/<version>/, once the version is READY")
    p.add_argument("--registry-uri", default="databricks-uc", help="MLflow registry URI")
    p.add_argument("--experiment", default=None, help="MLflow experiment to log the model run under")
    p.add_argument("--description", default=None, help="model version description")
    return p


def main(args):
    try:
        tags, metrics = check_args(args)
        meta = read_run(args.run_dir)
        spec = signature_spec(meta)
    except ArgumentsError as e:
        print(f"[failed] {e}", file=sys.stderr, flush=True)
        return 2
    except JobError as e:
        print(f"[failed] {e}", file=sys.stderr, flush=True)
        return 1
    try:
        import mlflow
    except ImportError as e:
        print(f"[failed] mlflow is not importable ({e}); run this on a Databricks cluster or pip install mlflow",
              file=sys.stderr)
        return 1

    tags.update(lineage_tags(args, meta, metrics))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _raise_cancelled)
    version, moved, result, client = None, [], None, None
    try:
        mlflow.set_registry_uri(args.registry_uri)
        print(f"[registering] {args.name} from {args.run_dir}", flush=True)
        model_uri, run_id, sig_kind = log_model(mlflow, args, spec, tags, metrics)
        print(f"[logged] {model_uri} (signature: {sig_kind})", flush=True)
        version = str(register(mlflow, model_uri, args.name).version)
        result = {"name": args.name, "version": version, "status": "PENDING_REGISTRATION", "aliases": [],
                  "model_uri": model_uri, "mlflow_run_id": run_id, "task": meta["task"], "tags": tags,
                  "metrics": metrics, "signature": sig_kind, "registered_at": _now(), "copied_to": None,
                  "error": None, "rolled_back": []}
        print(f"[registered] {args.name} version {version}", flush=True)
        client = mlflow.MlflowClient(registry_uri=args.registry_uri)
        result["status"] = wait_until_ready(client, args.name, version, args.wait_seconds, args.poll_seconds)
        print(f"[ready] version {version}", flush=True)
        for k, v in tags.items():
            client.set_model_version_tag(args.name, version, k, v)
        print(f"[tagged] {len(tags)} tags", flush=True)
        if args.description:
            client.update_model_version(args.name, version, description=args.description)
        if args.copy_to:
            result["copied_to"] = copy_model_files(args.run_dir, args.copy_to, args.name, version)
            print(f"[copied] model files to {result['copied_to']}", flush=True)
        move_aliases(client, args.name, version, args.alias, moved)
        result["aliases"] = list(args.alias)
        write_json_atomic(os.path.join(args.run_dir, "registration.json"), result)
        print(f"[succeeded] {args.name} version {version} (aliases: {', '.join(args.alias) or 'none'})", flush=True)
        return 0
    except Exception as e:
        msg = str(e) if isinstance(e, JobError) else f"{type(e).__name__}: {clean_message(e)}"
        if not isinstance(e, JobError):
            traceback.print_exc()
        code = 128 + e.signum if isinstance(e, CancelledError) else 1
        if version is None:
            print(f"[failed] {msg}", file=sys.stderr, flush=True)
            return code
        result["status"] = getattr(e, "status", None) or result["status"]
        fail_after_version(client, args, result, moved, msg)
        return code


def fail_after_version(client, args, result, moved, msg):
    """Puts moved aliases back, says what state the version is left in, records it in registration.json."""
    notes = roll_back(client, args.name, moved)
    for n in notes:
        print(f"[rolled back] {n}", file=sys.stderr, flush=True)
    if not moved:
        kept = "no alias was moved"
    elif any(n.startswith("could not") for n in notes):
        kept = "some aliases could not be put back (see above)"
    else:
        kept = "the aliases it moved are back where they were"
    print(f"[failed] {msg} (version {result['version']} exists with status {result['status']}; {kept})",
          file=sys.stderr, flush=True)
    result.update(error=msg, rolled_back=notes, aliases=[])
    try:
        write_json_atomic(os.path.join(args.run_dir, "registration.json"), result)
    except OSError as e:
        print(f"[warning] could not write registration.json ({e})", file=sys.stderr, flush=True)


def check_args(args):
    """(user tags, headline metrics), or ArgumentsError naming the flag and what it accepts."""
    parts = args.name.split(".")
    if len(parts) != 3 or not all(parts):
        raise ArgumentsError(f"--name must be catalog.schema.model (got {args.name!r})")
    bad = [p for p in parts if BAD_NAME_CHARS.search(p)]
    if bad:
        raise ArgumentsError(f"--name {args.name!r}: {bad[0]!r} has a space, slash or control character, "
                             "which Unity Catalog names cannot hold")
    tags = {}
    for t in args.tag:
        k, sep, v = t.partition("=")
        if not sep or not k.strip():
            raise ArgumentsError(f"--tag must be key=value (got {t!r})")
        tags[k.strip()] = v
    for a in args.alias:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", a) or a.lower() == "latest" or re.fullmatch(r"[vV]\d+", a):
            raise ArgumentsError(f"--alias {a!r}: use letters, digits, _ or -, and not 'latest' or v<number> "
                                 "(MLflow reserves those)")
    if args.wait_seconds < 0 or args.poll_seconds <= 0:
        raise ArgumentsError("--wait-seconds must be >= 0 and --poll-seconds > 0")
    return tags, load_metrics(args.metrics_json, args.run_dir)


def load_metrics(value, run_dir):
    """Headline metrics {name: number} from --metrics-json (path or inline JSON) or eval_metrics.json."""
    if value is None:
        path = os.path.join(run_dir, "eval_metrics.json")
        if not os.path.isfile(path):
            return {}
        value = path
    try:
        if value.lstrip().startswith("{"):
            data = json.loads(value)
        else:
            with open(value, encoding="utf-8") as f:
                data = json.load(f)
    except OSError as e:
        raise ArgumentsError(f"--metrics-json: cannot read {value} ({e.strerror})") from None
    except ValueError as e:
        raise ArgumentsError(f"--metrics-json is not valid JSON ({e})") from None
    if isinstance(data, dict) and isinstance(data.get("metrics"), dict):
        data = data["metrics"]
    if not isinstance(data, dict):
        raise ArgumentsError("--metrics-json must be an object {name: number} or {metrics: {name: number}}")
    out = {k: v for k, v in data.items()
           if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and "_class_" not in k}
    return dict(sorted(out.items())[:MAX_METRIC_TAGS])


def read_run(run_dir):
    """model.json of a run that has both files export.py writes."""
    for f in ("model.onnx", "model.json"):
        p = os.path.join(run_dir, f)
        if not os.path.isfile(p):
            raise JobError(f"{p} not found; train.py (or export.py) writes it")
    with open(os.path.join(run_dir, "model.json"), encoding="utf-8") as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise JobError(f"{os.path.join(run_dir, 'model.json')} is not valid JSON ({e})") from None


def lineage_tags(args, meta, metrics):
    """The version tags that tie it to its run, config, data and results."""
    run_id = args.run_id or os.path.basename(os.path.normpath(args.run_dir))
    tags = {"task": meta["task"], "framework": "lakevision-onnx", "source_model": meta.get("model_name", ""),
            "lakevision.run_id": run_id, "lakevision.run_dir": args.run_dir}
    for key, value in (("config_name", args.config_name), ("config_version", args.config_version),
                       ("dataset", args.dataset), ("scan_id", args.scan_id)):
        if value is not None:
            tags[f"lakevision.{key}"] = str(value)
    for k, v in metrics.items():
        tags[f"lakevision.metric.{k}"] = f"{v:.6g}"
    return tags


def log_model(mlflow, args, spec, tags, metrics):
    """(model_uri, mlflow run id, signature kind) of the pyfunc logged in a new MLflow run."""
    from lakevision_jobs.pyfunc import LakevisionOnnxModel
    signature, sig_kind = to_mlflow_signature(spec)
    if sig_kind != "typed":
        print("[warning] this MLflow has no Array/Object column types (< 2.10): array and object outputs "
              "are declared as string", file=sys.stderr, flush=True)
    if args.experiment:
        mlflow.set_experiment(args.experiment)
    work = tempfile.mkdtemp(prefix="lv-register-")
    try:
        model_dir = os.path.join(work, "model_dir")
        os.makedirs(model_dir)
        shutil.copy(os.path.join(args.run_dir, "model.onnx"), model_dir)
        shutil.copy(os.path.join(args.run_dir, "model.json"), model_dir)
        with mlflow.start_run(run_name=f"register {args.name}") as run:
            mlflow.set_tags(tags)
            if metrics:
                mlflow.log_metrics(metrics)
            kw = dict(python_model=LakevisionOnnxModel(), artifacts={"model_dir": model_dir},
                      code_paths=[os.path.join(HERE, "lakevision_jobs")], signature=signature,
                      pip_requirements=["onnxruntime>=1.16", "torch>=1.13", "pillow>=9", "numpy"])
            params = inspect.signature(mlflow.pyfunc.log_model).parameters
            kw["name" if "name" in params else "artifact_path"] = "model"
            info = mlflow.pyfunc.log_model(**kw)
        return info.model_uri, run.info.run_id, sig_kind
    finally:
        shutil.rmtree(work, ignore_errors=True)


def copy_model_files(run_dir, copy_to, name, version):
    """<copy-to>/<version>/ with model.onnx, model.json and manifest.json {name, version, files:
    {file: {sha256, bytes}}}, each copy checked against its source's hash; the manifest is written
    last, and a failed copy removes the folder so nothing half-copied is left."""
    dest = os.path.join(copy_to, str(version))
    try:
        os.makedirs(dest, exist_ok=True)
        files = {}
        for f in ("model.onnx", "model.json"):
            src, dst = os.path.join(run_dir, f), os.path.join(dest, f)
            digest, size = _sha256(src)
            shutil.copyfile(src, dst)
            if _sha256(dst) != (digest, size):
                raise JobError(f"copy of {f} to {dest} does not match its source (sha256); nothing was kept")
            files[f] = {"sha256": digest, "bytes": size}
        write_json_atomic(os.path.join(dest, "manifest.json"), {"name": name, "version": str(version), "files": files})
        return dest
    except BaseException as e:
        shutil.rmtree(dest, ignore_errors=True)
        if isinstance(e, OSError):
            raise JobError(f"cannot copy the model files to {dest} ({e})") from None
        raise


def _sha256(path):
    import hashlib
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def register(mlflow, model_uri, name):
    """The new ModelVersion; MLflow's own wait is turned off, wait_until_ready does it with progress."""
    kw = {}
    if "await_registration_for" in inspect.signature(mlflow.register_model).parameters:
        kw["await_registration_for"] = 0
    return mlflow.register_model(model_uri, name, **kw)


def wait_until_ready(client, name, version, wait_seconds, poll_seconds):
    """Polls the version until READY; FAILED_REGISTRATION or the time limit raise RegistrationFailed."""
    deadline = time.monotonic() + wait_seconds
    while True:
        mv = client.get_model_version(name, version)
        status = str(getattr(mv, "status", "READY") or "READY")
        if status == "READY":
            return status
        if status == "FAILED_REGISTRATION":
            detail = getattr(mv, "status_message", "") or "no reason given"
            raise RegistrationFailed(f"version {version} status FAILED_REGISTRATION: {detail}", status)
        print(f"[waiting] version {version} status {status}", flush=True)
        left = deadline - time.monotonic()
        if left <= 0:
            raise RegistrationFailed(f"version {version} still {status} after {wait_seconds:g} s (--wait-seconds)",
                                     status)
        time.sleep(min(poll_seconds, left))


def move_aliases(client, name, version, aliases, moved):
    """Points each alias at the version, appending (alias, previous version or None) to `moved`."""
    for a in aliases:
        try:
            previous = str(client.get_model_version_by_alias(name, a).version)
        except Exception:  # no version holds it (MLflow raises RESOURCE_DOES_NOT_EXIST)
            previous = None
        client.set_registered_model_alias(name, a, version)
        moved.append((a, previous))
        print(f"[alias] {a} -> version {version}" + (f" (was version {previous})" if previous else ""), flush=True)


def roll_back(client, name, moved):
    """Puts the moved aliases back, newest first; one line per alias saying what happened."""
    notes = []
    for a, previous in reversed(moved):
        try:
            if previous:
                client.set_registered_model_alias(name, a, previous)
                notes.append(f"alias {a} back on version {previous}")
            else:
                client.delete_registered_model_alias(name, a)
                notes.append(f"alias {a} removed (no version held it before)")
        except Exception as e:
            notes.append(f"could not roll back alias {a} ({type(e).__name__}: {clean_message(e)}); move it by hand")
    return notes


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
