/**
 * The decode pool's worker (lib/image/decode_pool.ts): runs one decode at a time off the request
 * thread. Says `{ ready: true }` once its modules have loaded (an error before that is a worker
 * that could not start, and the pool decodes in-thread instead). Then receives `{ id, req }` and
 * replies `{ id, value }` with the result's buffers transferred, or
 * `{ id, error: { message, status, name } }` (status set for HttpErrors, so the pool can rebuild
 * them).
 */
import { HttpError } from "@/lib/errors.ts";
import { type DecodeRequest, resultBuffers, runDecode } from "./decode_ops.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent<{ id: number; req: DecodeRequest }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;

scope.onmessage = (e) => {
  const { id, req } = e.data;
  try {
    const value = runDecode(req);
    scope.postMessage({ id, value }, resultBuffers(value));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const status = err instanceof HttpError ? err.status : undefined;
    const name = err instanceof Error ? err.name : undefined;
    scope.postMessage({ id, error: { message, status, name } });
  }
};

scope.postMessage({ ready: true });
