import { assert, assertEquals } from "@/tests/assert.ts";
import { errorFromResponse, hintFor, parseErrorBody } from "./api_error.ts";

const H = new Headers();

Deno.test("[api_error] standard body: error_code, message and request id from the details", () => {
  const body = JSON.stringify({
    error_code: "RESOURCE_DOES_NOT_EXIST",
    message: "Run 7 does not exist.",
    details: [
      { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "X", domain: "d" },
      { "@type": "type.googleapis.com/google.rpc.RequestInfo", request_id: "req-42" },
    ],
  });
  assertEquals(parseErrorBody(404, body, H), {
    code: "RESOURCE_DOES_NOT_EXIST",
    message: "Run 7 does not exist.",
    requestId: "req-42",
  });
});

Deno.test("[api_error] legacy, SCIM and numeric error_code bodies are understood", () => {
  assertEquals(parseErrorBody(500, '{"error": "Cluster is gone"}', H).message, "Cluster is gone");
  const scim = parseErrorBody(
    409,
    '{"detail": "User already exists", "scimType": "uniqueness", "status": "409"}',
    H,
  );
  assertEquals([scim.code, scim.message], ["UNIQUENESS", "User already exists"]);
  const numeric = parseErrorBody(400, '{"error_code": 1001, "message": "bad"}', H);
  assertEquals(numeric.code, "1001");
});

Deno.test("[api_error] HTML pages and plain text get a status-derived code; header request id wins", () => {
  const html = parseErrorBody(
    504,
    "<html><head><title>504 Gateway Time-out</title></head></html>",
    new Headers({ "x-request-id": "hdr-1" }),
  );
  assertEquals(html, {
    code: "DEADLINE_EXCEEDED",
    requestId: "hdr-1",
    htmlTitle: "504 Gateway Time-out",
  });
  assertEquals(parseErrorBody(418, "teapot", H), {
    code: "HTTP_418",
    message: "teapot",
    requestId: undefined,
  });
  assertEquals(parseErrorBody(503, "", H).code, "TEMPORARILY_UNAVAILABLE");
});

Deno.test("[api_error] PERMISSION_DENIED on a volume names the missing privilege and the GRANT", () => {
  const read = hintFor("PERMISSION_DENIED", 403, {
    method: "GET",
    path: "/api/2.0/fs/files/Volumes/main/cv/data/a.jpg",
  })!;
  assert(read.includes("READ VOLUME on volume main.cv.data"), read);
  assert(read.includes("USE CATALOG on main") && read.includes("USE SCHEMA on main.cv"), read);
  assert(read.includes("GRANT READ VOLUME ON VOLUME main.cv.data"), read);
  const write = hintFor("PERMISSION_DENIED", 403, {
    method: "PUT",
    path: "/api/2.0/fs/files/Volumes/main/cv/data/a.jpg",
  })!;
  assert(write.includes("WRITE VOLUME on volume main.cv.data"), write);
});

Deno.test("[api_error] hints for other areas say what to ask for", () => {
  const hint = (method: string, path: string, code = "PERMISSION_DENIED", status = 403) =>
    hintFor(code, status, { method, path }) ?? "";
  assert(hint("POST", "/serving-endpoints/e/invocations").includes("CAN_QUERY"));
  assert(hint("PUT", "/api/2.1/unity-catalog/models/a.b.c/aliases/x").includes("MANAGE"));
  assert(hint("POST", "/api/2.0/sql/statements").includes("CAN_USE"));
  assert(hint("GET", "/x", "UNAUTHENTICATED", 401).includes("DATABRICKS_TOKEN"));
  assert(hint("GET", "/x", "REQUEST_LIMIT_EXCEEDED", 429).includes("rate-limiting"));
});

Deno.test("[api_error] the message says what failed and quotes Databricks", () => {
  const e = errorFromResponse(
    403,
    '{"error_code":"PERMISSION_DENIED","message":"User does not have READ VOLUME on Volume \'main.cv.data\'."}',
    H,
    {
      method: "GET",
      path: "/api/2.0/fs/directories/Volumes/main/cv/data",
      what: "Listing /Volumes/main/cv/data",
    },
  );
  assertEquals(
    e.message,
    "Listing /Volumes/main/cv/data failed: HTTP 403 PERMISSION_DENIED (Databricks said: " +
      "\"User does not have READ VOLUME on Volume 'main.cv.data'.\").",
  );
  assertEquals([e.status, e.errorCode], [403, "PERMISSION_DENIED"]);
  assert(e.hint?.includes("READ VOLUME"));
});
