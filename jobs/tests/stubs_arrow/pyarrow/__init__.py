"""Test stand-in for pyarrow where it is not installed: `table`, `schema` and `string` as far as
lakevision_jobs/batch.py's Parquet sink uses them. pyarrow.parquet.write_table writes the table
as JSON ({"stand_in": "pyarrow", "schema": [[name, type]], "columns": {...}}), so a test can read
back exactly what would have gone into the Parquet file."""


class DataType:
    def __init__(self, name):
        self.name = name


def string():
    return DataType("string")


class Schema:
    def __init__(self, fields):
        self.fields = [(n, t.name) for n, t in fields]
        self.names = [n for n, _ in self.fields]


def schema(fields):
    return Schema(fields)


class Table:
    def __init__(self, columns, schema):
        self.columns, self.schema = columns, schema


def table(columns, schema=None):
    if schema is None:
        raise TypeError("the stand-in needs an explicit schema")
    if list(columns) != schema.names:
        raise ValueError(f"columns {list(columns)} do not match the schema {schema.names}")
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {lengths}")
    for name, typ in schema.fields:
        if typ == "string" and any(v is not None and not isinstance(v, str) for v in columns[name]):
            raise TypeError(f"column {name} holds a value that is not a string")
    return Table({k: list(v) for k, v in columns.items()}, schema)
