import { assertEquals, assertThrows } from "./assert.ts";
import { loadSettings, SettingsError } from "@/fresh.config.ts";

Deno.test("[settings] defaults give the local workspace on port 8000", () => {
  const s = loadSettings({});
  assertEquals(s.port, 8000);
  assertEquals(s.workspace, "local");
  assertEquals(s.dataDir, "./.lakevision");
  assertEquals(s.maxBodyBytes, 64 * 1024 * 1024);
});

Deno.test("[settings] Databricks Apps' port and app name switch to databricks mode", () => {
  const s = loadSettings({
    PORT: "9000",
    DATABRICKS_APP_PORT: "8080",
    DATABRICKS_APP_NAME: "lakevision",
    DATABRICKS_HOST: "adb-1.azuredatabricks.net",
  });
  assertEquals(s.port, 8080);
  assertEquals(s.workspace, "databricks");
  assertEquals(s.hostname, "0.0.0.0");
});

Deno.test("[settings] a bad value stops start-up naming the variable", () => {
  assertThrows(() => loadSettings({ PORT: "eighty" }), SettingsError, "PORT");
  assertThrows(
    () => loadSettings({ LAKEVISION_WORKSPACE: "cloud" }),
    SettingsError,
    "LAKEVISION_WORKSPACE",
  );
  assertThrows(
    () => loadSettings({ LAKEVISION_VOLUME: "/tmp/x" }),
    SettingsError,
    "LAKEVISION_VOLUME",
  );
  assertThrows(
    () => loadSettings({ LAKEVISION_WORKSPACE: "databricks" }),
    SettingsError,
    "needs DATABRICKS_HOST",
  );
});
