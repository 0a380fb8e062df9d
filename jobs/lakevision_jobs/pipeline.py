"""The pieces train.py / evaluate.py assemble: loaders, optimiser, schedule, checkpoint state."""

import math
import os
import random

import torch

from . import checkpoint as ckpt
from .datasets import build_dataset, collate
from .distributed import EpochSampler
from .errors import JobError
from .transforms import build_transforms


def seed_everything(seed):
    random.seed(seed)
    torch.manual_seed(seed)


def build_datasets(cfg):
    """Train and val datasets; val uses train's class list so indices agree."""
    train_ds = build_dataset(cfg, "train", build_transforms(cfg.data, cfg.model.image_size, train=True))
    val_ds = build_dataset(cfg, "val", build_transforms(cfg.data, cfg.model.image_size, train=False),
                           reference=train_ds)
    return train_ds, val_ds


def dataset_labels(ds, cfg):
    """Class names from the dataset (written into the model), checked against model.num_classes."""
    labels = list(ds.labels)
    if cfg.model.num_classes != len(labels):
        print(f"[warning] model.num_classes is {cfg.model.num_classes} but the training data has "
              f"{len(labels)} classes; using the data's {len(labels)}", flush=True)
    return labels


def build_loader(ds, cfg, info, train, batch_size=None):
    bs = batch_size or cfg.data.batch_size
    workers = min(cfg.data.num_workers, os.cpu_count() or 1)
    sampler = EpochSampler(len(ds), info.rank if train else 0, info.world_size if train else 1,
                           shuffle=train, seed=cfg.training.seed)
    return torch.utils.data.DataLoader(
        ds, batch_size=bs, sampler=sampler, num_workers=workers, collate_fn=collate,
        pin_memory=info.device.type == "cuda", drop_last=train and len(ds) > bs * info.world_size,
        persistent_workers=workers > 0)


def build_optimizer(tm, cfg):
    m = cfg.model
    mult = m.backbone_lr_multiplier
    if mult is None:
        mult = 0.1 if (tm.backend == "hf" and tm.pretrained_loaded) else 1.0
    groups = tm.param_groups(m.weight_decay, mult)
    for g in groups:
        g["lr"] = m.learning_rate * g["lr_mult"]
    if m.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=m.learning_rate, momentum=m.momentum, nesterov=True)
    return torch.optim.AdamW(groups, lr=m.learning_rate)


def build_scheduler(optimizer, cfg, total_steps, steps_per_epoch):
    """Per-step LambdaLR: cosine with linear warm-up (from 0.1×), step decay, or none."""
    m = cfg.model
    if m.scheduler == "none":
        return None
    if m.scheduler == "step":
        every = max(1, m.step_size_epochs * steps_per_epoch)
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: m.gamma ** (s // every))
    warm = m.warmup_steps if m.warmup_steps is not None else int(m.warmup_ratio * total_steps)
    floor = m.eta_min / m.learning_rate if m.learning_rate else 0.0

    def f(s):
        if warm and s < warm:
            return 0.1 + 0.9 * s / warm
        p = min(1.0, (s - warm) / max(1, total_steps - warm))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, f)


def current_lr(optimizer):
    for g in optimizer.param_groups:
        if g.get("lr_mult", 1.0) == 1.0:
            return g["lr"]
    return optimizer.param_groups[0]["lr"]


def checkpoint_state(tm, optimizer, scheduler, scaler, state, cfg, extra):
    """A plain dict: weights + everything needed to resume or to rebuild the model elsewhere."""
    return {
        "format": "lakevision.checkpoint/1",
        "model": tm.model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scaler": scaler.state_dict() if scaler is not None else None,
        "train_state": state.to_dict(),
        "task": tm.task,
        "labels": tm.labels,
        "model_name": tm.model_name,
        "image_size": list(tm.image_size),
        "config": cfg.raw,
        "torch_version": str(torch.__version__),
        # HF models: the full config, so the model can be rebuilt offline from this file alone
        "hf_model_config": tm.model.config.to_dict() if tm.backend == "hf" else None,
        **extra,
    }


def resolve_resume(resume, run_dir):
    """--resume: 'last' (this run dir), a run dir, or a checkpoint file. None if nothing to resume."""
    if not resume:
        return None
    if resume == "last":
        path = os.path.join(run_dir, "checkpoints", "last.pt")
        return path if os.path.isfile(path) else None
    if os.path.isdir(resume):
        path = os.path.join(resume, "checkpoints", "last.pt")
        if not os.path.isfile(path):
            raise JobError(f"--resume: no checkpoints/last.pt in {resume}")
        return path
    if not os.path.isfile(resume):
        raise JobError(f"--resume: checkpoint not found: {resume}")
    return resume


def load_for_resume(path, tm, optimizer, scheduler, scaler, state):
    d = ckpt.load(path)
    if d.get("labels") and list(d["labels"]) != list(tm.labels):
        raise JobError(f"--resume: {path} was trained on classes {d['labels'][:5]}... which differ from "
                       f"this dataset's {tm.labels[:5]}...")
    try:
        tm.model.load_state_dict(d["model"])
    except RuntimeError as e:
        raise JobError(f"--resume: {path} does not fit this model ({str(e).splitlines()[0]})") from None
    if optimizer is not None and d.get("optimizer"):
        optimizer.load_state_dict(d["optimizer"])
    if scheduler is not None and d.get("scheduler"):
        scheduler.load_state_dict(d["scheduler"])
    if scaler is not None and d.get("scaler"):
        scaler.load_state_dict(d["scaler"])
    state.load(d.get("train_state", {}))
    return d
