"""What the app reads while a job runs: `<run-dir>/metrics.jsonl`, `<run-dir>/status.json`, MLflow.

metrics.jsonl: one JSON object per line, `{"step", "epoch", "name", "value", "ts"}` (ts in epoch
milliseconds). status.json is rewritten atomically (temp file + rename) so a reader never sees
half a file. MLflow is optional: used when importable and either enabled in the config or running
on Databricks / with MLFLOW_TRACKING_URI set; a failing tracking server never stops training.
"""

import json
import math
import os
import re
import socket
import sys
import time
import uuid
import warnings

PHASES = ("starting", "loading_data", "building_model", "training", "evaluating", "exporting",
          "predicting", "succeeded", "failed", "cancelled")
_warned = set()


def warn_once(key, msg):
    if key not in _warned:
        _warned.add(key)
        print(f"[warning] {msg}", file=sys.stderr, flush=True)


def now_ms():
    return int(time.time() * 1000)


def write_json_atomic(path, obj):
    # unique temp name: the signal handler may write status.json while the main code is mid-write
    tmp = f"{path}.tmp{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, allow_nan=False, default=str)
    os.replace(tmp, path)


class RunTracker:
    """Rank-0 writer of status.json, metrics.jsonl and (optionally) MLflow. Other ranks: no-ops."""

    def __init__(self, run_dir, job, enabled=True, mlflow_cfg=None, resume=False):
        self.run_dir = run_dir
        self.enabled = enabled
        self.status = {"job": job, "phase": "starting", "epoch": 0, "step": 0, "total_steps": None,
                       "eta_seconds": None, "error": None, "message": None, "mlflow_run_id": None,
                       "pid": os.getpid(), "host": socket.gethostname(), "started_at": now_ms(),
                       "updated_at": now_ms(), "ended_at": None}
        self._mlflow = None
        self._cancelled = False
        self._t0, self._step0 = time.time(), 0
        if not enabled:
            return
        os.makedirs(run_dir, exist_ok=True)
        self.metrics_path = os.path.join(run_dir, "metrics.jsonl")
        self.status_path = os.path.join(run_dir, "status.json")
        if resume and os.path.isfile(self.status_path):
            try:
                with open(self.status_path, encoding="utf-8") as f:
                    prev = json.load(f)
                self.status["mlflow_run_id"] = prev.get("mlflow_run_id")
                self.status["resumed_from_step"] = prev.get("step")
            except (OSError, ValueError):
                pass
        if os.environ.get("DATABRICKS_RUNTIME_VERSION") or os.environ.get("LAKEVISION_CHECK_REQUIREMENTS"):
            missing = missing_requirements()
            if missing:
                msg = (f"missing job dependencies: {', '.join(missing)} (jobs/requirements.txt is "
                       "attached to the task as a library; check the cluster's library status)")
                print(f"[failed] {msg}", file=sys.stderr, flush=True)
                self.finish("failed", error=msg)
                raise SystemExit(msg)
        if mlflow_cfg is not None:
            self._start_mlflow(mlflow_cfg)
        self.update()

    # -- status ------------------------------------------------------------------------------
    def update(self, **fields):
        """Merge fields into status.json and rewrite it."""
        if self._cancelled and "phase" in fields:  # once cancelled, later phases must not hide it
            fields["phase"] = "cancelled"
        self.status.update(fields)
        self.status["updated_at"] = now_ms()
        if self.enabled:
            write_json_atomic(self.status_path, self.status)

    def phase(self, phase, message=None):
        assert phase in PHASES, phase
        if self.enabled:
            print(f"[{phase}]" + (f" {message}" if message else ""), flush=True)
        self.update(phase=phase, message=message)

    def progress(self, step, epoch, total_steps):
        """Step/epoch/ETA; the ETA uses the pace since this process (re)started."""
        done = max(step - self._step0, 1)
        pace = (time.time() - self._t0) / done
        eta = max(total_steps - step, 0) * pace if total_steps else None
        self.update(step=step, epoch=epoch, total_steps=total_steps,
                    eta_seconds=round(eta, 1) if eta is not None else None)

    def mark_start(self, step):
        self._t0, self._step0 = time.time(), step

    def cancel_requested(self, signame):
        """Called from the signal handler: the app must see "cancelled" at once."""
        self._cancelled = True
        self.update(phase="cancelled", message=f"stopping on {signame}", error=None)

    def finish(self, phase, error=None):
        if self._cancelled:
            phase, error = "cancelled", None
        self.update(phase=phase, error=error, ended_at=now_ms(), eta_seconds=0 if phase == "succeeded" else None)
        if self._mlflow is not None:
            try:
                self._mlflow.end_run(status={"succeeded": "FINISHED", "cancelled": "KILLED"}.get(phase, "FAILED"))
            except Exception as e:  # pragma: no cover - depends on the tracking server
                warn_once("mlflow-end", f"MLflow end_run failed: {e}")
            self._mlflow = None

    # -- metrics -----------------------------------------------------------------------------
    def log_metrics(self, metrics, step, epoch):
        """Append finite metrics to metrics.jsonl (and MLflow)."""
        if not self.enabled:
            return
        ts = now_ms()
        clean = {k: float(v) for k, v in metrics.items()
                 if v is not None and isinstance(v, (int, float)) and math.isfinite(float(v))}
        with open(self.metrics_path, "a", encoding="utf-8") as f:
            for k, v in clean.items():
                f.write(json.dumps({"step": int(step), "epoch": round(float(epoch), 4), "name": k,
                                    "value": v, "ts": ts}) + "\n")
        if self._mlflow is not None and clean:
            try:
                self._mlflow.log_metrics(clean, step=int(step))
            except Exception as e:
                self._mlflow_failed("mlflow-log", f"MLflow log_metrics failed, continuing without it: {e}")

    def log_params(self, params):
        if self._mlflow is None:
            return
        try:
            self._mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        except Exception as e:
            warn_once("mlflow-params", f"MLflow log_params failed: {e}")

    def log_artifact(self, path, artifact_path=None):
        if self._mlflow is None or not os.path.exists(path):
            return
        try:
            self._mlflow.log_artifact(path, artifact_path=artifact_path)
        except Exception as e:
            warn_once("mlflow-artifact", f"MLflow log_artifact failed: {e}")

    # -- MLflow ------------------------------------------------------------------------------
    def _mlflow_failed(self, key, msg):
        """A tracking failure is shown in the log and in status.json, never silently dropped."""
        warn_once(key, msg)
        if self.status.get("mlflow_error") is None:
            self.update(mlflow_error=msg)

    def _start_mlflow(self, cfg, experiment=None):
        """Starts (or, on resume, reopens) the MLflow run. The experiment is the config's own
        (`mlflow.experiment_name`), else `experiment` (train.py's --experiment: the app's choice
        under LAKEVISION_EXPERIMENT_ROOT where it cannot set the job's environment, e.g. on an
        existing cluster), else $LAKEVISION_EXPERIMENT (the same choice on a new job cluster)."""
        wanted = cfg.enabled
        if wanted is False:
            return
        auto_ok = bool(os.environ.get("DATABRICKS_RUNTIME_VERSION") or os.environ.get("MLFLOW_TRACKING_URI"))
        if wanted == "auto" and not auto_ok:
            return
        try:
            import mlflow
        except ImportError:
            warn_once("mlflow-missing", "mlflow is not importable; metrics go to metrics.jsonl only")
            return
        try:
            experiment = experiment_for(cfg, experiment)
            if experiment:
                mlflow.set_experiment(experiment)
            run_id = self.status.get("mlflow_run_id")
            if run_id:
                run = mlflow.start_run(run_id=run_id)
            else:
                run = mlflow.start_run(run_name=cfg.run_name)
            if cfg.tags:
                mlflow.set_tags(cfg.tags)
            mlflow.set_tag("lakevision.run_dir", self.run_dir)
            self._mlflow = mlflow
            self.status["mlflow_run_id"] = run.info.run_id
            self.status["mlflow_experiment_id"] = run.info.experiment_id
        except Exception as e:
            self._mlflow = None
            self._mlflow_failed("mlflow-start", f"MLflow could not start a run ({e}); metrics go to metrics.jsonl only")


def experiment_for(cfg, given=None):
    """The MLflow experiment of a run: the config's, else the app's (`given`, then the
    LAKEVISION_EXPERIMENT environment variable); None leaves MLflow's default."""
    return cfg.experiment_name or given or os.environ.get("LAKEVISION_EXPERIMENT") or None


def _requirement_names(path):
    """Distribution names in a requirements.txt (comments, options and markers dropped)."""
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
            if m:
                names.append(m.group(0))
    return names


def missing_requirements(path=None):
    """The jobs' dependencies (jobs/requirements.txt) that are not installed."""
    from importlib import metadata
    path = path or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "requirements.txt")
    if not os.path.isfile(path):
        return []
    missing = []
    for name in _requirement_names(path):
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def child_env():
    """What torchrun / TorchDistributor children need for MLflow on Databricks: the tracking
    URI, the experiment, and the driver's host and token (children have no notebook context, so
    without these their MLflow calls fail). Printed as a warning when credentials are not found."""
    env = {k: os.environ[k] for k in ("LAKEVISION_EXPERIMENT", "MLFLOW_TRACKING_URI",
                                      "DATABRICKS_HOST", "DATABRICKS_TOKEN") if os.environ.get(k)}
    if not os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        return env
    env.setdefault("MLFLOW_TRACKING_URI", "databricks")
    if "DATABRICKS_HOST" not in env or "DATABRICKS_TOKEN" not in env:
        try:
            from mlflow.utils.databricks_utils import get_databricks_host_creds
            creds = get_databricks_host_creds("databricks")
            env["DATABRICKS_HOST"] = creds.host
            if creds.token:
                env["DATABRICKS_TOKEN"] = creds.token
        except Exception as e:  # noqa: BLE001 - any failure here means children cannot track
            warn_once("mlflow-creds", f"MLflow credentials for child processes not found ({e}); "
                      "their MLflow calls will fail and metrics go to metrics.jsonl only")
    return env


def suppress_noisy_warnings():
    """Known-harmless warnings that would otherwise bury the job's own messages."""
    warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
    warnings.filterwarnings("ignore", message=".*is deprecated since 0.13.*")
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
