"""A resident population (``huiqi simulate load``): loaded once into DuckDB, every later run gives the
same answer as over the Parquet file — other dates, subsets, batches, reforms; in memory or persisted."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from huiqi.cli.simulate_cmd import app
from huiqi.rules.errors import InputError
from huiqi.simulate import population as P
from huiqi.simulate import reform as RF
from huiqi.simulate import resident as RS
from huiqi.simulate import run as R


@pytest.fixture(scope="module")
def pop(tmp_path_factory, policies):
    path = tmp_path_factory.mktemp("res") / "pop.parquet"
    P.write_population(policies.vocabulary, 300, path, seed=5)
    return path


def test_loaded_population_keeps_only_what_the_rules_read_with_enums_as_codes(policies, pop):
    res = RS.load(policies, pop)
    full = P.population_schema(pop)
    assert res.enterprises == 300 and res.rows > 300
    assert set(res.schema.names) < set(full.names)  # fewer columns than the file
    assert "claim__id" not in res.schema.names  # no rule reads it
    types = dict(res.con.con.execute('SELECT column_name, column_type FROM (DESCRIBE "population")').fetchall())
    assert types["enterprise__registered_district"].startswith("ENUM(")  # 16 districts: one byte each
    # numbers as the narrowest decimal holding the column's largest value, still integer fen
    rd = next(c for c in res.schema.names if c.endswith("__rd_cost"))
    top = max(abs(v) for v in pq.read_table(pop, columns=[rd]).column(rd).to_pylist() if v is not None)
    digits = len(str(int(top))) + 2
    assert digits <= 18 and types[rd] == f"DECIMAL({digits},2)"
    assert res.schema.field(rd).type == pa.decimal128(digits, 2)


def test_resident_arithmetic_stays_in_64_bit_decimals(policies, on, pop):
    """Over the narrowed columns every product and sum of the programmes' amounts is an exact decimal
    of at most 18 digits (DuckDB's 64-bit layout), never the DECIMAL(38, 10) fallback; the only wide
    decimals left are the quotients (division is computed in DOUBLE: Jinshan's two- and three-year
    averages and R&D ratios)."""
    import re

    import ibis

    from huiqi.simulate import compile as C

    res = RS.load(policies, pop)
    cp = C.prepare(policies, on)
    steps, finals = R._sql_plan(cp, ibis.Schema.from_pyarrow(res.schema), [], False, True)
    sql = " ".join([s for _, s in steps] + list(finals.values()))  # the enterprise pass is a final
    wide = {m.group(0) for m in re.finditer(r"DECIMAL\((\d+), (\d+)\)", sql) if int(m.group(1)) > 18}
    assert wide == {"DECIMAL(38, 10)"}
    no_division = re.sub(r"CAST\(NULL AS DECIMAL\(38, 10\)\)|AS DOUBLE\) AS DECIMAL\(38, 10\)\)", "", sql)
    assert "DECIMAL(38, 10)" not in no_division
    assert re.search(r"AS DECIMAL\(1[0-8], 3\)\)", sql)  # money DECIMAL(p, 2) × a rate of one decimal (10 %)


def test_resident_runs_equal_the_parquet_runs(policies, on, pop, tmp_path):
    res = RS.load(policies, pop)
    db = tmp_path / "pop.duckdb"
    RS.load(policies, pop, database=db)
    later = dt.date(2026, 3, 2)  # both documents in force
    reform = RF.apply(policies, RF.read_changes(None, ["J2.3.support.amount.cap=3000000", "J2.3.support.amount.rate=15%"]))
    for kwargs in ({"on": on}, {"on": later, "programmes": ["J1.1", "J3.1", "J4.2", "H7a", "H7b"], "batch": 70}):
        want = R.run(policies, pop, **kwargs)
        assert R.run(policies, res, **kwargs).table.equals(want.table)
        assert R.run(policies, db, **kwargs).table.equals(want.table)  # read-only, another connection
    assert R.run(reform, res, on=on, programmes=["J2.3"]).table.equals(R.run(reform, pop, on=on, programmes=["J2.3"]).table)


def test_load_command_and_run_over_the_database(pop, tmp_path):
    runner = CliRunner()
    db = tmp_path / "p.duckdb"
    r = runner.invoke(app, ["load", str(pop), "--out", str(db)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["run", str(db), "--on", "2025-09-01", "--json", "--programme", "J3.1"])
    assert r.exit_code == 0, r.output
    r2 = runner.invoke(app, ["run", str(pop), "--on", "2025-09-01", "--json", "--programme", "J3.1"])
    strip = lambda out: __import__("json").loads(out)["baseline"]["programmes"]  # noqa: E731
    assert strip(r.stdout) == strip(r2.stdout)
    assert runner.invoke(app, ["load", str(pop), "--out", str(tmp_path / "p.txt")]).exit_code == 2


def test_load_builds_the_sql_so_the_first_run_after_it_builds_none(pop, tmp_path, monkeypatch):
    """``huiqi simulate load`` also builds the SQL template of a run today, grouped by district
    (``run.prepare_plan``): a later process's first run, today, reads it and prints no SQL."""
    from huiqi.simulate import compile as C
    from huiqi.simulate import watched as WD

    monkeypatch.setenv("HUIQI_SQL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(R, "_TEMPLATES", WD.Templates())
    db = tmp_path / "p.duckdb"
    r = CliRunner().invoke(app, ["load", str(pop), "--out", str(db)])
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "cache").glob("sql-*/*.json"))) == 1
    monkeypatch.setattr(R, "_TEMPLATES", WD.Templates())  # a later process: only the disk is left
    monkeypatch.setattr(R, "_SQL_CACHE", {})
    monkeypatch.setattr(C, "_CHECKED", WD.Templates())
    monkeypatch.setattr(R, "_build_sql", lambda *a: pytest.fail("SQL built again"))
    r = CliRunner().invoke(app, ["run", str(db), "--on", dt.date.today().isoformat(), "--json"])
    assert r.exit_code == 0, r.output
    assert __import__("json").loads(r.stdout)["baseline"]["enterprises"] == 300


def test_a_column_the_loaded_rules_did_not_read_is_named(policies, on, pop, tmp_path):
    db = tmp_path / "narrow.duckdb"
    RS.load(policies, pop, database=db, by=[])
    with pytest.raises(InputError) as exc:
        R.run(policies, db, on=on, by="enterprise__registered_town")
    assert "enterprise__registered_town" in str(exc.value)
    with pytest.raises(InputError):
        RS.open_resident(tmp_path / "missing.duckdb")


def test_policies_from_the_pickled_cache_are_the_loaded_ones(policies, tmp_path, monkeypatch):
    """The CLI's policy cache: keyed by every file's bytes; an edited file is a new key."""
    import shutil

    from huiqi.rules.loader import DEFAULT_POLICY_DIR
    from huiqi.simulate import policy_cache as PC

    monkeypatch.setenv("HUIQI_SQL_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "policies"
    shutil.copytree(DEFAULT_POLICY_DIR, d, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    first = PC.load_cached(d)
    assert len(list((tmp_path / "cache").glob("policies-*.pickle"))) == 1
    assert repr(PC.load_cached(d)) == repr(first)
    assert [p.id for p in first.programmes()] == [p.id for p in policies.programmes()]
    doc = d / "jinshan-2025-25.yaml"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    PC.load_cached(d)
    assert len(list((tmp_path / "cache").glob("policies-*.pickle"))) == 2
