"""Run the compiled rules over a population: DuckDB (default) or PySpark; summaries per programme and district."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.rules import model as M
from huiqi.rules.errors import InputError, Problem
from huiqi.rules.facts import ENTERPRISE
from huiqi.simulate import compile as C
from huiqi.simulate import watched as WD
from huiqi.simulate import wide as W
from huiqi.simulate.population import check_schema, kind_scan_ratio, population_schema

DEFAULT_BY = "enterprise__registered_district"
ENGINES = ("duckdb", "spark")
AUTO_BATCH = 2_000_000  # enterprises per batch when none is given and the population is larger
SOURCE = "__pop"  # the population as the cached SQL names it; replaced by the real relation when run


def duckdb_connection(database: str = ":memory:", *, threads: int | None = None, memory_limit: str | None = None, temp_directory: str | None = None) -> Any:
    """DuckDB, all cores by default; a memory limit makes big intermediates spill to temp_directory."""
    con = ibis.duckdb.connect(database)
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    if memory_limit:
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
    if temp_directory:
        con.raw_sql(f"SET temp_directory = '{temp_directory}'")
    con.raw_sql("SET preserve_insertion_order = false")
    con.raw_sql("SET parquet_metadata_cache = true")
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


def _sql_plan(cp: C.CompiledPolicies, schema: Any, extra: list[str], rows: bool = False, per_kind: bool = True, on_step: Callable[[str, str], None] | None = None) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The plan as DuckDB SQL over a relation named ``SOURCE``, for ``cp.on``: from a template
    (``simulate/watched.py``: the SQL built once with the date as a placeholder, kept in memory and
    on disk for every date the compiler cannot tell apart) or, the first time, built and printed
    through ibis. ``on_step(name, sql)``: called as each step's SQL is printed (not from a template)."""
    key = (id(cp), tuple(schema.items()), tuple(extra), rows, per_kind)
    hit = _SQL_CACHE.get(key)
    if hit is not None and hit[0] is cp:
        return hit[1], hit[2]
    text = repr(cp.policies)
    if not WD.can_template(text):
        steps, finals = _build_sql(cp, schema, extra, rows, per_kind, on_step)
    else:
        tkey, root = _template_key(text, cp, schema, extra, rows, per_kind), WD.cache_root()
        template = _TEMPLATES.find(tkey, cp.on, root)
        if template is None:
            notes: dict = {}
            watched = dataclasses.replace(cp, on=WD.WatchedDate(cp.on, notes))
            fill = None if on_step is None else lambda name, sql: on_step(name, WD.fill(sql, cp.on))
            t_steps, t_finals = _build_sql(watched, schema, extra, rows, per_kind, fill)
            template = {"steps": t_steps, "finals": t_finals}
            _TEMPLATES.keep(tkey, notes, template, root)
        steps = [(name, WD.fill(sql, cp.on)) for name, sql in template["steps"]]
        finals = {k: WD.fill(sql, cp.on) for k, sql in template["finals"].items()}
    if len(_SQL_CACHE) > 16:
        _SQL_CACHE.clear()
    _SQL_CACHE[key] = (cp, steps, finals)
    return steps, finals


def _build_sql(
    cp: C.CompiledPolicies, schema: Any, extra: list[str], rows: bool, per_kind: bool,
    on_step: Callable[[str, str], None] | None,
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Build the plan's ibis expressions and print them as DuckDB SQL."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    pop = ibis.table(schema, name=SOURCE)
    steps: list[tuple[str, str]] = []

    def bind(name: str, expr: Any) -> Any:
        steps.append((name, ibis.to_sql(expr, dialect="duckdb", pretty=False)))
        if on_step is not None:
            on_step(*steps[-1])
        return ibis.table(expr.schema(), name=name)

    plan = W.build(cp, pop, extra, bind, rows=rows, per_kind_scan=per_kind, sort_claims=True)
    finals = {k: ibis.to_sql(v, dialect="duckdb", pretty=False) for k, v in plan.finals.items() if v is not None}
    return steps, finals


def _template_key(
    policies: str, cp: C.CompiledPolicies, schema: Any, extra: list[str], rows: bool, per_kind: bool
) -> str:
    """Everything the SQL depends on but the date: the loaded rule model itself (its full repr, so
    a reform or an edited policy is a new key), the chosen programmes, the columns without NULLs,
    the population schema, the grouping, the claim scan, ibis and the compiler's own source."""
    ids = [p.programme.id for p in cp.programmes]
    parts = (policies, repr(ids), repr(sorted(cp.notnull)), repr(list(schema.items())), repr(extra), repr(rows),
             repr(per_kind), ibis.__version__)
    return WD.template_key("sql", parts, _SOURCE_DIGEST)


def _source_digest() -> bytes:
    here = Path(__file__).parent
    files = ("compile.py", "wide.py", "run.py", "watched.py")
    return hashlib.sha256(b"".join((here / f).read_bytes() for f in files)).digest()


_SOURCE_DIGEST = _source_digest()
_TEMPLATES = WD.Templates()
_SQL_CACHE: dict[tuple, tuple] = {}


def _is_duckdb(con: Any) -> bool:
    return getattr(con, "name", "") == "duckdb"


def _execute(cp: C.CompiledPolicies, con: Any, pop: Any, extra: list[str], *, rows: bool = False, source: str | None = None, per_kind: bool = True) -> dict[str, list[dict]]:
    """Run the plan over one population (or batch): DuckDB through cached SQL and temp tables,
    any other backend (Spark) as ibis expressions. ``source`` (DuckDB): the relation the SQL reads
    in place of ``SOURCE`` — ``read_parquet('…')``, a registered table, a parenthesised query
    (None: the caller has defined a relation named ``SOURCE`` itself).
    ``per_kind``: read each claim kind's rows with its own filtered scan (``wide.kind_rows``)
    rather than through one packed copy (DuckDB only; Spark reads the claims once)."""
    if _is_duckdb(con):
        raw = con.con
        # the join-order optimizer only costs here: planning ``__c`` (42 UNION ALL branches, no
        # join) spent 0.38 s in it; the one join (``__em``) builds on its right side either way
        prior = raw.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
        off = ",".join(x for x in [*str(prior or "").split(","), "join_order"] if x.strip())
        raw.execute(f"SET disabled_optimizers = '{off}'")
        create = lambda name, sql: raw.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {_reading(sql, source)}')  # noqa: E731
        # SQL printed now (not cached): each step starts in DuckDB (which releases the GIL) while
        # ibis prints the next one — one worker, so the steps run in order, and nothing else uses
        # the connection meanwhile. 1 M, SQL printed in the run: 8.3–9.3 → 6.1–7.1 s after a warm-up
        # run; the first run of a fresh process 6.8–9.1 → 6.3–8.2 s (5 pairs, noisy machine)
        pool = ThreadPoolExecutor(max_workers=1)
        started: list[tuple[str, Future]] = []
        steps: list[tuple[str, str]] = []
        try:
            steps, finals = _sql_plan(cp, pop.schema(), extra, rows, per_kind, on_step=lambda name, sql: started.append((name, pool.submit(create, name, sql))))
            for _, job in started:
                job.result()
            for name, sql in steps[len(started):]:
                create(name, sql)
            return {k: _records(raw.execute(_reading(sql, source))) for k, sql in finals.items()}
        finally:
            pool.shutdown(wait=True)
            raw.execute(f"SET disabled_optimizers = '{prior or ''}'")
            for name in dict.fromkeys([n for n, _ in started] + [n for n, _ in steps]):  # started: also when printing failed
                raw.execute(f'DROP TABLE IF EXISTS "{name}"')
    def bind(name: str, expr: Any) -> Any:
        """Spark: materialise the step (checkpointed, lineage cut) and register it as a temp view."""
        session = con._session
        df = session.sql(con.compile(expr)).localCheckpoint(eager=True)
        view = f"{name}_{id(expr)}"
        df.createOrReplaceTempView(view)
        return con.table(view)

    plan = W.build(cp, pop, extra, bind, rows=rows, bit_or=False, per_kind_scan=False)
    return {k: con.to_pyarrow(v).to_pylist() for k, v in plan.finals.items() if v is not None}


def _records(cursor: Any) -> list[dict]:
    """A DuckDB result as dicts, through DuckDB's own conversion (Arrow's ``to_pylist`` would import
    pandas: 0.14 s of a CLI run)."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _reading(sql: str, source: str | None) -> str:
    """The cached SQL reading ``source`` where it names ``SOURCE``. Written into the statement rather
    than behind a view: DuckDB binds a view once per reference (each claim kind's SELECT is one),
    ~9 ms for a 314-column ``SELECT *`` against ~4 ms for ``read_parquet`` itself (``__c``
    planning 0.69–0.88 → 0.37–0.59 s at 1 M)."""
    return sql if source is None else sql.replace(f'"{SOURCE}"', source)


@dataclass
class Summary:
    """Per programme × district counts and sums (yuan as Decimal, exact)."""

    on: dt.date
    engine: str
    enterprises: int
    rows: int
    # per programme × group: programme, title, by, results, eligible, needs_info, …, ceiling,
    # after_caps, needs_info_ceiling (SUMMARY_SCHEMA)
    records: list[dict]
    programmes: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    _table: pa.Table | None = field(default=None, repr=False, compare=False)

    @property
    def table(self) -> pa.Table:
        """The records as an Arrow table (built when first asked: a CLI run prints the records
        without it, and converting to Arrow imports pandas, 0.14 s)."""
        if self._table is None:
            self._table = pa.Table.from_pylist(self.records, schema=SUMMARY_SCHEMA)
        return self._table

    def totals(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for row in self.records:
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
            "by": [plain(r) for r in self.records],
        }


SUMMARY_SCHEMA = pa.schema(
    [("programme", pa.string()), ("title", pa.string()), ("by", pa.string())]
    + [(k, pa.int64()) for k in ("results", "eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope")]
    + [(k, pa.decimal128(20, 2)) for k in ("ceiling", "after_caps", "needs_info_ceiling")]
)


def _fen_to_yuan(v: Any) -> Decimal:
    return (Decimal(int(v or 0)) / 100).quantize(Decimal("0.01"))


def per_kind_scan(cp: C.CompiledPolicies, path: str | Path) -> bool:
    """Whether to read each claim kind with its own filtered scan: yes when the file is clustered
    by kind, i.e. those scans would together read at most a third of the claim rows once per kind
    (at least 2×). Measured at 1 M, 42 kinds: clustered file (ratio 8.6) 4.6 → 4.2 s wall; the
    same rows in generation order (ratio 42) 8.0 s packed, 8.7–11 s per kind."""
    kinds = {p.programme.subject for p in cp.programmes if p.programme.subject != ENTERPRISE}
    if not kinds:
        return False
    ratio = kind_scan_ratio(path, kinds)
    return ratio is not None and ratio <= max(2.0, len(kinds) / 3)


def open_population(con: Any, path: str | Path, engine: str) -> Any:
    schema = population_schema(path)
    return schema, con.read_parquet(str(path))


def run(
    policies: M.PolicySet,
    path: Any,
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
    """Run every programme over the population: a Parquet file, a resident population
    (``resident.Resident``, from ``resident.load``) or a ``.duckdb`` file written by
    ``huiqi simulate load``; batches of enterprises bound the memory."""
    import time

    from huiqi.simulate import resident as RS

    t0 = time.perf_counter()
    cp = compiled or C.prepare(policies, on, programmes)
    if not isinstance(path, RS.Resident) and engine == "duckdb" and RS.is_database(path):
        path = RS.open_resident(path)
    res = path if isinstance(path, RS.Resident) else None
    if res is not None and res.notnull:
        cp = _with_notnull(cp, res.notnull)
    needed = set().union(*[p.columns for p in cp.programmes]) if cp.programmes else set()
    if res is not None:
        if engine != "duckdb":
            raise InputError([Problem("--engine", "驻留人口表只能用 DuckDB 运行", "a resident population runs on DuckDB only")])
        con = res.con
        schema = res.schema
        missing = sorted((needed | ({by} if by else set())) - set(schema.names))
        if missing:
            raise InputError([Problem(c, "驻留人口表没有此列（加载时的政策未读取它）：请用当前政策重新 huiqi simulate load", "the resident population has no such column (the policies it was loaded with did not read it): load it again with these policies", res.database) for c in missing])
        pop = ibis.table(ibis.Schema.from_pyarrow(schema), name=SOURCE)
        stats = {"lo": res.lo, "hi": res.hi, "n": res.enterprises, "rows": res.rows}
    else:
        con = con or connect(engine)
        schema, pop = open_population(con, path, engine)
        check_schema(schema, policies.vocabulary, needed | ({by} if by else set()), file=str(path))
        ids = pop.aggregate(lo=pop[C.ENTERPRISE_ID].min(), hi=pop[C.ENTERPRISE_ID].max(), n=pop[C.ENTERPRISE_ID].nunique() if engine == "spark" else (pop[C.CLAIM_SEQ] == 0).sum(), rows=pop.count())
        stats = con.to_pyarrow(ids).to_pylist()[0]
    extra = [by] if by else []
    lo, hi = stats["lo"] or 0, stats["hi"] if stats["hi"] is not None else -1
    if batch is None and res is None and (stats["n"] or 0) > AUTO_BATCH * 5 // 4:
        # bounded memory over a file: the wide intermediates are per batch. Not over a resident
        # population: a batch there is a filter on enterprise ids, which the table's order (enterprise
        # rows, then claims by kind) cannot skip by, so every batch reads every row (10 M, 52
        # programmes: 5 batches 44–49 s, one pass 15.6 s at 4.3 GiB peak); DuckDB's memory_limit
        # and temp_directory bound it instead
        batch = AUTO_BATCH
    batches = [(lo, hi)] if not batch else [(a, min(a + batch - 1, hi)) for a in range(lo, hi + 1, batch)]
    parts: list[dict[str, list[dict]]] = []
    duck = _is_duckdb(con)
    per_kind = duck and (res is not None or per_kind_scan(cp, path))
    for i, (a, b) in enumerate(batches):
        if duck:
            scan = res.relation if res is not None else "read_parquet('" + str(Path(path)).replace("'", "''") + "')"
            if len(batches) > 1:
                scan = f"(SELECT * FROM {scan} WHERE {C.ENTERPRISE_ID} BETWEEN {int(a)} AND {int(b)})"
            parts.append(_execute(cp, con, pop, extra, source=scan, per_kind=per_kind))
        else:
            part = pop if len(batches) == 1 else pop.filter(pop[C.ENTERPRISE_ID].between(a, b))
            parts.append(_execute(cp, con, part, extra))
        if progress:
            progress(i + 1, len(batches))
    out = _tidy(cp, parts, by)
    return Summary(on=on, engine=engine, enterprises=int(stats["n"] or 0), rows=int(stats["rows"] or 0), records=out,
                   seconds=time.perf_counter() - t0)


def prepare_plan(policies: M.PolicySet, res: Any, *, on: dt.date, by: str | None = DEFAULT_BY) -> None:
    """Build and keep the SQL template that a run of the resident population ``res`` reads at ``on``
    — and at every date the compiler cannot tell from it (``_sql_plan``) —, all programmes, grouped
    by ``by``: ``huiqi simulate load`` calls it, so a later process's first run builds no SQL."""
    cp = _with_notnull(C.prepare(policies, on), res.notnull)
    _sql_plan(cp, ibis.Schema.from_pyarrow(res.schema), [by] if by else [], False, True)


_NOTNULL: dict[tuple, C.CompiledPolicies] = {}


def _with_notnull(cp: C.CompiledPolicies, notnull: frozenset) -> C.CompiledPolicies:
    """``cp`` knowing which of its columns are never NULL (one object per pair: the SQL cache keys on it)."""
    import dataclasses

    cols = frozenset(notnull) & frozenset(set().union(*[p.columns for p in cp.programmes]) if cp.programmes else set())
    key = (id(cp), cols)
    hit = _NOTNULL.get(key)
    if hit is None or hit.programmes is not cp.programmes:
        if len(_NOTNULL) > 16:
            _NOTNULL.clear()
        hit = _NOTNULL[key] = dataclasses.replace(cp, notnull=cols)
    return hit


_SUMS = ("results", "eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope", "ceiling_fen", "after_caps_fen", "needs_info_fen")


def _tidy(cp: C.CompiledPolicies, parts: list[dict[str, list[dict]]], by: str | None) -> list[dict]:
    """Add up the batches' wide aggregates per programme × group; fen → yuan (Decimal)."""
    acc: dict[tuple, dict] = {}

    def slot(pi: int, group: Any) -> dict:
        return acc.setdefault((pi, group), {k: 0 for k in _SUMS})

    capped = {p.index for p in cp.programmes if p.caps}
    for part in parts:
        for row in part["ent"]:
            group = row.get(by) if by else None
            for p in cp.programmes:
                a = slot(p.index, group)
                for k in ("results", "eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope", "ceiling_fen", "needs_info_fen"):
                    a[k] += int(row.get(f"x{p.index}_{k}") or 0)
        if "claims" in part:
            for row in part["claims"]:
                a = slot(row["__prog"], row.get(by) if by else None)
                for k in ("results", "eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope", "ceiling_fen", "needs_info_fen"):
                    a[k] += int(row[k] or 0)
    for a in acc.values():
        a["after_caps_fen"] = a["ceiling_fen"]
    for (pi, _), a in acc.items():
        if pi in capped:
            a["after_caps_fen"] = 0
            a["needs_info_fen"] = 0
    for part in parts:
        if "caps" in part:
            for row in part["caps"]:
                a = slot(row["__prog"], row.get(by) if by else None)
                a["after_caps_fen"] += int(row["after_caps_fen"] or 0)
                a["needs_info_fen"] += int(row["needs_info_fen"] or 0)
    rows = []
    for (pi, group), a in sorted(acc.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if not a["results"]:
            continue
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
    return rows


def row_results(cp: C.CompiledPolicies, con: Any, table: pa.Table, *, per_kind: bool = True, notnull: bool = False) -> dict[tuple[int, str, int], tuple[str, Decimal | None]]:
    """Per-result status and ceiling for an in-memory population (tests compare these with the engine);
    ``per_kind``: DuckDB's claim scan (one per kind, or one packed copy); ``notnull``: no
    unknown-tracking for the columns without a NULL (as over a resident population)."""
    if getattr(con, "name", "") == "pyspark":  # ibis hands memtables to Spark through pandas, which loses NULL decimals
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="huiqi-sim-")) / "population.parquet"
        pq.write_table(table, str(tmp))
        pop = con.read_parquet(str(tmp))
    if _is_duckdb(con):
        con.con.register("__pop_arrow", table)
        if notnull:
            from huiqi.simulate.resident import never_null

            cp = _with_notnull(cp, frozenset(never_null(con.con, list(table.column_names), '"__pop_arrow"')))
        rows = _execute(cp, con, ibis.table(ibis.Schema.from_pyarrow(table.schema), name=SOURCE), [], rows=True, source='"__pop_arrow"', per_kind=per_kind)["rows"]
    else:
        rows = _execute(cp, con, pop, [], rows=True)["rows"]
    out = {}
    for r in rows:
        prog = cp.programmes[r["__prog"]].programme.id
        ceiling = None if r["__ceiling"] is None else _fen_to_yuan(r["__ceiling"])
        out[(r[C.ENTERPRISE_ID], prog, r[C.CLAIM_SEQ])] = (C.STATUS_NAMES[r["__status"]], ceiling)
    return out
