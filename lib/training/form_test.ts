import { assertEquals } from "@/tests/assert.ts";
import { launchConfigPath, launchFromForm } from "./form.ts";
import { MAX_RUN_NAME } from "./status.ts";

const V = "/Volumes/main/cv/data";
const configs = [
  { name: "det", versions: [3, 2, 1], active: null },
  { name: "cls", versions: [2, 1], active: 1 },
];

Deno.test("[launch form] the preview names the config file of the version that will run", () => {
  assertEquals(launchConfigPath({ config: "det@2" }, configs, V), `${V}/configs/det/v2.yaml`);
  // a name alone runs its newest version
  assertEquals(launchConfigPath({ config: "det" }, configs, `${V}/`), `${V}/configs/det/v3.yaml`);
  // nothing picked: the active version
  assertEquals(launchConfigPath({ config: "" }, configs, V), `${V}/configs/cls/v1.yaml`);
  // a YAML file by path becomes a version of the config named after the file, numbered at launch
  assertEquals(
    launchConfigPath({ config: "det@2", configPath: " /Volumes/a/b/c/My Run.yaml " }, configs, V),
    `${V}/configs/my-run/v<N>.yaml`,
  );
  // no configs at all: nothing to name yet
  assertEquals(launchConfigPath({}, [], V), `${V}/configs/<name>/v<N>.yaml`);
});

Deno.test("[launch form] a run name is trimmed, and one over the limit is a field problem, never cut", () => {
  const ok = launchFromForm({ compute: "local", config: "det@1", name: "  first try  " });
  assertEquals(ok.request?.name, "first try");
  const long = "x".repeat(MAX_RUN_NAME + 1);
  const bad = launchFromForm({ compute: "local", config: "det@1", name: long });
  assertEquals(bad.request, undefined);
  assertEquals(
    bad.problems.name,
    `must be at most ${MAX_RUN_NAME} characters (this one has ${MAX_RUN_NAME + 1})`,
  );
  const exact = launchFromForm({
    compute: "local",
    config: "det@1",
    name: "y".repeat(MAX_RUN_NAME),
  });
  assertEquals(exact.request?.name?.length, MAX_RUN_NAME);
});
