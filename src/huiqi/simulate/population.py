"""Synthetic populations, the population table's schema, and rows ↔ engine profiles.

The population table is flat: one row per (enterprise, claim) pair, and one row for an
enterprise with no claim at all. Columns (docs/simulation.md):

* ``enterprise_id`` (int64), ``claim__kind`` (text, NULL on a claim-less row),
  ``claim__id`` (text), ``claim__seq`` (int64: 0, 1, … in the enterprise's claim order;
  every enterprise has exactly one row with ``claim__seq = 0``, which carries its facts);
* ``enterprise__<fact>`` for every enterprise fact, repeated on each of its rows;
* ``call__<fact>`` (optional) for the call's dates;
* ``<kind>__<fact>`` for every claim fact, NULL on rows of other kinds.

Types: bool → boolean; int → int64; money → decimal(18, 2); ratio → decimal(18, 6); number →
decimal(28, 6); date → date32; text and enum → string. NULL is "unknown".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huiqi.rules.errors import InputError, Problem
from huiqi.rules.facts import CALL, ENTERPRISE, Vocabulary
from huiqi.rules.profile import Profile, parse_profile
from huiqi.simulate.compile import CLAIM_ID, CLAIM_KIND, CLAIM_SEQ, ENTERPRISE_ID, column_of

ARROW_TYPES = {
    "bool": pa.bool_(),
    "int": pa.int64(),
    "money": pa.decimal128(18, 2),
    "ratio": pa.decimal128(18, 6),
    "number": pa.decimal128(28, 6),
    "date": pa.date32(),
    "text": pa.string(),
    "enum": pa.string(),
}

# Shanghai's districts; the population is weighted to the districts whose policies are encoded.
DISTRICTS = ["金山区", "黄浦区", "浦东新区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区", "嘉定区", "松江区", "青浦区", "奉贤区", "崇明区"]
DISTRICT_WEIGHTS = [0.40, 0.25] + [0.35 / 14] * 14
TOWNS = {
    "金山区": ["亭林镇", "山阳镇", "朱泾镇", "枫泾镇", "张堰镇", "漕泾镇", "吕巷镇", "廊下镇", "金山卫镇", "高新区", "碳谷绿湾", "石化街道"],
    "黄浦区": ["外滩街道", "南京东路街道", "豫园街道", "打浦桥街道", "淮海中路街道", "瑞金二路街道", "五里桥街道", "老西门街道", "小东门街道", "半淞园路街道"],
}
NEGATIVE_WORDS = ("dishonest", "illegal", "violation", "penalt", "other_district_level_funding", "already", "blacklist", "serious")
UNKNOWN_RATE = 0.04  # share of facts left unknown (NULL): drives needs_info
CLAIM_RATE_TOTAL = 1.2  # expected claims per enterprise, spread over the claim kinds
CLAIM_RATE_MAX = 0.08  # at most this many expected claims of one kind


def fact_columns(vocab: Vocabulary) -> dict[str, tuple[str, Any]]:
    """Every population column a vocabulary defines → (fact type, arrow type)."""
    out: dict[str, tuple[str, Any]] = {}
    for name, f in vocab.facts.items():
        if f.subject == CALL:
            continue
        out[column_of(name)] = (f.type, ARROW_TYPES[f.type])
    return out


def arrow_schema(vocab: Vocabulary, call_columns: Iterable[str] = ()) -> pa.Schema:
    fields = [pa.field(ENTERPRISE_ID, pa.int64()), pa.field(CLAIM_KIND, pa.string()), pa.field(CLAIM_ID, pa.string()), pa.field(CLAIM_SEQ, pa.int64())]
    for c in call_columns:
        fields.append(pa.field(c, pa.date32()))
    fields += [pa.field(c, t) for c, (_, t) in fact_columns(vocab).items()]
    return pa.schema(fields)


# ------------------------------------------------------------------ generation


def _money(rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
    return np.round(rng.lognormal(np.log(median), sigma, n), 2)


def _gen_fact(rng: np.random.Generator, name: str, ftype: str, values: tuple[str, ...], n: int, ctx: dict[str, Any]) -> pa.Array:
    """Values for one fact over n subjects, with documented, plausible distributions."""
    short = name.split(".", 1)[1]
    mask = rng.random(n) < UNKNOWN_RATE
    if ftype == "bool":
        p = 0.08 if any(w in short for w in NEGATIVE_WORDS) else 0.75
        arr = rng.random(n) < p
        return pa.array(arr, pa.bool_(), mask=mask)
    if ftype == "int":
        if short == "employees":
            arr = np.maximum(1, np.round(rng.lognormal(np.log(40), 1.1, n))).astype(np.int64)
            ctx["employees"] = arr
        elif "rd_staff" in short and "employees" in ctx:
            arr = np.round(ctx["employees"] * rng.uniform(0.02, 0.4, n)).astype(np.int64)
        else:
            arr = rng.poisson(3, n).astype(np.int64)
        return pa.array(arr, pa.int64(), mask=mask)
    if ftype == "money":
        if "revenue" in short:
            arr = _money(rng, n, 2e7, 1.5)
            ctx["revenue"] = arr
        elif short.startswith("rd_") and "revenue" in ctx and len(ctx["revenue"]) == n:
            arr = np.round(ctx["revenue"] * rng.uniform(0.005, 0.12, n), 2)
        else:
            arr = _money(rng, n, 1.5e6, 1.3)
        return _decimal_array(arr, 2, ARROW_TYPES["money"], mask)
    if ftype in ("ratio", "number"):
        arr = np.round(rng.beta(2, 3, n) if ftype == "ratio" else rng.lognormal(1, 1, n), 4)
        return _decimal_array(arr, 4, ARROW_TYPES[ftype], mask)
    if ftype == "date":
        if ctx.get("subject") == ENTERPRISE:
            start, span = dt.date(2000, 1, 1), 9131
        else:
            start, span = dt.date(2023, 1, 1), 1277  # 2023-01-01 … 2026-06-30
        days = rng.integers(0, span, n)
        arr = np.datetime64(start) + days.astype("timedelta64[D]")
        return pa.array(arr.astype("datetime64[D]"), pa.date32(), mask=mask)
    if ftype == "enum":
        idx = rng.integers(0, len(values), n)
        return pa.array(np.asarray(values, dtype=object)[idx], pa.string(), mask=mask)
    # text
    if short == "registered_district":
        idx = rng.choice(len(DISTRICTS), n, p=DISTRICT_WEIGHTS)
        ctx["district"] = np.asarray(DISTRICTS, dtype=object)[idx]
        return pa.array(ctx["district"], pa.string(), mask=mask)
    if short == "town" and "district" in ctx:
        out = np.empty(n, dtype=object)
        for d, towns in TOWNS.items():
            sel = ctx["district"] == d
            out[sel] = np.asarray(towns, dtype=object)[rng.integers(0, len(towns), int(sel.sum()))]
        rest = out == None  # noqa: E711
        out[rest] = "其他街镇"
        return pa.array(out, pa.string(), mask=mask)
    # identifiers (e.g. a drug's variety): few distinct values per enterprise, so count-once groups occur
    owner = ctx.get("owner")
    k = rng.integers(0, 3, n)
    if owner is not None:
        labels = np.char.add(np.char.add(owner.astype(str), "-"), k.astype(str))
    else:
        labels = np.char.add(f"{short}-", np.arange(n).astype(str))
    return pa.array(labels.astype(object), pa.string(), mask=mask)


def _decimal_array(values: np.ndarray, places: int, typ: Any, mask: np.ndarray) -> pa.Array:
    """Exact decimals from rounded floats, through scaled integers (no float error survives)."""
    return _scale(np.round(values * 10**places).astype(np.int64), places, typ, mask)


def _scale(scaled: np.ndarray, places: int, typ: Any, mask: np.ndarray) -> pa.Array:
    # pyarrow stores decimal128 as little-endian 16-byte two's complement integers of the unscaled value
    buf = np.zeros((len(scaled), 2), dtype=np.int64)
    buf[:, 0] = scaled
    buf[:, 1] = np.where(scaled < 0, -1, 0)
    validity = pa.array(~mask).buffers()[1] if mask.any() else None
    base = pa.Array.from_buffers(pa.decimal128(38, places), len(scaled), [validity, pa.py_buffer(buf.tobytes())], null_count=int(mask.sum()) if mask.any() else 0)
    return base.cast(typ)


def generate(vocab: Vocabulary, n: int, *, seed: int = 0, call: dict[str, dt.date] | None = None, chunk: int = 250_000) -> Iterable[pa.Table]:
    """Yield the population in chunks of enterprises (same seed → same population)."""
    kinds = vocab.claim_kinds()
    rate = min(CLAIM_RATE_MAX, CLAIM_RATE_TOTAL / max(1, len(kinds)))
    call = call if call is not None else {"period_start": dt.date(2025, 1, 1), "period_end": dt.date(2025, 12, 31)}
    call_cols = [column_of(f"{CALL}.{k}") for k in call]
    schema = arrow_schema(vocab, call_cols)
    ent_facts = vocab.facts_of(ENTERPRISE)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        rng = np.random.default_rng([seed, start])
        ids = np.arange(start, start + m, dtype=np.int64)
        ctx: dict[str, Any] = {"subject": ENTERPRISE}
        ent_cols = {column_of(f"{ENTERPRISE}.{k}"): _gen_fact(rng, f"{ENTERPRISE}.{k}", f.type, f.values, m, ctx) for k, f in ent_facts.items()}
        counts = {k: rng.poisson(rate, m) for k in kinds}
        total = sum(counts.values()) if kinds else np.zeros(m, dtype=np.int64)
        rows_per = np.maximum(total, 1)
        nrows = int(rows_per.sum())
        owner = np.repeat(np.arange(m), rows_per)
        seq = np.arange(nrows) - np.repeat(np.cumsum(rows_per) - rows_per, rows_per)
        kind_col = np.full(nrows, None, dtype=object)
        row_start = np.cumsum(rows_per) - rows_per
        offset = np.zeros(m, dtype=np.int64)
        claim_rows: dict[str, np.ndarray] = {}
        for k in kinds:
            c = counts[k]
            ents = np.repeat(np.arange(m), c)
            local = np.arange(len(ents)) - np.repeat(np.cumsum(c) - c, c)
            rows = row_start[ents] + offset[ents] + local
            offset += c
            kind_col[rows] = k
            claim_rows[k] = rows
        cols: dict[str, pa.Array] = {
            ENTERPRISE_ID: pa.array(ids[owner]),
            CLAIM_KIND: pa.array(kind_col, pa.string()),
            CLAIM_ID: pa.array(np.where(kind_col == None, None, np.char.add(np.char.add(kind_col.astype(str), "-"), seq.astype(str)).astype(object)), pa.string()),  # noqa: E711
            CLAIM_SEQ: pa.array(seq.astype(np.int64)),
        }
        for k, v in call.items():
            cols[column_of(f"{CALL}.{k}")] = pa.array([v] * nrows, pa.date32())
        for c, arr in ent_cols.items():
            cols[c] = arr.take(pa.array(owner))
        for k in kinds:
            rows = claim_rows[k]
            kctx = {"subject": k, "owner": ids[owner[rows]]}
            for fname, f in vocab.facts_of(k).items():
                col = column_of(f"{k}.{fname}")
                values = _gen_fact(rng, f"{k}.{fname}", f.type, f.values, len(rows), kctx)
                full = pa.nulls(nrows, ARROW_TYPES[f.type])
                if len(rows):
                    idx = np.full(nrows, -1, dtype=np.int64)
                    idx[rows] = np.arange(len(rows))
                    take = pa.array(idx, mask=idx < 0)
                    full = values.take(take)
                cols[col] = full
        yield pa.table([cols[f.name] if f.name in cols else pa.nulls(nrows, f.type) for f in schema], schema=schema)


ROW_GROUP = 32 * 1024


def clustered(table: pa.Table) -> pa.Table:
    """The enterprise rows (``claim__seq = 0``) first, then the other claim rows; within each, ordered
    by claim kind (rows without a claim last), then enterprise and claim.

    The population is wide and sparse: each claim kind's columns are NULL outside that kind's rows.
    Written in this order, in row groups of ``ROW_GROUP`` rows, most of a row group's claim columns
    are entirely NULL, which the Parquet reader decodes almost for free, and the enterprise rows'
    row groups can be read without the others (their ``claim__seq`` statistics). Measured at 1 M
    enterprises: reading every column 4.0 → 2.0 s CPU; the whole simulation 22.8 → 16.9 s CPU.
    The results do not depend on the order (rows are matched by enterprise and claim__seq)."""
    first = pc.equal(table[CLAIM_SEQ], 0)
    parts = [table.filter(first), table.filter(pc.invert(first))]
    keys = [(CLAIM_KIND, "ascending"), (ENTERPRISE_ID, "ascending"), (CLAIM_SEQ, "ascending")]  # NULL kinds sort last
    return pa.concat_tables([p.sort_by(keys) for p in parts])


def cluster_file(src: str | Path, dst: str | Path) -> int:
    """Rewrite a population file in the ``clustered`` order (DuckDB sorts, spilling to disk when the
    file is larger than memory); return the number of rows. For files not written by ``generate``."""
    import duckdb

    src, dst = Path(src), Path(dst)
    names = population_schema(src).names
    if src.resolve() == dst.resolve():
        raise InputError([Problem("out", "输出文件不能与输入文件相同", "the output file must differ from the input file", str(dst))])
    missing = [c for c in (ENTERPRISE_ID, CLAIM_KIND, CLAIM_SEQ) if c not in names]
    if missing:
        raise InputError([Problem(c, f"人口表缺少列 {c}", f"the population table lacks column {c!r}", str(src)) for c in missing])
    con = duckdb.connect()
    q = lambda p: str(p).replace("'", "''")  # noqa: E731
    try:
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{q(src)}') ORDER BY {CLAIM_SEQ} <> 0, {CLAIM_KIND} NULLS LAST, {ENTERPRISE_ID}, {CLAIM_SEQ}) "
            f"TO '{q(dst)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})"
        )
        return int(con.execute(f"SELECT count(*) FROM read_parquet('{q(dst)}')").fetchone()[0])
    except duckdb.Error as exc:
        raise InputError([Problem("population", f"无法读取人口表：{exc}", f"cannot read the population file: {exc}", str(src))]) from None
    finally:
        con.close()


def write_population(vocab: Vocabulary, n: int, out: str | Path, *, seed: int = 0, progress: Any = None) -> int:
    """Generate n enterprises into a Parquet file (each chunk of enterprises ``clustered``); return the number of rows written."""
    writer = None
    rows = 0
    try:
        for chunk in generate(vocab, n, seed=seed):
            table = clustered(chunk)
            if writer is None:
                writer = pq.ParquetWriter(str(out), table.schema, compression="zstd")
            writer.write_table(table, row_group_size=ROW_GROUP)
            rows += table.num_rows
            if progress:
                progress(min(n, chunk.column(ENTERPRISE_ID)[-1].as_py() + 1))
    finally:
        if writer is not None:
            writer.close()
    return rows


# ------------------------------------------------------------------ checking a population file

_KIND_OK = {
    "bool": lambda t: pa.types.is_boolean(t),
    "int": lambda t: pa.types.is_integer(t) or (pa.types.is_decimal(t) and t.scale == 0),
    "money": lambda t: pa.types.is_integer(t) or pa.types.is_decimal(t),
    "ratio": lambda t: pa.types.is_integer(t) or pa.types.is_decimal(t),
    "number": lambda t: pa.types.is_integer(t) or pa.types.is_decimal(t),
    "date": lambda t: pa.types.is_date(t),
    "text": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t),
    "enum": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t),
}
_KIND_ZH = {"bool": "布尔", "int": "整数", "money": "金额（decimal 或整数）", "ratio": "比例（decimal）", "number": "数值（decimal）", "date": "日期", "text": "文本", "enum": "文本（枚举）"}


def check_schema(schema: pa.Schema, vocab: Vocabulary, needed: Iterable[str], *, file: str = "") -> None:
    """Raise InputError naming every missing or mistyped column the compiled rules need."""
    problems: list[Problem] = []
    names = set(schema.names)
    base = {ENTERPRISE_ID: ("int", "整数"), CLAIM_SEQ: ("int", "整数"), CLAIM_KIND: ("text", "文本")}
    for col, (kind, _) in base.items():
        if col not in names:
            problems.append(Problem(col, "人口表缺少此列", "the population table has no such column", file))
        elif not _KIND_OK[kind](schema.field(col).type):
            problems.append(Problem(col, f"类型应为{_KIND_ZH[kind]}，实际为 {schema.field(col).type}", f"must be {kind}, got {schema.field(col).type}", file))
    for col in sorted(set(needed)):
        fdef = vocab.fact(col.replace("__", ".", 1))
        if fdef is None:
            continue
        if col not in names:
            problems.append(Problem(col, f"人口表缺少此列（{fdef.zh}）", f"the population table has no column for {fdef.en!r}", file))
            continue
        t = schema.field(col).type
        if not _KIND_OK[fdef.type](t):
            problems.append(Problem(col, f"类型应为{_KIND_ZH[fdef.type]}，实际为 {t}", f"must be {fdef.type}, got {t}", file))
    for col in names:
        if col.startswith(CALL + "__") and not pa.types.is_date(schema.field(col).type) and vocab.fact(col.replace("__", ".", 1)) is not None and vocab.fact(col.replace("__", ".", 1)).type == "date":
            problems.append(Problem(col, f"类型应为日期，实际为 {schema.field(col).type}", f"must be a date, got {schema.field(col).type}", file))
    if problems:
        raise InputError(problems)


# ------------------------------------------------------------------ rows → engine profiles


def _plain(v: Any) -> Any:
    return v


def to_profiles(table: pa.Table, vocab: Vocabulary) -> dict[int, Profile]:
    """The engine's view of a population table: one checked Profile per enterprise."""
    rows = table.to_pylist()
    by_ent: dict[int, dict] = {}
    kinds = set(vocab.claim_kinds())
    for row in sorted(rows, key=lambda r: (r[ENTERPRISE_ID], r[CLAIM_SEQ])):
        eid = row[ENTERPRISE_ID]
        if eid not in by_ent:
            ent = {k.split("__", 1)[1]: v for k, v in row.items() if k.startswith(ENTERPRISE + "__") and v is not None}
            call = {k.split("__", 1)[1]: v for k, v in row.items() if k.startswith(CALL + "__") and v is not None}
            by_ent[eid] = {"enterprise": ent, "call": call, "claims": []}
        kind = row.get(CLAIM_KIND)
        if kind in kinds:
            claim = {"id": row.get(CLAIM_ID) or f"{kind}-{row[CLAIM_SEQ]}", "kind": kind}
            claim.update({k.split("__", 1)[1]: v for k, v in row.items() if k.startswith(kind + "__") and v is not None})
            by_ent[eid]["claims"].append(claim)
    return {eid: parse_profile(data, vocab) for eid, data in by_ent.items()}


def population_schema(path: str | Path) -> pa.Schema:
    """The Parquet schema of a population file; a missing or unreadable file is a bilingual InputError."""
    path = Path(path)
    if not path.exists():
        raise InputError([Problem("population", f"文件不存在：{path}", f"no such file: {path}", str(path))])
    try:
        return pq.read_schema(str(path))
    except Exception as exc:  # noqa: BLE001
        raise InputError([Problem("population", f"不是可读的 Parquet 文件：{exc}", f"not a readable Parquet file: {exc}", str(path))]) from None


def read_population(path: str | Path) -> pa.Table:
    population_schema(path)
    return pq.read_table(str(path))


def kind_scan_ratio(path: str | Path, kinds: Iterable[str]) -> float | None:
    """How many rows one filtered scan per claim kind would read, over the rows holding a claim,
    judged from the row groups' ``claim__kind`` min/max statistics alone (no data is read):
    about 1 for a ``clustered`` file, about the number of kinds for a file in generation order.
    None when the statistics are missing (the scans could then skip nothing)."""
    md = pq.ParquetFile(str(path)).metadata
    names = [md.schema.column(i).path for i in range(md.num_columns)]
    if CLAIM_KIND not in names:
        return None
    col = names.index(CLAIM_KIND)
    kinds = sorted(set(kinds))
    claim_rows = scanned = 0
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        st = rg.column(col).statistics
        if st is not None and st.null_count == rg.num_rows:
            continue  # no claim in this row group: every per-kind scan skips it
        if st is None or not st.has_min_max:
            return None
        claim_rows += rg.num_rows
        scanned += rg.num_rows * sum(1 for k in kinds if st.min <= k <= st.max)
    return scanned / claim_rows if claim_rows else 1.0
