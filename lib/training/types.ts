/**
 * Training run records and launch requests: statuses and labels (status.ts, zod-free, what
 * pages showing runs need) and the schemas (schemas.ts), under one import.
 */
export * from "./status.ts";
export * from "./schemas.ts";
