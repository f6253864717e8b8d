"""A round's budget bounds approvals and payments, not only shortlisting (择优 within the budget,
金科〔2025〕25号 申报流程 — the yearly call's funds). The concurrent case is in test_concurrency.py.

Committed (our reading, docs/workflow.md): the approved sums of projects still approved, plus what a
revoked project was paid and has not repaid. Payments: paid net of recoveries ≤ budget.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi import audit
from huiqi.workflow.changes import flows as change_flows
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.errors import CapExceeded, InvalidInput, PermissionDenied
from huiqi.workflow.payments import service as payments
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.payments.models import Payment
from huiqi.workflow.rounds import flows as round_flows
from tests.workflow import helpers as h

DAY = dt.date(2026, 6, 1)


@pytest.fixture
def small(session, policies):
    """The usual world with a round budget of 2,000,000."""
    return h.build_world(session, policies, budget="2000000")


def test_approvals_stay_within_the_round_budget(session, small):
    w = small
    # WF-PROJECT has no shortlist stage: the budget was never checked before approval
    a = h.checked_project(session, w, 0, "5000000")  # 1,500,000
    b = h.checked_project(session, w, 1, "5000000")  # 1,500,000 (another enterprise: its own annual cap)
    c = h.checked_project(session, w, 2, "5000000")
    decision_flows.approve(session=session, application_id=a.id, amount="1500000", actor=w.officer, on=DAY)
    session.commit()
    with pytest.raises(CapExceeded) as exc:
        decision_flows.approve(session=session, application_id=b.id, amount="1500000", actor=w.officer, on=DAY)
    e = exc.value
    assert e.field == "amount" and e.status_code == 409
    assert e.details == {"round": "JS-2026-1", "budget": "2000000.00", "committed": "1500000.00", "requested": "1500000.00", "room": "500000.00"}
    assert "JS-2026-1" in e.message_zh and "预算 2000000.00 元" in e.message_zh and "已立项（含已拨付未收回）1500000.00 元" in e.message_zh and "本次核定 1500000.00 元" in e.message_zh
    assert "budget 2000000.00, already committed 1500000.00, this approval 1500000.00" in e.message_en
    session.rollback()
    # exactly the room left fits; one fen more does not
    decision_flows.approve(session=session, application_id=b.id, amount="500000", actor=w.officer, on=DAY)
    session.commit()
    with pytest.raises(CapExceeded):
        decision_flows.approve(session=session, application_id=c.id, amount="0.01", actor=w.officer, on=DAY)
    session.rollback()
    assert decision_flows.round_commitments(session=session, round_id=w.round.id) == {"approved": Decimal("2000000.00"), "committed": Decimal("2000000.00"), "paid": Decimal("0.00")}
    [entry] = [x for x in audit.entries(session, entity="application", entity_id=b.id) if x.action == "application.approve"]
    assert entry.data["budget"] == {"round": "JS-2026-1", "budget": "2000000.00", "committed": "2000000.00"}


def test_revocation_frees_budget_except_what_is_still_held(session, small):
    w = small
    a = h.checked_project(session, w, 0, "5000000")
    b = h.checked_project(session, w, 1, "5000000")
    c = h.checked_project(session, w, 2, "3000000")  # 900,000
    decision_flows.approve(session=session, application_id=a.id, amount="1500000", actor=w.officer, on=DAY)
    decision_flows.approve(session=session, application_id=b.id, amount="500000", actor=w.officer, on=DAY)
    payment_flows.run_batch(session=session, batch_id=payments.create_batch(session=session, pay_on=DAY, actor=w.officer).id, actor=w.officer)
    change_flows.revoke(session=session, application_id=b.id, ground="conditions_changed", reason="企业迁出本区", actor=w.officer, on=dt.date(2026, 7, 1), policies=w.policies)
    session.commit()
    # b was paid 500,000 and has not repaid it: still committed
    assert decision_flows.round_commitments(session=session, round_id=w.round.id)["committed"] == Decimal("2000000.00")
    with pytest.raises(CapExceeded):
        decision_flows.approve(session=session, application_id=c.id, amount="900000", actor=w.officer, on=DAY)
    session.rollback()
    [rec] = payments.receivables(session=session, actor=w.officer, application_id=b.id)
    payment_flows.record_recovery(session=session, receivable_id=rec.id, actor=w.officer, on=dt.date(2026, 8, 1))
    assert decision_flows.round_commitments(session=session, round_id=w.round.id) == {"approved": Decimal("1500000.00"), "committed": Decimal("1500000.00"), "paid": Decimal("1500000.00")}
    decision_flows.approve(session=session, application_id=c.id, amount="500000", actor=w.officer, on=DAY)
    assert c.state == "approved"


def test_payments_stay_within_a_cut_budget(session, small):
    w = small
    a = h.checked_project(session, w, 0, "5000000")
    b = h.checked_project(session, w, 1, "1000000")  # 300,000
    decision_flows.approve(session=session, application_id=a.id, amount="1500000", actor=w.officer, on=DAY)
    decision_flows.approve(session=session, application_id=b.id, amount="300000", actor=w.officer, on=DAY)
    first = payments.create_batch(session=session, pay_on=DAY, actor=w.officer)
    session.commit()
    # only officers, only with a reason, never below what is already paid
    with pytest.raises(PermissionDenied):
        round_flows.set_budget(session=session, round_id=w.round.id, budget="1600000", actor=w.ent_users[0], reason="x")
    with pytest.raises(InvalidInput) as exc:
        round_flows.set_budget(session=session, round_id=w.round.id, budget="1600000", actor=w.officer, reason=" ")
    assert exc.value.field == "reason"
    session.rollback()
    # the budget is cut to 1,600,000 after 1,800,000 was approved: the batch of 1,800,000 would overrun it
    round_flows.set_budget(session=session, round_id=w.round.id, budget="1600000", actor=w.officer, reason="区财政预算调减")
    session.commit()
    with pytest.raises(CapExceeded) as exc:
        payment_flows.run_batch(session=session, batch_id=first.id, actor=w.officer)
    e = exc.value
    assert e.field == "budget" and e.details == {"round": "JS-2026-1", "budget": "1600000.00", "paid": "0.00", "requested": "1800000.00", "room": "1600000.00"}
    assert "拨付将超出批次“JS-2026-1" in e.message_zh and "本批未拨付任何款项" in e.message_zh and "nothing was paid" in e.message_en
    session.rollback()
    assert session.query(Payment).count() == 0
    # approvals are held to the cut budget too
    with pytest.raises(CapExceeded):
        decision_flows.approve(session=session, application_id=h.checked_project(session, w, 2, "1000").id, amount="300", actor=w.officer, on=DAY)
    session.rollback()
    # the 300,000 project is revoked (nothing paid): the batch now fits exactly (1,500,000 ≤ 1,600,000)
    change_flows.revoke(session=session, application_id=b.id, ground="conditions_changed", reason="企业注销", actor=w.officer, on=DAY, policies=w.policies)
    paid = payment_flows.run_batch(session=session, batch_id=first.id, actor=w.officer)
    assert [p.amount for p in paid] == [Decimal("1500000.00")]
    session.commit()
    with pytest.raises(InvalidInput) as exc:
        round_flows.set_budget(session=session, round_id=w.round.id, budget="1499999.99", actor=w.officer, reason="再调减")
    assert exc.value.field == "budget" and "1500000.00" in exc.value.message_zh
    session.rollback()
    [entry] = [x for x in audit.entries(session, entity="round", entity_id=w.round.id) if x.action == "round.budget"]
    assert (entry.reason, entry.data["before"], entry.data["after"], entry.data["committed"]) == ("区财政预算调减", "2000000.00", "1600000.00", "1800000.00")
