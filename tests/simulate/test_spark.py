"""The same rules on a distributed engine: PySpark in local mode, a small sample."""

from __future__ import annotations

import pyarrow as pa
import pytest

from huiqi.simulate import compile as C
from huiqi.simulate import population as P
from huiqi.simulate import run as R

from .helpers import mismatches


@pytest.mark.spark
def test_spark_matches_engine(policies, on):
    con = R.spark_connection()
    compiled = C.prepare(policies, on)
    table = pa.concat_tables(list(P.generate(policies.vocabulary, 40, seed=11)))
    assert mismatches(policies, table, on, con, compiled) == []


@pytest.mark.spark
def test_spark_matches_engine_where_shared_rules_decide(policies):
    """Caps clipping (cumulative, eligible first), count-once keys, highest tiers — on Spark too
    (a smaller population of the kind test_equivalence.test_shared_rules_match_engine uses)."""
    import datetime as dt

    from .helpers import engine_reports, engine_results, shared_rule_counts, shared_rules_population

    on = dt.date(2026, 3, 2)
    base = pa.concat_tables(list(P.generate(policies.vocabulary, 120, seed=7)))
    table = shared_rules_population(policies, base, on, seed=2, per_programme=3)
    reports = engine_reports(policies, table, on)
    counts = shared_rule_counts(policies, reports)
    assert sum(v for k, v in counts.items() if k.startswith("clipped ")) >= 10, counts
    assert sum(v for k, v in counts.items() if k.startswith("eligible-first ")) >= 1, counts
    con = R.spark_connection()
    assert mismatches(policies, table, on, con, C.prepare(policies, on), want=engine_results(policies, table, on, reports)) == []


@pytest.mark.spark
def test_spark_summary_where_caps_clip(policies, tmp_path):
    """The summary plan on Spark (aggregates and the cap-candidate list, ``wide._aggregated``), with a
    cap over an enterprise programme (J5.3, 1,000,000, jinshan-2025-25 line 978, under a made-up cap
    of 300,000 a year) and the documents' own caps: the totals equal the engine's results added up."""
    import datetime as dt

    import pyarrow.parquet as pq

    from .helpers import (
        engine_reports,
        shared_rules_population,
        summary_by_district,
        summed_by_district,
        with_enterprise_cap,
    )

    on = dt.date(2026, 3, 2)
    base = pa.concat_tables(list(P.generate(policies.vocabulary, 120, seed=7)))
    table = shared_rules_population(policies, base, on, seed=2, per_programme=3)
    capped = with_enterprise_cap(policies, "J5.3", "300000")
    want, clipped = summed_by_district(table, engine_reports(capped, table, on))
    assert clipped.get("J5.3", 0) >= 1 and sum(clipped.values()) >= 5, clipped
    path = tmp_path / "pop.parquet"
    pq.write_table(table, path)
    assert summary_by_district(capped, path, on, engine="spark") == want
