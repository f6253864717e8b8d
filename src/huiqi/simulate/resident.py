"""A resident population: a Parquet population loaded once into DuckDB, queried by every later run.

Decoding the 314-column Parquet file is the largest fixed cost of a run (0.56 s at 1 M enterprises,
4.8 s at 10 M, for the columns the rules read), paid again for every date, subset or reform.
``load`` reads it once into a DuckDB table (``population``), kept in the process (``:memory:``) or
persisted as a ``.duckdb`` file that later processes open read-only (``open_resident``):

* only the columns the loaded rules read (plus the grouping column, ids and the call's dates);
* text with few distinct values (enums, districts, claim kinds) as DuckDB ``ENUM`` of its own
  values (one byte a value: a small integer code; the compiled SQL still compares with the text,
  which DuckDB turns into a code comparison; a value not in the list is simply unequal);
* money stays ``DECIMAL(18, 2)``, which DuckDB stores as a 64-bit integer number of fen — the
  integer-fen layout, without a compiler change (the rules compare money in its own type);
* rows in the clustered order (enterprise rows first, then by claim kind): each kind's SELECT skips
  the other kinds' row groups by their zone maps, as it does on a clustered Parquet file.

The table's logical schema (enum columns as text, as in the Parquet file) is stored with it
(``__huiqi_population``), so the compiled SQL — and its cache — is the same as over the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa

from huiqi.rules import model as M
from huiqi.rules.errors import InputError, Problem
from huiqi.rules.facts import CALL
from huiqi.simulate.compile import CLAIM_KIND, CLAIM_SEQ, ENTERPRISE_ID
from huiqi.simulate.population import check_schema, kind_scan_ratio, population_schema

TABLE = "population"
META = "__huiqi_population"
SUFFIXES = (".duckdb", ".db")


@dataclass
class Resident:
    """A population held by a DuckDB connection, table ``TABLE``: ``con`` is an ibis DuckDB backend
    (``load``) or a ``RawDuckDB`` (``open_resident``); either way ``con.con`` is DuckDB's own."""

    con: Any
    schema: pa.Schema  # logical: as the Parquet file's (enum columns as text)
    enterprises: int
    rows: int
    lo: int
    hi: int
    source: str = ""  # the Parquet file it was loaded from
    database: str = ":memory:"
    notnull: frozenset = frozenset()  # fact columns with no NULL in the rows that read them

    @property
    def relation(self) -> str:
        return f'"{TABLE}"'

    def columns(self) -> list[str]:
        return list(self.schema.names)


@dataclass
class RawDuckDB:
    """A DuckDB connection as ``run._execute`` reads it (``name``, ``con``), without ibis's DuckDB
    backend: a persisted population only runs SQL, and the backend costs a CLI run 0.2 s to load."""

    con: Any
    name: str = "duckdb"


def is_database(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def needed_columns(policies: M.PolicySet, schema: pa.Schema, by: Iterable[str] = ()) -> list[str]:
    """The columns a run of any loaded programme reads: ids, the call's dates, grouping columns, facts."""
    from huiqi.simulate import compile as C

    facts: set[str] = set()
    for document in policies.documents:
        caps = list(document.caps)
        for programme in document.programmes:
            mine = [c for c in caps if programme.id in c.programmes]
            facts |= {C.column_of(n) for n in C.facts_read(programme, document, mine)}
    wanted = [ENTERPRISE_ID, CLAIM_KIND, CLAIM_SEQ]
    wanted += [c for c in schema.names if c.startswith(CALL + "__")]
    wanted += [c for c in by if c]
    wanted += sorted(facts)
    return [c for c in dict.fromkeys(wanted) if c in schema.names]


ENUM_MAX = 250  # distinct values up to which a text column is stored as an ENUM (one byte a value)


def _enum_types(raw: Any, src: str, schema: pa.Schema, cols: list[str]) -> dict[str, str]:
    """``ENUM(...)`` of its own values for every text column with at most ``ENUM_MAX`` distinct values
    (declared enums and low-cardinality text: districts, towns, kinds). Comparisons with a text
    constant keep their meaning (a value not in the list is simply unequal)."""
    text = [c for c in cols if pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type)]
    if not text:
        return {}
    counts = raw.execute("SELECT " + ", ".join(f'count(DISTINCT "{c}")' for c in text) + f" FROM {src}").fetchall()[0]
    small = [c for c, n in zip(text, counts) if n <= ENUM_MAX]
    if not small:
        return {}
    values = raw.execute("SELECT " + ", ".join(f'list(DISTINCT "{c}" ORDER BY "{c}") FILTER (WHERE "{c}" IS NOT NULL)' for c in small) + f" FROM {src}").fetchall()[0]
    out = {}
    for c, vals in zip(small, values):
        vals = vals or [""]
        out[c] = "ENUM(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in vals) + ")"
    return out


def _narrow_types(raw: Any, src: str, schema: pa.Schema, cols: list[str]) -> dict[str, str]:
    """``DECIMAL(p, s)`` for every numeric fact column, ``p`` the fewest digits that hold its largest
    value (at least 1 before the point; its own scale ``s``, integers 0): money of up to 10⁹ yuan is
    DECIMAL(11, 2) rather than DECIMAL(18, 2), so that money × rate (DECIMAL(13, 3) and the like)
    still fits a 64-bit integer and the compiled arithmetic never needs 128-bit decimals. Exact:
    every stored value keeps all its digits (the table is never written again)."""
    nums = []
    for c in cols:
        if "__" not in c or c in (CLAIM_KIND, CLAIM_SEQ) or c.startswith(CALL + "__"):
            continue
        t = schema.field(c).type
        if pa.types.is_decimal(t):
            nums.append((c, t.scale))
        elif pa.types.is_integer(t):
            nums.append((c, 0))
    if not nums:
        return {}
    # the largest magnitude, as text with the column's scale: its digit count is the width needed
    tops = raw.execute("SELECT " + ", ".join(f'max(abs("{c}"))' for c, _ in nums) + f" FROM {src}").fetchall()[0]
    out = {}
    for (c, scale), top in zip(nums, tops):
        whole = len(str(int(abs(top)))) if top is not None else 1
        out[c] = f"DECIMAL({min(38, max(whole, 1) + scale)}, {scale})"
    return out


def _dec(sql_type: str) -> tuple[int, int]:
    p, s = sql_type[len("DECIMAL("):-1].split(",")
    return int(p), int(s)


def load(policies: M.PolicySet, path: str | Path, *, database: str | Path = ":memory:", by: Iterable[str] = ("enterprise__registered_district",), con: Any = None, threads: int | None = None, memory_limit: str | None = None) -> Resident:
    """Read the population file once into DuckDB (``database``: ``:memory:`` or a ``.duckdb`` file,
    replaced if it exists)."""
    from huiqi.simulate import run as R

    schema = population_schema(path)
    cols = needed_columns(policies, schema, by)
    check_schema(schema, policies.vocabulary, [c for c in cols if "__" in c and not c.startswith(CALL + "__")], file=str(path))
    if database != ":memory:":
        db = Path(database)
        for f in (db, Path(str(db) + ".wal")):
            if f.exists():
                f.unlink()
    con = con or R.duckdb_connection(str(database), threads=threads, memory_limit=memory_limit)
    raw = con.con
    src = "read_parquet('" + str(Path(path)).replace("'", "''") + "')"
    enums = _enum_types(raw, src, schema, cols)
    narrow = _narrow_types(raw, src, schema, cols)
    typed = {**narrow, **enums}
    parts = [f'CAST("{c}" AS {typed[c]}) AS "{c}"' if c in typed else f'"{c}"' for c in cols]
    kinds = {p.subject for p in policies.programmes() if p.subject != "enterprise"}
    ratio = kind_scan_ratio(path, kinds) if kinds else 1.0
    order = "" if ratio is not None and ratio <= max(2.0, len(kinds) / 3) else f" ORDER BY {CLAIM_SEQ} <> 0, {CLAIM_KIND}, {ENTERPRISE_ID}"
    raw.execute("SET preserve_insertion_order = true")  # a clustered file keeps its order
    try:
        raw.execute(f'CREATE OR REPLACE TABLE "{TABLE}" AS SELECT {", ".join(parts)} FROM {src}{order}')
    finally:
        raw.execute("SET preserve_insertion_order = false")
    lo, hi, n, rows = raw.execute(f'SELECT min({ENTERPRISE_ID}), max({ENTERPRISE_ID}), count_if({CLAIM_SEQ} = 0), count(*) FROM "{TABLE}"').fetchall()[0]
    notnull = never_null(raw, cols)
    logical = pa.schema([pa.field(c, pa.decimal128(*_dec(narrow[c]))) if c in narrow else schema.field(c)
                         for c in cols])
    meta = {"notnull": sorted(notnull), "schema": logical.serialize().to_pybytes().hex(), "enterprises": int(n or 0), "rows": int(rows or 0), "lo": int(lo or 0), "hi": int(hi if hi is not None else -1), "source": str(path)}
    raw.execute(f'CREATE OR REPLACE TABLE "{META}" (meta VARCHAR)')
    raw.execute(f'INSERT INTO "{META}" VALUES (?)', [json.dumps(meta)])
    if database != ":memory:":
        raw.execute("CHECKPOINT")
    return _resident(con, meta, str(database))


def _resident(con: Any, meta: dict, database: str) -> Resident:
    schema = pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(meta["schema"])))
    return Resident(con, schema, meta["enterprises"], meta["rows"], meta["lo"], meta["hi"], meta.get("source", ""), database, frozenset(meta.get("notnull", ())))


def never_null(raw: Any, cols: list[str], relation: str = f'"{TABLE}"') -> set[str]:
    """Fact columns without a NULL where the rules read them: an enterprise (or call) column on
    every row, a claim kind's column on that kind's rows. Those need no unknown-tracking."""
    facts = [c for c in cols if "__" in c and c not in (CLAIM_KIND, CLAIM_SEQ)]
    if not facts:
        return set()
    terms = []
    for c in facts:
        owner = c.split("__", 1)[0]
        if owner in ("enterprise", CALL):
            terms.append(f'count_if("{c}" IS NULL)')
        else:
            kind = owner.replace("'", "''")
            terms.append(f"count_if({CLAIM_KIND} = '{kind}' AND \"{c}\" IS NULL) + (count_if({CLAIM_KIND} = '{kind}') = 0)::BIGINT")
    counts = raw.execute(f'SELECT {", ".join(terms)} FROM {relation}').fetchall()[0]
    return {c for c, n in zip(facts, counts) if n == 0}


def open_resident(database: str | Path, *, threads: int | None = None, memory_limit: str | None = None) -> Resident:
    """A population persisted by ``load`` (``huiqi simulate load FILE --out pop.duckdb``), opened read-only."""
    import duckdb

    db = Path(database)
    if not db.exists():
        raise InputError([Problem("population", f"文件不存在：{db}", f"no such file: {db}", str(db))])
    try:
        raw = duckdb.connect(str(db), read_only=True)
        meta = json.loads(raw.execute(f'SELECT meta FROM "{META}"').fetchall()[0][0])
    except Exception as exc:  # noqa: BLE001 - not a DuckDB file, or not one written by load
        raise InputError([Problem("population", f"不是 huiqi simulate load 写出的 DuckDB 文件：{exc}", f"not a DuckDB file written by huiqi simulate load: {exc}", str(db))]) from None
    con = RawDuckDB(raw)
    if threads:
        raw.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        raw.execute(f"SET memory_limit = '{memory_limit}'")
    raw.execute("SET preserve_insertion_order = false")
    return _resident(con, meta, str(db))
