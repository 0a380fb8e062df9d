/**
 * Which dataset splits a config names, as the Data EDA page offers and scans them. The model
 * card's scan builds the same list, so it finds the page's scan in the cache.
 */

/**
 * One split of a config's dataset as the Data EDA page scans it: a COCO-style split is its
 * annotation file with its images folder, any other split its folder.
 */
export interface DatasetSplit {
  name: string;
  /** The annotation JSON, or the split's folder (volume path). */
  path: string;
  /** The images folder of an annotation JSON. */
  images?: string;
}

const SPLITS = ["train", "val", "test"] as const;

/**
 * The splits of a config's `data` section, named and built exactly as the Data EDA page builds
 * its "scan the config's splits" request, so a registration's scan has the same content key
 * and finds the page's scan in the cache. `toVolume` maps a path the job wrote (a disk path
 * locally) back to its volume path; paths outside a volume are left out.
 */
export function configSplits(
  data: Record<string, unknown>,
  toVolume: (path: string) => string | undefined = (p) => p,
): DatasetSplit[] {
  const path = (key: string) => {
    const v = data[key];
    if (typeof v !== "string" || v === "") return "";
    return (v.startsWith("/Volumes/") ? v : toVolume(v) ?? "").replace(/\/+$/, "");
  };
  const out: DatasetSplit[] = [];
  for (const name of SPLITS) {
    const dir = path(`${name}_data_path`);
    const ann = path(`${name}_annotation_file`);
    if (ann.startsWith("/Volumes/")) out.push({ name, path: ann, images: dir || undefined });
    else if (dir.startsWith("/Volumes/")) out.push({ name, path: dir });
  }
  return out;
}
