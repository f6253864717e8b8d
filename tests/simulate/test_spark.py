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
