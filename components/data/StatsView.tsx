import type { SplitReport } from "@/lib/data/types.ts";
import { datasetClassColor } from "@/lib/data/colors.ts";
import { ChartCard } from "./ChartCard.tsx";
import { Heatmap } from "./Heatmap.tsx";

interface Props {
  /** The split to chart. */
  split: SplitReport;
  /** The class picked in the filter: the number cards show that class then. */
  classId?: number | null;
}

function Stat({ label, value, hint }: { label: string; value: string | number; hint?: string }) {
  return (
    <div class="rounded-lg border border-slate-200 bg-white px-4 py-3" data-stat={label}>
      <div class="text-xs uppercase tracking-wide text-slate-500">{label}</div>
      <div class="text-xl font-semibold text-slate-900 tabular-nums">{value}</div>
      {hint && <div class="text-xs text-slate-500">{hint}</div>}
    </div>
  );
}

/** Numbers and charts of one split. */
export function StatsView({ split, classId = null }: Props) {
  const s = split.stats;
  // one class, one colour on every page: COCO ids by their class index (lib/data/colors.ts)
  const classColor = datasetClassColor(split.format, s.classes.map((c) => c.id));
  const classes = [...s.classes].sort((a, b) => b.count - a.count);
  const masks = s.classes.some((c) => c.pixelShare !== undefined);
  const boxes = s.boxSizes.small + s.boxSizes.medium + s.boxSizes.large;
  const imb = s.imbalance;
  const picked = classId === null ? undefined : s.classes.find((c) => c.id === classId);
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : "—");
  return (
    <div class="space-y-4">
      {picked && (
        <div class="grid grid-cols-2 md:grid-cols-4 gap-3" data-class-stats={picked.id}>
          <Stat label="Class" value={picked.name} hint={`id ${picked.id}`} />
          <Stat
            label="Images with it"
            value={picked.images}
            hint={`${pct(picked.images, s.images)} of ${s.images} images`}
          />
          <Stat
            label={split.format === "imagefolder" ? "Images labelled" : "Annotations"}
            value={picked.count}
            hint={`${pct(picked.count, s.annotations)} of ${s.annotations}`}
          />
          <Stat
            label={picked.pixelShare !== undefined ? "Pixel share" : "Per image"}
            value={picked.pixelShare !== undefined
              ? pct(picked.pixelShare, 1)
              : picked.images
              ? (picked.count / picked.images).toFixed(2)
              : "—"}
            hint={picked.pixelShare !== undefined
              ? "of labelled pixels"
              : "annotations per image that has it"}
          />
        </div>
      )}
      <div
        class="grid grid-cols-2 md:grid-cols-4 gap-3"
        style={picked ? { display: "none" } : undefined}
        data-split-stats
      >
        <Stat
          label="Images"
          value={s.images}
          hint={s.meanWidth
            ? `mean ${s.meanWidth.toFixed(0)}×${s.meanHeight.toFixed(0)}`
            : undefined}
        />
        <Stat
          label="Annotations"
          value={s.annotations}
          hint={s.crowd ? `${s.crowd} crowd` : undefined}
        />
        <Stat
          label="Classes"
          value={s.classes.length}
          hint={imb.ratio ? `imbalance ${imb.ratio.toFixed(1)} (${imb.level})` : undefined}
        />
        <Stat
          label="Without annotations"
          value={s.imagesWithoutAnnotations}
          hint={`median aspect ${s.aspectRatio.median.toFixed(2)}`}
        />
      </div>
      {(imb.over.length > 0 || imb.under.length > 0) && (
        <p class="text-sm text-slate-600">
          {imb.over.length > 0 && (
            <>
              Over-represented (&gt;1.5× mean):{" "}
              {imb.over.map((id) => s.classes.find((c) => c.id === id)?.name).join(", ")}.
            </>
          )}
          {imb.under.length > 0 && (
            <>
              Under-represented (&lt;0.5× mean):{" "}
              {imb.under.map((id) => s.classes.find((c) => c.id === id)?.name).join(", ")}.
            </>
          )}
        </p>
      )}
      <div class="grid grid-cols-1 lg:grid-cols-2 gap-4">
        <ChartCard
          title="Class distribution"
          kind="bar"
          horizontal={classes.length > 12}
          labels={classes.map((c) => c.name)}
          series={[{
            label: "count",
            data: classes.map((c) => c.count),
            colors: classes.map((c) => classColor(c.id)),
          }]}
          csv={[
            ["id", "name", "count", "images", ...(masks ? ["pixel_share"] : [])],
            ...classes.map((
              c,
            ) => [c.id, c.name, c.count, c.images, ...(masks ? [c.pixelShare ?? 0] : [])]),
          ]}
        />
        {masks && (
          <ChartCard
            title="Pixel share per class"
            kind="bar"
            horizontal={classes.length > 12}
            labels={classes.map((c) => c.name)}
            series={[{
              label: "share of labelled pixels",
              data: classes.map((c) => +((c.pixelShare ?? 0) * 100).toFixed(2)),
              colors: classes.map((c) => classColor(c.id)),
            }]}
            csv={[
              ["id", "name", "pixel_share"],
              ...classes.map((c) => [c.id, c.name, c.pixelShare ?? 0]),
            ]}
            y="%"
          />
        )}
        {split.format !== "imagefolder" && (
          // one label per image in a classification folder: nothing to chart
          <ChartCard
            title="Objects per image"
            kind="bar"
            labels={s.objectsPerImage.labels}
            series={[{ label: "images", data: s.objectsPerImage.counts }]}
            csv={[
              ["objects", "images"],
              ...s.objectsPerImage.labels.map((l, i) => [l, s.objectsPerImage.counts[i]]),
            ]}
            x="objects in the image"
            y="images"
          />
        )}
        <ChartCard
          title="Image sizes"
          kind="scatter"
          series={[{
            label: "width × height",
            data: s.imageSizes.map((p) => ({ x: p.w, y: p.h })),
          }]}
          csv={[["width", "height", "images"], ...s.imageSizes.map((p) => [p.w, p.h, p.count])]}
          x="width (px)"
          y="height (px)"
        />
        <ChartCard
          title="Aspect ratios"
          kind="bar"
          labels={s.aspectRatio.labels}
          series={[{ label: "images", data: s.aspectRatio.counts }]}
          csv={[
            ["aspect_ratio", "images"],
            ...s.aspectRatio.labels.map((l, i) => [l, s.aspectRatio.counts[i]]),
          ]}
          x="width / height"
        />
        {boxes > 0 && (
          <ChartCard
            title="Box sizes (COCO buckets)"
            kind="bar"
            labels={["small < 32²", "medium < 96²", "large ≥ 96²"]}
            series={[{
              label: "boxes",
              data: [s.boxSizes.small, s.boxSizes.medium, s.boxSizes.large],
            }]}
            csv={[["bucket", "boxes"], ["small", s.boxSizes.small], ["medium", s.boxSizes.medium], [
              "large",
              s.boxSizes.large,
            ]]}
          />
        )}
        {boxes > 0 && (
          <ChartCard
            title="Relative box size"
            kind="bar"
            labels={s.relativeSize.labels}
            series={[{ label: "boxes", data: s.relativeSize.counts }]}
            csv={[
              ["sqrt(box/image area)", "boxes"],
              ...s.relativeSize.labels.map((l, i) => [l, s.relativeSize.counts[i]]),
            ]}
            x="√(box area / image area)"
          />
        )}
        {boxes > 0 && <Heatmap size={s.heatmap.size} cells={s.heatmap.cells} />}
      </div>
    </div>
  );
}
