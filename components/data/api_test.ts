import { assertEquals } from "@/tests/assert.ts";
import { ApiError, retryable } from "./api.ts";

Deno.test("[data] Retry is offered for network and server failures, not for a refused request", () => {
  assertEquals(retryable(new ApiError("path is longer than 2,000 characters", 400)), false);
  assertEquals(retryable(new ApiError("not found", 404)), false);
  assertEquals(retryable(new ApiError("busy", 503)), true);
  assertEquals(retryable(new ApiError("slow down", 429)), true);
  assertEquals(retryable(new TypeError("Failed to fetch")), true);
});
