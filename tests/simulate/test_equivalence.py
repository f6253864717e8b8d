"""The compiled rules equal the engine: same status, same ceiling to the fen, every programme loaded."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.simulate import compile as C
from huiqi.simulate import population as P
from huiqi.simulate import run as R

from .helpers import mismatches


@pytest.fixture(scope="module")
def duck():
    return R.duckdb_connection()


@pytest.fixture(scope="module")
def compiled(policies, on):
    return C.prepare(policies, on)


def test_every_loaded_programme_compiles(policies, compiled):
    assert [p.programme.id for p in compiled.programmes] == [p.id for p in policies.programmes()]


def test_generated_population_matches_engine(policies, on, duck, compiled):
    table = pa.concat_tables(list(P.generate(policies.vocabulary, 400, seed=7)))
    assert mismatches(policies, table, on, duck, compiled) == []


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10_000), day=st.dates(dt.date(2024, 6, 1), dt.date(2027, 6, 1)))
def test_random_profiles_match_engine_on_duckdb(policies, duck, seed, day):
    """Hypothesis: random populations and evaluation dates (windows, caps per year, parameters at a date)."""
    compiled = C.prepare(policies, day)
    table = pa.concat_tables(list(P.generate(policies.vocabulary, 60, seed=seed)))
    assert mismatches(policies, table, day, duck, compiled) == []


def test_rounding_to_the_fen_half_up(policies, on, duck, compiled):
    """1234.565 × 10% style ties: the half fen rounds up, exactly as the engine's Decimal."""
    table = pa.concat_tables(list(P.generate(policies.vocabulary, 200, seed=3)))
    money = [c for c, (t, _) in P.fact_columns(policies.vocabulary).items() if t == "money"]
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if name in money:
            values = [None if v is None else (v.quantize(__import__("decimal").Decimal(1)) + __import__("decimal").Decimal("0.05")) for v in col.to_pylist()]
            col = pa.array(values, col.type)
        cols[name] = col
    assert mismatches(policies, pa.table(cols), on, duck, compiled) == []


def test_summary_totals_match_engine(policies, on, tmp_path):
    """The production path (aggregates computed in DuckDB, batches added up) equals the engine's
    results added up per programme and district: counts by status, ceilings before and after caps."""
    from decimal import Decimal

    import pyarrow.parquet as pq

    from huiqi.rules import evaluate
    from huiqi.rules.engine import ELIGIBLE, NEEDS_INFO

    table = pa.concat_tables(list(P.generate(policies.vocabulary, 300, seed=21)))
    path = tmp_path / "pop.parquet"
    pq.write_table(table, path)
    want: dict = {}
    for profile in P.to_profiles(table, policies.vocabulary).values():
        district = profile.enterprise.get("registered_district")
        for r in evaluate(policies, profile, on=on).results:
            t = want.setdefault((r.programme.id, district), {"results": 0, "eligible": 0, "needs_info": 0, "ineligible": 0, "not_in_force": 0, "out_of_scope": 0, "ceiling": Decimal(0), "after_caps": Decimal(0), "needs_info_ceiling": Decimal(0)})
            t["results"] += 1
            t[r.status] += 1
            if r.status == ELIGIBLE and r.ceiling is not None:
                t["ceiling"] += r.uncapped
                t["after_caps"] += r.ceiling
            if r.status == NEEDS_INFO and r.ceiling is not None:
                t["needs_info_ceiling"] += r.ceiling
    for batch in (None, 70):  # all at once, and in batches of 70 enterprises
        got = {(row["programme"], row["by"]): {k: row[k] for k in want[next(iter(want))]} for row in R.run(policies, path, on=on, batch=batch).table.to_pylist()}
        assert got == want
