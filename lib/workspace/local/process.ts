/**
 * Process helpers for local jobs: whether a pid is still the process that was started (pid +
 * kernel start time, so a recycled pid is not mistaken for the job), `setsid`, and log tails.
 */

const HAVE_PROC = (() => {
  try {
    Deno.statSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

/**
 * The process start time (Linux: clock ticks since boot from /proc; elsewhere `ps`'s start
 * time); null when the process does not exist or has already finished.
 */
export async function processStartTime(pid: number): Promise<string | null> {
  if (!HAVE_PROC) {
    try {
      const out = await new Deno.Command("ps", {
        args: ["-o", "stat=,lstart=", "-p", String(pid)],
        stdout: "piped",
        stderr: "null",
      }).output();
      const line = new TextDecoder().decode(out.stdout).trim();
      if (!out.success || !line || line.startsWith("Z")) return null;
      return line.replace(/^\S+\s+/, "");
    } catch {
      return null;
    }
  }
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // rest[0] is field 3 (state); starttime is field 22 → rest[19].
    if (rest[0] === "Z") return null; // a zombie has finished
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** True when `pid` still runs and is the same process that was started (same start time). */
export async function isSameProcessAlive(pid: number, procStart: string | null): Promise<boolean> {
  const now = await processStartTime(pid);
  if (now === null) return false;
  return procStart === null || now === procStart;
}

let setsid: string | null | undefined;

/** `setsid` (to start a job as its own process group), or null where it is missing. */
export async function setsidPath(): Promise<string | null> {
  if (setsid !== undefined) return setsid;
  for (const p of ["/usr/bin/setsid", "/bin/setsid"]) {
    if (await Deno.stat(p).then((s) => s.isFile, () => false)) return (setsid = p);
  }
  return (setsid = null);
}

/** The last `maxBytes` of a file (cut at a line start when possible); "" when missing. */
export async function tailFile(path: string, maxBytes: number): Promise<string> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true });
  } catch {
    return "";
  }
  try {
    const size = (await f.stat()).size;
    const start = Math.max(0, size - maxBytes);
    await f.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let off = 0;
    while (off < buf.length) {
      const n = await f.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    let text = new TextDecoder().decode(buf.subarray(0, off));
    if (start > 0) {
      const nl = text.indexOf("\n");
      if (nl >= 0 && nl < text.length - 1) text = text.slice(nl + 1);
    }
    return text;
  } finally {
    f.close();
  }
}
