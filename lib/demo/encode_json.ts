/** Stable, compact-but-readable JSON for annotation files (one record per line). */
const enc = new TextEncoder();

/** COCO-style JSON: top-level keys on their own lines, list items one per line. */
export function cocoJson(doc: Record<string, unknown>): Uint8Array {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    if (Array.isArray(v)) {
      parts.push(
        `${JSON.stringify(k)}: [\n${v.map((x) => "  " + JSON.stringify(x)).join(",\n")}\n]`,
      );
    } else {
      parts.push(`${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    }
  }
  return enc.encode(`{\n${parts.join(",\n")}\n}\n`);
}

/** UTF-8 bytes of a text file. */
export function text(s: string): Uint8Array {
  return enc.encode(s);
}
