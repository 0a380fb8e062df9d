/**
 * The local model registry: records in Deno KV, files in the volume. A version's files are
 * copied into `<modelsDir>/<version>/` with a `manifest.json` of sha256 checksums first; the KV
 * record (and any aliases asked for) is committed in one atomic step after, so a failed or
 * interrupted registration leaves no record without files and no alias half-moved.
 *
 * Keys: ["registry","model",name] → model (with its alias map) ·
 * ["registry","version",name,<zero-padded version>] → version · ["registry","seq",name] → last
 * version number handed out (numbers of failed registrations are not reused, as in UC).
 */
import { z } from "zod";
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { getKv } from "@/lib/store/kv.ts";
import type {
  FilesApi,
  ModelVersion,
  RegisteredModelInfo,
  RegisterRequest,
  Registration,
  RegistryApi,
} from "../types.ts";

const ModelRecord = z.object({
  name: z.string(),
  description: z.string().optional(),
  owner: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  aliases: z.record(z.string(), z.string()).default({}),
});
type ModelRecord = z.infer<typeof ModelRecord>;

const VersionRecord = z.object({
  name: z.string(),
  version: z.string(),
  source: z.string(),
  runId: z.string().optional(),
  status: z.string(),
  tags: z.record(z.string(), z.string()).default({}),
  createdAt: z.number(),
  createdBy: z.string().optional(),
  description: z.string().optional(),
});
type VersionRecord = z.infer<typeof VersionRecord>;

/** Files copied from the source folder into every version. */
export const MODEL_FILES = ["model.onnx", "model.json"] as const;

const modelKey = (name: string) => ["registry", "model", name];
const versionPrefix = (name: string) => ["registry", "version", name];
const versionKey = (name: string, v: string) => [...versionPrefix(name), v.padStart(8, "0")];
const seqKey = (name: string) => ["registry", "seq", name];

/** Hex sha256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function infoOf(m: ModelRecord): RegisteredModelInfo {
  return {
    name: m.name,
    description: m.description,
    owner: m.owner,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version }))
      .sort((a, b) => a.alias.localeCompare(b.alias)),
  };
}

function versionOf(v: VersionRecord, m: ModelRecord | null): ModelVersion {
  const aliases = Object.entries(m?.aliases ?? {}).filter(([, n]) => n === v.version)
    .map(([a]) => a).sort();
  return { ...v, aliases };
}

/** The registry part of the local workspace. */
export class LocalRegistry implements RegistryApi {
  constructor(private readonly files: FilesApi) {}

  async *listModels(): AsyncIterable<RegisteredModelInfo> {
    const kv = await getKv();
    for await (const e of kv.list({ prefix: ["registry", "model"] })) {
      const m = ModelRecord.safeParse(e.value);
      if (m.success) yield infoOf(m.data);
    }
  }

  async getModel(name: string): Promise<RegisteredModelInfo> {
    return infoOf(await this.#model(name));
  }

  async *listVersions(name: string): AsyncIterable<ModelVersion> {
    const kv = await getKv();
    const m = await this.#model(name);
    for await (const e of kv.list({ prefix: versionPrefix(name) }, { reverse: true })) {
      const v = VersionRecord.safeParse(e.value);
      if (v.success) yield versionOf(v.data, m);
    }
  }

  async getVersion(name: string, version: string): Promise<ModelVersion> {
    const kv = await getKv();
    const key = versionKey(checkName(name), checkVersion(version));
    const [m, v] = await Promise.all([this.#model(name), kv.get(key)]);
    if (!v.value) throw new NotFoundError(`Model ${name} has no version ${version}.`);
    return versionOf(VersionRecord.parse(v.value), m);
  }

  async getByAlias(name: string, alias: string): Promise<ModelVersion> {
    const m = await this.#model(name);
    const v = m.aliases[alias];
    if (!v) throw new NotFoundError(`Model ${name} has no alias @${alias}.`);
    return await this.getVersion(name, v);
  }

  async register(req: RegisterRequest): Promise<Registration> {
    const startedAt = Date.now();
    const kv = await getKv();
    const version = await this.#nextVersion(req.name);
    const dir = `${req.modelsDir}/${version}`;
    try {
      const manifest: Record<string, { sha256: string; bytes: number }> = {};
      for (const f of MODEL_FILES) {
        const bytes = await this.files.readBytes(`${req.sourceDir}/${f}`);
        await this.files.write(`${dir}/${f}`, bytes, { overwrite: true });
        manifest[f] = { sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
      }
      for (const [f, text] of Object.entries(req.extras)) {
        const bytes = new TextEncoder().encode(text);
        await this.files.write(`${dir}/${f}`, bytes, { overwrite: true });
        manifest[f] = { sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
      }
      await this.files.write(
        `${dir}/manifest.json`,
        JSON.stringify({ name: req.name, version, files: manifest }, null, 2),
        { overwrite: true },
      );
      const rec: VersionRecord = VersionRecord.parse({
        name: req.name,
        version,
        source: req.sourceDir,
        runId: req.runId,
        status: "READY",
        tags: req.tags,
        createdAt: Date.now(),
        createdBy: req.createdBy,
        description: req.description,
      });
      for (let attempt = 0; attempt < 30; attempt++) {
        const cur = await kv.get(modelKey(req.name));
        const now = Date.now();
        const m: ModelRecord = cur.value
          ? ModelRecord.parse(cur.value)
          : { name: req.name, owner: req.createdBy, createdAt: now, updatedAt: now, aliases: {} };
        for (const a of req.aliases) m.aliases[a] = version;
        m.updatedAt = now;
        const res = await kv.atomic()
          .check(cur)
          .check({ key: versionKey(req.name, version), versionstamp: null })
          .set(modelKey(req.name), m)
          .set(versionKey(req.name, version), rec)
          .commit();
        if (res.ok) {
          return {
            state: "succeeded",
            version,
            message: `Registered ${req.name} version ${version}.`,
            request: req,
            startedAt,
            endedAt: Date.now(),
          };
        }
      }
      throw new Error("too many concurrent changes to the model record");
    } catch (e) {
      await this.files.delete(dir, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  registration(prev: Registration): Promise<Registration> {
    // Local registrations finish inside `register`.
    return Promise.resolve(prev);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.getVersion(name, version);
    await this.#updateModel(name, (m) => {
      m.aliases[alias] = checkVersion(version);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.#updateModel(name, (m) => {
      if (!m.aliases[alias]) throw new NotFoundError(`Model ${name} has no alias @${alias}.`);
      delete m.aliases[alias];
    });
  }

  async setTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.#updateVersion(name, version, (v) => {
      v.tags[key] = value;
    });
  }

  async updateVersion(name: string, version: string, patch: { description: string }) {
    await this.#updateVersion(name, version, (v) => {
      v.description = patch.description;
    });
  }

  async #model(name: string): Promise<ModelRecord> {
    const kv = await getKv();
    const e = await kv.get(modelKey(checkName(name)));
    if (!e.value) throw new NotFoundError(`No registered model ${name}.`);
    return ModelRecord.parse(e.value);
  }

  async #nextVersion(name: string): Promise<string> {
    const kv = await getKv();
    for (let attempt = 0; attempt < 50; attempt++) {
      const cur = await kv.get<number>(seqKey(name));
      const n = (cur.value ?? 0) + 1;
      const res = await kv.atomic().check(cur).set(seqKey(name), n).commit();
      if (res.ok) return String(n);
    }
    throw new Error("could not allocate a version number: too many concurrent registrations");
  }

  async #updateModel(name: string, change: (m: ModelRecord) => void): Promise<void> {
    const kv = await getKv();
    for (let attempt = 0; attempt < 30; attempt++) {
      const cur = await kv.get(modelKey(checkName(name)));
      if (!cur.value) throw new NotFoundError(`No registered model ${name}.`);
      const m = ModelRecord.parse(cur.value);
      change(m);
      m.updatedAt = Date.now();
      if ((await kv.atomic().check(cur).set(modelKey(name), m).commit()).ok) return;
    }
    throw new Error("too many concurrent changes to the model record");
  }

  async #updateVersion(
    name: string,
    version: string,
    change: (v: VersionRecord) => void,
  ): Promise<void> {
    const kv = await getKv();
    const key = versionKey(checkName(name), checkVersion(version));
    for (let attempt = 0; attempt < 30; attempt++) {
      const cur = await kv.get(key);
      if (!cur.value) throw new NotFoundError(`Model ${name} has no version ${version}.`);
      const v = VersionRecord.parse(cur.value);
      change(v);
      if ((await kv.atomic().check(cur).set(key, v).commit()).ok) return;
    }
    throw new Error("too many concurrent changes to the version record");
  }
}

/** Longest name a KV key can hold safely (three 255-character identifiers and two dots). */
const MAX_NAME = 767;

function checkName(name: string): string {
  if (name.length > MAX_NAME) {
    throw new BadRequestError(
      `The model name is ${name.length} characters; the limit is ${MAX_NAME}.`,
    );
  }
  return name;
}

function checkVersion(v: string): string {
  if (!/^[1-9][0-9]{0,7}$/.test(v)) {
    throw new BadRequestError(`Version ${JSON.stringify(v)} is not a version number.`);
  }
  return v;
}
