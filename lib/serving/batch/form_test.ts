/**
 * The batch form: its fields as a request (the version from the select, an endpoint instead of
 * it, numbers as typed) and each refused field's sentence placed beside that field.
 */
import { assertEquals } from "@/tests/assert.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { batchFieldErrors, batchRequestFromForm } from "./form.ts";
import { parseBatchRequest } from "./service.ts";

const DIR = "/Volumes/main/cv/data/photos";

Deno.test("[batch form] the version comes from the select, an endpoint replaces it, numbers stay as typed", () => {
  const r = batchRequestFromForm({ ref: "main.cv.tiny@3", input_path: DIR, top_k: " 5 " });
  assertEquals([r.model, r.version, r.endpoint], ["main.cv.tiny", "3", undefined]);
  assertEquals(r.params, { confidence_threshold: undefined, top_k: 5 });
  assertEquals(r.input, { kind: "folder", path: DIR });
  const e = batchRequestFromForm({ ref: "main.cv.tiny@3", endpoint: "tiny-ep", input_path: DIR });
  assertEquals([e.model, e.version, e.endpoint], [undefined, undefined, "tiny-ep"]);
  const plain = batchRequestFromForm({ model: "main.cv.tiny", version: "2", input_path: DIR });
  assertEquals([plain.model, plain.version], ["main.cv.tiny", "2"]);
  assertEquals(batchRequestFromForm({ confidence_threshold: "high" }).params, {
    confidence_threshold: "high" as unknown as number,
    top_k: undefined,
  });
});

Deno.test("[batch form] each problem is a sentence beside the field it is about", () => {
  const fields = (form: Record<string, string>) => {
    try {
      parseBatchRequest(batchRequestFromForm(form));
    } catch (e) {
      if (!(e instanceof BadRequestError)) throw e;
      return batchFieldErrors(e.details as { path: string; message: string }[]);
    }
    return {};
  };
  assertEquals(
    fields({ ref: "m.s.x@1", input_path: DIR, confidence_threshold: "5", top_k: "0.5" }),
    {
      confidence_threshold: "confidence threshold must be between 0 and 1, got 5",
      top_k: "top-k must be a whole number from 1 to 1,000, got 0.5",
    },
  );
  assertEquals(fields({ ref: "m.s.x@1", input_path: DIR, confidence_threshold: "high" }), {
    confidence_threshold: 'confidence threshold must be between 0 and 1, got "high"',
  });
  assertEquals(fields({ model: "m.s.x", version: "abc", input_path: "/etc" }), {
    ref: 'version must be a version number such as 3, got "abc"',
    input_path:
      'input folder must be a path in a volume (/Volumes/<catalog>/<schema>/<volume>/...), got "/etc"',
  });
  assertEquals(
    fields({
      ref: "m.s.x@1",
      input_path: DIR,
      output_path: `${DIR}/out.csv`,
      node_type: "x".repeat(101),
    }),
    {
      output_path: `output file must end in .jsonl or .parquet, got "${DIR}/out.csv"`,
      node_type: "node type is 101 characters long; at most 100",
    },
  );
  assertEquals(fields({ ref: "m.s.x@1", input_path: "/Volumes/a".padEnd(1200, "b") }), {
    input_path: "input folder is 1,200 characters long; at most 1,000",
  });
  assertEquals(batchFieldErrors([{ path: "idempotencyToken", message: "x" }]), {});
});
