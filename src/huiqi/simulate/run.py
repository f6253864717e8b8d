"""Run the compiled rules over a population: DuckDB (default) or PySpark; summaries per programme and district."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import ibis
import ibis.expr.datatypes as idt
import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.rules import model as M
from huiqi.rules.engine import ELIGIBLE, INELIGIBLE, NEEDS_INFO, NOT_IN_FORCE, OUT_OF_SCOPE
from huiqi.rules.errors import InputError, Problem
from huiqi.simulate import compile as C
from huiqi.simulate.population import check_schema

DEFAULT_BY = "enterprise__registered_district"
ENGINES = ("duckdb", "spark")


def duckdb_connection(database: str = ":memory:", *, threads: int | None = None, memory_limit: str | None = None) -> Any:
    con = ibis.duckdb.connect(database)
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    if memory_limit:
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
    con.raw_sql("SET preserve_insertion_order = false")
    return con


_SPARK = None


def spark_session(master: str = "local[2]") -> Any:
    """A local SparkSession configured for exact decimal arithmetic (no precision loss)."""
    global _SPARK
    if _SPARK is None:
        from pyspark.sql import SparkSession

        _SPARK = (
            SparkSession.builder.master(master)
            .appName("huiqi-simulate")
            .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


def spark_connection() -> Any:
    return ibis.pyspark.connect(spark_session())


def connect(engine: str) -> Any:
    if engine == "duckdb":
        return duckdb_connection()
    if engine == "spark":
        return spark_connection()
    raise InputError([Problem("--engine", f"未知引擎 {engine}，可选 duckdb、spark", f"unknown engine {engine!r}; choose duckdb or spark")])


def _union(tables: list[Any]) -> Any:
    """A balanced union tree (a left-deep chain of ~50 unions overflows the SQL generator's stack)."""
    while len(tables) > 1:
        tables = [tables[i].union(tables[i + 1], distinct=False) if i + 1 < len(tables) else tables[i] for i in range(0, len(tables), 2)]
    return tables[0]


def results(cp: C.CompiledPolicies, population: Any, extra: Iterable[str] = ()) -> Any:
    """Every result row the engine would produce, after count-once and caps."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    extra = list(extra)
    parts = []
    cap_cols = [f"__cap{c.index}" for c in cp.caps]
    capped_parts = []
    for prog in cp.programmes:
        res = C.programme_results(cp, prog, population, extra)
        if prog.caps:
            res = res.mutate(**{c: ibis.null(idt.int64) for c in cap_cols if c not in res.columns}).select(C.ENTERPRISE_ID, *extra, C.CLAIM_SEQ, "__prog", "__status", "__ceiling", *cap_cols, "__capyear")
        else:
            res = res.select(C.ENTERPRISE_ID, *extra, C.CLAIM_SEQ, "__prog", "__status", "__ceiling")
        res = res.mutate(__uncapped=res["__ceiling"])
        (capped_parts if prog.caps else parts).append(res)
    out = []
    if capped_parts:
        capped = C.apply_caps(cp, _union(capped_parts))
        out.append(capped.select(C.ENTERPRISE_ID, *extra, C.CLAIM_SEQ, "__prog", "__status", "__ceiling", "__uncapped"))
    u = _union(out + parts)
    return u.select(C.ENTERPRISE_ID, *extra, C.CLAIM_SEQ, "__prog", "__status", "__ceiling", "__uncapped")


def summarise(rows: Any, extra: Iterable[str] = ()) -> Any:
    extra = list(extra)
    s = rows["__status"]
    E_, N_ = C.STATUS_CODES[ELIGIBLE], C.STATUS_CODES[NEEDS_INFO]
    return rows.group_by(["__prog", *extra]).aggregate(
        results=rows.count(),
        eligible=(s == E_).sum(),
        needs_info=(s == N_).sum(),
        ineligible=(s == C.STATUS_CODES[INELIGIBLE]).sum(),
        not_in_force=(s == C.STATUS_CODES[NOT_IN_FORCE]).sum(),
        out_of_scope=(s == C.STATUS_CODES[OUT_OF_SCOPE]).sum(),
        ceiling_fen=ibis.ifelse(s == E_, rows["__uncapped"], 0).sum(),
        after_caps_fen=ibis.ifelse(s == E_, rows["__ceiling"], 0).sum(),
        needs_info_fen=ibis.ifelse(s == N_, rows["__ceiling"], 0).sum(),
    )


@dataclass
class Summary:
    """Per programme × district counts and sums (yuan as Decimal, exact)."""

    on: dt.date
    engine: str
    enterprises: int
    rows: int
    table: pa.Table  # programme, title, by, results, eligible, needs_info, …, ceiling, after_caps, needs_info_ceiling
    programmes: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def totals(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for row in self.table.to_pylist():
            t = out.setdefault(row["programme"], {"programme": row["programme"], "title": row["title"], "results": 0, "eligible": 0, "needs_info": 0, "ineligible": 0, "not_in_force": 0, "out_of_scope": 0, "ceiling": Decimal(0), "after_caps": Decimal(0), "needs_info_ceiling": Decimal(0)})
            for k in ("results", "eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope", "ceiling", "after_caps", "needs_info_ceiling"):
                t[k] += row[k]
        return out

    def to_dict(self) -> dict:
        def plain(d: dict) -> dict:
            return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in d.items()}

        return {
            "on": self.on.isoformat(),
            "engine": self.engine,
            "enterprises": self.enterprises,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "programmes": [plain(t) for t in self.totals().values()],
            "by": [plain(r) for r in self.table.to_pylist()],
        }


def _fen_to_yuan(v: Any) -> Decimal:
    return (Decimal(int(v or 0)) / 100).quantize(Decimal("0.01"))


def open_population(con: Any, path: str | Path, engine: str) -> Any:
    path = Path(path)
    if not path.exists():
        raise InputError([Problem("population", f"文件不存在：{path}", f"no such file: {path}", str(path))])
    try:
        schema = pq.read_schema(str(path))
    except Exception as exc:  # noqa: BLE001
        raise InputError([Problem("population", f"不是可读的 Parquet 文件：{exc}", f"not a readable Parquet file: {exc}", str(path))]) from None
    return schema, con.read_parquet(str(path))


def run(
    policies: M.PolicySet,
    path: str | Path,
    *,
    on: dt.date,
    engine: str = "duckdb",
    by: str | None = DEFAULT_BY,
    con: Any = None,
    programmes: Iterable[str] | None = None,
    batch: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    compiled: C.CompiledPolicies | None = None,
) -> Summary:
    """Run every programme over the population file; batches of enterprises bound the memory."""
    import time

    t0 = time.perf_counter()
    cp = compiled or C.prepare(policies, on, programmes)
    con = con or connect(engine)
    schema, pop = open_population(con, path, engine)
    needed = set().union(*[p.columns for p in cp.programmes]) if cp.programmes else set()
    check_schema(schema, policies.vocabulary, needed | ({by} if by else set()), file=str(path))
    extra = [by] if by else []
    ids = pop.aggregate(lo=pop[C.ENTERPRISE_ID].min(), hi=pop[C.ENTERPRISE_ID].max(), n=pop[C.ENTERPRISE_ID].nunique() if engine == "spark" else (pop[C.CLAIM_SEQ] == 0).sum(), rows=pop.count())
    stats = con.to_pyarrow(ids).to_pylist()[0]
    lo, hi = stats["lo"] or 0, stats["hi"] if stats["hi"] is not None else -1
    batches = [(lo, hi)] if not batch else [(a, min(a + batch - 1, hi)) for a in range(lo, hi + 1, batch)]
    tables = []
    for i, (a, b) in enumerate(batches):
        part = pop if len(batches) == 1 else pop.filter(pop[C.ENTERPRISE_ID].between(a, b))
        agg = summarise(results(cp, part, extra), extra)
        tables.append(con.to_pyarrow(agg))
        if progress:
            progress(i + 1, len(batches))
    table = pa.concat_tables(tables) if tables else pa.table({})
    out = _tidy(cp, table, by)
    return Summary(on=on, engine=engine, enterprises=int(stats["n"] or 0), rows=int(stats["rows"] or 0), table=out, seconds=time.perf_counter() - t0)


def _tidy(cp: C.CompiledPolicies, table: pa.Table, by: str | None) -> pa.Table:
    """Sum batches, name programmes, turn fen into yuan (Decimal)."""
    acc: dict[tuple, dict] = {}
    for row in table.to_pylist():
        key = (row["__prog"], row.get(by) if by else None)
        a = acc.setdefault(key, {k: 0 for k in ("results", "eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope", "ceiling_fen", "after_caps_fen", "needs_info_fen")})
        for k in a:
            a[k] += int(row[k] or 0)
    rows = []
    for (pi, group), a in sorted(acc.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        p = cp.programmes[pi].programme
        rows.append(
            {
                "programme": p.id,
                "title": p.title,
                "by": group,
                "results": a["results"],
                "eligible": a["eligible"],
                "needs_info": a["needs_info"],
                "ineligible": a["ineligible"],
                "not_in_force": a["not_in_force"],
                "out_of_scope": a["out_of_scope"],
                "ceiling": _fen_to_yuan(a["ceiling_fen"]),
                "after_caps": _fen_to_yuan(a["after_caps_fen"]),
                "needs_info_ceiling": _fen_to_yuan(a["needs_info_fen"]),
            }
        )
    schema = pa.schema([("programme", pa.string()), ("title", pa.string()), ("by", pa.string()), ("results", pa.int64()), ("eligible", pa.int64()), ("needs_info", pa.int64()), ("ineligible", pa.int64()), ("not_in_force", pa.int64()), ("out_of_scope", pa.int64()), ("ceiling", pa.decimal128(20, 2)), ("after_caps", pa.decimal128(20, 2)), ("needs_info_ceiling", pa.decimal128(20, 2))])
    return pa.Table.from_pylist(rows, schema=schema)


def row_results(cp: C.CompiledPolicies, con: Any, table: pa.Table) -> dict[tuple[int, str, int], tuple[str, Decimal | None]]:
    """Per-result status and ceiling for an in-memory population (tests compare these with the engine)."""
    if getattr(con, "name", "") == "pyspark":  # ibis hands memtables to Spark through pandas, which loses NULL decimals
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="huiqi-sim-")) / "population.parquet"
        pq.write_table(table, str(tmp))
        pop = con.read_parquet(str(tmp))
    else:
        pop = ibis.memtable(table)
    rows = con.to_pyarrow(results(cp, pop))
    out = {}
    for r in rows.to_pylist():
        prog = cp.programmes[r["__prog"]].programme.id
        ceiling = None if r["__ceiling"] is None else _fen_to_yuan(r["__ceiling"])
        out[(r[C.ENTERPRISE_ID], prog, r[C.CLAIM_SEQ])] = (C.STATUS_NAMES[r["__status"]], ceiling)
    return out
