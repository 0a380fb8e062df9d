/**
 * The "Getting started" path on the home page, computed from what the workspace actually
 * holds: the active config, cached dataset scans, training run records, the registry, the
 * serving endpoints and the activity log. Each check is independent and time-boxed, so a slow
 * or unreachable workspace leaves a step unticked with a reason instead of stalling the page.
 */
import { configSplits } from "@/lib/data/config_splits.ts";
import { plural } from "@/lib/format.ts";
import { errorMessage } from "@/lib/errors.ts";
import { queryActivity } from "@/lib/store/activity.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { getKv } from "@/lib/store/kv.ts";
import { STAGES } from "@/lib/stages.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { DEMO_CONFIGS } from "./configs.ts";
import { DEMO_VOLUME } from "./datasets.ts";
import { readManifest } from "./manifest.ts";
import { latestScan, scanOf } from "./scan_seen.ts";

/** What each step needs beyond the app itself. */
export type Need = "python" | "databricks-or-local-stage" | null;

/** One step of the path, as the page shows it. */
export interface Step {
  id: "config" | "scan" | "train" | "evaluate" | "register" | "deploy" | "try";
  title: string;
  done: boolean;
  /** What the workspace shows (done) or what to do next (not done). */
  detail: string;
  href: string;
  /** Link text. */
  action: string;
  need: Need;
  /** False while the stage's page is still a placeholder. */
  available: boolean;
}

/** A demo configuration row. */
export interface DemoConfigRow {
  name: string;
  task: string;
  model: string;
  local: boolean;
  saved: boolean;
  active: boolean;
  dataset: string;
}

/** Local Python as far as it is known (the probe runs once per process). */
export interface PythonState {
  checked: boolean;
  torch: boolean;
  detail: string;
}

/** Everything the home page section shows. */
export interface GettingStarted {
  steps: Step[];
  configs: DemoConfigRow[];
  python: PythonState;
  workspaceKind: "local" | "databricks";
  /** Index of the first step not done (steps.length when all are). */
  next: number;
}

const TIMEOUT_MS = 2000;

/** Resolves `p`, or rejects after `ms` with a message naming what was slow. */
function timed<T>(p: Promise<T>, what: string, ms = TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not answer within ${ms / 1000} s`)),
        ms,
      );
    }),
  ]);
}

async function first<T>(it: AsyncIterable<T>, n = 50): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
}

const available = (id: string) => STAGES.find((s) => s.id === id)?.available ?? true;

interface RunLite {
  id: string;
  name: string;
  status: string;
  config: { name: string; task: string };
  lastMetrics: Record<string, number>;
  createdAt: number;
}

async function runs(kv: Deno.Kv): Promise<RunLite[]> {
  const out: RunLite[] = [];
  for await (const e of kv.list<RunLite>({ prefix: ["training", "run"] }, { reverse: true })) {
    if (e.value && typeof e.value === "object" && "status" in e.value) out.push(e.value);
    if (out.length >= 200) break;
  }
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

/** Runs the Evaluation page has evaluated (its cache: ["evaluation","result",runId]). */
async function evaluatedRuns(kv: Deno.Kv): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of kv.list({ prefix: ["evaluation", "result"] })) {
    ids.push(String(e.key[2]));
    if (ids.length >= 50) break;
  }
  return ids;
}

function fmtMetric(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}

/** Computes the path from the workspace's real state. */
export async function gettingStarted(
  state: { workspace: Workspace; settings: { workspace: "local" | "databricks" } },
): Promise<GettingStarted> {
  const kv = await getKv();
  const ws = state.workspace;
  const store = new ConfigStore(kv);

  const [activeR, savedR, scanR, runsR, modelsR, endpointsR, triedR, pyR, manifestR, evaluatedR] =
    await Promise
      .allSettled([
        timed(store.activeVersion(), "the config store"),
        timed(store.list(), "the config store"),
        timed(latestScan(kv), "the scan cache"),
        timed(runs(kv), "the run records"),
        timed(first(ws.registry.listModels(), 5), "the model registry"),
        timed(ws.serving.list(), "model serving"),
        timed(
          // The Playground logs "started inference session" (subject "inference:<model>") for
          // in-browser runs and endpoint calls alike; batch inference and API calls from
          // elsewhere do not count as trying an image.
          queryActivity({ type: "inference", limit: 1 }).then((p) => p.items[0] ?? null),
          "the activity log",
        ),
        timed(ws.compute.info(), "the Python check", 1500),
        timed(readManifest(ws.files), "the demo manifest"),
        timed(evaluatedRuns(kv), "the evaluation store"),
      ]);
  const val = <T>(
    r: PromiseSettledResult<T>,
  ): T | null => (r.status === "fulfilled" ? r.value : null);
  const why = (r: PromiseSettledResult<unknown>) =>
    r.status === "rejected" ? ` (could not check: ${errorMessage(r.reason)})` : "";

  const active = val(activeR);
  const saved = val(savedR) ?? [];
  const demoSpec = active ? DEMO_CONFIGS.find((c) => c.name === active.name) : undefined;
  const planted = demoSpec
    ? (val(manifestR)?.datasets.find((d) => d.id === demoSpec.dataset)?.planted.length ?? 0)
    : 0;
  const scanSeen = val(scanR);
  // With an active config, the step is its dataset's scan; a scan of another dataset is not it.
  const activePaths = active
    ? configSplits((active.doc.data ?? {}) as Record<string, unknown>).map((s) => s.path)
    : [];
  const scan = scanSeen && activePaths.length
    ? await timed(scanOf(scanSeen, activePaths), "the scan cache").catch(() => null)
    : scanSeen?.result ?? null;
  const otherScan = !scan && activePaths.length ? scanSeen?.result ?? null : null;
  const allRuns = val(runsR) ?? [];
  const succeeded = allRuns.find((r) => r.status === "succeeded");
  const evaluatedIds = val(evaluatedR) ?? [];
  const evaluated = evaluatedIds.length
    ? allRuns.find((r) => evaluatedIds.includes(r.id)) ?? null
    : null;
  const models = val(modelsR) ?? [];
  const endpoints = val(endpointsR) ?? [];
  const ready = endpoints.filter((e) => e.state === "READY");
  const tried = val(triedR);

  const steps: Step[] = [];
  steps.push({
    id: "config",
    title: "Choose a configuration",
    done: Boolean(active),
    detail: active
      ? `${active.name} v${active.version} (${
        active.task.replace(/_/g, " ")
      }, ${active.model}) is active.`
      : `Open a demo configuration below and press Activate; Data EDA and Training then use it.${
        why(activeR)
      }`,
    href: active ? `/configs/${encodeURIComponent(active.name)}` : "/configs",
    action: active ? "Open the active configuration" : "Open configurations",
    need: null,
    available: true,
  });
  if (scan) {
    const errors = scan.problems.filter((p) => p.severity === "error").length;
    const total = Object.values(scan.problemCounts).reduce((a, b) => a + b, 0);
    const src = scan.splits[0]?.sources[0] ?? "";
    steps.push({
      id: "scan",
      title: "Scan its dataset",
      done: true,
      detail: `Last scan: ${total} problem${total === 1 ? "" : "s"} found (${errors} error${
        errors === 1 ? "" : "s"
      }) in ${scan.splits.map((s) => `${s.name} ${s.stats.images} images`).join(", ")}${
        src ? ` — ${src}` : ""
      }.`,
      href: "/data",
      action: "Open Data EDA",
      need: null,
      available: true,
    });
  } else {
    steps.push({
      id: "scan",
      title: "Scan its dataset",
      done: Boolean(scanSeen?.any) && !active,
      detail: otherScan
        ? `The last scan (${otherScan.splits[0]?.sources[0] ?? "another dataset"}) is not of ${
          active!.name
        }'s dataset: open Data EDA and scan its splits.`
        : scanSeen?.any && !active
        ? "Scan results are stored; open Data EDA to see them."
        : (active
          ? `Open Data EDA and scan all of ${active.name}'s splits together${
            planted ? `: the demo planted ${planted} annotation problems for it to find` : ""
          }.`
          : "Scan a dataset to see its statistics and every annotation problem.") + why(scanR),
      href: "/data",
      action: "Open Data EDA",
      need: null,
      available: true,
    });
  }
  const latest = allRuns[0];
  steps.push({
    id: "train",
    title: "Launch a training run",
    done: Boolean(latest),
    detail: latest
      ? `${allRuns.length} run${
        allRuns.length === 1 ? "" : "s"
      }; latest: ${latest.name} (${latest.config.name}) — ${latest.status}.`
      : `Launch the active configuration locally (a demo run takes a few minutes on a CPU) or on a Databricks GPU cluster.${
        why(runsR)
      }`,
    href: latest ? "/training" : "/training/new",
    action: latest ? "Open Training" : "Launch a run",
    need: "python",
    available: true,
  });
  const shown = evaluated ?? succeeded;
  const metric = shown
    ? Object.entries(shown.lastMetrics ?? {}).find(([k]) =>
      ["eval_map", "eval_accuracy", "eval_miou", "eval_pq"].includes(k)
    ) ?? Object.entries(shown.lastMetrics ?? {}).find(([k]) => k.startsWith("eval_"))
    : undefined;
  const metricText = metric ? `${metric[0]} ${fmtMetric(metric[1])}` : "";
  steps.push({
    id: "evaluate",
    title: "Evaluate the run",
    // Done once Lakevision computed a run's evaluation (the Evaluation page caches it).
    done: evaluatedIds.length > 0,
    detail: evaluatedIds.length
      ? `${evaluated ? evaluated.name : `Run ${evaluatedIds[0]}`} was evaluated${
        evaluated && metricText ? ` (${metricText})` : ""
      }.`
      : succeeded
      ? `${succeeded.name} finished${
        metricText ? ` (${metricText})` : ""
      }: open it in Evaluation for exact metrics, per-class tables and confusion matrices.`
      : "When a run succeeds, see its exact metrics, per-class tables and confusion matrices." +
        why(evaluatedR),
    href: shown ? `/evaluation?runs=${encodeURIComponent(shown.id)}` : "/evaluation",
    action: "Open Evaluation",
    need: null,
    available: available("evaluation"),
  });
  steps.push({
    id: "register",
    title: "Register the model",
    done: models.length > 0,
    detail: models.length
      ? `${models.length} registered model${models.length === 1 ? "" : "s"}, e.g. ${
        models[0].name
      }.`
      : `Register the trained model with a version and an alias.${why(modelsR)}`,
    href: "/models",
    action: "Open Model Registry",
    need: null,
    available: available("models"),
  });
  steps.push({
    id: "deploy",
    title: "Deploy an endpoint",
    done: ready.length > 0,
    detail: ready.length
      ? `Endpoint ${ready[0].name} is ready.`
      : endpoints.length
      ? `Endpoint ${endpoints[0].name} is ${endpoints[0].state.toLowerCase().replace("_", " ")}.`
      : `Serve a registered version on an endpoint.${why(endpointsR)}`,
    href: "/deployments",
    action: "Open Deployment",
    need: null,
    available: available("deployments"),
  });
  steps.push({
    id: "try",
    title: "Try an image",
    done: Boolean(tried),
    detail: tried
      ? `${tried.who} ${tried.what} (${tried.subject}).`
      : "Send a picture to the model and see its boxes, labels or masks drawn on it.",
    href: "/inference",
    action: "Open the Inference Playground",
    need: null,
    available: available("inference"),
  });

  const savedNames = new Set(saved.map((c) => c.name));
  const configs: DemoConfigRow[] = DEMO_CONFIGS.map((c) => ({
    name: c.name,
    task: c.task,
    model: c.model,
    local: c.local,
    saved: savedNames.has(c.name),
    active: active?.name === c.name,
    dataset: `${DEMO_VOLUME}/${c.dataset}`,
  }));

  let python: PythonState;
  const info = val(pyR);
  // The Python found here only matters where jobs run here.
  if (!ws.traits.jobsRunHere) {
    python = { checked: true, torch: true, detail: "Runs go to Databricks clusters." };
  } else if (!info) {
    python = {
      checked: false,
      torch: false,
      detail: "Still looking for Python; reload in a moment.",
    };
  } else if (info.python?.torch) {
    python = {
      checked: true,
      torch: true,
      detail:
        `Found ${info.python.path} (Python ${info.python.version}) with torch ${info.python.torch}` +
        `${
          info.python.torchvision
            ? ` and torchvision ${info.python.torchvision}`
            : ", but no torchvision"
        }.`,
    };
  } else {
    python = {
      checked: true,
      torch: false,
      detail: info.python
        ? `${info.python.path} (Python ${info.python.version}) has no PyTorch.`
        : "No Python 3 was found.",
    };
  }
  const next = steps.findIndex((s) => !s.done);
  return {
    steps,
    configs,
    python,
    workspaceKind: ws.kind,
    next: next === -1 ? steps.length : next,
  };
}
