"""Evaluation metrics computed during training (for logging, early stopping and checkpoints).

Names follow the accelerator (HF Trainer `eval_` prefix). The app recomputes its detailed views
from predictions/val.json; these numbers track progress. Detection/instance AP follows the COCO
protocol (IoU 0.50:0.95, 101-point interpolation, area ranges, maxDets 1/10/100) in plain torch,
so no pycocotools is needed on the cluster or in CI.
"""

import torch
from .transforms import IGNORE_INDEX

IOU_THRS = [0.5 + 0.05 * i for i in range(10)]
# Exactly numpy.linspace(0, 1, 101) (i * 0.01, last = 1.0): recall values that equal a threshold
# must fall on the same side as in pycocotools.
REC_THRS = torch.arange(101, dtype=torch.float64) * 0.01
REC_THRS[-1] = 1.0
AREAS = {"all": (0, 1e10), "small": (0, 32 ** 2), "medium": (32 ** 2, 96 ** 2), "large": (96 ** 2, 1e10)}
MAX_DETS = (1, 10, 100)


class ClassificationMeter:
    def __init__(self, num_classes):
        self.cm = torch.zeros((num_classes, num_classes), dtype=torch.int64)

    def update(self, pred, target):
        """pred, target: int64 [N] class indices."""
        idx = target.cpu() * self.cm.shape[0] + pred.cpu()
        self.cm += torch.bincount(idx, minlength=self.cm.numel()).view_as(self.cm)

    def compute(self):
        cm = self.cm.double()
        tp = cm.diag()
        support, predicted = cm.sum(1), cm.sum(0)
        active = (support + predicted) > 0
        prec = torch.where(predicted > 0, tp / predicted.clamp(min=1), torch.zeros_like(tp))
        rec = torch.where(support > 0, tp / support.clamp(min=1), torch.zeros_like(tp))
        f1 = torch.where(prec + rec > 0, 2 * prec * rec / (prec + rec).clamp(min=1e-12), torch.zeros_like(tp))
        out = {"eval_accuracy": float(tp.sum() / cm.sum().clamp(min=1)),
               "eval_precision": float(prec[active].mean()) if active.any() else 0.0,
               "eval_recall": float(rec[active].mean()) if active.any() else 0.0,
               "eval_f1": float(f1[active].mean()) if active.any() else 0.0}
        for c in range(cm.shape[0]):
            if active[c]:
                out[f"eval_precision_class_{c}"] = float(prec[c])
                out[f"eval_recall_class_{c}"] = float(rec[c])
                out[f"eval_f1_class_{c}"] = float(f1[c])
        return out


class SegmentationMeter:
    """Confusion matrix over labelled pixels (255 ignored)."""

    def __init__(self, num_classes, background_last=False):
        self.n = num_classes
        self.background_last = background_last  # instance masks painted over an extra background class
        self.cm = torch.zeros((num_classes, num_classes), dtype=torch.int64)

    def update(self, pred, target):
        pred, target = pred.flatten().cpu(), target.flatten().cpu()
        ok = (target != IGNORE_INDEX) & (target >= 0) & (target < self.n)
        idx = target[ok] * self.n + pred[ok].clamp(0, self.n - 1)
        self.cm += torch.bincount(idx, minlength=self.n * self.n).view(self.n, self.n)

    def compute(self):
        cm = self.cm.double()
        inter = cm.diag()
        union = cm.sum(0) + cm.sum(1) - inter
        valid = union > 0
        if self.background_last:
            valid[-1] = False
        iou = inter / union.clamp(min=1)
        out = {"eval_miou": float(iou[valid].mean()) if valid.any() else 0.0,
               "eval_pixel_accuracy": float(inter.sum() / cm.sum().clamp(min=1))}
        for c in range(self.n):
            if valid[c]:
                out[f"eval_iou_class_{c}"] = float(iou[c])
        return out


def paint_instances(masks, labels, background, scores=None, threshold=0.5):
    """A class map from instance masks (higher scores painted last, so they win overlaps)."""
    h, w = masks.shape[-2:]
    sem = torch.full((h, w), background, dtype=torch.int64)
    order = range(len(labels)) if scores is None else torch.argsort(scores.cpu()).tolist()
    for k in order:
        if scores is not None and float(scores[k]) < threshold:
            continue
        sem[masks[k].cpu() > 0.5] = int(labels[k])
    return sem


class CocoMeter:
    """COCO-style AP/AR for boxes (`iou_type="bbox"`) or masks (`"segm"`)."""

    def __init__(self, num_classes, iou_type="bbox"):
        self.c = num_classes
        self.iou_type = iou_type
        # per (class, area): list of (scores, matched[T,D], ignored[D]) and gt counts
        self.records = []

    def update(self, pred, gt):
        """Add one image. pred: boxes [K,4] xyxy, scores, labels (+ masks [K,H,W] probabilities);
        gt: boxes, labels (+ masks), optional `area` (COCO's annotation area; box/mask area
        otherwise) and `iscrowd` (crowd regions are ignored and may absorb several detections).

        Coordinates must be the original image's, so the area ranges mean what COCO means.
        """
        # float64 like pycocotools: IoUs that sit exactly on a threshold must compare the same way
        pb, ps, pl = pred["boxes"].cpu().double(), pred["scores"].cpu().double(), pred["labels"].cpu()
        gb, gl = gt["boxes"].cpu().double(), gt["labels"].cpu()
        crowd = gt.get("iscrowd")
        crowd = torch.zeros(len(gl), dtype=torch.bool) if crowd is None else torch.as_tensor(crowd).bool()
        scale = float(gt.get("area_scale", 1.0))
        if self.iou_type == "segm":
            pm = (pred["masks"].cpu() > 0.5).flatten(1).double()
            gm = gt["masks"].cpu().flatten(1).double()
            p_area, g_area = pm.sum(1) * scale, gm.sum(1) * scale
        else:
            p_area = (pb[:, 2] - pb[:, 0]) * (pb[:, 3] - pb[:, 1])
            g_area = (gb[:, 2] - gb[:, 0]) * (gb[:, 3] - gb[:, 1])
        if gt.get("area") is not None:
            g_area = torch.as_tensor(gt["area"], dtype=torch.float64)
        for c in sorted(set(pl.tolist()) | set(gl.tolist())):
            di = torch.nonzero(pl == c).flatten()
            gi = torch.nonzero(gl == c).flatten()
            di = di[torch.sort(ps[di], descending=True, stable=True)[1]][:MAX_DETS[-1]]
            g_crowd = crowd[gi]
            if self.iou_type == "segm":
                inter = pm[di] @ gm[gi].t()
                union = pm[di].sum(1)[:, None] + gm[gi].sum(1)[None] - inter
                d_area = pm[di].sum(1)[:, None].expand_as(inter)
            else:
                inter, union, d_area = _box_inter_union(pb[di], gb[gi])
            # COCO: a crowd region's IoU is intersection over the detection's own area
            denom = torch.where(g_crowd[None].expand_as(union), d_area, union)
            ious = inter / denom.clamp(min=1e-12)
            for area_name, (lo, hi) in AREAS.items():
                g_ign = g_crowd | (g_area[gi] < lo) | (g_area[gi] > hi)
                order = torch.sort(g_ign.to(torch.int64), stable=True)[1]
                g_ign_s, crowd_s = g_ign[order].tolist(), g_crowd[order].tolist()
                ious_s = ious[:, order].tolist()
                nd, ng = len(di), len(gi)
                matched = torch.zeros((len(IOU_THRS), nd), dtype=torch.bool)
                d_ign = torch.zeros((len(IOU_THRS), nd), dtype=torch.bool)
                for t, thr in enumerate(IOU_THRS):
                    g_used = [False] * ng
                    for d in range(nd):
                        best, m = min(thr, 1 - 1e-10), -1
                        row = ious_s[d]
                        for g in range(ng):
                            if g_used[g] and not crowd_s[g]:
                                continue
                            if m > -1 and not g_ign_s[m] and g_ign_s[g]:
                                break
                            if row[g] < best:
                                continue
                            best, m = row[g], g
                        if m > -1:
                            g_used[m] = True
                            matched[t, d] = True
                            d_ign[t, d] = g_ign_s[m]
                a = p_area[di]
                out_of_range = (a < lo) | (a > hi)
                d_ign |= (~matched) & out_of_range[None]
                self.records.append((c, area_name, ps[di], matched, d_ign, int((~g_ign).sum())))

    def compute(self, prefix="eval_"):
        out = {}
        per_class_ap, per_class_ar = {}, {}
        for area_name in AREAS:
            for max_det in MAX_DETS:
                if area_name != "all" and max_det != MAX_DETS[-1]:
                    continue
                aps, ars = [], []
                for c in range(self.c):
                    recs = [r for r in self.records if r[0] == c and r[1] == area_name]
                    ap, ar = _accumulate(recs, max_det)
                    if ap is not None:
                        aps.append(ap)
                        ars.append(ar)
                        if area_name == "all" and max_det == MAX_DETS[-1]:
                            per_class_ap[c] = float(ap.mean())
                            per_class_ar[c] = float(ar.mean())
                ap_mean = torch.stack(aps).mean(0) if aps else None  # [T]
                ar_mean = torch.stack(ars).mean(0) if ars else None
                if area_name == "all" and max_det == MAX_DETS[-1]:
                    out[f"{prefix}map"] = float(ap_mean.mean()) if aps else -1.0
                    out[f"{prefix}map_50"] = float(ap_mean[0]) if aps else -1.0
                    out[f"{prefix}map_75"] = float(ap_mean[5]) if aps else -1.0
                    out[f"{prefix}mar_100"] = float(ar_mean.mean()) if ars else -1.0
                elif area_name == "all":
                    out[f"{prefix}mar_{max_det}"] = float(ar_mean.mean()) if ars else -1.0
                else:
                    out[f"{prefix}map_{area_name}"] = float(ap_mean.mean()) if aps else -1.0
                    out[f"{prefix}mar_{area_name}"] = float(ar_mean.mean()) if ars else -1.0
        for c, v in per_class_ap.items():
            out[f"{prefix}map_class_{c}"] = v
            out[f"{prefix}mar_100_class_{c}"] = per_class_ar[c]
        return out


def _accumulate(recs, max_det):
    """AP[T] and AR[T] for one class/area over all images, or (None, None) without ground truth."""
    n_gt = sum(r[5] for r in recs)
    if n_gt == 0:
        return None, None
    scores = torch.cat([r[2][:max_det] for r in recs]) if recs else torch.zeros(0)
    matched = torch.cat([r[3][:, :max_det] for r in recs], 1) if recs else torch.zeros((10, 0), dtype=torch.bool)
    ign = torch.cat([r[4][:, :max_det] for r in recs], 1) if recs else torch.zeros((10, 0), dtype=torch.bool)
    order = torch.sort(scores, descending=True, stable=True)[1]
    matched, ign = matched[:, order], ign[:, order]
    tp = (matched & ~ign).double().cumsum(1)
    fp = (~matched & ~ign).double().cumsum(1)
    ap = torch.zeros(len(IOU_THRS), dtype=torch.float64)
    ar = torch.zeros(len(IOU_THRS), dtype=torch.float64)
    for t in range(len(IOU_THRS)):
        if tp.shape[1] == 0:
            continue
        rc = tp[t] / n_gt
        pr = tp[t] / (tp[t] + fp[t]).clamp(min=1e-12)
        ar[t] = rc[-1]
        pr = torch.flip(torch.cummax(torch.flip(pr, [0]), 0).values, [0])
        idx = torch.searchsorted(rc.contiguous(), REC_THRS.double(), right=False)
        q = torch.zeros(len(REC_THRS), dtype=torch.float64)
        ok = idx < len(pr)
        q[ok] = pr[idx[ok]]
        ap[t] = q.mean()
    return ap, ar


def _box_inter_union(a, b):
    if not len(a) or not len(b):
        z = torch.zeros((len(a), len(b)), dtype=torch.float64)
        return z, z + 1, z + 1
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None]
    area_b = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[None]
    return inter, area_a + area_b - inter, area_a.expand_as(inter)


class PanopticMeter:
    """PQ / SQ / RQ over categories (IoU > 0.5 matches; void pixels ignored)."""

    def __init__(self, num_classes):
        self.c = num_classes
        self.iou = torch.zeros(num_classes, dtype=torch.float64)
        self.tp = torch.zeros(num_classes)
        self.fp = torch.zeros(num_classes)
        self.fn = torch.zeros(num_classes)

    def update(self, pred_seg, pred_info, gt_masks, gt_labels):
        pred_seg = pred_seg.cpu()
        void = ~gt_masks.cpu().bool().any(0) if len(gt_masks) else torch.ones_like(pred_seg, dtype=torch.bool)
        matched_p = set()
        for g in range(len(gt_labels)):
            gm = gt_masks[g].cpu().bool()
            c = int(gt_labels[g])
            best = None
            for p in pred_info:
                if p["label"] != c or p["id"] in matched_p:
                    continue
                pm = pred_seg == p["id"]
                inter = (pm & gm).sum().item()
                union = ((pm & ~void) | gm).sum().item()
                if union and inter / union > 0.5:
                    best = (p["id"], inter / union)
                    break
            if best:
                matched_p.add(best[0])
                self.tp[c] += 1
                self.iou[c] += best[1]
            else:
                self.fn[c] += 1
        for p in pred_info:
            if p["id"] in matched_p:
                continue
            pm = pred_seg == p["id"]
            if pm.sum() and (pm & void).sum() / pm.sum() > 0.5:
                continue
            self.fp[p["label"]] += 1

    def compute(self):
        denom = self.tp + 0.5 * self.fp + 0.5 * self.fn
        valid = denom > 0
        if not valid.any():
            return {"eval_pq": 0.0, "eval_sq": 0.0, "eval_rq": 0.0}
        pq = self.iou / denom.clamp(min=1e-9)
        sq = torch.where(self.tp > 0, self.iou / self.tp.clamp(min=1).double(), torch.zeros_like(self.iou))
        rq = self.tp / denom.clamp(min=1e-9)
        return {"eval_pq": float(pq[valid].mean()), "eval_sq": float(sq[valid].mean()),
                "eval_rq": float(rq[valid].double().mean())}
