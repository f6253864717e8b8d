"""huiqi against the tools its users would pick instead: OpenFisca and plain Python, same programmes, same rows.

    .venv/bin/pip install -e '.[bench]'                  # openfisca-core, numpy
    .venv/bin/python benchmarks/bench_peers.py            # 1,000,000 enterprises
    .venv/bin/python benchmarks/bench_peers.py --n 100000 --repeat 5

The 12 Jinshan programmes of issue 17 (J1.1, J1.2, J2.3–J2.6, J3.1, J4.1, J4.2, J5.4, J7.1, J8.2),
*ceilings only*: per programme the number of eligible results and their total ceiling before caps.
"Eligible" as the engine means it: in scope, in force, every hard criterion true, no criterion or
amount fact unknown, a case / band / tier applying. The peers are written from the same rule model
(a small translator from its expressions to numpy, and to Python closures) so that they do the same
work as huiqi and their totals can be compared with huiqi's eligible ceiling; they skip what huiqi
does beyond that (statuses, needs-info ceilings, count-once keys, caps, exact decimals: float64).

* **huiqi**: the population resident in DuckDB (``resident.load``, in memory), SQL cached (warm);
* **OpenFisca** (openfisca-core): one entity (the population row), every fact an input variable
  (numbers float64, dates as day numbers, text as integer codes, plus a "known" mask per fact), one
  variable per programme whose formula computes the ceiling where eligible; the inputs are set from
  arrays already in memory, then the 12 variables are calculated (warm: the system is built once);
* **plain Python**: a loop over the rows (tuples), one compiled closure per programme; run on a
  sample (``--python-sample``) and scaled to N;
* **DuckDB floor**: one query reading every column the 12 programmes read from the resident table
  (and from the Parquet file): no design that reads the data can go below it.

Runs are interleaved (huiqi, OpenFisca, huiqi, OpenFisca …) and each time is printed; the ratios
use the minimum of each. Then huiqi over all programmes (warm, resident), and the speed-up over the
engine evaluating the same profiles one by one. The last line is
``huiqi vs OpenFisca, 12 programmes, N enterprises: X.X× faster`` (below 1: slower).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import numpy as np

ON = dt.date(2025, 9, 1)
TWELVE = ["J1.1", "J1.2", "J2.3", "J2.4", "J2.5", "J2.6", "J3.1", "J4.1", "J4.2", "J5.4", "J7.1", "J8.2"]
EPOCH = dt.date(1970, 1, 1)


def _cpu() -> float:
    return sum(resource.getrusage(resource.RUSAGE_SELF)[:2])


# ------------------------------------------------------------------ the data, as arrays


class Codes:
    """A text column as integer codes (-1: unknown) and its code book."""

    def __init__(self, codes: np.ndarray, book: dict[str, int]):
        self.codes, self.book = codes, book

    def code(self, s: str) -> int:
        return self.book.get(s, -2)


def arrays_of(table: Any) -> dict[str, tuple[Any, np.ndarray]]:
    """Arrow table → {column: (values, known)}: numbers float64, bools, dates as day numbers, text as Codes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, tuple[Any, np.ndarray]] = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        known = ~np.asarray(col.is_null().to_numpy(zero_copy_only=False))
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.cast(t.value_type)
            t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            enc = pc.dictionary_encode(col).combine_chunks() if hasattr(pc.dictionary_encode(col), "combine_chunks") else pc.dictionary_encode(col)
            book = {s: i for i, s in enumerate(enc.dictionary.to_pylist())}
            codes = np.asarray(enc.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
            out[name] = (Codes(codes, book), known)
        elif pa.types.is_boolean(t):
            out[name] = (np.asarray(col.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool), known)
        elif pa.types.is_date(t):
            out[name] = (np.asarray(col.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64), known)
        elif pa.types.is_decimal(t):
            out[name] = (np.asarray(col.cast(pa.float64()).fill_null(0).to_numpy(zero_copy_only=False)), known)
        else:
            out[name] = (np.asarray(col.cast(pa.float64()).fill_null(0).to_numpy(zero_copy_only=False)), known)
    return out


# ------------------------------------------------------------------ the rule model → numpy (three-valued)


class Vec:
    """Evaluate rule expressions over arrays: (values, known) pairs; Kleene logic for and/or."""

    def __init__(self, get: Callable[[str], tuple[Any, Any]], params: dict[str, Any], n: int):
        self.get, self.params, self.n = get, params, n

    def lit(self, v: Any) -> tuple[Any, Any]:
        if v is None:
            return 0.0, False
        if isinstance(v, bool):
            return v, True
        if isinstance(v, Decimal):
            return float(v), True
        if isinstance(v, dt.date):
            return (v - EPOCH).days, True
        return v, True  # text

    def ev(self, node: Any) -> tuple[Any, Any]:
        from huiqi.rules import expr as E

        if isinstance(node, E.Literal):
            return self.lit(node.value)
        if isinstance(node, E.Name):
            if node.is_fact:
                if node.name == "call.date":
                    return self.lit(ON)
                return self.get(node.name.replace(".", "__"))
            return self.lit(self.params.get(node.name))
        if isinstance(node, E.Unary):
            v, k = self.ev(node.operand)
            return (np.logical_not(v), k) if node.op == "not" else (-v, k)
        if isinstance(node, E.In):
            v, k = self.ev(node.operand)
            if isinstance(v, Codes):
                r = np.isin(v.codes, [v.code(o) for o in node.options])
            else:
                r = np.isin(v, list(node.options))
            return (~r if node.negated else r), k
        if isinstance(node, E.Binary):
            op = node.op
            a, ak = self.ev(node.left)
            b, bk = self.ev(node.right)
            if op == "and":
                true = ak & bk & a & b
                false = (ak & np.logical_not(a)) | (bk & np.logical_not(b))
                return true, true | false
            if op == "or":
                true = (ak & a) | (bk & b)
                false = ak & np.logical_not(a) & bk & np.logical_not(b)
                return true, true | false
            if isinstance(a, Codes) or isinstance(b, Codes):
                if isinstance(a, Codes) and isinstance(b, str):
                    a, b = a.codes, a.code(b)
                elif isinstance(b, Codes) and isinstance(a, str):
                    a, b = a, b  # constant on the left: not used by the 12 programmes
                    raise NotImplementedError("text constant on the left")
                else:
                    raise NotImplementedError("text compared with text")
            k = ak & bk
            if op == "==":
                return a == b, k
            if op == "!=":
                return a != b, k
            if op == "<":
                return a < b, k
            if op == "<=":
                return a <= b, k
            if op == ">":
                return a > b, k
            if op == ">=":
                return a >= b, k
            if op == "+":
                return a + b, k
            if op == "-":
                return a - b, k
            if op == "*":
                return a * b, k
            if op == "/":
                zero = b == 0
                with np.errstate(divide="ignore", invalid="ignore"):
                    return np.where(zero, 0.0, a / np.where(zero, 1.0, b)), k & ~zero
            raise NotImplementedError(op)
        if isinstance(node, E.Call):
            f = node.function
            args = [self.ev(a) for a in node.args]
            if f == "if":
                (c, ck), (x, xk), (y, yk) = args
                return np.where(c, x, y), ck & np.where(c, xk, yk)
            if f in ("min", "max"):
                vals = [a for a, _ in args]
                k = np.logical_and.reduce([np.broadcast_to(k, (self.n,)) for _, k in args])
                return (np.minimum.reduce(vals) if f == "min" else np.maximum.reduce(vals)), k
            if f == "known":
                return np.broadcast_to(args[0][1], (self.n,)), True
            raise NotImplementedError(f)
        raise NotImplementedError(type(node))

    def amount(self, a: Any) -> tuple[Any, Any, Any]:
        """(value, known, applies)."""
        from huiqi.rules import model as M

        n = self.n
        if isinstance(a, M.Fixed):
            v, k = self.ev(a.amount)
            return v, k, True
        if isinstance(a, M.Rate):
            b, bk = self.ev(a.base)
            r, rk = self.ev(a.rate)
            v, k = b * r, bk & rk
            if a.cap is not None:
                c, ck = self.ev(a.cap)
                v, k = np.minimum(v, c), k & ck
            return v, k, True
        if isinstance(a, M.PerUnit):
            c, ck = self.ev(a.count)
            u, uk = self.ev(a.unit_amount)
            v, k = c * u, ck & uk
            if a.cap is not None:
                cap, capk = self.ev(a.cap)
                v, k = np.minimum(v, cap), k & capk
            return v, k, True
        if isinstance(a, M.MultiYear):
            v, k, ap = self.amount(a.each_year)
            return v * a.years, k, ap
        if isinstance(a, M.Cases):
            value, known, applies = np.zeros(n), np.zeros(n, bool), np.zeros(n, bool)
            open_ = np.ones(n, bool)
            for case in a.cases:
                c, ck = self.ev(case.when)
                c, ck = np.broadcast_to(c, (n,)), np.broadcast_to(ck, (n,))
                unknown = open_ & ~ck
                hit = open_ & ck & c
                if hit.any():
                    v, k, ap = self.amount(case.amount)
                    value = np.where(hit, v, value)
                    known = np.where(hit, k, known)
                    applies = np.where(hit, ap, applies)
                open_ &= ~(unknown | hit)
            known = known | open_  # no case: known, not applicable
            return value, known, applies
        if isinstance(a, M.Bands):
            b, bk = self.ev(a.base)
            value, applies = np.zeros(n), np.zeros(n, bool)
            open_ = np.ones(n, bool)
            for band in a.bands:
                lo, _ = self.ev(band.lower)
                hit = open_ & (b >= lo)
                if band.upper is not None:
                    hi, _ = self.ev(band.upper)
                    hit &= b < hi
                r, _ = self.ev(band.rate)
                v = b * r
                if band.cap is not None:
                    v = np.minimum(v, self.ev(band.cap)[0])
                value = np.where(hit, v, value)
                applies |= hit
                open_ &= ~hit
            return value, bk, applies
        if isinstance(a, M.HighestTier):
            x, xk = self.ev(a.value)
            best = np.full(n, -1.0)
            for tier in a.tiers:
                at, _ = self.ev(tier.at_least)
                s, _ = self.ev(tier.amount)
                best = np.where(x >= at, np.maximum(best, s), best)
            applies = best >= 0
            value, known = best, xk
            if a.already_awarded is not None:
                p, pk = self.ev(a.already_awarded)
                value = np.where(p != 0, np.maximum(best - p, 0), best)
                known = known & pk
            return value, known, applies
        raise NotImplementedError(type(a).__name__)


def programme_ceiling(ps: Any, pid: str, vec: Vec, rows: Any) -> np.ndarray:
    """Ceiling in fen where eligible, else 0, over every population row (``rows``: this programme's rows)."""
    from huiqi.rules.facts import ENTERPRISE
    from huiqi.simulate import compile as C

    prog = next(p for p in ps.programmes() if p.id == pid)
    doc = next(d for d in ps.documents if prog in d.programmes)
    if prog.subject != ENTERPRISE and doc.window_basis == "event_date" and prog.event_date is not None:
        raise NotImplementedError("event-date windows")
    in_force = ON >= doc.issued and any(w.contains(ON) for w in [doc.in_force] + ([doc.retroactive] if doc.retroactive else []))
    if not in_force:
        return np.zeros(vec.n, np.int64)
    ok = rows.copy()
    scope, _ = C.scope_of(prog, doc)
    for c in scope:
        v, k = vec.ev(c.test)
        ok &= np.asarray(k, bool) & np.asarray(v, bool)
    for c in prog.criteria:
        v, k = vec.ev(c.test)
        ok &= np.asarray(k, bool) if c.soft else (np.asarray(k, bool) & np.asarray(v, bool))
    value, known, applies = vec.amount(prog.support.amount)
    ok &= np.asarray(known, bool) & np.asarray(applies, bool)
    fen = np.floor(np.maximum(value, 0) * 100 + 0.5).astype(np.int64)
    return np.where(ok, fen, 0)


def numpy_run(ps: Any, data: dict, n: int) -> dict[str, tuple[int, int]]:
    """The 12 programmes with numpy alone (no framework) — used to check the OpenFisca model."""
    from huiqi.rules.facts import ENTERPRISE

    seq0 = (data["claim__seq"][0] == 0)
    kind = data["claim__kind"][0]
    out = {}
    for pid in TWELVE:
        prog = next(p for p in ps.programmes() if p.id == pid)
        doc = next(d for d in ps.documents if prog in d.programmes)
        from huiqi.simulate import compile as C

        vec = Vec(lambda c: data[c], C.param_values(prog, doc, ON), n)
        rows = seq0 if prog.subject == ENTERPRISE else (kind.codes == kind.code(prog.subject))
        f = programme_ceiling(ps, pid, vec, rows)
        out[pid] = (int(np.count_nonzero(f)), int(f.sum()))
    return out


# ------------------------------------------------------------------ OpenFisca


def openfisca_system(ps: Any, data: dict) -> tuple[Any, list[str]]:
    """A TaxBenefitSystem: one entity (the population row), an input variable per fact (and its
    known mask), a variable per programme (ceiling in fen where eligible)."""
    from openfisca_core.entities import build_entity
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    from huiqi.rules.facts import ENTERPRISE
    from huiqi.simulate import compile as C

    Row = build_entity(key="row", plural="rows", label="population row", doc="one (enterprise, claim) row", is_person=True)
    tbs = TaxBenefitSystem([Row])
    books = {c: v.book for c, (v, _) in data.items() if isinstance(v, Codes)}
    for col, (v, _) in data.items():
        vt = bool if (isinstance(v, np.ndarray) and v.dtype == bool) else (int if isinstance(v, Codes) or v.dtype == np.int64 else float)
        tbs.add_variable(type(col, (Variable,), {"value_type": vt, "entity": Row, "definition_period": DateUnit.YEAR, "label": col, "default_value": -1 if isinstance(v, Codes) else vt(0)}))
        tbs.add_variable(type(f"known__{col}", (Variable,), {"value_type": bool, "entity": Row, "definition_period": DateUnit.YEAR, "label": f"{col} is known"}))
    names = []
    for pid in TWELVE:
        prog = next(p for p in ps.programmes() if p.id == pid)
        doc = next(d for d in ps.documents if prog in d.programmes)
        params = C.param_values(prog, doc, ON)

        formula = _formula(ps, pid, prog, params, books)
        name = "ceiling_" + pid.replace(".", "_")
        tbs.add_variable(type(name, (Variable,), {"value_type": int, "entity": Row, "definition_period": DateUnit.YEAR, "label": f"{pid} ceiling (fen)", "formula": formula}))
        names.append(name)
    return tbs, names


def _formula(ps: Any, pid: str, prog: Any, params: dict, books: dict) -> Callable:
    from huiqi.rules.facts import ENTERPRISE

    def formula(row: Any, period: Any, parameters: Any) -> np.ndarray:
        def get(col: str) -> tuple[Any, Any]:
            v = row(col, period)
            k = row(f"known__{col}", period)
            return (Codes(v, books[col]), k) if col in books else (v, k)

        seq = row("claim__seq", period)
        vec = Vec(get, params, len(seq))
        if prog.subject == ENTERPRISE:
            rows = seq == 0
        else:
            rows = row("claim__kind", period) == books["claim__kind"].get(prog.subject, -2)
        return programme_ceiling(ps, pid, vec, rows)

    return formula


def openfisca_run(tbs: Any, names: list[str], data: dict, n: int) -> dict[str, tuple[int, int]]:
    from openfisca_core.periods import period as make_period
    from openfisca_core.simulation_builder import SimulationBuilder

    sb = SimulationBuilder()
    sb.create_entities(tbs)
    sb.declare_person_entity("row", np.arange(n))
    sim = sb.build(tbs)
    eternity = make_period("2025")
    for col, (v, k) in data.items():
        sim.set_input(col, eternity, v.codes if isinstance(v, Codes) else v)
        sim.set_input(f"known__{col}", eternity, k)
    out = {}
    for name, pid in zip(names, TWELVE):
        f = sim.calculate(name, eternity)
        out[pid] = (int(np.count_nonzero(f)), int(f.sum()))
    return out


# ------------------------------------------------------------------ plain Python


def python_programmes(ps: Any, columns: list[str]) -> list[tuple[str, Callable[[tuple], int]]]:
    """One closure per programme over a row tuple (None = unknown): ceiling in fen where eligible, else 0."""
    from huiqi.rules import expr as E
    from huiqi.rules import model as M
    from huiqi.rules.facts import ENTERPRISE
    from huiqi.simulate import compile as C

    idx = {c: i for i, c in enumerate(columns)}

    def ex(node: Any, params: dict) -> Callable[[tuple], Any]:
        if isinstance(node, E.Literal):
            v = node.value
            return lambda r: v
        if isinstance(node, E.Name):
            if node.is_fact:
                if node.name == "call.date":
                    return lambda r: ON
                i = idx[node.name.replace(".", "__")]
                return lambda r: r[i]
            v = params.get(node.name)
            return lambda r: v
        if isinstance(node, E.Unary):
            f = ex(node.operand, params)
            if node.op == "not":
                return lambda r: None if (x := f(r)) is None else not x
            return lambda r: None if (x := f(r)) is None else -x
        if isinstance(node, E.In):
            f, opts, neg = ex(node.operand, params), set(node.options), node.negated
            return lambda r: None if (x := f(r)) is None else ((x in opts) != neg)
        if isinstance(node, E.Binary):
            a, b, op = ex(node.left, params), ex(node.right, params), node.op
            if op == "and":
                def f_and(r: tuple) -> Any:
                    x = a(r)
                    if x is False:
                        return False
                    y = b(r)
                    if y is False:
                        return False
                    return None if x is None or y is None else True
                return f_and
            if op == "or":
                def f_or(r: tuple) -> Any:
                    x = a(r)
                    if x is True:
                        return True
                    y = b(r)
                    if y is True:
                        return True
                    return None if x is None or y is None else False
                return f_or
            import operator

            fn = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "+": operator.add, "-": operator.sub, "*": operator.mul}.get(op)
            if op == "/":
                return lambda r: None if (x := a(r)) is None or (y := b(r)) is None or y == 0 else x / y
            return lambda r: None if (x := a(r)) is None or (y := b(r)) is None else fn(x, y)
        if isinstance(node, E.Call) and node.function == "if":
            c, x, y = (ex(a, params) for a in node.args)
            return lambda r: None if (v := c(r)) is None else (x(r) if v else y(r))
        raise NotImplementedError(node)

    def amount(a: Any, params: dict) -> Callable[[tuple], tuple[Any, bool]]:
        """(value or None, applies)."""
        if isinstance(a, M.Fixed):
            f = ex(a.amount, params)
            return lambda r: (f(r), True)
        if isinstance(a, M.Rate):
            b, rt = ex(a.base, params), ex(a.rate, params)
            cap = ex(a.cap, params) if a.cap is not None else None

            def rate(r: tuple) -> tuple[Any, bool]:
                x, y = b(r), rt(r)
                if x is None or y is None:
                    return None, True
                v = x * y
                if cap is not None:
                    c = cap(r)
                    return (None if c is None else min(v, c)), True
                return v, True
            return rate
        if isinstance(a, M.MultiYear):
            each, years = amount(a.each_year, params), a.years
            return lambda r: ((None if (v := each(r))[0] is None else v[0] * years), v[1])
        if isinstance(a, M.Cases):
            cases = [(ex(c.when, params), amount(c.amount, params)) for c in a.cases]

            def case(r: tuple) -> tuple[Any, bool]:
                for w, am in cases:
                    c = w(r)
                    if c is None:
                        return None, True
                    if c:
                        return am(r)
                return 0, False
            return case
        if isinstance(a, M.Bands):
            b = ex(a.base, params)
            bands = [(ex(x.lower, params), ex(x.upper, params) if x.upper is not None else None, ex(x.rate, params), ex(x.cap, params) if x.cap is not None else None) for x in a.bands]

            def band(r: tuple) -> tuple[Any, bool]:
                x = b(r)
                if x is None:
                    return None, True
                for lo, hi, rt, cap in bands:
                    if x >= lo(r) and (hi is None or x < hi(r)):
                        v = x * rt(r)
                        return (min(v, cap(r)) if cap is not None else v), True
                return 0, False
            return band
        if isinstance(a, M.HighestTier):
            x = ex(a.value, params)
            tiers = [(ex(t.at_least, params), ex(t.amount, params)) for t in a.tiers]
            prior = ex(a.already_awarded, params) if a.already_awarded is not None else None

            def tier(r: tuple) -> tuple[Any, bool]:
                v = x(r)
                if v is None:
                    return None, True
                best = None
                for at, s in tiers:
                    if v >= at(r) and (best is None or s(r) > best):
                        best = s(r)
                if best is None:
                    return 0, False
                if prior is not None:
                    p = prior(r)
                    if p is None:
                        return None, True
                    if p:
                        return max(best - p, Decimal(0)), True
                return best, True
            return tier
        raise NotImplementedError(type(a).__name__)

    out = []
    kind_i, seq_i = idx["claim__kind"], idx["claim__seq"]
    for pid in TWELVE:
        prog = next(p for p in ps.programmes() if p.id == pid)
        doc = next(d for d in ps.documents if prog in d.programmes)
        params = C.param_values(prog, doc, ON)
        scope = [ex(c.test, params) for c in C.scope_of(prog, doc)[0]]
        hard = [ex(c.test, params) for c in prog.criteria if not c.soft]
        soft = [ex(c.test, params) for c in prog.criteria if c.soft]
        am = amount(prog.support.amount, params)
        subject = prog.subject

        def ceiling(r: tuple, scope: list = scope, hard: list = hard, soft: list = soft, am: Callable = am, subject: str = subject) -> int:
            if subject == ENTERPRISE:
                if r[seq_i] != 0:
                    return 0
            elif r[kind_i] != subject:
                return 0
            for t in scope:
                if t(r) is not True:
                    return 0
            for t in hard:
                if t(r) is not True:
                    return 0
            for t in soft:
                if t(r) is None:
                    return 0
            v, applies = am(r)
            if v is None or not applies:
                return 0
            return int((max(Decimal(v), Decimal(0)) * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))

        out.append((pid, ceiling))
    return out


def python_run(progs: list, rows: list[tuple]) -> dict[str, tuple[int, int]]:
    out = {}
    for pid, f in progs:
        n = total = 0
        for r in rows:
            v = f(r)
            if v:
                n += 1
                total += v
        out[pid] = (n, total)
    return out


# ------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python-sample", type=int, default=100_000, help="rows the plain-Python loop runs (scaled to all rows)")
    ap.add_argument("--engine-sample", type=int, default=1000)
    ap.add_argument("--all", action="store_true", default=True, help="also huiqi over all programmes (default)")
    args = ap.parse_args()
    os.environ.setdefault("HUIQI_SQL_CACHE", str(Path.home() / ".cache" / "huiqi" / "simulate"))
    sys.setrecursionlimit(20000)
    import pyarrow as pa

    from huiqi.rules import load_policies
    from huiqi.simulate import compile as C
    from huiqi.simulate import resident as RS
    from huiqi.simulate import run as R
    from huiqi.simulate.population import write_population

    ps = load_policies()
    path = Path(f"/tmp/huiqi-pop-{args.n}-k.parquet")
    if not path.exists():
        t0 = time.perf_counter()
        write_population(ps.vocabulary, args.n, path, seed=0)
        print(f"generated {args.n:,} enterprises in {time.perf_counter() - t0:.1f}s → {path}")
    t0, c0 = time.perf_counter(), _cpu()
    res = RS.load(ps, path)
    print(f"resident population: {res.enterprises:,} enterprises, {res.rows:,} rows, {len(res.schema)} columns, loaded in {time.perf_counter() - t0:.1f}s ({_cpu() - c0:.1f}s CPU)")
    cp12 = C.prepare(ps, ON, TWELVE)
    cols12 = sorted({C.ENTERPRISE_ID, C.CLAIM_SEQ, C.CLAIM_KIND} | set().union(*[p.columns for p in cp12.programmes]) | {c for c in res.schema.names if c.startswith("call__")})
    raw = res.con.con
    table = raw.sql("SELECT " + ", ".join(f'"{c}"::VARCHAR AS "{c}"' if str(res.schema.field(c).type) == "string" else f'"{c}"' for c in cols12) + ' FROM "population"').to_arrow_table()
    if isinstance(table, pa.RecordBatchReader):  # pragma: no cover - older duckdb
        table = table.read_all()
    data = arrays_of(table)
    n_rows = table.num_rows
    print(f"the 12 programmes read {len(cols12)} columns; {n_rows:,} rows as numpy arrays ({sum(v.codes.nbytes if isinstance(v, Codes) else v.nbytes for v, _ in data.values()) / 2**20:.0f} MiB)")

    def huiqi12() -> dict[str, tuple[int, int]]:
        s = R.run(ps, res, on=ON, compiled=cp12, by=None)
        return {t["programme"]: (t["eligible"], int(t["ceiling"] * 100)) for t in s.totals().values()}

    tbs, names = openfisca_system(ps, data)
    huiqi12()  # warm: SQL built and cached
    of = openfisca_run(tbs, names, data, n_rows)  # warm: the system's formulas resolved once
    npy = numpy_run(ps, data, n_rows)
    times: dict[str, list[float]] = {"huiqi": [], "OpenFisca": []}
    hq: dict = {}
    for i in range(args.repeat):
        for name, fn in (("huiqi", huiqi12), ("OpenFisca", lambda: openfisca_run(tbs, names, data, n_rows))):
            t0, c0 = time.perf_counter(), _cpu()
            r = fn()
            dt_ = time.perf_counter() - t0
            times[name].append(dt_)
            if name == "huiqi":
                hq = r
            print(f"  run {i + 1}: {name:10s} {dt_:7.3f}s wall ({_cpu() - c0:.2f}s CPU), load {os.getloadavg()[0]:.1f}")
    for pid in TWELVE:
        if of[pid] != npy[pid]:
            print(f"  note: {pid} OpenFisca {of[pid]} vs numpy float64 {npy[pid]} (OpenFisca stores float variables as float32)")
    print("per programme: eligible results / total ceiling before caps (yuan) — huiqi | OpenFisca")
    for pid in TWELVE:
        a, b = hq.get(pid, (0, 0)), of[pid]
        mark = "" if a == b else "   (differs: see the notes)"
        print(f"  {pid:5s} {a[0]:>8,} {a[1] / 100:>20,.2f} | {b[0]:>8,} {b[1] / 100:>20,.2f}{mark}")
    print("  notes: huiqi counts every eligible result, the peers count non-zero ceilings (a J3.1 top-up can be 0);"
          " huiqi counts a variety once (J2.3, J4.2: count_once_per); OpenFisca's float variables are float32 (a few fen)")
    # plain Python
    sample = min(args.python_sample, n_rows)
    pcols = list(table.column_names)
    rows = list(zip(*[table.column(c).slice(0, sample).to_pylist() for c in pcols]))
    progs = python_programmes(ps, pcols)
    t0 = time.perf_counter()
    python_run(progs, rows)
    py = (time.perf_counter() - t0) * n_rows / sample
    # floors
    sel = ", ".join(f'count("{c}")' for c in cols12)
    floor_mem, floor_pq = [], []
    src = "read_parquet('" + str(path) + "')"
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        raw.execute(f'SELECT {sel} FROM "population"').fetchall()
        floor_mem.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        raw.execute(f"SELECT {sel} FROM {src}").fetchall()
        floor_pq.append(time.perf_counter() - t0)
    h, o = min(times["huiqi"]), min(times["OpenFisca"])
    print(f"12 programmes, {args.n:,} enterprises ({n_rows:,} rows), min of {args.repeat}:")
    print(f"  huiqi (resident, warm)      {h:7.3f}s")
    print(f"  OpenFisca (in memory, warm) {o:7.3f}s   huiqi ×{o / h:.1f}")
    print(f"  plain Python (scaled from {sample:,} rows) {py:7.2f}s   huiqi ×{py / h:.1f}")
    print(f"  DuckDB floor, reading the {len(cols12)} columns: {min(floor_mem):.3f}s resident, {min(floor_pq):.3f}s from Parquet   huiqi = {h / min(floor_mem):.1f}× the resident floor")
    if args.all:
        cp = C.prepare(ps, ON)
        R.run(ps, res, on=ON, compiled=cp)
        alls = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            s = R.run(ps, res, on=ON, compiled=cp)
            alls.append(time.perf_counter() - t0)
        a = min(alls)
        line = f"huiqi, all {len(cp.programmes)} programmes, resident, warm: " + ", ".join(f"{x:.2f}s" for x in alls) + f" (peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB)"
        if args.engine_sample:
            from huiqi.rules import evaluate
            from huiqi.simulate import population as P

            sample_t = pa.concat_tables(list(P.generate(ps.vocabulary, args.engine_sample, seed=1)))
            profiles = list(P.to_profiles(sample_t, ps.vocabulary).values())
            t0 = time.perf_counter()
            for p in profiles:
                evaluate(ps, p, on=ON)
            eps = args.engine_sample / (time.perf_counter() - t0)
            line += f"; the engine one profile at a time: {eps:,.0f} enterprises/s → speed-up ×{res.enterprises / a / eps:,.0f}"
        print(line)
        del s
    print(f"huiqi vs OpenFisca, 12 programmes, {args.n:,} enterprises: {o / h:.1f}× faster")


if __name__ == "__main__":
    main()
