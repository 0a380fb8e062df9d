/** The local workspace as a whole: what it adds to its parts. */
import { assert, assertEquals } from "@/tests/assert.ts";
import { createLocalWorkspace } from "./workspace.ts";

const VOL = "/Volumes/main/cv/data";

Deno.test("[local workspace] hidePaths writes the data folder's paths as volume paths", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lakevision-local-hide-" });
  try {
    const ws = createLocalWorkspace({ dataDir: dir, volume: VOL });
    assert(ws.hidePaths, "the local workspace hides its folders");
    assertEquals(
      ws.hidePaths(`no such file: ${dir}/volumes/main/cv/data/x.yaml (in ${dir}/cache)`),
      `no such file: ${VOL}/x.yaml (in <data folder>/cache)`,
    );
    assertEquals(ws.hidePaths("nothing to hide"), "nothing to hide");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
