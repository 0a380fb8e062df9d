/**
 * One test per rule where the fake refuses or omits what a real workspace refuses or omits
 * (Databricks SDK request/response shapes), so the adapter cannot pass on a misunderstanding.
 */
import { assert, assertEquals } from "../assert.ts";
import { FakeDatabricks } from "./server.ts";
import { TASK_PAGE } from "./jobs_routes.ts";

async function start(): Promise<FakeDatabricks & AsyncDisposable> {
  const fake = await FakeDatabricks.start();
  fake.addToken("pat", { userName: "dev@example.com" });
  return Object.assign(fake, { [Symbol.asyncDispose]: () => fake.close() });
}

function call(fake: FakeDatabricks, path: string, init: RequestInit = {}, token = "pat") {
  return fetch(fake.url + path, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => ({})) }));
}

const TASK = {
  task_key: "main",
  spark_python_task: { python_file: "/Workspace/x/train.py" },
  new_cluster: { spark_version: "15.4.x-gpu-ml-scala2.12", node_type_id: "g5.xlarge" },
};

function submit(fake: FakeDatabricks, body: Record<string, unknown>) {
  return call(fake, "/api/2.2/jobs/runs/submit", { method: "POST", body: JSON.stringify(body) });
}

Deno.test("[fake_databricks/strict] runs/submit refuses unknown fields (top level, task, cluster, library) with INVALID_PARAMETER_VALUE", async () => {
  await using fake = await start();
  for (
    const body of [
      { run_name: "x", tasks: [TASK], experiment: "/Shared/x" },
      { run_name: "x", tasks: [{ ...TASK, env: {} }] },
      { run_name: "x", tasks: [{ ...TASK, new_cluster: { ...TASK.new_cluster, gpus: 1 } }] },
      { run_name: "x", tasks: [{ ...TASK, libraries: [{ pip: "onnx" }] }] },
    ]
  ) {
    const r = await submit(fake, body);
    assertEquals([r.status, r.body.error_code], [400, "INVALID_PARAMETER_VALUE"], r.body.message);
    assert(/unknown field/.test(r.body.message), r.body.message);
  }
  const ok = await submit(fake, {
    run_name: "x",
    tasks: [{ ...TASK, libraries: [{ requirements: "/Workspace/x/requirements.txt" }] }],
  });
  assertEquals(ok.status, 200);
});

Deno.test("[fake_databricks/strict] runs/submit checks spark_python_task and each library as the SDK's types have them", async () => {
  await using fake = await start();
  const py = TASK.spark_python_task;
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ ...TASK, spark_python_task: { ...py, env: { A: "1" } } }, /unknown field 'env'/],
    [{ ...TASK, spark_python_task: { parameters: ["--a"] } }, /python_file is required/],
    [{ ...TASK, spark_python_task: { ...py, parameters: ["--top-k", 3] } }, /list of strings/],
    [{ ...TASK, spark_python_task: { ...py, source: "VOLUME" } }, /WORKSPACE or GIT/],
    [{ ...TASK, libraries: [{ pypi: { name: "onnxruntime" } }] }, /unknown field 'name'/],
    [{ ...TASK, libraries: [{ pypi: {} }] }, /needs 'package'/],
    [{ ...TASK, libraries: [{ pypi: "onnxruntime" }] }, /must be an object/],
    [{ ...TASK, libraries: [{ requirements: { path: "/r.txt" } }] }, /must be a path/],
  ];
  for (const [task, why] of refused) {
    const r = await submit(fake, { run_name: "x", tasks: [task] });
    assertEquals([r.status, r.body.error_code], [400, "INVALID_PARAMETER_VALUE"], r.body.message);
    assert(why.test(r.body.message), r.body.message);
  }
  const ok = await submit(fake, {
    run_name: "x",
    tasks: [{
      ...TASK,
      spark_python_task: { ...py, parameters: ["--top-k", "3"], source: "WORKSPACE" },
      libraries: [
        { pypi: { package: "onnxruntime", repo: "https://pypi.org/simple" } },
        { requirements: "/Workspace/x/requirements.txt" },
        { maven: { coordinates: "a:b:1", exclusions: ["c:d"] } },
      ],
    }],
  });
  assertEquals(ok.status, 200, ok.body.message);
});

Deno.test("[fake_databricks/strict] runs/list returns tasks only with expand_tasks=true, and pages with page_token", async () => {
  await using fake = await start();
  for (let i = 0; i < 23; i++) await submit(fake, { run_name: `r${i}`, tasks: [TASK] });
  const plain = await call(fake, "/api/2.2/jobs/runs/list?run_type=SUBMIT_RUN");
  assertEquals(plain.body.runs.length, 20, "default page size is 20");
  assert(plain.body.runs.every((r: { tasks?: unknown }) => r.tasks === undefined), "no tasks");
  const expanded = await call(
    fake,
    `/api/2.2/jobs/runs/list?expand_tasks=true&page_token=${plain.body.next_page_token}`,
  );
  assertEquals(expanded.body.runs.length, 3);
  assertEquals(expanded.body.runs[0].tasks[0].task_key, "main");
  assertEquals(expanded.body.next_page_token, undefined);
  assertEquals((await call(fake, "/api/2.2/jobs/runs/list?limit=26")).status, 400);
});

Deno.test("[fake_databricks/strict] runs/get pages tasks by 100 with next_page_token", async () => {
  await using fake = await start();
  const tasks = Array.from({ length: 150 }, (_, i) => ({ ...TASK, task_key: `t${i}` }));
  const { body: { run_id } } = await submit(fake, { run_name: "many", tasks });
  const first = await call(fake, `/api/2.2/jobs/runs/get?run_id=${run_id}`);
  assertEquals([first.body.tasks.length, first.body.has_more], [TASK_PAGE, true]);
  const second = await call(
    fake,
    `/api/2.2/jobs/runs/get?run_id=${run_id}&page_token=${first.body.next_page_token}`,
  );
  assertEquals([second.body.tasks.length, second.body.has_more], [50, false]);
  assertEquals(second.body.tasks[0].task_key, "t100");
});

Deno.test("[fake_databricks/strict] a Databricks Apps user token is refused outside its scopes, naming the scope", async () => {
  await using fake = await start();
  fake.addUserToken("user", "alice@example.com", ["files.files"]);
  await fake.files.addVolume("main.cv.data");
  const files = await call(fake, "/api/2.0/fs/directories/Volumes/main/cv/data", {}, "user");
  assertEquals(files.status, 200);
  const sql = await call(fake, "/api/2.0/sql/statements/abc", {}, "user");
  assertEquals([sql.status, sql.body.error_code], [403, "PERMISSION_DENIED"]);
  assert(sql.body.message.includes("required scopes: sql"), sql.body.message);
  // No user scope covers Jobs: even a user who may submit runs cannot with this token.
  const jobs = await submit(fake, { run_name: "x", tasks: [TASK] }).then(() =>
    call(fake, "/api/2.2/jobs/runs/list", {}, "user")
  );
  assertEquals(jobs.status, 403);
});

Deno.test("[fake_databricks/strict] UC list-models needs schema_name when catalog_name is given", async () => {
  await using fake = await start();
  const r = await call(fake, "/api/2.1/unity-catalog/models?catalog_name=main");
  assertEquals([r.status, r.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
  const ok = await call(fake, "/api/2.1/unity-catalog/models?catalog_name=main&schema_name=cv");
  assertEquals(ok.status, 200);
});

Deno.test("[fake_databricks/strict] multipart part URLs are cloud storage: a workspace token there is refused", async () => {
  await using fake = await start();
  await fake.files.addVolume("main.cv.data");
  const path = "/Volumes/main/cv/data/big.bin";
  const init = await call(fake, `/api/2.0/fs/files${path}?action=initiate-upload&overwrite=true`, {
    method: "POST",
  });
  const token = init.body.multipart_upload.session_token;
  const urls = await call(fake, "/api/2.0/fs/create-upload-part-urls", {
    method: "POST",
    body: JSON.stringify({
      path,
      session_token: token,
      start_part_number: 1,
      count: 1,
      expire_time: new Date(Date.now() + 3600_000).toISOString(),
    }),
  });
  const url = urls.body.upload_part_urls[0].url;
  const withAuth = await fetch(url, {
    method: "PUT",
    body: "x",
    headers: { authorization: "Bearer pat" },
  });
  assertEquals(withAuth.status, 400);
  await withAuth.body?.cancel();
  const plain = await fetch(url, { method: "PUT", body: "x" });
  assertEquals(plain.status, 200);
  assert(plain.headers.get("etag"));
});
