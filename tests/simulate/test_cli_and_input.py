from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from huiqi.cli.simulate_cmd import app
from huiqi.rules.errors import InputError
from huiqi.simulate import compile as C
from huiqi.simulate import population as P
from huiqi.simulate import reform as RF
from huiqi.simulate import run as R

runner = CliRunner()


@pytest.fixture(scope="module")
def pop(tmp_path_factory, policies):
    path = tmp_path_factory.mktemp("pop") / "pop.parquet"
    P.write_population(policies.vocabulary, 300, path, seed=5)
    return path


def test_generation_is_reproducible(policies, tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    P.write_population(policies.vocabulary, 200, a, seed=9)
    P.write_population(policies.vocabulary, 200, b, seed=9)
    assert pq.read_table(a).equals(pq.read_table(b))
    t = pq.read_table(a)
    assert set(t.column("enterprise_id").to_pylist()) == set(range(200))
    assert t.filter(pa.compute.equal(t.column("claim__seq"), 0)).num_rows == 200


def test_written_file_is_clustered_by_claim_kind_and_order_does_not_change_results(policies, on, tmp_path):
    # the file is written kind by kind (rows without a claim last) so that most claim columns of a
    # row group are entirely NULL; the simulation must give the same answer in any row order
    path = tmp_path / "k.parquet"
    P.write_population(policies.vocabulary, 400, path, seed=3)
    t = pq.read_table(path)
    seq = t.column("claim__seq").to_pylist()
    n_first = seq.count(0)
    assert seq[:n_first] == [0] * n_first  # the enterprise rows first
    for part in (t.slice(0, n_first), t.slice(n_first)):
        kinds = part.column("claim__kind").to_pylist()
        present = [k for k in kinds if k is not None]
        assert present == sorted(present) and kinds[len(present):] == [None] * (len(kinds) - len(present))
    generated = pa.concat_tables(list(P.generate(policies.vocabulary, 400, seed=3)))
    assert t.sort_by([("enterprise_id", "ascending"), ("claim__seq", "ascending")]).equals(generated.sort_by([("enterprise_id", "ascending"), ("claim__seq", "ascending")]))
    shuffled = tmp_path / "gen-order.parquet"
    pq.write_table(generated, shuffled)
    a, b = R.run(policies, path, on=on), R.run(policies, shuffled, on=on)
    assert a.table.equals(b.table) and a.totals() == b.totals()


def test_claim_scan_follows_the_row_order(policies, on, tmp_path):
    # one filtered scan per claim kind pays off only when the file is clustered by kind (each scan
    # skips the other kinds' row groups by their claim__kind statistics); in generation order
    # nearly every row group spans every kind, so the claim rows are read once, packed
    generated = pa.concat_tables(list(P.generate(policies.vocabulary, 400, seed=3)))
    kinds = {p.subject for p in policies.programmes() if p.subject != "enterprise"}
    clustered, unordered = tmp_path / "k.parquet", tmp_path / "u.parquet"
    pq.write_table(P.clustered(generated), clustered, row_group_size=40)
    pq.write_table(generated, unordered, row_group_size=40)
    assert P.kind_scan_ratio(clustered, kinds) < len(kinds) / 3 < P.kind_scan_ratio(unordered, kinds)
    assert P.kind_scan_ratio(unordered, kinds) > len(kinds) * 0.9
    cp = C.prepare(policies, on)
    assert R.per_kind_scan(cp, clustered) and not R.per_kind_scan(cp, unordered)
    pq.write_table(generated.drop(["claim__kind"]), tmp_path / "no-kind.parquet")
    assert P.kind_scan_ratio(tmp_path / "no-kind.parquet", kinds) is None
    a, b = R.run(policies, clustered, on=on, compiled=cp), R.run(policies, unordered, on=on, compiled=cp)
    assert a.table.equals(b.table) and a.totals() == b.totals()


def test_cluster_command_rewrites_a_file_in_the_generated_order(policies, on, tmp_path):
    # a file in generation order (as a user's export might be) → the same rows, clustered
    generated = pa.concat_tables(list(P.generate(policies.vocabulary, 150, seed=4)))
    src, dst = tmp_path / "src.parquet", tmp_path / "dst.parquet"
    pq.write_table(generated, src)
    result = runner.invoke(app, ["cluster", str(src), "--out", str(dst)])
    assert result.exit_code == 0, result.output
    assert pq.read_table(dst).cast(generated.schema).equals(P.clustered(generated))  # same rows, order and types (DuckDB writes its own schema metadata)
    assert R.run(policies, dst, on=on).table.equals(R.run(policies, src, on=on).table)
    with pytest.raises(InputError) as exc:
        P.cluster_file(tmp_path / "missing.parquet", dst)
    assert "no such file" in str(exc.value)
    pq.write_table(generated.drop(["claim__seq"]), src)
    with pytest.raises(InputError) as exc:
        P.cluster_file(src, dst)
    assert "claim__seq" in str(exc.value)


def test_missing_and_mistyped_columns_are_named(policies, on, pop, tmp_path):
    t = pq.read_table(pop)
    bad = t.drop(["enterprise__registered_district"]).set_column(t.column_names.index("enterprise__employees") - 1, "enterprise__employees", t.column("enterprise__employees").cast(pa.string()))
    path = tmp_path / "bad.parquet"
    pq.write_table(bad, path)
    with pytest.raises(InputError) as exc:
        R.run(policies, path, on=on)
    text = str(exc.value)
    assert "enterprise__registered_district" in text and "enterprise__employees" in text
    assert "缺少" in text and "must be int" in text
    result = runner.invoke(app, ["run", str(path), "--on", "2025-09-01"])
    assert result.exit_code != 0


def test_run_json_and_outputs(pop, tmp_path):
    chart, out = tmp_path / "b.svg", tmp_path / "t.csv"
    result = runner.invoke(app, ["run", str(pop), "--on", "2025-09-01", "--json", "--chart", str(chart), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["baseline"]["enterprises"] == 300
    progs = {p["programme"]: p for p in data["baseline"]["programmes"]}
    assert "J2.3" in progs and Decimal(progs["J2.3"]["after_caps"]) <= Decimal(progs["J2.3"]["ceiling"])
    assert chart.read_text().startswith("<svg") and out.read_text().startswith('"programme"')


@pytest.fixture(scope="module")
def pop_large(tmp_path_factory, policies):
    # J2.3 takes enterprises only (issue 15): a larger population so that some are eligible
    path = tmp_path_factory.mktemp("pop") / "pop-large.parquet"
    P.write_population(policies.vocabulary, 1500, path, seed=5)
    return path


def test_reform_raises_the_j23_cap_and_rate(policies, on, pop_large):
    """J2.3: 10% of R&D cost, at most 2,000,000 (专题三 3.支持标准); a reform to 20% / 3,000,000."""
    pop = pop_large
    reformed = RF.apply(policies, RF.read_changes(None, ["J2.3.support.amount.rate=20%", "J2.3.support.amount.cap=3000000"]))
    assert policies.programme("J2.3").support.amount.cap.value == Decimal(2000000)  # the original is untouched
    assert reformed.programme("J2.3").support.amount.cap.value == Decimal(3000000)
    base = R.run(policies, pop, on=on, programmes=["J2.3"]).totals()["J2.3"]
    new = R.run(reformed, pop, on=on, programmes=["J2.3"]).totals()["J2.3"]
    assert new["eligible"] == base["eligible"]
    # twice the rate: at most twice the ceiling (plus the half fen each result may round up), more than before
    assert base["ceiling"] > 0 and base["ceiling"] < new["ceiling"] <= 2 * base["ceiling"] + Decimal("0.01") * (base["eligible"] + base["needs_info"])
    rows = RF.compare(R.run(policies, pop, on=on, programmes=["J2.3"]), R.run(reformed, pop, on=on, programmes=["J2.3"]))
    assert rows[0]["difference"] == new["after_caps"] - base["after_caps"]


def test_reform_bad_target_is_named(policies):
    with pytest.raises(InputError) as exc:
        RF.apply(policies, [RF.Change("J2.3.support.amount.nonsense", "1")])
    assert "nonsense" in str(exc.value)


def test_compile_check_is_remembered_only_after_it_passed(policies, on, tmp_path, monkeypatch):
    """prepare() checks every rule compiles; a passed check is recorded (same model, programmes,
    compiler, and what the compiler learns of the date: simulate/watched.py) so a later process
    skips it for any date it cannot tell apart, while a refused model is never recorded."""
    from huiqi.simulate import compile as C
    from huiqi.simulate import watched as WD

    monkeypatch.setenv("HUIQI_SQL_CACHE", str(tmp_path))
    monkeypatch.setattr(C, "_CHECKED", WD.Templates())
    C.prepare(policies, on, ["J2.3"])
    kept = lambda: sorted(tmp_path.glob("check-*/*.json"))  # noqa: E731
    assert len(kept()) == 1
    monkeypatch.setattr(C, "_CHECKED", WD.Templates())  # a later process: only the disk is left
    calls = []
    monkeypatch.setattr(C, "_check", lambda cp: calls.append(cp))
    C.prepare(policies, on, ["J2.3"])
    C.prepare(policies, dt.date(2025, 9, 2), ["J2.3"])  # 2025-04-30 ≤ both < 2025-12-25, one year
    assert calls == []  # recorded: skipped
    C.prepare(policies, dt.date(2025, 3, 2), ["J2.3"])
    assert len(calls) == 1  # before Jinshan's date of issue (2025-04-30): checked again
    monkeypatch.undo()
    monkeypatch.setenv("HUIQI_SQL_CACHE", str(tmp_path))
    monkeypatch.setattr(C, "_CHECKED", WD.Templates())
    before = kept()
    refused = RF.apply(policies, RF.read_changes(None, ["J2.3.support.amount.cap=not enterprise.employees"]))
    with pytest.raises(C.CompileError):
        C.prepare(refused, on, ["J2.3"])
    with pytest.raises(C.CompileError):  # still refused the second time: nothing was recorded
        C.prepare(refused, on, ["J2.3"])
    assert kept() == before
