import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { BTN, BTN2 } from "@/components/inference/SlotPicker.tsx";
import { Webcam } from "@/components/inference/Webcam.tsx";
import { addImages, cancelBatch, clearImages, runBatch } from "@/components/inference/runner.ts";
import {
  activeSlotsSig,
  batchSig,
  errorSig,
  imagesSig,
  type InputImage,
} from "@/components/inference/state.ts";

interface Props {
  /** Most bytes the server fetches from an image URL, to say in the form. */
  urlMaxBytes: number;
}

/** Images for the Playground: files (drop or pick), clipboard, webcam, URL; then run. */
export default function PlaygroundInputs({ urlMaxBytes }: Props) {
  const ready = useSignal(false);
  const over = useSignal(false);
  const url = useSignal("");
  const fetching = useSignal(false);
  const fileRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    ready.value = true;
    const onPaste = (e: ClipboardEvent) => {
      const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith("image/"));
      if (files.length) {
        e.preventDefault();
        addImages(
          files.map((f, i) => ({
            blob: f,
            name: f.name || `pasted-${i + 1}.png`,
            source: "paste",
          })),
        );
      }
    };
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  }, []);

  const addFiles = (list: FileList | null) => {
    const files = [...(list ?? [])];
    if (files.length) addImages(files.map((f) => ({ blob: f, name: f.name, source: "file" })));
  };
  const fetchUrl = async () => {
    const target = url.value;
    fetching.value = true;
    try {
      const res = await fetch("/api/inference/fetch-url", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: target }),
      });
      if (!res.ok) {
        const body = await res.json().catch(() => null);
        throw new Error(body?.error?.message ?? `the server answered ${res.status}`);
      }
      const name = target.split(/[?#]/)[0].split("/").pop() || "image-from-url";
      await addImages([{ blob: await res.blob(), name, source: "url" }]);
    } catch (e) {
      errorSig.value = `The URL could not be used: ${(e as Error).message}`;
    } finally {
      fetching.value = false;
    }
  };

  const images = imagesSig.value;
  const batch = batchSig.value;
  const modelReady = activeSlotsSig.value.some((s) => s.info);
  return (
    <section aria-labelledby="lv-inputs-h" class="mb-6">
      <h2 id="lv-inputs-h" class="font-semibold text-slate-900 mb-2">2. Add images</h2>
      <div
        data-testid="dropzone"
        class={`rounded-lg border-2 border-dashed p-5 text-sm ${
          over.value ? "border-sky-500 bg-sky-50" : "border-slate-300 bg-white"
        }`}
        onDragOver={(e) => {
          e.preventDefault();
          over.value = true;
        }}
        onDragLeave={() => (over.value = false)}
        onDrop={(e) => {
          e.preventDefault();
          over.value = false;
          addFiles(e.dataTransfer?.files ?? null);
        }}
      >
        <p class="text-slate-700">
          Drop images here, paste one (Ctrl+V), or pick files:{" "}
          <input
            ref={fileRef}
            type="file"
            name="images"
            multiple
            accept="image/*"
            disabled={!ready.value}
            class="text-sm"
            onChange={(e) => {
              addFiles((e.target as HTMLInputElement).files);
              (e.target as HTMLInputElement).value = "";
            }}
          />
        </p>
        <form
          class="mt-3 flex flex-wrap items-center gap-2"
          onSubmit={(e) => (e.preventDefault(), fetchUrl())}
        >
          <label for="lv-url" class="text-slate-700">Image URL</label>
          <input
            id="lv-url"
            name="url"
            type="url"
            placeholder="https://…/photo.jpg"
            class="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1.5"
            value={url.value}
            onInput={(e) => (url.value = (e.target as HTMLInputElement).value)}
          />
          <button
            type="submit"
            class={BTN2}
            disabled={!ready.value || !url.value || fetching.value}
          >
            {fetching.value ? "Fetching…" : "Fetch"}
          </button>
          <span class="text-xs text-slate-500">
            fetched by the server: public http(s) only, images up to{" "}
            {Math.round(urlMaxBytes / 2 ** 20)} MB
          </span>
        </form>
        <Webcam ready={ready.value} />
      </div>
      {errorSig.value && (
        <p role="alert" class="mt-2 rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorSig.value}{" "}
          <button type="button" class="underline" onClick={() => (errorSig.value = null)}>
            Dismiss
          </button>
        </p>
      )}
      {images.length > 0 && <Thumbs images={images} />}
      <div class="mt-3 flex flex-wrap items-center gap-3">
        <button
          type="button"
          class={BTN}
          data-testid="run"
          disabled={!ready.value || !modelReady || !images.length || batch.running}
          onClick={() => runBatch()}
        >
          {batch.running
            ? "Running…"
            : `Run on ${images.length} image${images.length === 1 ? "" : "s"}`}
        </button>
        {batch.running && (
          <>
            <progress max={batch.total} value={batch.done} class="w-48" aria-label="Progress" />
            <span class="text-sm text-slate-600">{batch.done} / {batch.total}</span>
            <button type="button" class={BTN2} onClick={cancelBatch}>Cancel</button>
          </>
        )}
        {!batch.running && batch.cancel && (
          <span class="text-sm text-amber-800">Cancelled after {batch.done} of {batch.total}.</span>
        )}
        {images.length > 0 && !batch.running && (
          <button type="button" class={BTN2} onClick={clearImages}>Clear images</button>
        )}
        {!modelReady && <span class="text-sm text-slate-500">Choose a model first.</span>}
      </div>
    </section>
  );
}

function Thumbs({ images }: { images: InputImage[] }) {
  return (
    <ul class="mt-3 flex flex-wrap gap-2" aria-label="Images" data-testid="thumbs">
      {images.map((img) => (
        <li key={img.id} class="w-20 text-center">
          <img
            src={img.url}
            alt={img.name}
            class="h-16 w-20 rounded border border-slate-200 object-cover"
          />
          <span class="block truncate text-xs text-slate-600" title={img.name}>{img.name}</span>
        </li>
      ))}
    </ul>
  );
}
