/** Starts Lakevision: `deno task start`. */
import { start } from "@/lib/server.ts";

await start();
