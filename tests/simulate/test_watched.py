"""The evaluation date as a parameter of the compiled SQL (``huiqi.simulate.watched``): a template
built once serves every date the compiler cannot tell apart, and for each such date it is the very
SQL a fresh build prints — checked on both sides of every date the two documents name (issued,
in force, retroactive windows: 黄科委规〔2025〕2号 四、附则（二）; 金科〔2025〕25号 六、施行时间)."""

from __future__ import annotations

import datetime as dt
import re

import ibis
import pytest

from huiqi.simulate import compile as C
from huiqi.simulate import population as P
from huiqi.simulate import resident as RS
from huiqi.simulate import run as R
from huiqi.simulate import watched as WD


def test_a_watched_date_notes_comparisons_and_year_and_pins_on_anything_else():
    notes: dict = {}
    day = WD.WatchedDate(dt.date(2025, 9, 1), notes)
    assert day >= dt.date(2025, 4, 30) and not day < dt.date(2025, 4, 30)
    assert dt.date(2025, 12, 25) > day  # the reflected comparison is the watched date's own
    assert day.year == 2025
    assert list(notes) == [("__ge__", dt.date(2025, 4, 30), True), ("__lt__", dt.date(2025, 4, 30), False),
                           ("__lt__", dt.date(2025, 12, 25), True), ("year", None, 2025)]
    assert WD.replays(list(notes), dt.date(2025, 10, 1))
    assert not WD.replays(list(notes), dt.date(2025, 12, 25))  # the second window has started
    assert not WD.replays(list(notes), dt.date(2025, 4, 29))  # before Jinshan's date of issue
    assert day.month == 9 and ("pin", None, dt.date(2025, 9, 1)) in notes
    assert not WD.replays(list(notes), dt.date(2025, 10, 1))  # pinned: this date only
    uses = (lambda d: d.isoformat(), lambda d: d + dt.timedelta(days=1), lambda d: hash(d), lambda d: d.replace(day=2))
    for use in uses:
        other: dict = {}
        use(WD.WatchedDate(dt.date(2025, 9, 1), other))
        assert list(other) == [("pin", None, dt.date(2025, 9, 1))]


def test_notes_survive_json():
    notes = dict.fromkeys([("__ge__", dt.date(2025, 4, 30), True), ("year", None, 2025),
                           ("__eq__", None, NotImplemented)])
    assert WD.decode(WD.encode(notes)) == list(notes)


def _boundaries(policies) -> list[dt.date]:
    named = {dt.date(*map(int, m)) for m in re.findall(r"datetime\.date\((\d+), (\d+), (\d+)\)", repr(policies))}
    assert dt.date(2026, 1, 24) in named and dt.date(2025, 4, 30) in named  # Huangpu in force; Jinshan issued
    return sorted({d + dt.timedelta(days=k) for d in named for k in (-1, 0, 1)})


def test_a_template_is_the_sql_a_fresh_build_prints_for_every_date_it_serves(policies, tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_SQL_CACHE", "off")
    monkeypatch.setattr(R, "_TEMPLATES", WD.Templates())
    path = tmp_path / "pop.parquet"
    P.write_population(policies.vocabulary, 50, path, seed=3)
    res = RS.load(policies, path)
    schema = ibis.Schema.from_pyarrow(res.schema)
    built: list[dt.date] = []
    build = R._build_sql
    monkeypatch.setattr(R, "_build_sql", lambda cp, *a: built.append(cp.on) or build(cp, *a))
    served = 0
    days = _boundaries(policies)
    for day in days:
        cp = R._with_notnull(C.prepare(policies, day), res.notnull)
        before = len(built)
        plan = R._sql_plan(cp, schema, [R.DEFAULT_BY])
        if len(built) == before:  # from a template: compare with a fresh build for this very date
            served += 1
            assert plan == build(cp, schema, [R.DEFAULT_BY], False, True, None), day
        else:
            assert isinstance(built[-1], WD.WatchedDate)  # built as a template
        assert WD.PLACEHOLDER_SQL not in " ".join([s for _, s in plan[0]] + list(plan[1].values()))
    templates = sum(len(v) for v in R._TEMPLATES.memory.values())
    assert served == len(days) - templates and served >= len(days) // 2, (served, templates)


def test_a_kept_template_serves_a_new_process_without_building(policies, tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_SQL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(R, "_TEMPLATES", WD.Templates())  # nothing from earlier tests in memory
    monkeypatch.setattr(C, "_CHECKED", WD.Templates())
    path = tmp_path / "pop.parquet"
    P.write_population(policies.vocabulary, 50, path, seed=4)
    res = RS.load(policies, path, database=tmp_path / "pop.duckdb")
    first = R.run(policies, res, on=dt.date(2026, 3, 2))
    monkeypatch.setattr(R, "_TEMPLATES", WD.Templates())  # as a new process: only the disk is left
    monkeypatch.setattr(C, "_CHECKED", WD.Templates())
    monkeypatch.setattr(R, "_SQL_CACHE", {})

    def no_build(*a, **k):
        raise AssertionError("built again")

    monkeypatch.setattr(R, "_build_sql", no_build)
    monkeypatch.setattr(C, "_check", no_build)
    later = R.run(policies, res, on=dt.date(2026, 6, 30))
    again = R.run(policies, res, on=dt.date(2026, 3, 2))
    assert again.table.equals(first.table)
    assert later.enterprises == first.enterprises
    assert R.run(policies, res, on=dt.date(2028, 3, 2)).enterprises == 50  # another year, the same template
    with pytest.raises(AssertionError, match="built again"):  # before Huangpu's date of issue: another one
        R.run(policies, res, on=dt.date(2025, 6, 2))
