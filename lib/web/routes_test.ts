import { assertEquals, assertThrows } from "@/tests/assert.ts";
import { buildRouteTable, patternFor } from "./routes.ts";

Deno.test("[routes] file paths map to Fresh URL patterns", () => {
  assertEquals(patternFor("index.tsx").pattern, "/");
  assertEquals(patternFor("configs/index.tsx").pattern, "/configs");
  assertEquals(patternFor("training/[runId].tsx"), {
    pattern: "/training/:runId",
    params: ["runId"],
    rank: [0, 1],
  });
  assertEquals(patternFor("files/[...path].tsx").pattern, "/files/:path{.+}");
  assertEquals(patternFor("(marketing)/about.tsx").pattern, "/about");
  assertEquals(patternFor("api/workspace/health.ts").pattern, "/api/workspace/health");
  assertThrows(() => patternFor("a/b c.tsx"), Error, "Unsupported route segment");
});

Deno.test("[routes] static routes sort before params and catch-alls; specials are found", () => {
  const t = buildRouteTable([
    "_app.tsx",
    "_404.tsx",
    "_500.tsx",
    "_layout.tsx",
    "training/_layout.tsx",
    "training/_middleware.ts",
    "training/[...rest].tsx",
    "training/[runId].tsx",
    "training/new.tsx",
    "training/new_test.ts",
    "index.tsx",
  ]);
  assertEquals(t.app, "_app.tsx");
  assertEquals(t.notFound, "_404.tsx");
  assertEquals(t.error, "_500.tsx");
  assertEquals(t.routes.map((r) => r.pattern), [
    "/",
    "/training/new",
    "/training/:runId",
    "/training/:rest{.+}",
  ]);
  const run = t.routes.find((r) => r.file === "training/[runId].tsx")!;
  assertEquals(run.layouts, ["_layout.tsx", "training/_layout.tsx"]);
  assertEquals(run.middlewares, ["training/_middleware.ts"]);
  assertEquals(t.routes.find((r) => r.file === "index.tsx")!.layouts, ["_layout.tsx"]);
});
