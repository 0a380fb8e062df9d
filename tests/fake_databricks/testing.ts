/**
 * Test harness: a fake workspace plus a DatabricksWorkspace pointed at it, with a clock whose
 * sleeps return at once (recording how long the client wanted to wait).
 *
 *   await using t = await setupFake();
 *   await t.ws.files.write("/Volumes/main/cv/data/a.txt", "hi");
 */
import {
  DatabricksWorkspace,
  type DatabricksWorkspaceSettings,
} from "@/lib/workspace/databricks/databricks_workspace.ts";
import type { Clock } from "@/lib/workspace/databricks/http.ts";
import { FakeDatabricks, type FakeOptions } from "./server.ts";

/** A clock that only moves when the client sleeps; every sleep is recorded. */
export class FakeClock implements Clock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    return Promise.resolve();
  }
}

export const PAT = "dapi-test-token";
export const VOLUME = "/Volumes/main/cv/data";

export interface Harness extends AsyncDisposable {
  fake: FakeDatabricks;
  ws: DatabricksWorkspace;
  clock: FakeClock;
}

/** Starts a fake with volume main.cv.data and a PAT, and a workspace using them. */
export async function setupFake(
  settings: Partial<DatabricksWorkspaceSettings> = {},
  fakeOpts: FakeOptions = {},
): Promise<Harness> {
  const fake = await FakeDatabricks.start(fakeOpts);
  fake.addToken(PAT, { userName: "dev@example.com", displayName: "Dev" });
  await fake.files.addVolume("main.cv.data");
  const clock = new FakeClock();
  const ws = new DatabricksWorkspace({
    host: fake.url,
    token: PAT,
    volume: "main.cv.data",
    catalog: "main",
    schema: "cv",
    timeoutMs: 30_000,
    ...settings,
  }, { clock, random: () => 0.5 });
  return {
    fake,
    ws,
    clock,
    async [Symbol.asyncDispose]() {
      await fake.close();
    },
  };
}
