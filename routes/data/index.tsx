import { preferencesFor } from "@/lib/store/preferences.ts";
import { Page } from "@/components/Page.tsx";
import DataScan from "@/islands/DataScan.tsx";
import { configStoreFor } from "@/lib/store/configs.ts";
import { configSplits } from "@/lib/data/config_splits.ts";
import { volumePathOfDisk } from "@/lib/config/host_paths.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Candidate {
  label: string;
  path: string;
  images?: string;
}

interface Data {
  candidates: Candidate[];
  volume: string;
  initialPath: string;
  configName: string | null;
  /** Where the workspace reads Delta tables, they can be scanned (name starts as catalog.schema.). */
  delta: { initialTable: string } | null;
  /** `?scan=<id>`: the scan whose results to show. */
  initialScan: string | null;
}

/** Dataset paths of the active config: annotation files (with their image folders) or folders. */
export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const candidates: Candidate[] = [];
    let configName: string | null = null;
    try {
      const active = await (await configStoreFor(ctx.state)).activeVersion();
      if (active) {
        configName = `${active.name} v${active.version}`;
        // A disk path of a volume (as a local config may hold) is offered as its volume path.
        const files = ctx.state.workspace.files;
        const splits = configSplits(
          (active.doc.data ?? {}) as Record<string, unknown>,
          (p) => volumePathOfDisk(files, p),
        );
        for (const s of splits) candidates.push({ label: s.name, path: s.path, images: s.images });
      }
    } catch {
      // no active config: the picker still works
    }
    const prefs = await preferencesFor(ctx.state);
    const [, , catalog, schema] = prefs.effectiveVolume.split("/");
    return ctx.render({
      delta: ctx.state.workspace.traits.deltaTables
        ? { initialTable: catalog && schema ? `${catalog}.${schema}.` : "" }
        : null,
      candidates,
      volume: prefs.effectiveVolume,
      initialPath: ctx.url.searchParams.get("path") ?? "",
      initialScan: ctx.url.searchParams.get("scan")?.slice(0, 64) || null,
      configName,
    });
  },
};

export default function DataPage({ data }: PageProps<Data>) {
  return (
    <Page
      title="Data EDA"
      description="Scan a dataset (COCO, COCO panoptic, ImageFolder or class-id masks): statistics, charts, and every problem located down to the image and annotation."
    >
      {data.configName
        ? <p class="text-sm text-slate-600 mb-3">Active config: {data.configName}</p>
        : (
          <p class="text-sm text-slate-600 mb-3">
            No active config: enter or browse a volume path.
          </p>
        )}
      <DataScan
        candidates={data.candidates}
        volume={data.volume}
        initialPath={data.initialPath}
        delta={data.delta}
        initialScan={data.initialScan}
      />
      <p class="text-xs text-slate-500 mt-6">
        {data.delta
          ? "Delta tables are read through the SQL warehouse in DATABRICKS_WAREHOUSE_ID; image paths under /Volumes/ are checked through the Files API."
          : "Delta tables are scanned in Databricks mode only (through the SQL Statement Execution API); locally, point the scan at files under a volume."}
      </p>
    </Page>
  );
}
