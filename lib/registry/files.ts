/**
 * Where a registered version's files live and how they are read back: the same layout in both
 * workspaces, `<volume>/models/<catalog.schema.model>/<version>/` holding `model.onnx`,
 * `model.json`, `card.md`, `metrics.json` and `manifest.json` (sha256 and size of each file,
 * written at registration). Every read of a model file is checked against the manifest, so a
 * file changed or truncated after registration is refused instead of served.
 */
import { BadRequestError, HttpError, NotFoundError } from "@/lib/errors.ts";
import { sha256Hex } from "@/lib/workspace/local/registry.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

/** The files of a version that can be downloaded. */
export const VERSION_FILES = ["model.onnx", "model.json", "card.md", "metrics.json"] as const;
export type VersionFile = typeof VERSION_FILES[number];

/** The folder of all versions of a model. */
export function modelsDir(volume: string, name: string): string {
  return `${volume.replace(/\/+$/, "")}/models/${name}`;
}

/** The folder of one version. */
export function versionDir(volume: string, name: string, version: string): string {
  return `${modelsDir(volume, name)}/${version}`;
}

/** manifest.json of a version. */
export interface Manifest {
  name: string;
  version: string;
  files: Record<string, { sha256: string; bytes: number }>;
}

/** The version's manifest, or null when its files are not in the app's volume. */
export async function readManifest(ws: Workspace, dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await ws.files.readText(`${dir}/manifest.json`);
  } catch (e) {
    if (e instanceof NotFoundError || (e as { status?: number }).status === 404) return null;
    throw e;
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    throw new BadRequestError(`${dir}/manifest.json is not valid JSON; the version is damaged.`);
  }
}

/** A checksum or size that does not match the manifest. */
export class ChecksumError extends HttpError {
  constructor(message: string) {
    super(409, message);
    this.name = "ChecksumError";
  }
}

/**
 * One file of a version, verified against its manifest (files not in the manifest, such as an
 * edited card, are read as they are).
 */
export async function readVerified(
  ws: Workspace,
  dir: string,
  file: string,
  manifest?: Manifest | null,
): Promise<Uint8Array> {
  const m = manifest === undefined ? await readManifest(ws, dir) : manifest;
  const bytes = await ws.files.readBytes(`${dir}/${file}`);
  const want = m?.files[file];
  if (want && file !== "card.md") {
    if (bytes.byteLength !== want.bytes) {
      throw new ChecksumError(
        `${dir}/${file} is ${bytes.byteLength} bytes but was ${want.bytes} at registration: ` +
          "the file was changed or truncated. Register the model again.",
      );
    }
    const got = await sha256Hex(bytes);
    if (got !== want.sha256) {
      throw new ChecksumError(
        `${dir}/${file} does not match its registered checksum (sha256 ${got.slice(0, 12)}… ` +
          `instead of ${want.sha256.slice(0, 12)}…): the file was changed after registration.`,
      );
    }
  }
  return bytes;
}

/** Size of the model file from the manifest, when known. */
export function modelBytes(m: Manifest | null): number | undefined {
  return m?.files["model.onnx"]?.bytes;
}
