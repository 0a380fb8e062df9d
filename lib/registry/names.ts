/**
 * Unity Catalog's naming rules for registered models and MLflow's for aliases, checked the same
 * way in both workspaces (browser-safe: no Deno APIs), so a name that works locally also works
 * on Databricks.
 */
import { plural } from "@/lib/format.ts";

/** Longest identifier Unity Catalog accepts for a catalog, schema or model. */
export const MAX_IDENTIFIER = 255;

/** Problems with a three-level model name, empty when it is valid. */
export function modelNameProblems(name: string): string[] {
  const parts = name.split(".");
  if (parts.length !== 3) {
    return [
      `"${clip(name)}" has ${plural(parts.length, "part")}; a Unity Catalog model name is ` +
      "catalog.schema.model (three parts separated by dots).",
    ];
  }
  const out: string[] = [];
  const labels = ["catalog", "schema", "model"];
  parts.forEach((p, i) => {
    if (!p) out.push(`The ${labels[i]} part is empty.`);
    else if (p.length > MAX_IDENTIFIER) {
      out.push(`The ${labels[i]} part is ${p.length} characters; the limit is ${MAX_IDENTIFIER}.`);
    } else if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(p)) {
      out.push(
        `The ${labels[i]} part "${clip(p)}" may hold only letters, digits, _ and - ` +
          "(and must not start with -).",
      );
    }
  });
  return out;
}

/** Unity Catalog stores names in lower case: `Main.CV.Detector` is `main.cv.detector`. */
export function normalizeModelName(name: string): string {
  return name.trim().toLowerCase();
}

/** Problems with an alias name, empty when it is valid. */
export function aliasProblems(alias: string): string[] {
  if (!alias) return ["The alias is empty."];
  if (alias.length > MAX_IDENTIFIER) {
    return [`The alias is ${alias.length} characters; the limit is ${MAX_IDENTIFIER}.`];
  }
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(alias)) {
    return [`Alias "${clip(alias)}" must start with a letter or _ and hold letters, digits, _, -.`];
  }
  if (alias.toLowerCase() === "latest") return ['"latest" is reserved by MLflow.'];
  if (/^v\d+$/i.test(alias)) {
    return [`"${alias}" looks like a version reference (v<N>), which MLflow reserves.`];
  }
  return [];
}

/** The seed's stage words and the aliases they map to (Unity Catalog has aliases, not stages). */
export const STAGE_ALIASES: { stage: string; alias: string; meaning: string }[] = [
  { stage: "Production", alias: "champion", meaning: "the version that serves" },
  { stage: "Staging", alias: "challenger", meaning: "the version being tried against it" },
];

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
