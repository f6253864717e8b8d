"""The whole lifecycle, end to end, on both databases: a call opens → apply with materials →
town/park confirms → district check → experts score (conflict excluded) → consultation →
shortlist within the budget → 5-working-day notice across the 2026 National Day → objection
→ approval within the ceiling → staged payments → progress, change, revocation, claw-back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from huiqi import audit
from huiqi.workflow.applications import service as applications
from huiqi.workflow.changes import service as changes
from huiqi.workflow.changes import flows as change_flows
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.errors import CapExceeded, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from huiqi.workflow.exports import service as exports
from huiqi.workflow.notices import service as notices
from huiqi.workflow.payments import service as payments
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.reviews import flows as review_flows
from huiqi.workflow.users import service as users
from tests.workflow import helpers as h

PUBLISHED = dt.date(2026, 9, 30)


def _through_review(session, w, apps, scores):
    """Town confirmation, district check, experts (expert0 tied to enterprise 0), consultation."""
    users.declare_tie(session=session, expert_id=w.experts[0].id, enterprise_id=w.ent[0].id, reason="曾任该企业技术顾问", actor=w.experts[0])
    for app, sc in zip(apps, scores):
        reviews.town_confirm(session=session, application_id=app.id, actor=w.reviewer, confirmed=True, opinion="辖区企业，信息属实")
        reviews.district_check(session=session, application_id=app.id, actor=w.officer, passed=True, opinion="材料齐全")
        reviews.assign_experts(session=session, application_id=app.id, expert_ids=[w.experts[1].id, w.experts[2].id], actor=w.officer)
        for ex in w.experts[1:]:
            reviews.score(session=session, application_id=app.id, actor=ex, score=sc)
        reviews.consult(session=session, application_id=app.id, actor=w.officer, department="区财政局", opinion="无意见")


def test_full_lifecycle(session, world, tmp_path):
    w = world
    # rent 1,000,000 a year → 300,000 a year for three years (专题一 3.支持标准: 30%，单年度最高 50 万元)
    a = h.submitted(session, w, 0, "WF-RENT", h.rent("1000000"))
    # rent 2,000,000 → 600,000 capped at 500,000 a year → ceiling 1,500,000; asks 1,200,000
    b = h.submitted(session, w, 1, "WF-RENT", h.rent("2000000"), requested="1200000")
    # an incubator: 200,000 + 100,000 after a year (专题三 3.支持标准)
    c = h.submitted(session, w, 2, "WF-INCUBATOR", [{"id": "inc", "kind": "incubator", "district_recognition": True}])
    assert (a.ceiling, b.ceiling, c.ceiling) == (Decimal("900000.00"), Decimal("1500000.00"), Decimal("300000.00"))
    session.commit()

    with pytest.raises(PermissionDenied):  # the tied expert may not be assigned
        users.declare_tie(session=session, expert_id=w.experts[0].id, enterprise_id=w.ent[0].id, reason="x", actor=w.experts[0])
        reviews.assign_experts(session=session, application_id=a.id, expert_ids=[w.experts[0].id], actor=w.officer)
    session.rollback()
    _through_review(session, w, [a, b, c], [80, 90, 70])

    # budget 3,000,000: b (90) 1,200,000 → a (80) 900,000 → c (70) 300,000 = 2,400,000, all fit
    ranked = review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    assert [(x.id, x.rank, x.score, x.state) for x in ranked] == [(b.id, 1, Decimal("90.00"), "shortlisted"), (a.id, 2, Decimal("80.00"), "shortlisted"), (c.id, 3, Decimal("70.00"), "shortlisted")]

    batch = notices.publish(session=session, application_ids=[b.id, a.id, c.id], published_on=PUBLISHED, actor=w.officer)
    # 公示期限为 5 个工作日; 2026 National Day: 1–7 Oct off, Sat 10 Oct worked → 8, 9, 10, 12, 13 Oct
    assert batch.ends_on == dt.date(2026, 10, 13)
    with pytest.raises(IllegalTransition):
        notices.object_to(session=session, application_id=a.id, objector="某市民", content="租赁面积不实", received_on=dt.date(2026, 10, 14), actor=w.officer)
    obj = notices.object_to(session=session, application_id=a.id, objector="某市民", content="租赁面积不实", received_on=dt.date(2026, 10, 12), actor=w.officer)
    assert a.state == "objection_held"
    with pytest.raises(IllegalTransition):
        notices.close(session=session, batch_id=batch.id, on=dt.date(2026, 10, 13), actor=w.officer)
    notices.close(session=session, batch_id=batch.id, on=dt.date(2026, 10, 14), actor=w.officer)
    assert (a.state, b.state, c.state) == ("objection_held", "notice_cleared", "notice_cleared")
    session.commit()
    with pytest.raises(IllegalTransition):  # held until the objection is resolved
        decision_flows.approve(session=session, application_id=a.id, amount="900000", actor=w.officer, on=dt.date(2026, 10, 15))
    session.rollback()
    notices.resolve(session=session, objection_id=obj.id, upheld=False, finding="经现场核查，租赁面积属实", actor=w.officer)
    assert a.state == "notice_cleared"
    session.commit()

    xlsx = exports.notice_list(session=session, batch_id=batch.id, path=tmp_path / "notice.xlsx", actor=w.officer)
    ws = load_workbook(xlsx).active
    assert [c.value for c in ws[3]] == [1, "测试企业2", h.uscc(2), "WF-RENT", "租赁（三年）", 120, "壹佰贰拾万元整"]  # 万元: a number

    approve_day = dt.date(2026, 10, 15)
    with pytest.raises(CapExceeded):  # never above the frozen ceiling
        decision_flows.approve(session=session, application_id=a.id, amount="900000.01", actor=w.officer, on=approve_day)
    session.rollback()
    for x, amt in ((a, "900000"), (b, "1200000"), (c, "150000")):
        decision_flows.approve(session=session, application_id=x.id, amount=amt, actor=w.officer, on=approve_day)
    session.commit()

    # rent: three years of 300,000; b scaled 1,200,000/1,500,000 → 400,000 a year; c 150,000/300,000 → 100,000 + 50,000
    sched = {x.id: [(i.due_on, i.amount) for i in payments.instalments(session=session, application_id=x.id, actor=w.officer)] for x in (a, b, c)}
    assert sched[a.id] == [(approve_day, Decimal("300000.00")), (dt.date(2027, 10, 15), Decimal("300000.00")), (dt.date(2028, 10, 15), Decimal("300000.00"))]
    assert sched[b.id] == [(approve_day, Decimal("400000.00")), (dt.date(2027, 10, 15), Decimal("400000.00")), (dt.date(2028, 10, 15), Decimal("400000.00"))]
    assert sched[c.id] == [(approve_day, Decimal("100000.00")), (dt.date(2027, 10, 15), Decimal("50000.00"))]

    pb = payments.create_batch(session=session, pay_on=dt.date(2026, 10, 20), actor=w.officer)
    paid = payment_flows.run_batch(session=session, batch_id=pb.id, actor=w.officer)
    session.commit()
    assert sum(p.amount for p in paid) == Decimal("800000.00")
    assert payment_flows.run_batch(session=session, batch_id=pb.id, actor=w.officer) == []  # nothing twice
    ws = load_workbook(exports.payment_list(session=session, batch_id=pb.id, path=tmp_path / "pay.xlsx", actor=w.officer)).active
    assert [c.value for c in ws[ws.max_row]][:7] == ["合计", None, None, None, None, 80, "捌拾万元整"]

    # after approval: progress, a minor and a major change, then revocation with claw-back
    changes.report_progress(session=session, application_id=a.id, period="2026Q4", progress="已入驻", funds_used="300000", actor=w.ent_users[0], on=dt.date(2027, 1, 5))
    minor = changes.request_change(session=session, application_id=a.id, kind="investment", description="追加装修", before="10000000", after="10999999.99", actor=w.ent_users[0], policies=w.policies)
    major = changes.request_change(session=session, application_id=a.id, kind="investment", description="追加装修", before="10000000", after="11000000", actor=w.ent_users[0], policies=w.policies)
    assert (minor.major, minor.state, major.major, major.state) == (False, "noted", True, "pending")  # 10%及以上
    changes.decide_change(session=session, change_id=major.id, approve=True, reason="经研究同意", actor=w.officer)
    rev = change_flows.revoke(session=session, application_id=a.id, ground="conditions_changed", reason="企业迁出本区，项目无法继续实施", actor=w.officer, on=dt.date(2027, 3, 1), policies=w.policies)
    assert (rev.paid_total, rev.cancelled_total) == (Decimal("300000.00"), Decimal("600000.00"))
    [rec] = payments.receivables(session=session, actor=w.officer, application_id=a.id)
    assert (rec.amount, rec.state) == (Decimal("300000.00"), "open")
    assert [i.state for i in payments.instalments(session=session, application_id=a.id, actor=w.officer)] == ["paid", "cancelled", "cancelled"]
    session.commit()

    pb2 = payments.create_batch(session=session, pay_on=dt.date(2027, 10, 20), actor=w.officer)
    paid2 = payment_flows.run_batch(session=session, batch_id=pb2.id, actor=w.officer)
    assert sorted((p.application_id, p.amount) for p in paid2) == [(b.id, Decimal("400000.00")), (c.id, Decimal("50000.00"))]
    session.commit()
    assert audit.verify(session).ok
    from huiqi.workflow.reconcile import verify_all

    result = verify_all(session)  # every money row agrees with what the log recorded
    assert result.ok and not result.mismatches, result.message_en


def test_objection_upheld_rejects(session, world):
    w = world
    a = h.submitted(session, w, 0, "WF-RENT", h.rent())
    _through_review(session, w, [a], [85])
    review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    notices.publish(session=session, application_ids=[a.id], published_on=PUBLISHED, actor=w.officer)
    obj = notices.object_to(session=session, application_id=a.id, objector="同行企业", content="重复申报", received_on=dt.date(2026, 10, 8), actor=w.officer)
    with pytest.raises(IllegalTransition, match="reason"):
        notices.resolve(session=session, objection_id=obj.id, upheld=True, finding=" ", actor=w.officer)
    notices.resolve(session=session, objection_id=obj.id, upheld=True, finding="经核实，已获同级财政资助", actor=w.officer)
    assert a.state == "rejected"
    with pytest.raises(IllegalTransition):
        decision_flows.approve(session=session, application_id=a.id, amount="1", actor=w.officer)


def test_budget_cuts_the_ranking(session, world):
    w = world  # budget 3,000,000
    a = h.submitted(session, w, 0, "WF-RENT", h.rent("2000000"))  # 1,500,000
    b = h.submitted(session, w, 1, "WF-RENT", h.rent("2000000"))  # 1,500,000
    c = h.submitted(session, w, 2, "WF-INCUBATOR", [{"id": "inc", "kind": "incubator", "district_recognition": True}])  # 300,000
    _through_review(session, w, [a, b, c], [90, 80, 70])
    review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    # 1,500,000 + 1,500,000 = 3,000,000 fills the budget; c (300,000) ranks below the cut
    assert (a.state, b.state, c.state) == ("shortlisted", "shortlisted", "not_selected")


def test_soft_criterion_override_needs_a_reason(session, world):
    w = world
    # 资产负债率原则上不高于70%: 80% fails softly — submission goes on, approval needs a reason
    a = h.submitted(session, w, 0, "WF-RENT", h.rent(), profile_extra={"debt_to_asset_ratio": "0.8"})
    assert [s["criterion"] for s in a.evaluation["result"]["soft_failed"]] == ["low_debt"]
    _through_review(session, w, [a], [85])
    review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    batch = notices.publish(session=session, application_ids=[a.id], published_on=PUBLISHED, actor=w.officer)
    notices.close(session=session, batch_id=batch.id, on=dt.date(2026, 10, 14), actor=w.officer)
    with pytest.raises(InvalidInput) as exc:
        decision_flows.approve(session=session, application_id=a.id, amount="900000", actor=w.officer)
    assert exc.value.field == "reason" and "原则上" in exc.value.message_zh
    d = decision_flows.approve(session=session, application_id=a.id, amount="900000", actor=w.officer, reason="负债率高系新建厂房贷款所致，经营正常")
    assert d.overrides == ["low_debt"]
    [entry] = [e for e in audit.entries(session=session, entity="application", entity_id=a.id) if e.action == "application.approve"]
    assert entry.reason.startswith("负债率高") and entry.data["overrides"] == ["low_debt"] and entry.actor == "officer"


def test_stages_cannot_be_skipped(session, world):
    w = world
    a = h.submitted(session, w, 0, "WF-RENT", h.rent())
    p = h.submitted(session, w, 1, "WF-PROJECT", h.project())
    session.commit()
    with pytest.raises(IllegalTransition, match="skip"):  # no town/park confirmation yet
        reviews.district_check(session=session, application_id=a.id, actor=w.officer, passed=True)
    session.rollback()
    with pytest.raises(IllegalTransition, match="skip"):
        decision_flows.approve(session=session, application_id=a.id, amount="1", actor=w.officer)
    session.rollback()
    with pytest.raises(NotFound):  # not the enterprise's town: out of the reviewer's scope (404)
        other = users.create(session=session, username="shanyang", password="reviewer-pass", role="reviewer", town="山阳镇", actor=w.officer, policies=w.policies)
        reviews.town_confirm(session=session, application_id=a.id, actor=other, confirmed=True)
    session.rollback()
    # a programme whose process has no town confirmation goes straight to the district check
    with pytest.raises(IllegalTransition, match="no 'town/park confirmation'"):
        reviews.town_confirm(session=session, application_id=p.id, actor=w.reviewer, confirmed=True)
    session.rollback()
    reviews.district_check(session=session, application_id=p.id, actor=w.officer, passed=True)
    decision_flows.approve(session=session, application_id=p.id, amount="1000000", actor=w.officer)
    assert p.state == "approved"


def test_offline_submission_is_recorded_by_an_officer(session, world):
    w = world
    with pytest.raises(PermissionDenied):
        h.draft(session, w, 0, "WF-STATION", [])
    app = h.draft(session, w, 0, "WF-STATION", [], actor=w.officer)
    applications.submit(session=session, application_id=app.id, actor=w.officer, on=h.SUBMIT_DAY, policies=w.policies)
    assert (app.state, app.channel, app.ceiling) == ("submitted", "offline", Decimal("1000000.00"))


def test_round_dates_are_enforced(session, world):
    w = world
    app = h.draft(session, w, 0, "WF-PROJECT", h.project())
    h.upload_all(session, w, app)
    with pytest.raises(IllegalTransition, match="2026-03-02 – 2026-04-30"):
        applications.submit(session=session, application_id=app.id, actor=w.ent_users[0], on=dt.date(2026, 5, 1), policies=w.policies)
