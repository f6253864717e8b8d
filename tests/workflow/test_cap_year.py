"""The year a per-entity annual cap counts an approval in.

黄科委规〔2025〕2号 dates support by the event (window_basis: event_date): 四、附则（二） (seed line 93)
“2025 年 1 月 1 日至本措施实施前，相关涉及资金支持的政策参照本措施执行” — a national project approved in
2025 is supported retroactively in a 2026 round, and 二、（一）1 (line 45) “给予单个主体每年最高200万元
支持” counts it in 2025, as the rules engine does (``Result.cap_year``). A document dated by the
application (金科〔2025〕25号, window_basis: application_date) or a programme without an event date
counts in the round's year.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi.rules import evaluate, parse_profile
from huiqi.workflow.decisions import service as decisions
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.errors import CapExceeded
from huiqi.workflow.reviews import service as reviews
from tests.workflow import helpers as h

DAY = dt.date(2026, 6, 1)


def _checked(session, w, hp, approval_date, pid):
    app = h.frontier(session, w, hp, approval_date, pid=pid)
    reviews.district_check(session=session, application_id=app.id, actor=hp.officer, passed=True)
    return app


def test_event_dated_support_counts_in_the_events_year(session, world):
    w = world
    hp = h.huangpu(session, w)
    in_2025 = _checked(session, w, hp, "2025-06-01", "fp-2025")  # retroactive window 2025-01-01 … 2026-01-23
    in_2026 = _checked(session, w, hp, "2026-02-10", "fp-2026")  # in force from 2026-01-24
    again_2025 = _checked(session, w, hp, "2025-11-20", "fp-2025b")
    assert [(a.year, a.cap_year, a.ceiling) for a in (in_2025, in_2026, again_2025)] == [(2026, 2025, Decimal("2000000.00")), (2026, 2026, Decimal("2000000.00")), (2026, 2025, Decimal("2000000.00"))]

    # the engine counts the same years
    prof = {"enterprise": {"registered_district": "黄浦区", "serious_dishonesty_last_3_years": False}, "claims": [{"id": "x", "kind": "frontier_project", "approval_date": "2025-06-01", "national_major_project": True}]}
    [res] = evaluate(w.policies, parse_profile(prof, w.policies.vocabulary), on=h.SUBMIT_DAY, programmes=["WF-HP-FRONTIER"]).results
    assert res.cap_year == in_2025.cap_year == 2025

    # 2,000,000 for the 2025 project and 2,000,000 for the 2026 one: two years, two caps
    decision_flows.approve(session=session, application_id=in_2025.id, amount="2000000", actor=hp.officer, on=DAY)
    decision_flows.approve(session=session, application_id=in_2026.id, amount="2000000", actor=hp.officer, on=DAY)
    session.commit()
    usage = {(r.year, r.cap_id): r.used for ent_year in (2025, 2026) for r in decisions.cap_usage(session=session, enterprise_id=hp.ent.id, year=ent_year, actor=w.admin)}
    assert usage == {(2025, "wf-hp-fixture/H1-annual"): Decimal("2000000.00"), (2026, "wf-hp-fixture/H1-annual"): Decimal("2000000.00")}
    # a second 2025 project finds 2025 full
    with pytest.raises(CapExceeded) as exc:
        decision_flows.approve(session=session, application_id=again_2025.id, amount="0.01", actor=hp.officer, on=DAY)
    assert exc.value.details["year"] == 2025 and "2025" in exc.value.message_zh


def test_without_an_event_date_the_round_year_counts(session, world):
    w = world
    app = h.checked_project(session, w, 0, "1000000")
    assert (app.year, app.cap_year) == (2026, 2026)
    decision_flows.approve(session=session, application_id=app.id, amount="300000", actor=w.officer, on=dt.date(2027, 1, 5))
    [row] = decisions.cap_usage(session=session, enterprise_id=w.ent[0].id, year=2026, actor=w.admin)
    assert row.used == Decimal("300000.00")
