import { Page } from "@/components/Page.tsx";
import { MAX_DECODE_PIXELS } from "@/lib/image/budget.ts";
import { listChoices, type ModelChoice } from "@/lib/inference/playground_models.ts";
import { DEFAULT_MAX_BYTES } from "@/lib/inference/url_fetch.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { stage } from "@/lib/stages.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";
import PlaygroundInputs from "@/islands/PlaygroundInputs.tsx";
import PlaygroundModel from "@/islands/PlaygroundModel.tsx";
import PlaygroundResults from "@/islands/PlaygroundResults.tsx";

interface Data {
  choices: ModelChoice[];
  problems: string[];
  initial: { key?: string; backend?: "wasm" | "webgpu" | "endpoint"; compareKey?: string };
  /** What the deep link asked for that is not here. */
  linkProblem?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const { choices, problems } = await listChoices(registryContext(ctx.state));
    const { initial, linkProblem } = fromDeepLink(ctx.url.searchParams, choices);
    return ctx.render({ choices, problems, initial, linkProblem });
  },
};

/** The Inference Playground: choose a model, add images, see its answers drawn on them. */
export default function PlaygroundPage({ data }: PageProps<Data>) {
  const s = stage("inference");
  return (
    <Page title={s.title} description={s.summary}>
      {data.problems.length > 0 && (
        <p role="alert" class="mb-4 rounded bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Some models could not be listed: {data.problems.join(" · ")}
        </p>
      )}
      {data.linkProblem && (
        <p role="alert" class="mb-4 rounded bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {data.linkProblem}
        </p>
      )}
      <PlaygroundModel
        choices={data.choices}
        initial={data.initial}
        maxPixels={MAX_DECODE_PIXELS}
      />
      <PlaygroundInputs urlMaxBytes={DEFAULT_MAX_BYTES} />
      <PlaygroundResults emptyHint="Results appear here, drawn on each image, once a run finishes." />
      <details class="mt-8 text-sm text-slate-600">
        <summary class="cursor-pointer">How the Playground runs models</summary>
        <ul class="ml-5 mt-2 list-disc space-y-1">
          <li>
            In the browser, onnxruntime-web runs on WASM by default. WebGPU is offered only when the
            browser returns a GPU adapter, and it is often slower than WASM for small models;
            whichever backend actually ran is shown, and a WebGPU failure says that WASM ran.
          </li>
          <li>
            Pre- and post-processing are the same code the server's endpoint uses, so answers agree.
            The first run of a model (warm-up) is timed apart from the images.
          </li>
          <li>
            Model files are cached in this browser keyed by their checksum and checked again on
            every load. Endpoint calls go through this server; no token reaches the browser.
          </li>
          <li>
            Share a setup with a link:{" "}
            <code>/inference?model=catalog.schema.model&version=1&backend=wasm</code> (or{" "}
            <code>backend=webgpu</code>, <code>backend=endpoint:name</code>).
          </li>
        </ul>
      </details>
    </Page>
  );
}

/**
 * `?model=&version=&backend=wasm|webgpu|endpoint:<name>` (and `run=`, `compare=`) → choices.
 * `model` may also be a choice key (`version:<name>:<n>`, `run:<id>`, `endpoint:<name>`), as
 * History links to a Playground session.
 */
function fromDeepLink(q: URLSearchParams, choices: ModelChoice[]) {
  const initial: Data["initial"] = {};
  let linkProblem: string | undefined;
  const rawModel = q.get("model")?.trim();
  const model = rawModel?.toLowerCase();
  const version = q.get("version")?.trim();
  const backend = q.get("backend")?.trim() ?? "";
  const has = (key: string) => choices.some((c) => c.key === key);
  if (rawModel && /^(version|run|endpoint):/.test(rawModel)) {
    if (has(rawModel)) initial.key = rawModel;
    else linkProblem = `The link asks for ${rawModel}, which is not offered here.`;
  } else if (model) {
    const versions = choices.filter((c) => c.kind === "version" && c.name === model);
    const pick = version ? versions.find((c) => c.version === version) : versions[0];
    if (pick) initial.key = pick.key;
    else {
      linkProblem = `The link asks for ${model}${
        version ? ` version ${version}` : ""
      }, which has no version with model files here.`;
    }
  } else if (q.get("run")) {
    const key = `run:${q.get("run")}`;
    if (has(key)) initial.key = key;
    else linkProblem = `The link asks for run ${q.get("run")}, which has no exported model here.`;
  }
  if (backend.startsWith("endpoint:")) {
    const key = `endpoint:${backend.slice(9)}`;
    if (!has(key)) {
      linkProblem = `The link asks for endpoint ${backend.slice(9)}, which is not here.`;
    } // A model and an endpoint: the model in the browser, compared with the endpoint.
    else if (initial.key) initial.compareKey = key;
    else initial.key = key;
    initial.backend = initial.key === key ? "endpoint" : "wasm";
  } else if (backend === "webgpu" || backend === "wasm") initial.backend = backend;
  const compare = q.get("compare");
  if (compare && has(compare) && !initial.compareKey) initial.compareKey = compare;
  return { initial, linkProblem };
}
