/**
 * A bounded work queue: at most `concurrency` tasks run, at most `maxQueued` wait; one more is
 * refused at once with a 503 and `Retry-After`, so a burst costs the server nothing but a reply.
 */
import { ServiceUnavailableError } from "@/lib/errors.ts";

/** Queue limits. */
export interface QueueLimits {
  concurrency: number;
  maxQueued: number;
  /** Seconds a refused client is told to wait. */
  retryAfterSeconds: number;
}

/** Runs tasks with bounded concurrency and a bounded wait list. */
export class BoundedQueue {
  #running = 0;
  #waiting: (() => void)[] = [];

  constructor(readonly limits: QueueLimits, readonly what: string) {}

  /** Tasks running and waiting now. */
  get stats(): { running: number; queued: number } {
    return { running: this.#running, queued: this.#waiting.length };
  }

  /** Runs `fn` when a slot is free; a ServiceUnavailableError (503) when the queue is full. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limits.concurrency) {
      if (this.#waiting.length >= this.limits.maxQueued) {
        throw new ServiceUnavailableError(
          `${this.what} is busy: ${this.#running} requests running and ${this.#waiting.length} ` +
            `waiting (the most it queues). Retry after ${this.limits.retryAfterSeconds} s.`,
          this.limits.retryAfterSeconds,
        );
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes straight to the next task
      else this.#running--;
    }
  }
}
