/**
 * The training data's EDA summary for a model card: the same scan the Data EDA page runs (and
 * caches by content, so a dataset scanned before costs a cache read), bounded in time so a huge
 * dataset never holds up a registration — then the card says the scan was skipped and why.
 */
import { KvScanCache } from "@/lib/data/cache.ts";
import { startScan } from "@/lib/data/scan.ts";
import { errorMessage } from "@/lib/errors.ts";
import { getKv } from "@/lib/store/kv.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
import type { DatasetSplit } from "@/lib/data/config_splits.ts";

/** One split's headline numbers. */
export interface SplitSummary {
  name: string;
  images: number;
  annotations: number;
  classes: number;
  imbalance: string;
  imagesWithoutAnnotations: number;
}

/** What the card shows about the data. */
export interface EdaSummary {
  /** The scan's content key (`lakevision.scan_id`). */
  scanId?: string;
  format?: string;
  splits: SplitSummary[];
  problems: number;
  /** Why there is no summary, when there is none. */
  note?: string;
}

/** How long a registration waits for a dataset scan. */
export const EDA_BUDGET_MS = 20_000;

/** Scans the named splits (volume paths) within `budgetMs`. */
export async function edaSummary(
  files: FilesApi,
  splits: DatasetSplit[],
  budgetMs = EDA_BUDGET_MS,
): Promise<EdaSummary> {
  if (!splits.length) return { splits: [], problems: 0, note: "no dataset paths recorded" };
  const job = startScan({ splits }, files, { cache: new KvScanCache(await getKv()) });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      job.cancel("the registration's time budget for the scan ran out");
      reject(new Error(`the dataset scan took over ${budgetMs / 1000} s; scan it on Data EDA`));
    }, budgetMs);
  });
  try {
    const r = await Promise.race([job.done, timeout]);
    return {
      scanId: r.key,
      format: r.format,
      splits: r.splits.map((s) => ({
        name: s.name,
        images: s.stats.images,
        annotations: s.stats.annotations,
        classes: s.stats.classes.length,
        imbalance: s.stats.imbalance.level,
        imagesWithoutAnnotations: s.stats.imagesWithoutAnnotations,
      })),
      problems: Object.values(r.problemCounts).reduce((a, b) => a + b, 0),
    };
  } catch (e) {
    return { splits: [], problems: 0, note: `not scanned: ${errorMessage(e)}` };
  } finally {
    clearTimeout(timer);
    job.done.catch(() => {});
  }
}
