"""Compare the compiled rules with the engine, result by result, to the fen."""

from __future__ import annotations

import pyarrow as pa

from huiqi.rules import evaluate
from huiqi.simulate import population as P
from huiqi.simulate import run as R


def engine_results(policies, table: pa.Table, on) -> dict:
    seq = {(r["enterprise_id"], r["claim__id"]): r["claim__seq"] for r in table.select(["enterprise_id", "claim__id", "claim__seq"]).to_pylist()}
    out = {}
    for eid, profile in P.to_profiles(table, policies.vocabulary).items():
        for r in evaluate(policies, profile, on=on, future_events="ignore").results:
            out[(eid, r.programme.id, seq[(eid, r.claim.id)] if r.claim else 0)] = (r.status, r.ceiling)
    return out


def mismatches(policies, table: pa.Table, on, con, compiled, **scan) -> list:
    want = engine_results(policies, table, on)
    got = R.row_results(compiled, con, table, **scan)
    assert set(got) == set(want), "the compiled rules produce other result rows than the engine"
    return [(k, want[k], got[k]) for k in sorted(want, key=str) if want[k] != got[k]]
