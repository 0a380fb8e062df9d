/** An answer the API refused: its message and HTTP status. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/**
 * Whether trying the same call again may help: a network failure or a server-side error, not a
 * request the API refused for what it says (4xx).
 */
export function retryable(e: unknown): boolean {
  return !(e instanceof ApiError) || e.status >= 500 || e.status === 429;
}

/**
 * An island's call to the app's JSON API: the answer's body, or an ApiError carrying the
 * API's own message (`{ error: { message } }`), else the HTTP status.
 */
export async function callJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, {
    ...init,
    headers: { accept: "application/json", "content-type": "application/json" },
  });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(body?.error?.message ?? `HTTP ${res.status}`, res.status);
  if (body === undefined) throw new Error(`HTTP ${res.status} without a JSON body`);
  return body as T;
}
