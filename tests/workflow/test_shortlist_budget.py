"""Shortlisting (择优) fits proposals within what the round's budget has left, not within the whole
budget: sums the round has already committed are subtracted first.

金科〔2025〕25号 各专题 5.申报流程: experts review, then the department “择优” proposes projects for
support — within the year's funds. Committed is the figure the approval's budget check uses
(docs/workflow.md, our reading): approved sums of projects still approved, plus what a revoked
project was paid and has not repaid.

Numbers: the round's budget is 1,000,000. WF-PROJECT (30% of total investment, 黄浦 二、（一）2 shape,
no shortlist stage) with a 2,000,000 investment has a ceiling of 600,000 and is approved at it.
Two WF-RENT applications (rent 1,000,000 → 300,000 a year × 3 = 900,000 ceiling, 专题一 3.支持标准)
ask for 300,000 and 200,000. Room left: 1,000,000 − 600,000 = 400,000.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi import audit
from huiqi.workflow.changes import flows as change_flows
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.payments import service as payments
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.reviews import flows as review_flows
from tests.workflow import helpers as h

DAY = dt.date(2026, 6, 1)


@pytest.fixture
def w(session, policies):
    return h.build_world(session, policies, budget="1000000")


def _reviewed(session, w, i, requested, score):
    """A WF-RENT application through town, district, one expert's score and consultation."""
    app = h.submitted(session, w, i, "WF-RENT", h.rent("1000000"), requested=requested)
    reviews.town_confirm(session=session, application_id=app.id, actor=w.reviewer, confirmed=True)
    reviews.district_check(session=session, application_id=app.id, actor=w.officer, passed=True)
    reviews.assign_experts(session=session, application_id=app.id, expert_ids=[w.experts[1].id], actor=w.officer)
    reviews.score(session=session, application_id=app.id, actor=w.experts[1], score=score)
    reviews.consult(session=session, application_id=app.id, actor=w.officer, department="区财政局", opinion="无意见")
    return app


def _approved_600k(session, w):
    p = h.checked_project(session, w, 0, "2000000")
    assert p.ceiling == Decimal("600000.00")  # 2,000,000 × 30%
    decision_flows.approve(session=session, application_id=p.id, amount="600000", actor=w.officer, on=DAY)
    return p


def _shortlist_audit(session, app):
    [e] = [x for x in audit.entries(session, entity="application", entity_id=app.id) if x.action in ("application.shortlist", "application.not_select")]
    return e


def test_shortlist_subtracts_sums_already_approved(session, w):
    _approved_600k(session, w)
    big = _reviewed(session, w, 1, "300000", 90)
    small = _reviewed(session, w, 2, "200000", 80)
    session.commit()
    ranked = review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    # by score: 300,000 (90) fits the 400,000 left → 900,000; 200,000 (80) would make 1,100,000 > 1,000,000
    assert [(a.id, a.rank, a.state, a.proposed_amount) for a in ranked] == [(big.id, 1, "shortlisted", Decimal("300000.00")), (small.id, 2, "not_selected", None)]
    e = _shortlist_audit(session, small)
    assert (e.action, e.data["committed"], e.data["running_total"], e.data["amount"], e.data["budget"]) == ("application.not_select", "600000.00", "300000.00", "200000.00", "1000000.00")
    assert _shortlist_audit(session, big).data["committed"] == "600000.00"
    session.commit()
    # what shortlisting proposed, approval accepts: 600,000 + 300,000 ≤ 1,000,000
    assert decision_flows.round_commitments(session=session, round_id=w.round.id)["committed"] == Decimal("600000.00")


def test_the_ranking_decides_which_fits(session, w):
    # the same sums with the scores the other way round: 200,000 (90) fits → 800,000; then
    # 300,000 (80) would make 1,100,000 → not selected (the first that does not fit, and all below)
    _approved_600k(session, w)
    big = _reviewed(session, w, 1, "300000", 80)
    small = _reviewed(session, w, 2, "200000", 90)
    ranked = review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    assert [(a.id, a.state, a.proposed_amount) for a in ranked] == [(small.id, "shortlisted", Decimal("200000.00")), (big.id, "not_selected", None)]


def test_nothing_committed_both_fit(session, w):
    # without the earlier approval 300,000 + 200,000 = 500,000 ≤ 1,000,000: both proposed
    big = _reviewed(session, w, 1, "300000", 90)
    small = _reviewed(session, w, 2, "200000", 80)
    review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    assert (big.state, small.state) == ("shortlisted", "shortlisted")
    assert _shortlist_audit(session, small).data["committed"] == "0.00"


def _paid_and_revoked(session, w):
    p = _approved_600k(session, w)
    paid = payment_flows.run_batch(session=session, batch_id=payments.create_batch(session=session, pay_on=DAY, actor=w.officer).id, actor=w.officer)
    assert [x.amount for x in paid] == [Decimal("600000.00")]
    change_flows.revoke(session=session, application_id=p.id, ground="conditions_changed", reason="企业迁出本区", actor=w.officer, on=dt.date(2026, 7, 1), policies=w.policies)
    return p


def test_paid_on_a_revoked_project_and_not_repaid_still_counts(session, w):
    _paid_and_revoked(session, w)
    big = _reviewed(session, w, 1, "300000", 90)
    small = _reviewed(session, w, 2, "200000", 80)
    review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    # the enterprise still holds the 600,000: 400,000 left, as above
    assert (big.state, small.state) == ("shortlisted", "not_selected")


def test_repaid_claw_back_frees_the_room(session, w):
    p = _paid_and_revoked(session, w)
    [rec] = payments.receivables(session=session, actor=w.officer, application_id=p.id)
    payment_flows.record_recovery(session=session, receivable_id=rec.id, actor=w.officer, on=dt.date(2026, 8, 1))
    big = _reviewed(session, w, 1, "300000", 90)
    small = _reviewed(session, w, 2, "200000", 80)
    review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    # recovered: committed 0 → 500,000 fits
    assert (big.state, small.state) == ("shortlisted", "shortlisted")
