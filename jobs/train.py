#!/usr/bin/env python3
"""Train the model a Lakevision config describes, writing everything the app reads into --run-dir.

    python jobs/train.py --config cfg.yaml --run-dir /Volumes/main/cv/data/runs/r1
    torchrun --nproc_per_node 4 jobs/train.py --config cfg.yaml --run-dir ...

Outputs: metrics.jsonl, status.json, checkpoints/{last,best}.pt (+ top k), model.onnx,
model.json, predictions/val.json, eval_metrics.json, config.resolved.json.
Exit codes: 0 succeeded, 1 failed (status.json says why), 2 bad config, 128+signal cancelled.
"""

import argparse
import gc
import os
import shutil
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lakevision_jobs import checkpoint as ckpt  # noqa: E402
from lakevision_jobs import distributed as distm  # noqa: E402
from lakevision_jobs import pipeline as pl  # noqa: E402
from lakevision_jobs.config import load_config  # noqa: E402
from lakevision_jobs.engine import TrainState, autocast, evaluate, train_one_epoch  # noqa: E402
from lakevision_jobs.errors import ConfigError, JobError, clean_message  # noqa: E402
from lakevision_jobs.export_onnx import export_model  # noqa: E402
from lakevision_jobs.models import build_model  # noqa: E402
from lakevision_jobs.predictions import PredictionWriter  # noqa: E402
from lakevision_jobs.resources import ResourceMeter  # noqa: E402
from lakevision_jobs.signals import STOP  # noqa: E402
from lakevision_jobs.tracking import RunTracker, suppress_noisy_warnings, write_json_atomic  # noqa: E402


def get_args_parser():
    p = argparse.ArgumentParser(description="Lakevision training job", add_help=True)
    p.add_argument("--config", required=True, help="training config YAML (accelerator sections)")
    p.add_argument("--run-dir", required=True, help="directory for metrics, status, checkpoints and exports")
    p.add_argument("--resume", nargs="?", const="last", default=None,
                   help="continue from checkpoints/last.pt of --run-dir; or give a run dir or checkpoint file")
    p.add_argument("--max-steps", type=int, default=None,
                   help="stop after this many optimizer steps in total (counting resumed steps)")
    p.add_argument("--max-epochs", type=int, default=None, help="override training.max_epochs")
    p.add_argument("--batch-size", type=int, default=None, help="override data.batch_size (per GPU)")
    p.add_argument("--num-workers", type=int, default=None, help="override data.num_workers (per process)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to train; auto = cuda when available")
    p.add_argument("--no-export", action="store_true", help="skip the ONNX export at the end")
    p.add_argument("--max-eval-batches", type=int, default=None, help="cap validation batches per evaluation")
    p.add_argument("--experiment", default=None,
                   help="MLflow experiment when the config names none (the app passes "
                        "<LAKEVISION_EXPERIMENT_ROOT>/<config> where it cannot set LAKEVISION_EXPERIMENT)")
    return p


class Ctx:
    """Per-run settings the engine needs."""


def main(args):
    suppress_noisy_warnings()
    info = distm.init_distributed(args.device)
    tracker = RunTracker(args.run_dir, "train", enabled=info.is_main, resume=bool(args.resume))
    STOP.install(on_request=tracker.cancel_requested)
    state, tm, run = TrainState(), None, None
    try:
        cfg = setup_run(args, tracker, info)
        tracker.phase("loading_data")
        train_ds, val_ds = pl.build_datasets(cfg)
        labels = pl.dataset_labels(train_ds, cfg)
        train_loader = pl.build_loader(train_ds, cfg, info, train=True)
        val_loader = pl.build_loader(val_ds, cfg, info, train=False)
        print(f"[data] {cfg.data.format}: {len(train_ds)} train / {len(val_ds)} val images, "
              f"{len(labels)} classes", flush=True)

        tracker.phase("building_model")
        tm = build_model(cfg, labels).to(info.device)
        print(f"[model] {tm.describe()} on {info.device}", flush=True)
        run = prepare_training(cfg, args, tm, train_loader, info, state, tracker)

        tracker.phase("training", f"{run.total_steps} steps")
        outcome = fit(cfg, args, tm, run, train_loader, val_loader, state, tracker, info)
        if outcome == "cancelled":
            return finish_cancelled(tracker, run, tm, state, cfg, info)

        if info.is_main:
            tracker.phase("evaluating", "final evaluation with the best checkpoint")
            final_evaluation(cfg, args, tm, run, val_ds, val_loader, tracker, info)
            if STOP.requested:
                return finish_cancelled(tracker, run, tm, state, cfg, info)
            if not args.no_export:
                tracker.phase("exporting")
                export(cfg, tm, val_loader, args.run_dir, val_ds, tracker)
            tracker.finish("succeeded")
            print(f"[succeeded] {state.step} steps; outputs in {args.run_dir}", flush=True)
        distm.barrier(info)
        return 0
    except ConfigError as e:
        return fail(tracker, str(e), 2)
    except JobError as e:
        if STOP.requested:
            return finish_cancelled(tracker, None, None, state, None, info)
        return fail(tracker, clean_message(e), 1)
    except Exception as e:  # unexpected: keep the traceback in the log, a one-liner in status.json
        if STOP.requested:
            return finish_cancelled(tracker, None, None, state, None, info)
        traceback.print_exc()
        return fail(tracker, f"{type(e).__name__}: {clean_message(e)}", 1)
    finally:
        if run is not None:
            run.model = None  # DDP's reducer must be gone before its process group (gloo can deadlock)
        gc.collect()
        distm.cleanup(info)


def setup_run(args, tracker, info):
    """Load and check the config, apply CLI overrides, save the resolved settings."""
    cfg = load_config(args.config)
    for w in cfg.warnings:
        print(f"[config] warning: {w}", flush=True)
    if args.max_epochs:
        cfg.training.max_epochs = args.max_epochs
    if args.batch_size:
        cfg.data.batch_size = args.batch_size
    if args.num_workers is not None:
        cfg.data.num_workers = args.num_workers
    if args.max_steps:
        cfg.training.max_steps = args.max_steps
    pl.seed_everything(cfg.training.seed + info.rank)
    if info.is_main:
        shutil.copyfile(args.config, os.path.join(args.run_dir, "config.yaml")) \
            if os.path.abspath(args.config) != os.path.abspath(os.path.join(args.run_dir, "config.yaml")) else None
        write_json_atomic(os.path.join(args.run_dir, "config.resolved.json"),
                          {"args": vars(args), "config": cfg.to_dict(), "world_size": info.world_size})
        tracker.update(task=cfg.task, model_name=cfg.model.model_name)
        tracker._start_mlflow(cfg.mlflow, experiment=args.experiment)
        tracker.update()
        tracker.log_params({"task_type": cfg.task, "model_name": cfg.model.model_name,
                            "num_classes": cfg.model.num_classes, "max_epochs": cfg.training.max_epochs,
                            "batch_size": cfg.data.batch_size, "learning_rate": cfg.model.learning_rate,
                            "num_gpus": info.world_size if info.device.type == "cuda" else 0,
                            "image_size": "x".join(map(str, cfg.model.image_size)),
                            "scheduler": cfg.model.scheduler, "run_dir": args.run_dir})
    return cfg


def prepare_training(cfg, args, tm, train_loader, info, state, tracker):
    """Optimiser, schedule, AMP, DDP wrapper and --resume."""
    run = Ctx()
    run.info, run.device = info, info.device
    run.steps_per_epoch = len(train_loader)
    run.total_steps = cfg.training.max_epochs * run.steps_per_epoch
    if cfg.training.max_steps:
        run.total_steps = min(run.total_steps, cfg.training.max_steps)
    run.max_steps = cfg.training.max_steps
    run.grad_clip = cfg.training.gradient_clip_val
    run.log_every = cfg.training.log_every_n_steps
    run.current_lr = pl.current_lr
    run.amp, run.scaler = autocast(info.device, cfg.training.precision)
    run.optimizer = pl.build_optimizer(tm, cfg)
    run.scheduler = pl.build_scheduler(run.optimizer, cfg, run.total_steps, run.steps_per_epoch)
    ck_dir = os.path.join(args.run_dir, "checkpoints")
    run.ck_dir = ck_dir
    run.topk = ckpt.TopK(os.path.join(ck_dir, "top"), cfg.training.save_top_k, cfg.training.monitor_mode)
    run.cat_ids = getattr(getattr(train_loader.dataset, "cats", None), "ids", None)
    resume_path = pl.resolve_resume(args.resume, args.run_dir)
    if args.resume and resume_path is None:
        print("[resume] no checkpoints/last.pt yet; starting from step 0", flush=True)
    if resume_path:
        d = pl.load_for_resume(resume_path, tm, run.optimizer, run.scheduler, run.scaler, state)
        run.topk.entries = [tuple(e) for e in d.get("top_k", []) if os.path.isfile(e[1])]
        if state.batch_in_epoch >= run.steps_per_epoch:
            state.epoch, state.batch_in_epoch = state.epoch + 1, 0
        print(f"[resume] from {resume_path}: step {state.step}, epoch {state.epoch + 1}, "
              f"batch {state.batch_in_epoch} of {run.steps_per_epoch}", flush=True)
        tracker.update(resumed_from=resume_path)
    run.model = tm
    if info.distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP
        run.model = DDP(tm, device_ids=[info.local_rank] if info.device.type == "cuda" else None,
                        find_unused_parameters=cfg.task != "classification")
    tracker.mark_start(state.step)
    tracker.progress(state.step, state.epoch + 1, run.total_steps)
    return run


def fit(cfg, args, tm, run, train_loader, val_loader, state, tracker, info):
    """Epoch loop with evaluation, checkpoints and early stopping. Returns how it ended."""
    t = cfg.training
    meter = ResourceMeter(info.device)
    while state.epoch < t.max_epochs:
        train_loader.sampler.set_epoch(state.epoch, skip=state.batch_in_epoch * train_loader.batch_size)
        t0 = time.time()
        meter.start(state.step)
        outcome = train_one_epoch(run.model, train_loader, run.optimizer, run.scheduler, run, state, tracker)
        tracker.update(resources=meter.update(state.step, train_loader.batch_size * info.world_size))
        if outcome == "cancelled":
            return outcome
        epoch_done = outcome == "epoch_done"
        last = not epoch_done or state.epoch + 1 >= t.max_epochs
        if info.is_main:
            print(f"[epoch {state.epoch + 1}] {'done' if epoch_done else 'stopped at max steps'} "
                  f"in {time.time() - t0:.1f} s", flush=True)
        stop = False
        if (state.epoch + 1) % t.eval_every_n_epochs == 0 or last:
            stop = evaluate_and_checkpoint(cfg, args, tm, run, val_loader, state, tracker, info)
        if STOP.requested:
            return "cancelled"
        if epoch_done:
            state.epoch, state.batch_in_epoch = state.epoch + 1, 0
        if not epoch_done or stop:
            break
    if info.is_main:
        save_last(run, tm, state, cfg)
        tracker.progress(state.step, min(state.epoch + 1, t.max_epochs), run.total_steps)
    return "done"


def evaluate_and_checkpoint(cfg, args, tm, run, val_loader, state, tracker, info):
    """Rank 0 evaluates and saves; returns True when early stopping says stop (on every rank)."""
    stop = False
    if info.is_main:
        tracker.progress(state.step, state.epoch + 1, run.total_steps)
        tracker.update(phase="evaluating")
        metrics = evaluate(tm, val_loader, run.device, run.amp, max_batches=args.max_eval_batches)
        if STOP.requested:  # a cut-short evaluation must not pick the "best" checkpoint
            return False
        epoch_f = state.epoch + state.batch_in_epoch / max(run.steps_per_epoch, 1)
        tracker.log_metrics(metrics, state.step, epoch_f)
        state.last_metrics = metrics
        value = metrics.get(cfg.training.monitor_metric)
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if "_class_" not in k)
        print(f"[eval] step {state.step}: {shown}", flush=True)
        if value is None:
            print(f"[warning] monitor metric {cfg.training.monitor_metric} was not computed", flush=True)
        improved = ckpt.is_better(value, state.best, cfg.training.monitor_mode)
        if improved:
            state.best, state.bad_evals = value, 0
        elif value is not None:
            state.bad_evals += 1
        extra = {"metrics": metrics, "cat_ids": run.cat_ids}
        full = pl.checkpoint_state(tm, run.optimizer, run.scheduler, run.scaler, state, cfg, extra)
        if improved:
            ckpt.save(os.path.join(run.ck_dir, "best.pt"), {**full, "optimizer": None, "scheduler": None})
        run.topk.offer(value, state.step, {**full, "optimizer": None, "scheduler": None})
        full["top_k"] = run.topk.entries
        ckpt.save(os.path.join(run.ck_dir, "last.pt"), full)
        tracker.update(phase="training", best_metric=state.best, monitor=cfg.training.monitor_metric,
                       last_eval=metrics_summary(metrics))
        patience = cfg.training.early_stopping_patience
        if patience and state.bad_evals >= patience:
            print(f"[early stop] {cfg.training.monitor_metric} has not improved for {patience} evaluations",
                  flush=True)
            tracker.update(message=f"early stopping after {patience} evaluations without improvement")
            stop = True
    return distm.broadcast_flag(stop, info)


def metrics_summary(metrics):
    return {k: round(v, 6) for k, v in metrics.items() if "_class_" not in k}


def save_last(run, tm, state, cfg):
    full = pl.checkpoint_state(tm, run.optimizer, run.scheduler, run.scaler, state, cfg,
                               {"metrics": state.last_metrics, "cat_ids": run.cat_ids})
    full["top_k"] = run.topk.entries
    ckpt.save(os.path.join(run.ck_dir, "last.pt"), full)


def final_evaluation(cfg, args, tm, run, val_ds, val_loader, tracker, info):
    """Reload the best weights, evaluate once more and write predictions/val.json."""
    best = os.path.join(run.ck_dir, "best.pt")
    if os.path.isfile(best):
        tm.model.load_state_dict(ckpt.load(best)["model"])
    writer = PredictionWriter(os.path.join(args.run_dir, "predictions"), "val", cfg.task, tm.labels,
                              cat_ids=run.cat_ids)
    metrics = evaluate(tm, val_loader, run.device, run.amp, writer=writer, max_batches=args.max_eval_batches)
    path = writer.close()
    write_json_atomic(os.path.join(args.run_dir, "eval_metrics.json"),
                      {"split": "val", "checkpoint": best if os.path.isfile(best) else "last", "metrics": metrics})
    tracker.update(final_metrics=metrics_summary(metrics))
    tracker.log_artifact(path, "predictions")
    print(f"[predictions] {path}", flush=True)


def export(cfg, tm, val_loader, run_dir, val_ds, tracker):
    images = next(iter(val_loader))[0]
    extra = {"category_ids": getattr(getattr(val_ds, "cats", None), "ids", None),
             "defaults": {"confidence_threshold": cfg.model.confidence_threshold,
                          "max_detections": cfg.model.max_detections, "top_k": min(5, len(tm.labels))},
             "source_checkpoint": "checkpoints/best.pt"}
    meta = export_model(tm, run_dir, images, extra_meta=extra)
    tracker.update(onnx=meta.get("verification"))
    tracker.log_artifact(os.path.join(run_dir, "model.onnx"), "model")
    tracker.log_artifact(os.path.join(run_dir, "model.json"), "model")
    print(f"[export] {os.path.join(run_dir, 'model.onnx')} ({meta['onnx_bytes'] / 1e6:.1f} MB)", flush=True)


def finish_cancelled(tracker, run, tm, state, cfg, info):
    if run is not None and tm is not None and info.is_main:
        try:
            save_last(run, tm, state, cfg)
        except Exception as e:
            print(f"[warning] could not save last.pt while cancelling: {e}", flush=True)
    if run is not None:
        tracker.progress(state.step, state.epoch + 1, run.total_steps)
    tracker.finish("cancelled")
    print(f"[cancelled] on {STOP.signame} at step {state.step}", flush=True)
    return STOP.exit_code


def fail(tracker, message, code):
    print(f"[failed] {message}", file=sys.stderr, flush=True)
    tracker.finish("failed", error=message)
    return code


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
