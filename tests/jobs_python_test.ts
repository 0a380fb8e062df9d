/**
 * Runs the Python jobs' own test suite (jobs/tests) with the interpreter the app would use for
 * local runs: LAKEVISION_PYTHON, then `python3`, then `/usr/bin/python3`, the first that imports
 * torch and torchvision. It runs under pytest when that is installed (CI installs Debian's
 * python3-pytest), else under unittest. Without torch, the test is ignored with a notice.
 */

const ROOT = new URL("../", import.meta.url).pathname;

async function importsTorch(python: string): Promise<string | null> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import torch, torchvision, yaml, PIL; print(torch.__version__)"],
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(120_000),
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

async function findTorchPython(): Promise<{ path: string; torch: string } | null> {
  const candidates = [Deno.env.get("LAKEVISION_PYTHON"), "python3", "/usr/bin/python3"]
    .filter((c): c is string => !!c);
  for (const path of [...new Set(candidates)]) {
    const torch = await importsTorch(path);
    if (torch) return { path, torch };
  }
  return null;
}

const python = await findTorchPython();
if (!python) {
  console.warn(
    "[jobs_python_test] skipped: no Python with torch, torchvision, PyYAML and Pillow " +
      "(tried LAKEVISION_PYTHON, python3, /usr/bin/python3). On Debian: " +
      "apt-get install python3-torch python3-torchvision python3-yaml python3-pil",
  );
}

Deno.test({
  name: "[jobs] the Python unittest suite passes (train/evaluate/export/batch_infer on CPU)",
  ignore: !python,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pytest = (await new Deno.Command(python!.path, {
      args: ["-m", "pytest", "--version"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
    const args = pytest
      ? ["-m", "pytest", "-q", "-p", "no:cacheprovider", "jobs/tests"]
      : ["-m", "unittest", "discover", "-s", "jobs/tests"];
    const out = await new Deno.Command(python!.path, {
      args,
      cwd: ROOT,
      env: { OMP_NUM_THREADS: "2", PYTHONDONTWRITEBYTECODE: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    const summary = pytest
      ? text.match(/(\d+) passed[^\n]* in [\d.]+s/)
      : text.match(/Ran (\d+) tests? in [\d.]+s/);
    if (!out.success) {
      throw new Error(
        `jobs/tests failed with ${python!.path} (torch ${python!.torch}):\n${text.slice(-6000)}`,
      );
    }
    if (!summary || Number(summary[1]) < 40) {
      throw new Error(
        `expected the full jobs suite to run, got: ${summary?.[0] ?? text.slice(-500)}`,
      );
    }
    console.log(
      `[jobs] ${pytest ? "pytest" : "unittest"}: ${summary[0]} with ${python!.path} ` +
        `(torch ${python!.torch})`,
    );
  },
});
