"""train_one_epoch / evaluate (torchvision references/detection/engine.py shape)."""

import contextlib
import math
import time

import torch

from . import distributed as distm
from .errors import NonFiniteLossError
from .metrics import ClassificationMeter, CocoMeter, PanopticMeter, SegmentationMeter, paint_instances
from .signals import STOP


class TrainState:
    """Counters that go into checkpoints so --resume continues where the run stopped."""

    def __init__(self):
        self.epoch = 0          # current epoch (0-based)
        self.step = 0           # optimizer steps done, over the whole run
        self.batch_in_epoch = 0  # batches done in the current epoch
        self.best = None
        self.bad_evals = 0      # evaluations without improvement (early stopping)
        self.last_metrics = {}

    def to_dict(self):
        return dict(self.__dict__)

    def load(self, d):
        self.__dict__.update({k: v for k, v in d.items() if k in self.__dict__})


def autocast(device, precision):
    """Mixed precision on CUDA: bf16 where supported, else fp16 (with a GradScaler)."""
    if device.type != "cuda" or precision == "32":
        return contextlib.nullcontext(), None
    if precision == "bf16-mixed" or (precision == "auto" and torch.cuda.is_bf16_supported()):
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16), None
    try:
        scaler = torch.amp.GradScaler("cuda")
    except (AttributeError, TypeError):
        scaler = torch.cuda.amp.GradScaler()
    return torch.autocast(device_type="cuda", dtype=torch.float16), scaler


def train_one_epoch(model, loader, optimizer, scheduler, ctx, state, tracker):
    """One pass over the loader. Returns 'epoch_done', 'max_steps' or 'cancelled'."""
    model.train()
    amp_ctx, scaler = ctx.amp, ctx.scaler
    window, grad_norm = [], None
    t_data = t_status = time.time()
    for images, targets, _metas in loader:
        if STOP.requested:
            return "cancelled"
        images = images.to(ctx.device, non_blocking=True).float().div_(255)
        with amp_ctx:
            losses = model(images, targets)
        loss = losses["loss"]
        value = float(loss.detach())
        if distm.broadcast_flag(not math.isfinite(value), ctx.info):
            parts = ", ".join(f"{k}={float(v):.4g}" for k, v in losses.items() if k != "loss")
            raise NonFiniteLossError(
                f"loss is {value} at step {state.step + 1} (epoch {state.epoch + 1})"
                + (f" [{parts}]" if parts else "") +
                "; training stopped. Lower model.learning_rate, keep training.gradient_clip_val > 0, "
                "or set training.precision: '32'.")
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        if ctx.grad_clip > 0:
            grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), ctx.grad_clip))
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        state.step += 1
        state.batch_in_epoch += 1
        window.append(value)
        if ctx.info.is_main and (state.step % ctx.log_every == 0 or state.step == 1):
            epoch_f = state.epoch + state.batch_in_epoch / max(ctx.steps_per_epoch, 1)
            m = {"loss": sum(window) / len(window), "learning_rate": ctx.current_lr(optimizer),
                 "epoch": epoch_f}
            if grad_norm is not None and math.isfinite(grad_norm):
                m["grad_norm"] = grad_norm
            tracker.log_metrics(m, state.step, epoch_f)
            tracker.progress(state.step, state.epoch + 1, ctx.total_steps)
            sps = len(window) / max(time.time() - t_data, 1e-9)
            print(f"epoch {state.epoch + 1} step {state.step}/{ctx.total_steps} loss {m['loss']:.4f} "
                  f"lr {m['learning_rate']:.3g} ({sps:.2f} steps/s)", flush=True)
            window, t_data = [], time.time()
            t_status = time.time()
        elif ctx.info.is_main and time.time() - t_status > 2.0:  # live progress between log lines
            tracker.progress(state.step, state.epoch + 1, ctx.total_steps)
            t_status = time.time()
        if ctx.max_steps and state.step >= ctx.max_steps:
            return "max_steps"
    return "epoch_done"


@torch.no_grad()
def evaluate(tm, loader, device, amp_ctx, writer=None, max_batches=None):
    """Metrics over the loader (rank 0), optionally writing predictions in original coordinates."""
    tm.eval()
    task, n = tm.task, len(tm.labels)
    if task == "classification":
        meter = ClassificationMeter(n)
    elif task == "semantic_segmentation":
        meter = SegmentationMeter(n)
    elif task == "panoptic_segmentation":
        meter = PanopticMeter(n)
    else:
        meter = CocoMeter(n, "segm" if task == "instance_segmentation" else "bbox")
    box_meter = CocoMeter(n, "bbox") if task == "instance_segmentation" else None
    sem_meter = SegmentationMeter(n + 1, background_last=True) if task == "instance_segmentation" else None
    losses = []
    for b, (images, targets, metas) in enumerate(loader):
        if STOP.requested or (max_batches and b >= max_batches):
            break
        images = images.to(device, non_blocking=True).float().div_(255)
        with amp_ctx:
            if tm.has_eval_loss:
                lv = tm.eval_loss(images, targets)
                if lv is not None and math.isfinite(lv):
                    losses.append(lv)
            preds = tm.predict(images)
        h_in, w_in = images.shape[-2:]
        for pred, tgt, meta in zip(preds, targets, metas):
            pred = {k: (v.float() if torch.is_tensor(v) and v.is_floating_point() else v) for k, v in pred.items()}
            sx, sy = meta["width"] / w_in, meta["height"] / h_in
            if task == "classification":
                meter.update(pred["probs"].argmax().view(1), torch.tensor([tgt["label"]]))
            elif task == "semantic_segmentation":
                meter.update(pred["mask"], tgt["semantic"])
            elif task == "panoptic_segmentation":
                meter.update(pred["segments"], pred["segments_info"], tgt["masks"], tgt["labels"])
            else:
                scale = torch.tensor([sx, sy, sx, sy])
                p = {"boxes": pred["boxes"].cpu() * scale, "scores": pred["scores"].cpu(),
                     "labels": pred["labels"].cpu()}
                g = {"boxes": tgt["boxes"] * scale, "labels": tgt["labels"], "area_scale": sx * sy,
                     "iscrowd": tgt.get("iscrowd"), "area": tgt.get("area")}
                if task == "instance_segmentation":
                    p["masks"], g["masks"] = pred["masks"].cpu(), tgt["masks"]
                    box_meter.update(p, g)
                    keep = ~tgt["iscrowd"] if tgt.get("iscrowd") is not None else slice(None)
                    sem_meter.update(paint_instances(p["masks"], p["labels"], n, p["scores"]),
                                     paint_instances(tgt["masks"][keep], tgt["labels"][keep], n))
                meter.update(p, g)
            if writer is not None:
                writer.add(meta, pred, (h_in, w_in))
    metrics = meter.compute()
    if box_meter is not None:  # mask AP is the headline; box AP rides along as eval_bbox_*
        metrics.update({k.replace("eval_", "eval_bbox_", 1): v for k, v in box_meter.compute().items()
                        if "_class_" not in k})
        metrics.update({k: v for k, v in sem_meter.compute().items() if "_class_" not in k})
    if losses:
        metrics["eval_loss"] = sum(losses) / len(losses)
    return metrics
