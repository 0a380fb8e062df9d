"""Batch inference parts: where the images come from, where the results go, and how a stopped
batch resumes without duplicates.

A result is one row per image, `{"path", "prediction", "error"}`: `prediction` is the serving
contract's per-image object (DESIGN.md), `error` says why an image has none. Rows are appended
as each batch of images finishes (flushed and fsynced), so a cancelled or killed job keeps what
it wrote; a resumed job reads the paths already written and skips them. A half-written last
line (the process was killed mid-write) is cut off before appending again.

Sinks: JSONL (the append log is the result), Parquet (an append log `<output>.log.jsonl`,
converted with pyarrow when the batch completes), a Delta table (rows appended per batch through
Spark; the paths already in the table are skipped on resume).
"""

import json
import time
import os

from .errors import JobError

IMAGE_EXTS = (".jpg", ".jpeg", ".png")


def list_folder(root, shown_root=None):
    """[(shown path, file path)] of the JPEG / PNG files under `root`, recursively, sorted.

    `shown_root` replaces `root` in the shown path (the volume path when the job reads a local
    copy of it), so results name images as the person knows them.
    """
    if not os.path.isdir(root):
        raise JobError(f"--input: folder not found: {root}")
    shown_root = (shown_root or root).rstrip("/")
    out = []
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = os.path.relpath(dirpath, root)
        for f in sorted(files):
            if f.startswith(".") or not f.lower().endswith(IMAGE_EXTS):
                continue
            shown = f"{shown_root}/{f}" if rel == "." else f"{shown_root}/{rel}/{f}"
            out.append((shown, os.path.join(dirpath, f)))
    out.sort(key=lambda t: t[0])
    return out


def read_jsonl_paths(path):
    """(paths already written to a JSONL result, how many of them are errors), after cutting a
    half-written last line."""
    done, errors = set(), 0
    if not os.path.isfile(path):
        return done, errors
    with open(path, "rb+") as f:
        data = f.read()
        keep = data.rfind(b"\n") + 1
        if keep < len(data):  # the process was killed mid-line: drop the partial row
            f.truncate(keep)
    for line in data[:keep].splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise JobError(f"{path} has a line that is not JSON; it is not a batch result file") from None
        if not isinstance(row, dict) or "path" not in row:
            raise JobError(f"{path} has rows without a path; it is not a batch result file")
        done.add(row["path"])
        errors += 1 if row.get("error") else 0
    return done, errors


class JsonlSink:
    """Appends rows to a JSONL file; `done` holds the paths already there (on resume)."""

    def __init__(self, path, resume):
        self.path = path
        self.target = path
        os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
        if resume:
            self.done, self.errors = read_jsonl_paths(path)
        else:
            self.done, self.errors = set(), 0
            open(path, "w").close()
        self._f = open(path, "a", encoding="utf-8")

    def append(self, rows):
        for r in rows:
            self._f.write(json.dumps(r, allow_nan=False) + "\n")
            self.done.add(r["path"])
            self.errors += 1 if r["error"] else 0
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self, complete):
        self._f.close()
        return self.target


class ParquetSink(JsonlSink):
    """Rows go to `<output>.log.jsonl` while the batch runs; the Parquet file is written at the end."""

    def __init__(self, path, resume):
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise JobError("--output .parquet needs pyarrow, which this Python does not have; use .jsonl") from None
        super().__init__(path + ".log.jsonl", resume)
        self.target = path

    def close(self, complete):
        super().close(complete)
        if not complete:
            return self.path
        import pyarrow as pa
        import pyarrow.parquet as pq
        cols = {"path": [], "prediction": [], "error": []}
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    cols["path"].append(r["path"])
                    cols["prediction"].append(None if r["prediction"] is None else json.dumps(r["prediction"]))
                    cols["error"].append(r["error"])
        tmp = self.target + ".tmp"
        pq.write_table(pa.table(cols, schema=pa.schema([("path", pa.string()), ("prediction", pa.string()),
                                                          ("error", pa.string())])), tmp)
        os.replace(tmp, self.target)
        return self.target


class TableSink:
    """Appends rows to a Delta table (prediction as JSON text); needs Spark.

    Each Delta append is a commit (a transaction log entry and small files), so rows are
    buffered and committed every COMMIT_ROWS rows or COMMIT_SECONDS, and on close — including a
    cancel. Rows of a process killed in between were never committed: a resume predicts them
    again, and nothing is written twice.
    """

    COMMIT_ROWS = 512
    COMMIT_SECONDS = 60.0

    def __init__(self, table, resume, spark):
        self.target = self.path = table
        self._spark = spark
        self._buffer = []
        self._last_commit = time.time()
        self.done, self.errors = set(), 0
        if spark.catalog.tableExists(table):
            if resume:
                rows = spark.read.table(table).select("path", "error").collect()
                self.done = {r[0] for r in rows}
                self.errors = sum(1 for r in rows if r[1])
            else:
                raise JobError(f"--output-table {table} exists; pass --resume to continue it or name a new table")

    def append(self, rows):
        self._buffer.extend((r["path"], None if r["prediction"] is None else json.dumps(r["prediction"]),
                             r["error"]) for r in rows)
        self.done.update(r["path"] for r in rows)
        self.errors += sum(1 for r in rows if r["error"])
        if len(self._buffer) >= self.COMMIT_ROWS or time.time() - self._last_commit >= self.COMMIT_SECONDS:
            self._commit()

    def _commit(self):
        if self._buffer:
            self._spark.createDataFrame(self._buffer, "path string, prediction string, error string") \
                .write.format("delta").mode("append").saveAsTable(self.target)
            self._buffer = []
        self._last_commit = time.time()

    def close(self, complete):
        self._commit()
        return self.target


def open_sink(args, spark_fn):
    """The sink for --output / --output-table."""
    if args.output_table:
        return TableSink(args.output_table, args.resume, spark_fn())
    if args.output.endswith(".parquet"):
        return ParquetSink(args.output, args.resume)
    if args.output.endswith(".jsonl"):
        return JsonlSink(args.output, args.resume)
    raise JobError(f"--output must end in .jsonl or .parquet (got {args.output})")
