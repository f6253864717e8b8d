"""Revocation and claw-back give per-entity annual cap room back.

金科〔2025〕25号 关于项目管理有关要求 四、项目撤销 (seed line 1649): “被撤销的项目将不再拨付专项资金，
并视情收回已拨付的专项资金。” Our reading (docs/workflow.md): the cap counts support the enterprise
receives and keeps. On revocation the unpaid part is released at once (it will never be paid); the
paid part stays charged while the enterprise holds it — released when the claw-back is recorded as
recovered, never if the officer decides not to claw it back.

The fixture cap: 单个主体每年最高 200 万元 (黄浦 二、（一）1 shape), shared by WF-PROJECT (30% of the
investment, at most 2,000,000) and WF-RENT (30% of the rent, at most 500,000 a year, three years).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi import audit
from huiqi.workflow.changes import flows as change_flows
from huiqi.workflow.decisions import service as decisions
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.decisions.models import CapCharge
from huiqi.workflow.errors import CapExceeded
from huiqi.workflow.notices import service as notices
from huiqi.workflow.payments import service as payments
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.reviews import flows as review_flows
from tests.workflow import helpers as h

DAY = dt.date(2026, 6, 1)


def _used(session, w, i=0, year=2026):
    session.expire_all()
    rows = {r.cap_id: r.used for r in decisions.cap_usage(session=session, enterprise_id=w.ent[i].id, year=year, actor=w.admin)}
    return rows.get("wf-fixture/annual", Decimal("0.00"))


def _revoke(session, w, app, *, claw_back=True, on=dt.date(2026, 9, 1)):
    return change_flows.revoke(session=session, application_id=app.id, ground="conditions_changed", reason="项目实施条件发生重大变化，无法继续实施", actor=w.officer, on=on, claw_back=claw_back, policies=w.policies)


def test_revoking_before_payment_releases_the_whole_sum(session, world):
    w = world
    # 5,000,000 × 30% = 1,500,000 each; together 3,000,000 > 2,000,000 a year
    a = h.checked_project(session, w, 0, "5000000")
    b = h.checked_project(session, w, 0, "5000000")
    decision_flows.approve(session=session, application_id=a.id, amount="1500000", actor=w.officer, on=DAY)
    session.commit()
    with pytest.raises(CapExceeded) as exc:
        decision_flows.approve(session=session, application_id=b.id, amount="1500000", actor=w.officer, on=DAY)
    assert exc.value.details["room"] == "500000.00"
    session.rollback()
    rev = _revoke(session, w, a)
    assert (rev.paid_total, rev.cancelled_total) == (Decimal("0.00"), Decimal("1500000.00"))
    assert _used(session, w) == Decimal("0.00")
    [charge] = session.query(CapCharge).filter_by(application_id=a.id).all()
    assert (charge.amount, charge.released) == (Decimal("1500000.00"), Decimal("1500000.00"))
    [rel] = [e for e in audit.entries(session, entity="application", entity_id=a.id) if e.action == "cap.release"]
    assert rel.data["amount"] == "1500000.00" and rel.data["caps"][0]["used"] == "0.00"
    # the room is back: the other 1,500,000 now fits
    decision_flows.approve(session=session, application_id=b.id, amount="1500000", actor=w.officer, on=DAY)
    session.commit()
    assert _used(session, w) == Decimal("1500000.00")


def test_paid_sums_stay_charged_until_recovered(session, world):
    w = world
    a = h.checked_project(session, w, 0, "5000000")
    b = h.checked_project(session, w, 0, "5000000")
    decision_flows.approve(session=session, application_id=a.id, amount="1500000", actor=w.officer, on=DAY)
    payment_flows.run_batch(session=session, batch_id=payments.create_batch(session=session, pay_on=DAY, actor=w.officer).id, actor=w.officer)
    _revoke(session, w, a)
    [rec] = payments.receivables(session=session, actor=w.officer, application_id=a.id)
    assert (rec.amount, rec.state) == (Decimal("1500000.00"), "open")
    session.commit()
    # revoked but not yet repaid: the enterprise still holds 1,500,000 — 500,000 is all that is left
    assert _used(session, w) == Decimal("1500000.00")
    with pytest.raises(CapExceeded) as exc:
        decision_flows.approve(session=session, application_id=b.id, amount="500000.01", actor=w.officer, on=DAY)
    assert (exc.value.details["used"], exc.value.details["room"]) == ("1500000.00", "500000.00")
    session.rollback()
    payment_flows.record_recovery(session=session, receivable_id=rec.id, actor=w.officer, on=dt.date(2026, 10, 9))
    session.commit()
    assert _used(session, w) == Decimal("0.00")
    decision_flows.approve(session=session, application_id=b.id, amount="1500000", actor=w.officer, on=DAY)
    assert b.state == "approved" and _used(session, w) == Decimal("1500000.00")


def test_not_clawed_back_stays_charged(session, world):
    w = world
    a = h.checked_project(session, w, 0, "5000000")
    decision_flows.approve(session=session, application_id=a.id, amount="1500000", actor=w.officer, on=DAY)
    payment_flows.run_batch(session=session, batch_id=payments.create_batch(session=session, pay_on=DAY, actor=w.officer).id, actor=w.officer)
    _revoke(session, w, a, claw_back=False)  # 视情收回: the officer decides not to recover
    assert payments.receivables(session=session, actor=w.officer, application_id=a.id) == []
    assert _used(session, w) == Decimal("1500000.00")


def _approved_rent(session, w, app, on):
    """WF-RENT through every stage of its process (town → district → experts → consultation →
    shortlist → 5-working-day notice) and approved at its ceiling."""
    reviews.town_confirm(session=session, application_id=app.id, actor=w.reviewer, confirmed=True)
    reviews.district_check(session=session, application_id=app.id, actor=w.officer, passed=True)
    reviews.assign_experts(session=session, application_id=app.id, expert_ids=[w.experts[1].id], actor=w.officer)
    reviews.score(session=session, application_id=app.id, actor=w.experts[1], score=80)
    reviews.consult(session=session, application_id=app.id, actor=w.officer, department="区财政局", opinion="无意见")
    review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    batch = notices.publish(session=session, application_ids=[app.id], published_on=dt.date(2026, 9, 30), actor=w.officer)
    notices.close(session=session, batch_id=batch.id, on=dt.date(2026, 10, 14), actor=w.officer)
    return decision_flows.approve(session=session, application_id=app.id, amount=app.ceiling, actor=w.officer, on=on)


def test_revoking_part_paid_releases_the_unpaid_part(session, world):
    w = world
    # rent 1,000,000 → 300,000 a year for three years = 900,000 (专题一 3.支持标准)
    rent = h.submitted(session, w, 0, "WF-RENT", h.rent("1000000"))
    # 6,000,000 × 30% = 1,800,000 (under the 2,000,000 programme ceiling)
    proj = h.checked_project(session, w, 0, "6000000")
    approve_day = dt.date(2026, 10, 15)
    _approved_rent(session, w, rent, approve_day)
    assert _used(session, w) == Decimal("900000.00")
    paid = payment_flows.run_batch(session=session, batch_id=payments.create_batch(session=session, pay_on=dt.date(2026, 10, 20), actor=w.officer).id, actor=w.officer)
    assert [p.amount for p in paid] == [Decimal("300000.00")]  # the first year's instalment only
    rev = _revoke(session, w, rent, on=dt.date(2027, 3, 1))
    assert (rev.paid_total, rev.cancelled_total) == (Decimal("300000.00"), Decimal("600000.00"))
    session.commit()
    # the 600,000 never to be paid is released; the 300,000 paid and not yet recovered is not
    assert _used(session, w) == Decimal("300000.00")
    with pytest.raises(CapExceeded):  # 300,000 + 1,700,000.01 > 2,000,000
        decision_flows.approve(session=session, application_id=proj.id, amount="1700000.01", actor=w.officer, on=dt.date(2027, 3, 2))
    session.rollback()
    decision_flows.approve(session=session, application_id=proj.id, amount="1700000", actor=w.officer, on=dt.date(2027, 3, 2))
    assert _used(session, w) == Decimal("2000000.00")
    [rec] = payments.receivables(session=session, actor=w.officer, application_id=rent.id)
    payment_flows.record_recovery(session=session, receivable_id=rec.id, actor=w.officer, on=dt.date(2027, 4, 1))
    assert _used(session, w) == Decimal("1700000.00")
    session.commit()
    assert audit.verify(session).ok
    from huiqi.workflow.reconcile import verify_all

    result = verify_all(session)  # every money row agrees with what the log recorded
    assert result.ok and not result.mismatches, result.message_en
