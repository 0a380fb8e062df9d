/**
 * An in-memory FilesApi for tests and benchmarks: the scanner only sees the Workspace port, so a
 * Map of path → bytes is enough to plant defects without touching the disk.
 */
import type { FileEntry, FilesApi } from "@/lib/workspace/types.ts";

const enc = new TextEncoder();

function norm(path: string): string {
  const p = path.replace(/\/+/g, "/");
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** A FilesApi over a Map; directories exist implicitly as prefixes of stored files. */
export class MemoryFiles implements FilesApi {
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>();

  constructor(initial: Record<string, Uint8Array | string> = {}) {
    for (const [k, v] of Object.entries(initial)) this.put(k, v);
  }

  /** Adds or replaces a file (sync, for test setup). */
  put(path: string, data: Uint8Array | string): this {
    const p = norm(path);
    this.files.set(p, typeof data === "string" ? enc.encode(data) : data);
    let d = p.slice(0, p.lastIndexOf("/"));
    while (d.length > 0) {
      this.dirs.add(d);
      d = d.slice(0, d.lastIndexOf("/"));
    }
    return this;
  }

  async *list(path: string): AsyncIterable<FileEntry> {
    const dir = norm(path);
    if (!this.dirs.has(dir)) throw new Error(`${dir}: no such directory`);
    const seen = new Set<string>();
    const prefix = dir + "/";
    for (const d of this.dirs) {
      if (d.startsWith(prefix) && !d.slice(prefix.length).includes("/") && !seen.has(d)) {
        seen.add(d);
        yield { path: d, name: d.slice(prefix.length), isDirectory: true };
      }
    }
    for (const [f, bytes] of this.files) {
      if (f.startsWith(prefix) && !f.slice(prefix.length).includes("/")) {
        yield { path: f, name: f.slice(prefix.length), isDirectory: false, size: bytes.length };
      }
    }
  }

  stat(path: string): Promise<FileEntry | null> {
    const p = norm(path);
    const name = p.slice(p.lastIndexOf("/") + 1);
    const f = this.files.get(p);
    if (f) return Promise.resolve({ path: p, name, isDirectory: false, size: f.length });
    if (this.dirs.has(p)) return Promise.resolve({ path: p, name, isDirectory: true });
    return Promise.resolve(null);
  }

  // deno-lint-ignore require-await
  async read(path: string): Promise<ReadableStream<Uint8Array>> {
    const bytes = this.get(path);
    const CHUNK = 64 * 1024;
    let off = 0;
    return (
      new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (off >= bytes.length) return ctrl.close();
          ctrl.enqueue(bytes.subarray(off, off + CHUNK));
          off += CHUNK;
        },
      })
    );
  }

  // deno-lint-ignore require-await
  async readBytes(path: string): Promise<Uint8Array> {
    return this.get(path);
  }

  // deno-lint-ignore require-await
  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(this.get(path));
  }

  async write(path: string, data: Uint8Array | string | ReadableStream<Uint8Array>) {
    if (data instanceof ReadableStream) {
      data = new Uint8Array(await new Response(data).arrayBuffer());
    }
    this.put(path, data);
  }

  mkdirs(path: string): Promise<void> {
    let d = norm(path);
    while (d.length > 0) {
      this.dirs.add(d);
      d = d.slice(0, d.lastIndexOf("/"));
    }
    return Promise.resolve();
  }

  delete(path: string): Promise<void> {
    this.files.delete(norm(path));
    return Promise.resolve();
  }

  private get(path: string): Uint8Array {
    const f = this.files.get(norm(path));
    if (!f) throw new Deno.errors.NotFound(`${path}: no such file`);
    return f;
  }
}

/** Copies a directory of the real filesystem into a MemoryFiles under `prefix`. */
export async function loadDir(files: MemoryFiles, dir: string, prefix: string): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    const src = `${dir}/${e.name}`;
    const dst = `${prefix}/${e.name}`;
    if (e.isDirectory) await loadDir(files, src, dst);
    else if (e.isFile) files.put(dst, await Deno.readFile(src));
  }
}

const COS = Array.from({ length: 64 }, (_, i) => Math.cos((i / 64) * 2 * Math.PI));
const SIN = Array.from({ length: 64 }, (_, i) => Math.sin((i / 64) * 2 * Math.PI));
function fix2(v: number): string {
  const q = Math.round(Math.max(0, v) * 100);
  const f = q % 100;
  return `${(q - f) / 100}.${f < 10 ? "0" : ""}${f}`;
}

/** Options of the synthetic COCO generator. */
export interface SynthOptions {
  images: number;
  annotations: number;
  categories?: number;
  /** Polygon points per annotation (COCO averages about 24). */
  points?: number;
  /** Every n-th annotation is a crowd RLE (0 = none). */
  crowdEvery?: number;
  seed?: number;
}

/**
 * A COCO-instances file shaped like COCO train (image sizes, polygons, a few crowd RLEs), built
 * directly as bytes so that hundreds of MB can be generated quickly. Every annotation is valid.
 */
export function synthCoco(o: SynthOptions): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let seed = (o.seed ?? 42) >>> 0;
  const rnd = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ncat = o.categories ?? 80;
  const points = o.points ?? 24;
  const sizes = [[640, 480], [480, 640], [640, 427], [500, 375], [640, 360], [612, 612]];
  const dims: number[] = [];
  let s = '{"info":{"description":"synthetic"},"licenses":[],"images":[';
  for (let i = 0; i < o.images; i++) {
    const [w, h] = sizes[i % sizes.length];
    dims.push(w, h);
    s += `${i ? "," : ""}{"license":1,"file_name":"${String(i + 1).padStart(12, "0")}.jpg",` +
      `"height":${h},"width":${w},"date_captured":"2013-11-14 11:18:45","id":${i + 1}}`;
    if (s.length > 1 << 20) {
      parts.push(enc.encode(s));
      s = "";
    }
  }
  s += '],"annotations":[';
  for (let a = 0; a < o.annotations; a++) {
    const img = Math.floor(rnd() * o.images);
    const w = dims[2 * img], h = dims[2 * img + 1];
    const bw = 4 + rnd() * (w / 2), bh = 4 + rnd() * (h / 2);
    const bx = rnd() * (w - bw), by = rnd() * (h - bh);
    const crowd = o.crowdEvery && a % o.crowdEvery === 0;
    let seg: string;
    if (crowd) {
      seg = `{"counts":[${Math.floor(w * h / 2)},${
        w * h - Math.floor(w * h / 2)
      }],"size":[${h},${w}]}`;
    } else {
      // coordinates with two decimals, formatted from integers (toFixed is the generator's hot spot)
      const cx = bx + bw / 2, cy = by + bh / 2;
      let xs = "";
      for (let p = 0; p < points; p++) {
        xs += (p ? "," : "") + fix2(cx + COS[((p * 64) / points) | 0] * bw / 2) + "," +
          fix2(cy + SIN[((p * 64) / points) | 0] * bh / 2);
      }
      seg = `[[${xs}]]`;
    }
    s += `${a ? "," : ""}{"segmentation":${seg},"area":${(bw * bh * 0.7).toFixed(3)},` +
      `"iscrowd":${crowd ? 1 : 0},"image_id":${img + 1},"bbox":[${bx.toFixed(2)},${
        by.toFixed(2)
      },` +
      `${bw.toFixed(2)},${bh.toFixed(2)}],"category_id":${1 + (a % ncat)},"id":${a + 1}}`;
    if (s.length > 1 << 20) {
      parts.push(enc.encode(s));
      s = "";
    }
  }
  s += '],"categories":[';
  for (let c = 0; c < ncat; c++) {
    s += `${c ? "," : ""}{"supercategory":"thing","id":${c + 1},"name":"class_${c + 1}"}`;
  }
  s += "]}";
  parts.push(enc.encode(s));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
