"""Where the stand-in pyspark (stubs_spark/pyspark) keeps its tables: one folder per table under
$LV_FAKE_SPARK_DIR, `_schema.json` ([[column, type], ...], types "string" or "binary") and one
`part-NNNNN.json` per append (a list of rows, binary values as {"$b64": ...}), each written whole
and renamed into place, so a reader sees every append or none of it, as with a Delta commit.
Every session call the job makes is logged to $LV_FAKE_SPARK_DIR/_calls.jsonl."""

import base64
import json
import os


def root():
    return os.environ["LV_FAKE_SPARK_DIR"]


def table_dir(name):
    return os.path.join(root(), name.lower())


def exists(name):
    return os.path.isfile(os.path.join(table_dir(name), "_schema.json"))


def log(call, **kw):
    with open(os.path.join(root(), "_calls.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps({"call": call, **kw}) + "\n")


def _enc(v):
    return {"$b64": base64.b64encode(bytes(v)).decode()} if isinstance(v, (bytes, bytearray)) else v


def _dec(v):
    return bytearray(base64.b64decode(v["$b64"])) if isinstance(v, dict) and "$b64" in v else v


def schema(name):
    with open(os.path.join(table_dir(name), "_schema.json"), encoding="utf-8") as f:
        return [tuple(c) for c in json.load(f)]


def read(name):
    """(schema, rows) of a table, the parts in the order they were appended."""
    d = table_dir(name)
    rows = []
    for part in sorted(p for p in os.listdir(d) if p.startswith("part-")):
        with open(os.path.join(d, part), encoding="utf-8") as f:
            rows.extend([_dec(v) for v in r] for r in json.load(f))
    return schema(name), rows


def parts(name):
    """How many appends the table has had."""
    return sum(1 for p in os.listdir(table_dir(name)) if p.startswith("part-"))


def append(name, cols, rows):
    """Creates the table with `cols` when new, else checks them; then appends the rows at once."""
    d = table_dir(name)
    if exists(name):
        if schema(name) != [tuple(c) for c in cols]:
            raise ValueError(f"[DELTA_SCHEMA_MISMATCH] {name} has columns {schema(name)}, not {cols}")
    else:
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "_schema.json"), "w", encoding="utf-8") as f:
            json.dump([list(c) for c in cols], f)
    n = parts(name) + 1
    tmp = os.path.join(d, f".part-{n:05d}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump([[_enc(v) for v in r] for r in rows], f)
    os.replace(tmp, os.path.join(d, f"part-{n:05d}.json"))
