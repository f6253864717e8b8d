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
