/**
 * The Deploy form of /deployments: what it starts from (the champion version, an endpoint name
 * made from its model, scale to zero where the app serves the endpoint itself), its fields as a
 * deploy input and back, and a refused input's problems placed beside the fields they are about.
 */
import { BadRequestError } from "@/lib/errors.ts";
import type { Endpoint, WorkspaceTraits } from "@/lib/workspace/types.ts";
import { issueDetails, issueMessages } from "./messages.ts";
import {
  type DeployInput,
  DeployInputSchema,
  endpointNameProblems,
  fieldError,
  MAX_ENDPOINT_NAME,
  type ServingContext,
} from "./service.ts";

/** A registered model with the versions the form offers (newest first). */
export interface VersionChoice {
  model: string;
  versions: { version: string; status: string; aliases: string[] }[];
  /** The version holding @champion, when one does. */
  champion?: string;
}

/** Models and versions for the form's pickers (at most 100 models × 30 versions). */
export async function versionChoices(ctx: Pick<ServingContext, "ws">): Promise<VersionChoice[]> {
  const out: VersionChoice[] = [];
  for await (const m of ctx.ws.registry.listModels()) {
    const versions: VersionChoice["versions"] = [];
    for await (const v of ctx.ws.registry.listVersions(m.name)) {
      versions.push({ version: v.version, status: String(v.status), aliases: v.aliases });
      if (versions.length >= 30) break;
    }
    const champion = m.aliases.find((a) => a.alias === "champion")?.version;
    out.push({ model: m.name, versions, champion });
    if (out.length >= 100) break;
  }
  return out.sort((a, b) => a.model.localeCompare(b.model));
}

/** The `model@version` the form starts with: `model`'s champion, else the first champion, else the newest READY version. */
export function defaultRef(choices: VersionChoice[], model?: string): string {
  const pick = (c: VersionChoice) => {
    const v = c.champion ?? c.versions.find((x) => x.status === "READY")?.version;
    return v ? `${c.model}@${v}` : "";
  };
  const named = choices.find((c) => c.model === model);
  if (named) return pick(named);
  const champ = choices.find((c) => c.champion);
  return champ ? pick(champ) : choices.map(pick).find(Boolean) ?? "";
}

/**
 * A valid endpoint name for `model` that no endpoint in `taken` has: `<short name>-ep`, then
 * `-ep-2`, `-ep-3`, ... (names compared without case; characters the rules refuse become `-`).
 */
export function suggestEndpointName(model: string, taken: readonly string[]): string {
  const used = new Set(taken.map((n) => n.toLowerCase()));
  const short = (model.split(".").at(-1) ?? "")
    .replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[-_]+|[-_]+$/g, "").toLowerCase() || "model";
  for (let n = 1;; n++) {
    const suffix = n === 1 ? "-ep" : `-ep-${n}`;
    let name = short.slice(0, MAX_ENDPOINT_NAME - suffix.length) + suffix;
    if (endpointNameProblems(name).length) name = `lv-${name}`.slice(0, MAX_ENDPOINT_NAME);
    if (!used.has(name.toLowerCase()) && !endpointNameProblems(name).length) return name;
  }
}

/**
 * Whether a new endpoint starts with scale to zero on: where the workspace's work runs on this
 * machine (`jobsRunHere`: the local workspace, whose endpoints this app serves), an idle model
 * is unloaded to free its memory and the cold start is a local load, with no money either way;
 * on Model Serving it starts off, as a cold start there can take minutes.
 */
export function scaleToZeroByDefault(traits: Pick<WorkspaceTraits, "jobsRunHere">): boolean {
  return traits.jobsRunHere;
}

/**
 * The fields of a new endpoint's form: the default version (`model`'s champion when given), a
 * free name made from its model, and scale to zero as `scaleToZeroByDefault` says.
 */
export function newEndpointForm(
  choices: VersionChoice[],
  opts: { existing: readonly string[]; model?: string; scaleToZero: boolean },
): Record<string, string> {
  const ref = defaultRef(choices, opts.model);
  const model = /^(.+)@\d+$/.exec(ref)?.[1];
  return {
    ref,
    ...(model ? { name: suggestEndpointName(model, opts.existing) } : {}),
    ...(opts.scaleToZero ? { scale_to_zero: "on" } : {}),
  };
}

/** The deploy input from the page's form (`ref` = `model@version`, `ref2` + `traffic` for A/B). */
export function deployInputFromForm(form: Record<string, string>): DeployInput {
  const first = parseRef(form.ref ?? "", "the version to serve", "entities.0.version");
  const entities: DeployInput["entities"] = [];
  const second = (form.ref2 ?? "").trim();
  if (second) {
    const b = parseRef(second, "the second version", "entities.1.version");
    const raw = (form.traffic ?? "").trim();
    const t = Number(raw);
    if (!raw || !Number.isInteger(t) || t < 0 || t > 100) {
      throw fieldError(
        "entities.0.trafficPercent",
        "The first version's share of the traffic must be a whole percent from 0 to 100, got " +
          `${raw ? JSON.stringify(raw.slice(0, 20)) : "nothing"}.`,
      );
    }
    entities.push({ ...first, trafficPercent: t }, { ...b, trafficPercent: 100 - t });
  } else entities.push({ ...first, trafficPercent: 100 });
  const parsed = DeployInputSchema.safeParse({
    name: (form.name ?? "").trim(),
    entities,
    workloadSize: form.size || "Small",
    workloadType: form.workload_type || "CPU",
    scaleToZero: form.scale_to_zero === "on",
    inferenceTables: form.inference_tables === "on",
  });
  if (!parsed.success) {
    throw new BadRequestError(
      `${issueMessages(parsed.error).join("; ")}.`,
      issueDetails(parsed.error),
    );
  }
  return parsed.data;
}

/** The form fields that reproduce an endpoint's config (for "change this endpoint"). */
export function formFromEndpoint(e: Endpoint): Record<string, string> {
  const [a, b] = e.entities;
  const f: Record<string, string> = {
    name: e.name,
    ref: a ? `${a.model}@${a.version}` : "",
    ref2: b ? `${b.model}@${b.version}` : "",
    traffic: String(a?.trafficPercent ?? 100),
    size: String(a?.workloadSize ?? "Small"),
    workload_type: String(a?.workloadType ?? "CPU"),
  };
  if (a?.scaleToZero) f.scale_to_zero = "on";
  if (e.inferenceTables) f.inference_tables = "on";
  return f;
}

/**
 * Problems (`details` of a refused deploy, paths as DeployInputSchema names them) by form field:
 * `name`, `ref` (the first version), `ref2`, `traffic`, `size`, `workload_type`. The first
 * problem of a field is kept; ones no field matches are left to the page's banner.
 */
export function deployFieldErrors(
  details: readonly { path: string; message: string }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of details ?? []) {
    const field = formField(d.path);
    if (field && !(field in out)) out[field] = d.message;
  }
  return out;
}

function formField(path: string): string | null {
  const m = /^entities(?:\.(\d+)(?:\.(\w+))?)?$/.exec(path);
  if (m) return m[2] === "trafficPercent" ? "traffic" : m[1] === "1" ? "ref2" : "ref";
  const simple: Record<string, string> = {
    name: "name",
    workloadSize: "size",
    workloadType: "workload_type",
    scaleToZero: "scale_to_zero",
    inferenceTables: "inference_tables",
  };
  return simple[path] ?? null;
}

function parseRef(ref: string, what: string, path: string): { model: string; version: string } {
  const m = /^(.+)@(\d{1,9})$/.exec(ref.trim());
  if (!m) throw fieldError(path, `Choose ${what} (model@version).`);
  return { model: m[1], version: m[2] };
}
