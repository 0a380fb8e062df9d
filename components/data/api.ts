/**
 * The Data EDA page's calls to its JSON API: the answer's body, or an error carrying the API's
 * own message (`{ error: { message } }`), else the HTTP status.
 */
export async function callJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, {
    ...init,
    headers: { accept: "application/json", "content-type": "application/json" },
  });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  if (body === undefined) throw new Error(`HTTP ${res.status} without a JSON body`);
  return body as T;
}
