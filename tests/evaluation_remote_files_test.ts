/**
 * Semantic and panoptic runs are evaluated through the workspace's files: on a workspace whose
 * volumes are not on this disk (an in-memory Files port, the fake Databricks workspace) the
 * numbers equal lib/metrics' own on the same files on disk, nothing is copied to a temp folder
 * or written at all, and a missing or oversized mask is a 400 naming its volume path. Where no
 * decode worker can start, the masks decode in-thread to the same numbers.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { crc32, encodePng } from "@/lib/image/png.ts";
import {
  closeDecodePool,
  decodePoolStats,
  setInlineMaxPixels,
  setWorkerFactory,
} from "@/lib/image/decode_pool.ts";
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { setKv } from "@/lib/store/kv.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import type { FilesApi, Workspace } from "@/lib/workspace/types.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import {
  MASK_READ_AHEAD,
  MASK_READ_AHEAD_BYTES,
  volumeSource,
} from "@/lib/evaluation/evaluate_other.ts";
import { evaluatePanopticFiles, evaluateSemsegFiles } from "@/lib/metrics/eval_files.ts";
import { loadDir, MemoryFiles } from "@/lib/data/testing.ts";
import { EVAL_VOLUME, put, taskRunRecord } from "./evaluation_testing.ts";
import { setupFake } from "./fake_databricks/testing.ts";
import { testApp } from "./helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const disk = (dataDir: string, vp: string) => `${dataDir}/volumes/${vp.slice("/Volumes/".length)}`;
const SEM = "20261201-010000-sema";
const PAN = "20261201-020000-pano";
const SEM_ROOT = `${EVAL_VOLUME}/datasets/masks/val`;
const PAN_ROOT = `${EVAL_VOLUME}/datasets/pan`;
const PAN_GT = `${PAN_ROOT}/panoptic_val.json`;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * A semantic run (6 labelled images, 5 predicted, 3 classes, some ignored pixels) and a
 * panoptic run (5 images, 4 predicted, boxes of random sizes so segment IoUs are uneven
 * fractions), written on disk as jobs/ writes them.
 */
async function writeRuns(dataDir: string) {
  const r = rng(5);
  const sem = await taskRunRecord(SEM, "semantic_segmentation", {
    val_data_path: SEM_ROOT,
  }, dataDir);
  const W = 40, H = 30, rows = [];
  for (let i = 0; i < 6; i++) {
    const g = new Uint8Array(W * H), p = new Uint8Array(W * H);
    for (let k = 0; k < W * H; k++) {
      g[k] = Math.floor((k % W) / 14);
      p[k] = r() < 0.2 ? Math.floor(r() * 3) : g[k];
      if (r() < 0.05) g[k] = 255;
    }
    await put(
      disk(dataDir, `${SEM_ROOT}/masks/s_${i}.png`),
      encodePng({ width: W, height: H, channels: 1, data: g }),
    );
    if (i === 5) continue; // labelled but not predicted: counts as all missed
    await put(
      disk(dataDir, `${sem.runDir}/predictions/val/s_${i}.png`),
      encodePng({ width: W, height: H, channels: 1, data: p }),
    );
    rows.push({ image_id: i, file_name: `s_${i}.jpg`, mask_png: `val/s_${i}.png` });
  }
  await put(disk(dataDir, `${sem.runDir}/predictions/val.json`), JSON.stringify(rows));
  await put(
    disk(dataDir, `${sem.runDir}/model.json`),
    JSON.stringify({ task: "semantic_segmentation", labels: ["bg", "road", "car"] }),
  );

  const pan = await taskRunRecord(PAN, "panoptic_segmentation", {
    val_data_path: `${PAN_ROOT}/val`,
    val_annotation_file: PAN_GT,
  }, dataDir);
  const PW = 32, PH = 24;
  const rgb = (ids: number[]) => {
    const out = new Uint8Array(PW * PH * 3);
    ids.forEach((id, k) => out.set([id & 255, (id >> 8) & 255, id >> 16], k * 3));
    return out;
  };
  const box = (x0: number, y0: number, x1: number, y1: number, k: number) => {
    const x = k % PW, y = Math.floor(k / PW);
    return x >= x0 && x < x1 && y >= y0 && y < y1;
  };
  const anns = [], preds = [];
  for (let i = 1; i <= 5; i++) {
    const gx = 2 + Math.floor(r() * 8), gy = 2 + Math.floor(r() * 6);
    const dx = Math.floor(r() * 5) - 2, dy = Math.floor(r() * 5) - 2, grow = Math.floor(r() * 4);
    const g: number[] = [], p: number[] = [];
    for (let k = 0; k < PW * PH; k++) {
      const sky = Math.floor(k / PW) < 6;
      g.push(box(gx, gy + 6, gx + 12, gy + 14, k) ? 256 : sky ? 7 : 0);
      p.push(
        box(gx + dx, gy + 6 + dy, gx + dx + 12 + grow, gy + 14 + dy, k)
          ? 300
          : Math.floor(k / PW) < 6 + (i % 3)
          ? 9
          : 0,
      );
    }
    await put(
      disk(dataDir, `${PAN_ROOT}/panoptic_val/p${i}.png`),
      encodePng({ width: PW, height: PH, channels: 3, data: rgb(g) }),
    );
    anns.push({
      image_id: i,
      file_name: `p${i}.png`,
      segments_info: [{ id: 7, category_id: 2, iscrowd: 0 }, {
        id: 256,
        category_id: 1,
        iscrowd: 0,
      }],
    });
    if (i === 5) continue;
    await put(
      disk(dataDir, `${pan.runDir}/predictions/val/p${i}.png`),
      encodePng({ width: PW, height: PH, channels: 3, data: rgb(p) }),
    );
    preds.push({
      image_id: i,
      file_name: `p${i}.jpg`,
      png: `val/p${i}.png`,
      segments_info: [{ id: 9, category_id: 2, score: 0.9 }, {
        id: 300,
        category_id: 1,
        score: 0.8,
      }],
    });
  }
  await put(
    disk(dataDir, PAN_GT),
    JSON.stringify({
      images: anns.map((a) => ({ id: a.image_id, file_name: `p${a.image_id}.jpg`, width: PW })),
      annotations: anns,
      categories: [{ id: 1, name: "box", isthing: 1 }, { id: 2, name: "sky", isthing: 0 }],
    }),
  );
  await put(disk(dataDir, `${pan.runDir}/predictions/val.json`), JSON.stringify(preds));
  return { sem, pan };
}

/** Volume files in memory, missing ones answered as the workspace adapters answer them. */
class VolumeFiles extends MemoryFiles {
  override async *list(path: string) {
    if (!this.dirs.has(path)) throw new NotFoundError(`Folder ${path} does not exist.`);
    yield* super.list(path);
  }
  override readBytes(path: string) {
    if (!this.files.has(path)) throw new NotFoundError(`${path} does not exist.`);
    return super.readBytes(path);
  }
}

/** lib/metrics on the same files read straight from disk (the CLI's path). */
async function onDisk(dataDir: string, runs: Awaited<ReturnType<typeof writeRuns>>) {
  const semantic = await evaluateSemsegFiles(
    disk(dataDir, `${runs.sem.runDir}/predictions/val.json`),
    disk(dataDir, `${SEM_ROOT}/masks`),
    { numClasses: 3, ignoreIndex: 255 },
  );
  const panoptic = await evaluatePanopticFiles(
    disk(dataDir, PAN_GT),
    disk(dataDir, PAN_ROOT + "/panoptic_val"),
    disk(dataDir, `${runs.pan.runDir}/predictions/val.json`),
  );
  return { semantic, panoptic };
}

/**
 * Temp folders and file writes made while `fn` runs: every Deno call that creates or writes a
 * file is recorded. (Stubbed here rather than pointing TMPDIR elsewhere: the environment is the
 * whole process's, shared with test files running in parallel.)
 */
async function writesDuring<T>(fn: () => Promise<T>): Promise<{ value: T; writes: string[] }> {
  const d = Deno as unknown as Record<string, (...a: unknown[]) => unknown>;
  const writing = (o: unknown) => {
    const f = (o ?? {}) as Record<string, unknown>;
    return Boolean(f.write || f.create || f.append || f.createNew || f.truncate);
  };
  const names = [
    "makeTempDir",
    "makeTempFile",
    "makeTempDirSync",
    "makeTempFileSync",
    "writeFile",
    "writeTextFile",
    "writeFileSync",
    "writeTextFileSync",
    "mkdir",
    "mkdirSync",
    "create",
    "createSync",
    "open",
    "openSync",
    "rename",
    "copyFile",
  ];
  const saved = names.map((n) => d[n]);
  const writes: string[] = [];
  names.forEach((n, i) => {
    d[n] = (...a: unknown[]) => {
      if (!n.startsWith("open") || writing(a[1])) writes.push(`${n}(${String(a[0] ?? "")})`);
      return saved[i](...a);
    };
  });
  try {
    return { value: await fn(), writes };
  } finally {
    names.forEach((n, i) => (d[n] = saved[i]));
  }
}

/** The evaluation of both runs on `ws`, recomputed (not from the cache). */
async function evaluateBoth(ws: Workspace) {
  const sem = (await evaluateRun(ws, SEM, { force: true })).evaluation;
  const pan = (await evaluateRun(ws, PAN, { force: true })).evaluation;
  assertEquals(sem.kind, "semantic", sem.note);
  assertEquals(pan.kind, "panoptic", pan.note);
  const { labels: _l1, ...semantic } = sem.semantic!;
  const { labels: _l2, ...panoptic } = pan.panoptic!;
  return { semantic, panoptic, notes: [sem.note, pan.note] };
}

/** A local workspace whose files are replaced by `files`; its disk volumes are deleted. */
async function withFiles(dataDir: string, files: FilesApi): Promise<Workspace> {
  const ws = createLocalWorkspace({ dataDir, volume: EVAL_VOLUME });
  await Deno.remove(`${dataDir}/volumes`, { recursive: true });
  return { ...ws, files };
}

async function setup() {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-eval-remote-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const runs = await writeRuns(dataDir);
  const reference = await onDisk(dataDir, runs);
  const local = await evaluateBoth(createLocalWorkspace({ dataDir, volume: EVAL_VOLUME }));
  const mem = new VolumeFiles();
  await loadDir(mem, `${dataDir}/volumes`, "/Volumes");
  return {
    dataDir,
    runs,
    reference,
    local,
    mem,
    async [Symbol.asyncDispose]() {
      closeDecodePool();
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test({
  name:
    "[evaluation/remote] semantic and panoptic runs on files that are not on disk give the disk path's numbers and write no temp files",
  ...opts,
  async fn() {
    await using s = await setup();
    assertEquals(s.local.semantic, s.reference.semantic);
    assertEquals(s.local.panoptic, s.reference.panoptic);
    assertEquals([s.reference.semantic.missing, s.reference.panoptic.missing], [1, 1]);
    assert(
      s.reference.panoptic.all.pq > 0 && s.reference.panoptic.all.pq < 1,
      `PQ ${s.reference.panoptic.all.pq}`,
    );
    const ws = await withFiles(s.dataDir, s.mem);
    for (const inline of [true, false]) {
      // every decode on a worker, then every decode in-thread: the same numbers
      const old = setInlineMaxPixels(inline ? Number.MAX_SAFE_INTEGER : 0);
      try {
        const { value, writes } = await writesDuring(() => evaluateBoth(ws));
        assertEquals(writes, [], "nothing is written while evaluating");
        assertEquals(value.semantic, s.reference.semantic);
        assertEquals(value.panoptic, s.reference.panoptic);
        assertEquals(value.notes, s.local.notes);
      } finally {
        setInlineMaxPixels(old);
      }
    }
  },
});

Deno.test({
  name: "[evaluation/remote] the same runs on the fake Databricks workspace's volume",
  ...opts,
  async fn() {
    await using s = await setup();
    await using t = await setupFake();
    await t.fake.files.addVolume("main.lakevision.data");
    for (const [path, bytes] of s.mem.files) await t.fake.files.put(path, bytes);
    const ws = await withFiles(s.dataDir, t.ws.files);
    const { value, writes } = await writesDuring(() => evaluateBoth(ws));
    assertEquals(writes, [], "no temp file or write");
    assertEquals(value.semantic, s.reference.semantic);
    assertEquals(value.panoptic, s.reference.panoptic);
  },
});

Deno.test({
  name: "[evaluation/remote] a missing mask is a 400 naming its volume path",
  ...opts,
  async fn() {
    await using s = await setup();
    const ws = await withFiles(s.dataDir, s.mem);
    const predMask = `${s.runs.sem.runDir}/predictions/val/s_3.png`;
    const gtPng = `${PAN_ROOT}/panoptic_val/p5.png`; // the image without a prediction
    s.mem.files.delete(predMask);
    s.mem.files.delete(gtPng);
    const e1 = await assertRejects(() => evaluateRun(ws, SEM, { force: true }), BadRequestError);
    assertEquals(e1.status, 400);
    assertEquals(e1.message, `${predMask}: file not found`);
    const e2 = await assertRejects(() => evaluateRun(ws, PAN, { force: true }), BadRequestError);
    assertEquals(e2.message, `${gtPng}: file not found`);
    // the whole mask folder gone
    for (const k of [...s.mem.files.keys()]) {
      if (k.startsWith(`${SEM_ROOT}/masks/`)) s.mem.files.delete(k);
    }
    s.mem.dirs.delete(`${SEM_ROOT}/masks`);
    const e3 = await assertRejects(() => evaluateRun(ws, SEM, { force: true }), BadRequestError);
    assertEquals(e3.message, `${SEM_ROOT}/masks: folder not found`);
  },
});

/** A PNG whose header declares `w`×`h` grey pixels (the budget is checked from the header). */
export function pngDeclaring(w: number, h: number): Uint8Array {
  const png = encodePng({ width: 1, height: 1, channels: 1, data: [0] });
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  dv.setUint32(16, w);
  dv.setUint32(20, h);
  dv.setUint32(29, crc32(png.subarray(12, 29)));
  return png;
}

Deno.test({
  name: "[evaluation/remote] a mask over the pixel budget is a 400 naming the file and its size",
  ...opts,
  async fn() {
    await using s = await setup();
    const ws = await withFiles(s.dataDir, s.mem);
    const predMask = `${s.runs.sem.runDir}/predictions/val/s_2.png`;
    s.mem.put(predMask, pngDeclaring(9000, 9000));
    const e = await assertRejects(() => evaluateRun(ws, SEM, { force: true }), BadRequestError);
    assertEquals(e.status, 400);
    assert(e.message.startsWith(`${predMask}: `), e.message);
    assertStringIncludes(e.message, "this PNG is 9000×9000 (81 megapixels)");
  },
});

Deno.test({
  name: "[evaluation/remote] through the API on the local workspace, errors name volume paths",
  ...opts,
  async fn() {
    const app = await testApp();
    try {
      const runs = await writeRuns(app.dataDir);
      const ok = await app.request(`/api/evaluation/${SEM}`);
      assertEquals(ok.status, 200);
      assertEquals((await ok.json()).kind, "semantic");
      const predMask = `${runs.sem.runDir}/predictions/val/s_1.png`;
      await app.workspace.files.delete(predMask);
      const res = await app.request(`/api/evaluation/${SEM}`);
      assertEquals(res.status, 400);
      const msg = (await res.json()).error.message as string;
      assertEquals(msg, `${predMask}: file not found`);
      assert(!msg.includes(app.dataDir), "no host path in the message");
    } finally {
      closeDecodePool();
      await app.close();
    }
  },
});

Deno.test({
  name:
    "[evaluation/remote] where no decode worker can start, masks decode in-thread: same numbers",
  ...opts,
  async fn() {
    await using s = await setup();
    const ws = await withFiles(s.dataDir, s.mem);
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (...a: unknown[]) => warnings.push(a.join(" "));
    const old = setInlineMaxPixels(0); // every mask goes to the pool, which has no worker
    setWorkerFactory(() => {
      throw new Error("Worker is not available in this runtime");
    });
    try {
      const value = await evaluateBoth(ws);
      assertEquals(value.semantic, s.reference.semantic);
      assertEquals(value.panoptic, s.reference.panoptic);
      assertEquals(decodePoolStats().inThread, true);
      assertEquals(warnings.length, 1, warnings.join("\n"));
      assertStringIncludes(warnings[0], "Worker is not available in this runtime");
    } finally {
      setWorkerFactory(null);
      setInlineMaxPixels(old);
      console.warn = warn;
    }
  },
});

Deno.test("[evaluation/remote] every workspace source shares one read-ahead budget", () => {
  const a = volumeSource(new MemoryFiles()), b = volumeSource(new MemoryFiles());
  assert(a.memory && a.memory === b.memory, "one budget for all evaluations");
  assertEquals(a.memory.limit, MASK_READ_AHEAD_BYTES);
  assertEquals(a.readAhead, MASK_READ_AHEAD);
});
