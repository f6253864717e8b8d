"""One simulation scenario — a baseline and, with changes, a reform — as the CLI (``huiqi simulate
run``) and the web page (``/office/simulate``) both ask for it: the input checked (a real date,
known programmes, well-formed ``--set`` changes), each scenario run over the same population,
and the per-programme comparison. Neither caller repeats any of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable

from huiqi.rules import model as M
from huiqi.rules.errors import InputError, Problem
from huiqi.simulate import reform as RF
from huiqi.simulate import run as R

COUNTS = ("results", "eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope")
AMOUNTS = ("ceiling", "after_caps", "needs_info_ceiling")


def parse_date(value: str | None, *, field_name: str = "--on", default: dt.date | None = None) -> dt.date:
    """``YYYY-MM-DD`` as a date (empty: ``default``, else today); anything else a bilingual InputError."""
    text = (value or "").strip()
    if not text:
        return default or dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        zh, en = f"不是有效日期（应为 YYYY-MM-DD）：{text!r}", f"not a real date (YYYY-MM-DD): {text!r}"
        raise InputError([Problem(field_name, zh, en)]) from None


def check_programmes(
    policies: M.PolicySet,
    programmes: Iterable[str] | None,
    *,
    allowed: Iterable[str] | None = None,
    field_name: str = "--programme",
) -> list[str] | None:
    """The asked programme ids, each one a loaded programme (and, with ``allowed``, one of those);
    None when none was asked (every programme, or every allowed one)."""
    asked = [p.strip() for p in (programmes or []) if p and p.strip()]
    if not asked:
        return None
    known = {p.id for p in policies.programmes()}
    scope = set(allowed) if allowed is not None else known
    problems = []
    for pid in dict.fromkeys(asked):
        if pid not in known:
            problems.append(Problem(field_name, f"没有此项目：{pid}", f"no such programme: {pid}"))
        elif pid not in scope:
            zh = f"项目 {pid} 不在本次测算的范围内（不是本区政策文件中的项目）"
            en = f"programme {pid} is outside this simulation's scope (not one of your district's documents)"
            problems.append(Problem(field_name, zh, en))
    if problems:
        raise InputError(problems)
    return list(dict.fromkeys(asked))


def check_change_targets(policies: M.PolicySet, changes: list[RF.Change], allowed: Iterable[str]) -> None:
    """Each change names a programme (or document) within ``allowed`` programme ids (their documents too)."""
    ids = set(allowed)
    docs = {d.id for d in policies.documents if any(p.id in ids for p in d.programmes)}
    problems = []
    for ch in changes:
        owner = RF.owner_of(policies, ch.target)
        if owner is not None and owner not in ids and owner not in docs:
            zh = f"{owner} 不在本次测算的范围内（不是本区政策文件中的项目或文件）"
            en = f"{owner} is outside this simulation's scope (not one of your district's programmes or documents)"
            problems.append(Problem(ch.target, zh, en))
    if problems:
        raise InputError(problems)


@dataclass
class Outcome:
    """A baseline (and a reform) over one population: the summaries and their comparison."""

    on: dt.date
    baseline: R.Summary
    reform: R.Summary | None = None
    changes: list[RF.Change] = field(default_factory=list)
    comparison: list[dict] = field(default_factory=list)  # reform.compare: per programme
    seconds: float = 0.0  # the whole scenario (both runs, the reform applied)

    def totals(self) -> dict[str, Any]:
        """Every programme added up: counts and yuan (Decimal), baseline and — with a reform — reform."""
        out: dict[str, Any] = {}
        for name, s in (("baseline", self.baseline), ("reform", self.reform)):
            if s is None:
                continue
            rows = list(s.totals().values())
            out[name] = {k: sum(r[k] for r in rows) for k in COUNTS}
            out[name].update({k: sum((r[k] for r in rows), Decimal(0)) for k in AMOUNTS})
        if self.reform is not None:
            out["difference"] = out["reform"]["after_caps"] - out["baseline"]["after_caps"]
        return out

    def groups(self) -> list[dict]:
        """The baseline per group (district, town…: the run's ``by``), every programme added up;
        the largest amount after caps first."""
        out: dict[Any, dict] = {}
        for r in self.baseline.records:
            g = out.setdefault(r["by"], {"by": r["by"], **{k: 0 for k in COUNTS}, **{k: Decimal(0) for k in AMOUNTS}})
            for k in COUNTS + AMOUNTS:
                g[k] += r[k]
        return sorted(out.values(), key=lambda g: (-g["after_caps"], str(g["by"])))


def _reform_of(
    base: R.Summary, reformed: M.PolicySet, touched: set[str], run: Callable[[list[str]], R.Summary]
) -> R.Summary:
    """The reform's summary: the baseline's records of the programmes it cannot change, and a run of
    the others (``touched``) over the reformed policies, in the order a whole run gives."""
    if not touched:
        return dataclasses.replace(base, records=list(base.records), seconds=0.0, _table=None)
    part = run(sorted(touched))
    from huiqi.rules import versions

    ids = [p.id for d in reformed.documents for p in d.programmes if not versions.skip(p, d)]  # as compile.prepare
    order = {pid: i for i, pid in enumerate(ids)}
    kept = [r for r in base.records if r["programme"] not in touched]
    records = sorted(kept + part.records, key=lambda r: (order[r["programme"]], str(r["by"])))
    return dataclasses.replace(part, records=records, _table=None)


def simulate(
    policies: M.PolicySet,
    population: Any,
    *,
    on: dt.date,
    programmes: Iterable[str] | None = None,
    changes: list[RF.Change] | None = None,
    by: str | None = R.DEFAULT_BY,
    engine: str = "duckdb",
    batch: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Outcome:
    """The baseline, and with ``changes`` the reform, over ``population`` (a Parquet file, a ``.duckdb``
    file or a ``resident.Resident``); ``programmes``: only these (checked: unknown ids are named)."""
    t0 = time.perf_counter()
    if engine not in R.ENGINES:
        zh, en = f"未知引擎 {engine}，可选 duckdb、spark", f"unknown engine {engine!r}; choose duckdb or spark"
        raise InputError([Problem("--engine", zh, en)])
    wanted = check_programmes(policies, programmes)
    changes = list(changes or [])
    scenarios: list[tuple[str, M.PolicySet]] = [("baseline", policies)]
    if changes:
        scenarios.append(("reform", RF.apply(policies, changes)))  # a bad target or value: InputError before any run
    summaries: dict[str, R.Summary] = {}
    for name, ps in scenarios:
        tick = None if progress is None else (lambda i, n, name=name: progress(name, i, n))
        if name == "reform":  # only what the reform can change is run again (reform.affected)
            touched = RF.affected(policies, ps, wanted)
            if touched is not None:
                summaries[name] = _reform_of(summaries["baseline"], ps, touched, lambda subset: R.run(
                    ps, population, on=on, engine=engine, by=by, batch=batch, programmes=subset, progress=tick))
                continue
        summaries[name] = R.run(
            ps, population, on=on, engine=engine, by=by, batch=batch, programmes=wanted, progress=tick
        )
    base, reform = summaries["baseline"], summaries.get("reform")
    return Outcome(on, base, reform, changes, RF.compare(base, reform), time.perf_counter() - t0)
