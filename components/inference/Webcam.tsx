import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { addImages } from "./runner.ts";
import { BTN2 } from "./SlotPicker.tsx";

/** Why the webcam cannot be used here, or null when the browser may offer it. */
function webcamBlocked(): string | null {
  if (!globalThis.isSecureContext) return "the webcam needs https (or localhost)";
  if (!navigator.mediaDevices?.getUserMedia) return "this browser offers no webcam access";
  const policy = document as Document & {
    permissionsPolicy?: { allowsFeature(f: string): boolean };
    featurePolicy?: { allowsFeature(f: string): boolean };
  };
  const p = policy.permissionsPolicy ?? policy.featurePolicy;
  if (p && !p.allowsFeature("camera")) {
    return "this server's Permissions-Policy blocks the camera (camera=())";
  }
  return null;
}

/** The webcam, where the browser and the page's permissions allow it: start, capture, stop. */
export function Webcam({ ready }: { ready: boolean }) {
  const blocked = useSignal<string | null>(null);
  const stream = useSignal<MediaStream | null>(null);
  const error = useSignal<string | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    blocked.value = webcamBlocked();
  }, []);
  // After the render that shows the <video>: attach the stream; stop its tracks when it is
  // replaced, stopped, or the component goes away.
  const live = stream.value;
  useEffect(() => {
    if (video.current && live) video.current.srcObject = live;
    return () => live?.getTracks().forEach((t) => t.stop());
  }, [live]);

  const start = async () => {
    error.value = null;
    try {
      stream.value = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    } catch (e) {
      error.value = `The webcam did not start: ${(e as Error).message}`;
    }
  };
  const capture = () => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const c = document.createElement("canvas");
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext("2d")!.drawImage(v, 0, 0);
    c.toBlob((b) => {
      if (b) {
        addImages([{
          blob: b,
          name: `webcam-${new Date().toISOString().slice(11, 19)}.png`,
          source: "webcam",
        }]);
      }
    }, "image/png");
  };

  return (
    <div class="mt-3 text-sm" data-testid="webcam">
      {blocked.value
        ? <p class="text-slate-500">Webcam: not available — {blocked.value}.</p>
        : live
        ? (
          <div class="flex flex-wrap items-end gap-2">
            <video ref={video} autoPlay muted playsInline class="h-32 rounded border" />
            <button type="button" class={BTN2} onClick={capture}>Capture</button>
            <button type="button" class={BTN2} onClick={() => (stream.value = null)}>
              Stop webcam
            </button>
          </div>
        )
        : (
          <button type="button" class={BTN2} disabled={!ready} onClick={start}>
            Use the webcam
          </button>
        )}
      {error.value && <p role="alert" class="mt-1 text-red-800">{error.value}</p>}
    </div>
  );
}
