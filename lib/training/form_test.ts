import { assertEquals } from "@/tests/assert.ts";
import { launchConfigPath } from "./form.ts";

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
