/** Answer helpers for the fake workspace: real Databricks error bodies and JSON answers. */

let requestCounter = 0;

/** A fresh request id, as Databricks puts in `x-request-id` and the error details. */
export function newRequestId(): string {
  requestCounter++;
  return `fake-${Date.now().toString(36)}-${requestCounter}`;
}

/** A JSON answer. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** The standard error body with ErrorInfo and RequestInfo details. */
export function apiError(
  status: number,
  errorCode: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const requestId = newRequestId();
  return json(
    {
      error_code: errorCode,
      message,
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: errorCode,
          domain: "fake.databricks.com",
          metadata: {},
        },
        { "@type": "type.googleapis.com/google.rpc.RequestInfo", request_id: requestId },
      ],
    },
    status,
    { "x-request-id": requestId, ...headers },
  );
}

export const notFound = (what: string) =>
  apiError(404, "RESOURCE_DOES_NOT_EXIST", `${what} does not exist.`);
export const badRequest = (message: string) => apiError(400, "INVALID_PARAMETER_VALUE", message);

/** Reads a JSON request body; undefined when it is not JSON. */
export async function readJson(req: Request): Promise<Record<string, unknown> | undefined> {
  try {
    const v = await req.json();
    return v && typeof v === "object" ? v as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Offset-based page tokens, opaque to clients. */
export function page<T>(items: T[], pageToken: string | null, size: number) {
  const start = pageToken ? Number(atob(pageToken)) || 0 : 0;
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? btoa(String(start + size)) : undefined;
  return { slice, next };
}

/** Sleeps, or stops early when the client goes away. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
