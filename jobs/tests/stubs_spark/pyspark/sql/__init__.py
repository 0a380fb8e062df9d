"""SparkSession, DataFrame and Row as far as jobs/batch_infer.py and lakevision_jobs/batch.py use
them (see pyspark/__init__.py)."""

import fake_spark_store as store


class AnalysisException(Exception):
    pass


class Row(tuple):
    """A row: by position, by column name (r["path"]) and as attributes (r.path), as in pyspark."""

    def __new__(cls, fields, values):
        r = super().__new__(cls, values)
        r._fields = list(fields)
        return r

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self._fields:
                raise ValueError(key)
            key = self._fields.index(key)
        return tuple.__getitem__(self, key)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]


class DataFrame:
    def __init__(self, cols, rows, session, table=None):
        self._cols = [tuple(c) for c in cols]
        self._rows = rows
        self._session = session
        self._table = table

    @property
    def columns(self):
        return [c for c, _ in self._cols]

    def select(self, *names):
        idx = []
        for n in names:
            if n not in self.columns:
                raise AnalysisException(f"[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column `{n}` cannot be resolved; "
                                        f"columns: {self.columns}")
            idx.append(self.columns.index(n))
        return DataFrame([self._cols[i] for i in idx], [[r[i] for i in idx] for r in self._rows],
                         self._session, self._table)

    def orderBy(self, name):
        self.select(name)  # an unknown column fails as in Spark
        i = self.columns.index(name)
        # Spark sorts ascending with nulls first; strings by their UTF-8 bytes (= code points).
        rows = sorted(self._rows, key=lambda r: (r[i] is not None, r[i] if r[i] is not None else ""))
        return DataFrame(self._cols, rows, self._session, self._table)

    def _binary(self):
        return [c for c, t in self._cols if t == "binary"]

    def collect(self):
        store.log("collect", table=self._table, columns=self.columns, binary=self._binary())
        return [Row(self.columns, r) for r in self._rows]

    def toLocalIterator(self, prefetchPartitions=False):
        store.log("toLocalIterator", table=self._table, columns=self.columns)
        for r in self._rows:
            yield Row(self.columns, r)

    @property
    def write(self):
        return _Writer(self)


class _Writer:
    def __init__(self, df):
        self._df, self._format, self._mode = df, None, None

    def format(self, f):
        self._format = f
        return self

    def mode(self, m):
        self._mode = m
        return self

    def saveAsTable(self, name):
        if self._format != "delta" or self._mode != "append":
            raise AnalysisException(f"the stand-in writes Delta appends only, not {self._format}/{self._mode}")
        store.log("saveAsTable", table=name, rows=len(self._df._rows))
        store.append(name, self._df._cols, self._df._rows)


class _Catalog:
    def tableExists(self, name):
        return store.exists(name)


class _Reader:
    def __init__(self, session):
        self._session = session

    def table(self, name):
        if not store.exists(name):
            raise AnalysisException(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{name}` cannot be found.")
        cols, rows = store.read(name)
        return DataFrame(cols, rows, self._session, name)


def _parse_schema(ddl):
    cols = []
    for part in ddl.split(","):
        name, typ = part.split()
        if typ not in ("string", "binary"):
            raise ValueError(f"the stand-in knows string and binary columns, not {typ}")
        cols.append((name, typ))
    return cols


class SparkSession:
    class _Builder:
        def getOrCreate(self):
            return SparkSession()

    builder = _Builder()

    def __init__(self):
        self.catalog = _Catalog()
        self.read = _Reader(self)

    def createDataFrame(self, data, schema):
        cols = _parse_schema(schema)
        rows = [list(r) for r in data]
        for r in rows:
            if len(r) != len(cols):
                raise ValueError(f"row {r!r} does not match the schema {schema!r}")
        return DataFrame(cols, rows, self)
