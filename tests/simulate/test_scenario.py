"""``scenario.simulate``: the one service behind ``huiqi simulate run`` and the simulation page —
input checked (date, programmes, changes), baseline and reform run, compared."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.rules.errors import InputError
from huiqi.simulate import population as P
from huiqi.simulate import reform as RF
from huiqi.simulate import resident as RS
from huiqi.simulate import run as R
from huiqi.simulate import scenario as S

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pop(tmp_path_factory, policies):
    path = tmp_path_factory.mktemp("scenario") / "pop.parquet"
    P.write_population(policies.vocabulary, 1500, path, seed=5)  # J2.3 has eligible enterprises at this size
    return path


def test_dates_programmes_and_change_targets_are_checked_bilingually(policies):
    assert S.parse_date("2025-09-01") == dt.date(2025, 9, 1)
    assert S.parse_date("", default=dt.date(2025, 1, 2)) == dt.date(2025, 1, 2)
    with pytest.raises(InputError) as exc:
        S.parse_date("2025-02-30", field_name="on")
    p = exc.value.problems[0]
    assert (p.field, p.message_zh[:6], p.message_en[:15]) == ("on", "不是有效日期", "not a real date")
    assert S.check_programmes(policies, []) is None
    assert S.check_programmes(policies, ["J2.3", "J2.3", "H1"]) == ["J2.3", "H1"]
    with pytest.raises(InputError) as exc:
        S.check_programmes(policies, ["J9.9", "H1"], allowed=["J2.3"])
    assert [(p.field, p.message_en) for p in exc.value.problems] == [
        ("--programme", "no such programme: J9.9"),
        ("--programme", "programme H1 is outside this simulation's scope (not one of your district's documents)"),
    ]
    jinshan = [p.id for d in policies.documents if d.district == "金山区" for p in d.programmes]
    S.check_change_targets(policies, RF.read_changes(None, ["J2.3.support.amount.cap=1"]), jinshan)
    with pytest.raises(InputError) as exc:
        S.check_change_targets(policies, RF.read_changes(None, ["H1.support.amount.cap=1"]), jinshan)
    assert exc.value.problems[0].field == "H1.support.amount.cap" and "H1" in exc.value.problems[0].message_zh


def test_baseline_and_reform_are_the_runs_of_each_policy_set(policies, pop):
    on = dt.date(2025, 9, 1)
    changes = RF.read_changes(None, ["J2.3.support.amount.rate=20%"])
    res = RS.load(policies, pop)
    out = S.simulate(policies, res, on=on, programmes=["J2.3", "J3.1"], changes=changes)
    base = R.run(policies, pop, on=on, programmes=["J2.3", "J3.1"])  # over the file, not the resident population
    reform = R.run(RF.apply(policies, changes), pop, on=on, programmes=["J2.3", "J3.1"])
    assert out.baseline.table.equals(base.table) and out.reform.table.equals(reform.table)
    assert out.comparison == RF.compare(base, reform)
    t = out.totals()
    assert t["baseline"]["after_caps"] == sum((x["after_caps"] for x in base.totals().values()), Decimal(0))
    assert t["baseline"]["results"] == 2 * 1500 + (base.totals()["J2.3"]["results"] - 1500)  # J3.1: one per enterprise
    assert t["difference"] == t["reform"]["after_caps"] - t["baseline"]["after_caps"] > 0  # 10% → 20% (专题三)
    groups = out.groups()  # by district (the default grouping): every district's sums add up to the totals
    assert sum((g["after_caps"] for g in groups), Decimal(0)) == t["baseline"]["after_caps"]
    assert sum(g["results"] for g in groups) == t["baseline"]["results"] and len(groups) > 1
    assert S.simulate(policies, res, on=on, programmes=["J3.1"]).reform is None


def test_the_cli_reports_bad_input_from_the_service_with_exit_2(pop):
    out = subprocess.run([sys.executable, "-m", "huiqi.cli.main", "simulate", "run", str(pop), "--on", "2025-09-01",
                          "--programme", "J9.9"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    err = " ".join(out.stderr.split())  # rich wraps long lines
    assert out.returncode == 2 and "没有此项目：J9.9" in err and "no such programme: J9.9" in err
    assert "Traceback" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "huiqi.cli.main", "simulate", "run", str(pop), "--on", "2025-13-01"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    err = " ".join(out.stderr.split())
    assert out.returncode == 2 and "--on: 不是有效日期" in err and "not a real date" in err and "Traceback" not in err


def test_served_populations_load_once_and_again_only_when_the_policies_read_more(policies, pop, tmp_path):
    """The server's populations (huiqi.simulate.served): a Parquet file loaded into memory at its first
    use and kept; loaded again when a newly published policy set reads a column it lacks; a .duckdb
    file opened read-only; a missing or unconfigured one is a bilingual PopulationUnavailable."""
    import dataclasses

    from huiqi.simulate.served import Populations, PopulationUnavailable

    db = tmp_path / "pop.duckdb"
    RS.load(policies, pop, database=db)
    huangpu = dataclasses.replace(policies, documents=[d for d in policies.documents if d.district == "黄浦区"])
    served = Populations([pop, db, tmp_path / "gone.parquet"])
    assert served.names() == ["pop.parquet", "pop.duckdb", "gone.parquet"]
    with served.use(huangpu) as s:  # the first configured: the Parquet file
        assert s.name == "pop.parquet" and s.loads == 1 and s.resident.enterprises == 1500
        narrow = set(s.resident.schema.names)
    with served.use(huangpu) as s:
        assert s.loads == 1  # kept
    with served.use(policies) as s:  # Jinshan's programmes read columns Huangpu's do not
        assert s.loads == 2 and narrow < set(s.resident.schema.names)
    with served.use(dataclasses.replace(policies)) as s:  # a new policy set reading nothing more: kept
        assert s.loads == 2
    with served.use(policies, "pop.duckdb") as s:
        assert s.loads == 1 and s.resident.database == str(db)
        on = dt.date(2025, 9, 1)
        assert R.run(policies, s.resident, on=on, programmes=["J3.1"]).table.equals(
            R.run(policies, pop, on=on, programmes=["J3.1"]).table)
    for paths, name, en in (([], None, "no enterprise population is configured"),
                            ([pop], "other.parquet", "no population called other.parquet"),
                            ([tmp_path / "gone.parquet"], None, "does not exist")):
        with pytest.raises(PopulationUnavailable) as exc:
            with Populations(paths).use(policies, name):
                pass
        assert en in exc.value.message_en and exc.value.message_zh


def test_the_cli_ends_at_once_after_a_run_with_its_output_and_files_complete(policies, on, pop, tmp_path):
    """``huiqi simulate run`` skips the interpreter's tear-down once it has succeeded
    (``huiqi.cli.main.exit_at_once``): what it printed and the file it wrote are whole, and equal
    the in-process run's."""
    import pyarrow.csv as pcsv

    table = tmp_path / "out.csv"
    out = subprocess.run([sys.executable, "-m", "huiqi.cli.main", "simulate", "run", str(pop), "--on", on.isoformat(),
                          "--json", "--out", str(table)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    base = S.simulate(policies, pop, on=on).baseline
    assert data["baseline"]["programmes"] == base.to_dict()["programmes"]
    assert data["baseline"]["by"] == base.to_dict()["by"] and len(data["baseline"]["by"]) == base.table.num_rows
    written = pcsv.read_csv(table)
    assert written.num_rows == base.table.num_rows > 0


@pytest.mark.parametrize("sets, touched", [
    (["J2.3.support.amount.rate=20%"], {"J2.3"}),  # 专题三: one programme, no cap
    (["H7a.support.amount.rate=30%"], {"H7a", "H7b"}),  # 黄浦 措施七: H7a and H7b share the annual cap
    (["J1.1.support.amount.each_year.cap=100000"], {"J1.1"}),  # 专题一: its 1,500,000 lifetime cap is its own
])
def test_a_reform_runs_again_only_what_it_can_change(policies, on, pop, sets, touched):
    """``reform.affected``: a changed programme, and every programme sharing a cap with it (the cap
    clips their results together); the reform's summary — the baseline's records for the rest, a
    run of those — equals a run of the whole reformed policy set, to the fen."""
    res = RS.load(policies, pop)
    day = dt.date(2026, 3, 2)  # both documents in force
    changes = RF.read_changes(None, sets)
    reformed = RF.apply(policies, changes)
    assert RF.affected(policies, reformed) == touched
    out = S.simulate(policies, res, on=day, changes=changes)
    whole = R.run(reformed, res, on=day)
    assert out.reform.records == whole.records
    assert out.reform.table.equals(whole.table)
    differs = {r["programme"] for r in out.comparison if r["difference"] != 0}
    assert differs <= touched
    if sets[0].startswith("J2.3"):  # 10 % → 20 %: the eligible J2.3 results pay more
        assert differs == {"J2.3"}


def test_what_a_reform_can_change_beyond_one_programme(policies, on, pop):
    import copy

    jinshan = {p.id for p in policies.document("jinshan-2025-25").programmes}
    moved = copy.deepcopy(policies)  # a document's own field (its window) changes every programme of it
    doc = moved.document("jinshan-2025-25")
    doc.in_force = type(doc.in_force)(doc.in_force.start, dt.date(2026, 6, 30), doc.in_force.clause)
    assert RF.affected(policies, moved) == jinshan
    assert RF.affected(policies, moved, ["J2.3", "H1"]) == {"J2.3"}
    other = RF.apply(policies, RF.read_changes(None, ["J2.3.support.amount.rate=20%"]))
    assert RF.affected(policies, other, ["J3.1"]) == set()  # outside the chosen programmes: nothing to run
    res = RS.load(policies, pop)
    changes = RF.read_changes(None, ["J2.3.support.amount.rate=20%"])
    out = S.simulate(policies, res, on=on, programmes=["J3.1"], changes=changes)
    assert out.reform.records == out.baseline.records
    fewer = copy.deepcopy(policies)
    fewer.documents[0].programmes.pop()
    assert RF.affected(policies, fewer) is None  # a programme removed: run them all
    import dataclasses

    linked = copy.deepcopy(policies)  # a count-once key spanning two programmes couples them, as a cap does
    j82 = linked.programme("J8.2")
    j82.support = dataclasses.replace(j82.support, once=dataclasses.replace(j82.support.once, programmes=("J2.3",)))
    assert RF.affected(policies, linked) == {"J8.2", "J2.3"}
