import { modelHref, When } from "@/components/registry/parts.tsx";
import type { EndpointDetail, EntityLogs } from "@/lib/serving/service.ts";
import type { Endpoint } from "@/lib/workspace/types.ts";
import { EndpointState, EntityState } from "./parts.tsx";

const LINK = "text-blue-700 hover:underline";

/** The served versions with their deployment state, size and share of the traffic. */
export function EntityTable({ endpoint: e }: { endpoint: Endpoint }) {
  return (
    <section class="rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="ent-title">
      <h2 id="ent-title" class="text-lg font-semibold text-slate-900 mb-2">Served versions</h2>
      <table class="w-full text-sm" aria-label="Served versions">
        <thead class="text-left text-slate-600">
          <tr>
            <th class="py-1 pr-3 font-medium whitespace-nowrap">Served entity</th>
            <th class="py-1 pr-3 font-medium">Version</th>
            <th class="py-1 pr-3 font-medium">State</th>
            <th class="py-1 pr-3 font-medium">Size</th>
            <th class="py-1 font-medium text-right">Traffic</th>
          </tr>
        </thead>
        <tbody>
          {e.entities.map((s) => (
            <tr key={`${s.model}@${s.version}`} class="border-t border-slate-100 align-top">
              <td class="py-1 pr-3 font-mono text-xs">{s.name ?? "—"}</td>
              <td class="py-1 pr-3">
                <a class={`${LINK} font-mono text-xs`} href={modelHref(s.model, s.version)}>
                  {s.model} v{s.version}
                </a>
              </td>
              <td class="py-1 pr-3">
                <EntityState s={s} />
                {s.stateMessage && <p class="text-xs text-slate-600 mt-1">{s.stateMessage}</p>}
              </td>
              <td class="py-1 pr-3 text-xs">
                {s.workloadType ?? "?"} {s.workloadSize ?? "?"}
                {s.scaleToZero ? ", scale to zero" : ""}
              </td>
              <td class="py-1 text-right tabular-nums font-medium" data-traffic={s.name}>
                {s.trafficPercent ?? 100}%
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** State, URL, creator, times, the local runtime (load, warm-up, provider) and lineage. */
export function EndpointFacts(
  { endpoint: e, lineage }: { endpoint: Endpoint; lineage: EndpointDetail["lineage"] },
) {
  const rt = e.runtime;
  return (
    <>
      <section class="rounded-lg border border-slate-200 bg-white p-4 text-sm">
        <h2 class="text-lg font-semibold text-slate-900 mb-2">Endpoint</h2>
        <dl class="grid grid-cols-3 gap-y-1">
          <dt class="text-slate-500">State</dt>
          <dd class="col-span-2">
            <EndpointState e={e} />
          </dd>
          <dt class="text-slate-500">URL</dt>
          <dd class="col-span-2 font-mono text-xs break-all" data-url>{e.url ?? "—"}</dd>
          <dt class="text-slate-500">Creator</dt>
          <dd class="col-span-2">{e.creator ?? "—"}</dd>
          <dt class="text-slate-500">Created</dt>
          <dd class="col-span-2">
            <When ms={e.createdAt} />
          </dd>
          <dt class="text-slate-500">Updated</dt>
          <dd class="col-span-2">
            <When ms={e.updatedAt} />
          </dd>
          <dt class="text-slate-500">Inference tables</dt>
          <dd class="col-span-2">{e.inferenceTables ? "on" : "off"}</dd>
          {e.routeOptimized && (
            <>
              <dt class="text-slate-500">Route-optimized</dt>
              <dd class="col-span-2">yes (its own invocation host)</dd>
            </>
          )}
        </dl>
        <p class="mt-2 text-xs text-slate-500">
          Calls from the browser go through this app (/api/endpoints/{e.name}/invoke); no token
          reaches the browser.
        </p>
      </section>
      {rt && (
        <section class="rounded-lg border border-slate-200 bg-white p-4 text-sm" data-runtime>
          <h2 class="text-lg font-semibold text-slate-900 mb-2">Runtime (this machine)</h2>
          <dl class="grid grid-cols-3 gap-y-1">
            <dt class="text-slate-500">Model</dt>
            <dd class="col-span-2">{rt.loaded ? "loaded" : "not loaded"}</dd>
            <dt class="text-slate-500">Provider</dt>
            <dd class="col-span-2 font-mono text-xs" data-provider>{rt.provider ?? "—"}</dd>
            <dt class="text-slate-500">Load</dt>
            <dd class="col-span-2 tabular-nums">{ms(rt.loadMs)}</dd>
            <dt class="text-slate-500">Warm-up</dt>
            <dd class="col-span-2 tabular-nums">{ms(rt.warmupMs)}</dd>
            <dt class="text-slate-500">Idle unload</dt>
            <dd class="col-span-2">
              {rt.idleUnloadMinutes ? `after ${rt.idleUnloadMinutes} min idle` : "never"}
            </dd>
          </dl>
        </section>
      )}
      <section class="rounded-lg border border-slate-200 bg-white p-4 text-sm">
        <h2 class="text-lg font-semibold text-slate-900 mb-2">Lineage</h2>
        <ol class="space-y-1" aria-label="Lineage">
          {lineage.map((l) => (
            <li key={`${l.model}@${l.version}`}>
              <a class={`${LINK} font-mono text-xs`} href={modelHref(l.model, l.version)}>
                {l.model} v{l.version}
              </a>
              {" ← run "}
              {l.runId
                ? (
                  <a
                    class={`${LINK} font-mono text-xs`}
                    href={`/training/${encodeURIComponent(l.runId)}`}
                  >
                    {l.runId}
                  </a>
                )
                : <span class="text-slate-500">none recorded (imported)</span>}
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}

/** Build and server logs per served entity, or a plain line when the workspace keeps none. */
export function LogsPanel({ logs }: { logs: EntityLogs[] }) {
  return (
    <section class="rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="logs-title">
      <h2 id="logs-title" class="text-lg font-semibold text-slate-900 mb-2">Logs</h2>
      {logs.map((l) => (
        <div key={l.entity} class="mb-3 text-sm" data-logs={l.entity}>
          <h3 class="font-mono text-xs text-slate-700 mb-1">{l.entity}</h3>
          {l.error && <p class="text-red-700">The logs could not be read: {l.error}</p>}
          {(["build", "server"] as const).map((k) =>
            l[k] === null
              ? !l.error && (
                <p key={k} class="text-slate-600">
                  No {k} logs: this workspace keeps none for this endpoint.
                </p>
              )
              : (
                <details key={k} open={k === "server"}>
                  <summary class="cursor-pointer text-blue-700">{k} log</summary>
                  <pre class="mt-1 max-h-72 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-900 p-3 text-xs text-slate-100">{l[k] || "(empty)"}</pre>
                </details>
              )
          )}
        </div>
      ))}
    </section>
  );
}

function ms(v: number | undefined): string {
  return v === undefined ? "—" : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`;
}
