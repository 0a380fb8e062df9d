/**
 * The Playground's shared state: one module, so the model, input and result islands on the page
 * read and write the same signals (ES modules are singletons per URL, and every island bundle
 * imports this one chunk). Nothing here imports onnxruntime or zod.
 */
import { computed, signal } from "@preact/signals";
import type { ModelChoice, ModelInfo } from "@/lib/inference/playground_models.ts";
import type { Prediction } from "@/lib/inference/postprocess.ts";

export type { ModelChoice, ModelInfo };

/** Where a slot runs its model. */
export type Backend = "wasm" | "webgpu" | "endpoint";

/** One model being tried: the page has slot "a", and "b" in compare mode. */
export interface Slot {
  id: "a" | "b";
  choiceKey: string;
  backend: Backend;
  info: ModelInfo | null;
  status: "empty" | "info" | "downloading" | "loading" | "ready" | "error";
  /** Download progress 0–1, when the size is known. */
  progress?: number;
  error?: string;
  /** What actually ran, once loaded ("wasm", "webgpu", "endpoint"). */
  ran?: Backend;
  /** WebGPU failed and WASM ran: said, never silent. */
  fallback?: string;
  fromCache?: boolean;
  note?: string;
  downloadMs?: number;
  loadMs?: number;
  warmupMs?: number;
}

/** An image the person gave. */
export interface InputImage {
  id: string;
  name: string;
  source: "file" | "paste" | "webcam" | "url";
  /** The encoded bytes (sent to endpoints as base64). */
  blob: Blob;
  width: number;
  height: number;
  /** Object URL for thumbnails. */
  url: string;
}

/** One image's answer from one slot. */
export interface ImageResult {
  slot: "a" | "b";
  imageId: string;
  error?: string;
  /** What is drawn: decoded with the current parameters (browser) or filtered (endpoint). */
  prediction?: Prediction;
  /** Endpoint answers as decoded once with permissive parameters, before filtering. */
  raw?: Prediction;
  ran?: Backend;
  preMs?: number;
  inferMs?: number;
  postMs?: number;
  /** Wall time for the image, request or inference included. */
  totalMs?: number;
}

/** The re-filtering controls; changing them never re-runs a model. */
export interface Params {
  confidence_threshold: number;
  max_detections: number;
  top_k: number;
  /** Labels hidden by the class filter. */
  hidden: number[];
  opacity: number;
}

const emptySlot = (id: "a" | "b"): Slot => ({
  id,
  choiceKey: "",
  backend: "wasm",
  info: null,
  status: "empty",
});

export const slotsSig = signal<Slot[]>([emptySlot("a")]);
export const compareSig = signal(false);
export const imagesSig = signal<InputImage[]>([]);
/** Keyed `${slot}:${imageId}`. */
export const resultsSig = signal<Record<string, ImageResult>>({});
export const paramsSig = signal<Params>({
  confidence_threshold: 0.5,
  max_detections: 100,
  top_k: 5,
  hidden: [],
  opacity: 0.5,
});
/** Where the threshold default came from. */
export const thresholdSourceSig = signal<string>("the default, 0.5");
export const batchSig = signal<{ running: boolean; done: number; total: number; cancel: boolean }>(
  { running: false, done: 0, total: 0, cancel: false },
);
export const webgpuSig = signal<{ checked: boolean; ok: boolean; reason: string }>({
  checked: false,
  ok: false,
  reason: "not checked yet",
});
/** Page-level errors (inputs, runs), shown with a way to retry. */
export const errorSig = signal<string | null>(null);

/** The slots in play: "a", plus "b" in compare mode. */
export const activeSlotsSig = computed(() => {
  const find = (id: "a" | "b") => slotsSig.value.find((s) => s.id === id) ?? emptySlot(id);
  return compareSig.value ? [find("a"), find("b")] : [find("a")];
});

/** Replaces fields of one slot. */
export function patchSlot(id: "a" | "b", patch: Partial<Slot>): void {
  const list = slotsSig.value.some((s) => s.id === id)
    ? slotsSig.value
    : [...slotsSig.value, emptySlot(id)];
  slotsSig.value = list.map((s) => (s.id === id ? { ...s, ...patch } : s));
}

/** The slot with this id (created empty when missing). */
export function slotOf(id: "a" | "b"): Slot {
  return slotsSig.value.find((s) => s.id === id) ?? emptySlot(id);
}

/** Stores one result. */
export function putResult(r: ImageResult): void {
  resultsSig.value = { ...resultsSig.value, [`${r.slot}:${r.imageId}`]: r };
}

/** Bytes as "12.3 MB". */
export function fmtBytes(n: number | undefined): string {
  if (n === undefined) return "unknown size";
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** Milliseconds as "12.3 ms" / "1.23 s". */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return "—";
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
