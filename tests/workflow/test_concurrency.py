"""The per-entity annual cap under concurrent approvals, and payment batches that are idempotent
and atomic (a crash part-way pays nothing)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest

from huiqi.workflow.decisions import service as decisions
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.errors import CapExceeded
from huiqi.workflow.payments import service as payments
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.payments.models import Payment
from huiqi.workflow.reviews import service as reviews
from tests.workflow import helpers as h


def _checked_project(session, w, i, total):
    # each project a claim of its own (p1, p2 …): the same claim twice in a round is refused (issue 14)
    seq = w.__dict__.setdefault("_projects", {})
    seq[i] = seq.get(i, 0) + 1
    app = h.submitted(session, w, i, "WF-PROJECT", h.project(total, f"p{seq[i]}"))
    reviews.district_check(session=session, application_id=app.id, actor=w.officer, passed=True)
    return app


def _race(factory, w, apps, *, refused) -> dict[int, str]:
    """Approve ``apps`` (1,500,000 each) from two threads at once; each transaction holds its lock
    for a moment before committing. Returns application id → "approved" or ``refused(exc)``."""
    barrier = threading.Barrier(len(apps))
    outcome: dict[int, str] = {}

    def approve(app_id):
        s = factory()
        try:
            barrier.wait()  # before touching the database: SQLite takes its write lock at BEGIN
            officer = s.get(type(w.officer), w.officer.id)
            decision_flows.approve(session=s, application_id=app_id, amount="1500000", actor=officer, on=dt.date(2026, 6, 1))
            time.sleep(0.3)  # hold the lock (ledger or round) while the other transaction tries
            s.commit()
            outcome[app_id] = "approved"
        except CapExceeded as exc:
            s.rollback()
            outcome[app_id] = refused(exc)
        except Exception as exc:  # noqa: BLE001 - reported in the caller's assertion
            s.rollback()
            outcome[app_id] = f"error:{exc!r}"
        finally:
            s.close()

    threads = [threading.Thread(target=approve, args=(x.id,)) for x in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcome


def test_two_racing_approvals_never_pass_the_annual_cap(factory, session, world):
    w = world
    # 按照不超过项目总投资的 30%，给予最高 200 万元; 单个主体每年最高 200 万元:
    # two projects of 5,000,000 → 1,500,000 each; together 3,000,000 > 2,000,000
    a = _checked_project(session, w, 0, "5000000")
    b = _checked_project(session, w, 0, "5000000")
    session.commit()
    assert a.cap_limits[0]["limit"] == "2000000"
    outcome = _race(factory, w, (a, b), refused=lambda exc: f"cap:{exc.details['used']}")
    assert sorted(outcome.values()) == ["approved", "cap:1500000.00"]
    session.expire_all()
    [row] = decisions.cap_usage(session=session, enterprise_id=w.ent[0].id, year=2026, actor=w.admin)
    assert (row.used, row.limit) == (Decimal("1500000.00"), Decimal("2000000.00"))
    # what is left under the cap can still be approved on the other project
    loser = a if outcome[a.id] != "approved" else b
    decision_flows.approve(session=session, application_id=loser.id, amount="500000", actor=w.officer)
    with pytest.raises(CapExceeded):
        c = _checked_project(session, w, 0, "1000")
        decision_flows.approve(session=session, application_id=c.id, amount="0.01", actor=w.officer)


def test_two_racing_approvals_never_pass_the_round_budget(factory, session, policies):
    # two enterprises (each under its own annual cap), one round with a budget of 2,000,000:
    # 1,500,000 + 1,500,000 = 3,000,000 would overrun it
    w = h.build_world(session, policies, budget="2000000")
    a = _checked_project(session, w, 0, "5000000")
    b = _checked_project(session, w, 1, "5000000")
    session.commit()
    outcome = _race(factory, w, (a, b), refused=lambda exc: f"budget:{exc.details.get('committed')}")
    assert sorted(outcome.values()) == ["approved", "budget:1500000.00"]
    session.expire_all()
    assert decision_flows.round_commitments(session=session, round_id=w.round.id)["committed"] == Decimal("1500000.00")
    loser = a if outcome[a.id] != "approved" else b
    decision_flows.approve(session=session, application_id=loser.id, amount="500000", actor=w.officer)
    assert decision_flows.round_commitments(session=session, round_id=w.round.id)["committed"] == Decimal("2000000.00")


def _approved_batch(session, w):
    apps = [_checked_project(session, w, i, "1000000") for i in range(3)]  # 300,000 each
    for x in apps:
        decision_flows.approve(session=session, application_id=x.id, amount="300000", actor=w.officer, on=dt.date(2026, 6, 1))
    batch = payments.create_batch(session=session, pay_on=dt.date(2026, 6, 2), actor=w.officer)
    session.commit()
    return apps, batch


def test_payment_batch_is_idempotent(session, world):
    w = world
    apps, batch = _approved_batch(session, w)
    first = payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer)
    session.commit()
    assert [p.amount for p in first] == [Decimal("300000.00")] * 3
    assert payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer) == []
    session.commit()
    assert session.query(Payment).count() == 3
    with pytest.raises(Exception, match="nothing is due"):
        payments.create_batch(session=session, pay_on=dt.date(2026, 6, 3), actor=w.officer)


def test_a_crash_mid_batch_leaves_nothing_half_paid(session, world, monkeypatch):
    w = world
    apps, batch = _approved_batch(session, w)
    real = payment_flows._disburse
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("bank interface down")
        return real(*args, **kwargs)

    monkeypatch.setattr(payment_flows, "_disburse", flaky)
    with pytest.raises(ConnectionError):
        payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer)
    session.rollback()
    assert session.query(Payment).count() == 0
    assert [i.state for x in apps for i in payments.instalments(session=session, application_id=x.id, actor=w.officer)] == ["scheduled"] * 3
    monkeypatch.setattr(payment_flows, "_disburse", real)
    paid = payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer)
    session.commit()
    assert len(paid) == 3 and session.query(Payment).count() == 3
