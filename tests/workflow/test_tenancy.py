"""Every finding of issue 13 (“Who may do what, decided in one place: districts as tenants”) as a
regression test, at the services — which the API, the pages and the CLI all call — on SQLite and
PostgreSQL. The same refusals through the API, the pages and the CLI: tests/api/test_access_matrix.py.

The world: Jinshan's officer, reviewer, experts, auditor, enterprises and an open round
(``helpers.build_world``), and Huangpu's officer (``helpers.huangpu_officer``), created by the
administrator.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from huiqi import audit
from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.changes import service as changes
from huiqi.workflow.dashboard import flows as dashboard_flows
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from huiqi.workflow.exports import service as exports
from huiqi.workflow.imports import service as imports
from huiqi.workflow.materials import service as materials
from huiqi.workflow.notices import service as notices
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.payments import service as payments
from huiqi.workflow.payments.models import Payment
from huiqi.workflow.reviews import flows as review_flows
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.rounds import flows as round_flows
from huiqi.workflow.rounds import service as rounds
from huiqi.workflow.audit_log import service as audit_log
from huiqi.workflow.users import service as users
from huiqi.workflow.users.models import User
from tests.workflow import helpers as h

DAY = dt.date(2026, 6, 1)
RECORD = ["2024-05-06", "上海市市场监督管理局", "列入严重违法失信名单"]


@pytest.fixture
def hp(session, world):
    """Huangpu's district officer and auditor (the administrator creates the officer)."""
    officer = h.huangpu_officer(session, world)
    auditor = users.create(
        session=session,
        username="auditor-hp",
        password="auditor-pass",
        role=states.AUDITOR,
        actor=officer,
        policies=world.policies,
    )
    session.commit()
    return officer, auditor


def _approved(session, w, i=0, total="5000000", amount="1500000"):
    app = h.checked_project(session, w, i, total)
    decision_flows.approve(session=session, application_id=app.id, amount=amount, actor=w.officer, on=DAY)
    return app


# ------------------------------------------------------------------ finding 1: an officer acts on another district's records


def test_1a_huangpus_officer_cannot_pay_jinshans_batch(session, world, hp):
    """As the Huangpu officer, POST /payment-batches/1/run paid Jinshan's batch (1,500,000 yuan)."""
    w = world
    _approved(session, w)
    batch = payments.create_batch(session=session, pay_on=DAY, actor=w.officer)
    session.commit()
    with pytest.raises(NotFound):
        payment_flows.run_batch(session=session, batch_id=batch.id, actor=hp[0])
    session.rollback()
    assert session.query(Payment).count() == 0 and batch.state == "open"
    assert [p.amount for p in payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer)] == [
        Decimal("1500000.00")
    ]


def test_1a_a_batch_gathers_only_its_districts_instalments(session, world, hp):
    w = world
    _approved(session, w)
    session.commit()
    with pytest.raises(InvalidInput, match="nothing is due"):  # Jinshan's instalment is not Huangpu's to gather
        payments.create_batch(session=session, pay_on=DAY, actor=hp[0])
    session.rollback()
    batch = payments.create_batch(session=session, pay_on=DAY, actor=w.officer)
    assert batch.district == "金山区"


@pytest.mark.parametrize("step", ["budget", "open", "close", "shortlist"])
def test_1b_huangpus_officer_cannot_touch_jinshans_rounds(session, world, hp, step):
    """POST /rounds/{id}/budget|open|close|shortlist on Jinshan rounds: all 200."""
    w = world
    r = w.round
    calls = {
        "budget": lambda: round_flows.set_budget(session=session, round_id=r.id, budget="1", actor=hp[0], reason="x"),
        "open": lambda: rounds.open_round(session=session, round_id=r.id, actor=hp[0]),
        "close": lambda: rounds.close_round(session=session, round_id=r.id, actor=hp[0]),
        "shortlist": lambda: review_flows.shortlist(session=session, round_id=r.id, actor=hp[0]),
    }
    heads = session.execute(select(audit.AuditHead.seq)).scalar()
    with pytest.raises(NotFound):
        calls[step]()
    session.rollback()
    assert (r.state, r.budget) == ("open", Decimal("3000000.00"))
    assert session.execute(select(audit.AuditHead.seq)).scalar() == heads


def test_1c_huangpus_officer_cannot_decide_jinshans_change(session, world, hp):
    w = world
    app = _approved(session, w)
    cr = changes.request_change(
        session=session,
        application_id=app.id,
        kind="content",
        description="调整",
        actor=w.ent_users[0],
        policies=w.policies,
    )
    session.commit()
    with pytest.raises(NotFound):
        changes.decide_change(session=session, change_id=cr.id, approve=True, reason="同意", actor=hp[0])
    session.rollback()
    assert cr.state == "pending"


def test_1d_ties_only_for_the_districts_experts_and_enterprises(session, world, hp):
    """POST /experts/{id}/ties against a Jinshan enterprise by the Huangpu officer."""
    w = world
    with pytest.raises(NotFound):  # a Jinshan expert: not Huangpu's
        users.declare_tie(
            session=session, expert_id=w.experts[0].id, enterprise_id=w.ent[0].id, reason="x", actor=hp[0]
        )
    session.rollback()
    hp_expert = users.create(
        session=session,
        username="expert-hp",
        password="expert-pass",
        role=states.EXPERT,
        actor=hp[0],
        policies=w.policies,
    )
    with pytest.raises(NotFound):  # Huangpu's expert, a Jinshan enterprise that never applied in Huangpu
        users.declare_tie(session=session, expert_id=hp_expert.id, enterprise_id=w.ent[0].id, reason="x", actor=hp[0])
    session.rollback()
    assert users.ties(session=session, actor=w.admin) == []


def test_1e_another_districts_credit_import_never_holds_an_application(session, world, hp, tmp_path):
    """POST /imports/credit naming a Jinshan USCC, by the Huangpu officer, then blocked a Jinshan
    approval. Records belong to the importing district; only its applications consult them."""
    w = world
    app = h.checked_project(session, w, 0, "5000000")
    imports.import_credit(
        session=session, path=h.credit_csv(tmp_path, [[h.uscc(1), "测试企业1", *RECORD]]), actor=hp[0]
    )
    session.commit()
    assert app.credit_hold is False
    d = decision_flows.approve(session=session, application_id=app.id, amount="1500000", actor=w.officer, on=DAY)
    assert d.amount == Decimal("1500000.00")
    session.rollback()
    # the same record imported by Jinshan's officer holds it (原则上不予支持): the test can fail
    imports.import_credit(
        session=session,
        path=h.credit_csv(tmp_path, [[h.uscc(1), "测试企业1", *RECORD]], name="js.csv"),
        actor=w.officer,
    )
    assert app.credit_hold is True


# ------------------------------------------------------------------ finding 2: privilege escalation


def test_2a_no_officer_without_a_district(session, world, hp):
    """A district officer created {"role": "officer"} with no district, which then saw every district."""
    w = world
    made = users.create(
        session=session,
        username="officer2",
        password="officer-pass",
        role=states.OFFICER,
        actor=w.officer,
        policies=w.policies,
    )
    assert made.district == "金山区"  # the creator's district, never none
    with pytest.raises(PermissionDenied) as exc:
        users.create(
            session=session,
            username="officer3",
            password="officer-pass",
            role=states.OFFICER,
            district="黄浦区",
            actor=w.officer,
            policies=w.policies,
        )
    assert exc.value.field == "district"
    with pytest.raises(PermissionDenied):
        users.create(
            session=session,
            username="root2",
            password="officer-pass",
            role=states.ADMIN,
            actor=w.officer,
            policies=w.policies,
        )
    with pytest.raises(InvalidInput) as exc:  # not even the administrator creates a scope-less officer
        users.create(
            session=session,
            username="officer4",
            password="officer-pass",
            role=states.OFFICER,
            actor=w.admin,
            policies=w.policies,
        )
    assert exc.value.field == "district"
    with pytest.raises(InvalidInput):
        users.create(
            session=session,
            username="officer5",
            password="officer-pass",
            role=states.OFFICER,
            district="不存在区",
            actor=w.admin,
            policies=w.policies,
        )


def test_2a_a_scopeless_officer_from_before_sees_and_does_nothing(session, world):
    """Rows left by migration 0003 (an officer with no district) are treated as having no scope."""
    w = world
    app = h.submitted(session, w, 0, "WF-RENT", h.rent())
    legacy = User(username="legacy", display_name="legacy", role=states.OFFICER, password_hash="x", district=None)
    session.add(legacy)
    session.commit()
    assert applications.list_for(session=session, actor=legacy) == []
    assert rounds.list_all(session=session, actor=legacy) == []
    with pytest.raises(NotFound):
        applications.get(session=session, application_id=app.id, actor=legacy)
    with pytest.raises(PermissionDenied) as exc:
        payments.create_batch(session=session, pay_on=DAY, actor=legacy)
    assert exc.value.field == "scope"
    session.rollback()
    users.set_scope(session=session, user_id=legacy.id, district="金山区", actor=w.admin)  # the administrator fixes it
    assert [a.id for a in applications.list_for(session=session, actor=legacy)] == [app.id]


def test_2b_no_enterprise_log_in_for_another_districts_enterprise(session, world, hp, tmp_path):
    """{"role": "enterprise", "enterprise_id": <a Jinshan enterprise>} by the Huangpu officer, which
    then downloaded that enterprise's uploaded files."""
    w = world
    app = h.submitted(session, w, 0, "WF-RENT", h.rent())
    f = materials.files(session=session, application_id=app.id, actor=w.officer)[0]
    session.commit()
    with pytest.raises(NotFound):
        users.create(
            session=session,
            username="spy",
            password="spy-pass-1",
            role=states.ENTERPRISE,
            enterprise_id=w.ent[0].id,
            actor=hp[0],
            policies=w.policies,
        )
    session.rollback()
    # the file goes to those who may see the application, and to no other enterprise's user
    assert materials.file(session=session, application_id=app.id, file_id=f.id, actor=w.ent_users[0])[1].startswith(
        b"%PDF"
    )
    with pytest.raises(NotFound):
        materials.file(session=session, application_id=app.id, file_id=f.id, actor=w.ent_users[1])
    with pytest.raises(NotFound):
        materials.file(session=session, application_id=app.id, file_id=f.id, actor=hp[0])


# ------------------------------------------------------------------ finding 3: other districts' data readable


def test_3_another_districts_books_are_not_readable(session, world, hp, tmp_path):
    """Notice and payment exports, /payment-batches, /audit/log, /office/changes, /office/rounds,
    /office/dashboard — and every expert saw every district's enterprise list."""
    w = world
    officer_hp, auditor_hp = hp
    a = h.submitted(session, w, 0, "WF-RENT", h.rent())
    p = _approved(session, w, 1)
    cr = changes.request_change(
        session=session,
        application_id=p.id,
        kind="content",
        description="调整",
        actor=w.ent_users[1],
        policies=w.policies,
    )
    batch = payments.create_batch(session=session, pay_on=DAY, actor=w.officer)
    payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer)
    # a notice of Jinshan's (an award application goes expert review → consultation → notice)
    reviews.town_confirm(session=session, application_id=a.id, actor=w.reviewer, confirmed=True)
    reviews.district_check(session=session, application_id=a.id, actor=w.officer, passed=True)
    reviews.assign_experts(session=session, application_id=a.id, expert_ids=[w.experts[1].id], actor=w.officer)
    reviews.score(session=session, application_id=a.id, actor=w.experts[1], score=80)
    reviews.consult(session=session, application_id=a.id, actor=w.officer, department="区财政局", opinion="无意见")
    review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    nb = notices.publish(session=session, application_ids=[a.id], published_on=dt.date(2026, 9, 30), actor=w.officer)
    session.commit()
    for who in hp:
        with pytest.raises(NotFound):
            exports.notice_list(session=session, batch_id=nb.id, path=tmp_path / "n.xlsx", actor=who)
        with pytest.raises(NotFound):
            exports.payment_list(session=session, batch_id=batch.id, path=tmp_path / "p.xlsx", actor=who)
        assert payments.batches(session=session, actor=who) == []
        assert changes.changes(session=session, actor=who) == []
        assert rounds.list_all(session=session, actor=who) == []
        assert notices.batches(session=session, actor=who) == []
        assert {e.district for e in audit_log.entries(session=session, actor=who)} <= {"黄浦区"}
        d = dashboard_flows.dashboard(session=session, actor=who)
        assert (d["budgets"], d["counts"], d["approved_total"], d["paid_total"]) == ([], {}, "0.00", "0.00")
    session.rollback()
    assert not (tmp_path / "n.xlsx").exists() and not (tmp_path / "p.xlsx").exists()
    # Jinshan's own officer reads them all
    assert [b.id for b in payments.batches(session=session, actor=w.officer)] == [batch.id]
    assert [c.id for c in changes.changes(session=session, actor=w.officer)] == [cr.id]
    entries = audit_log.entries(session=session, actor=w.officer)
    assert entries and {e.district for e in entries} == {"金山区"}
    # an expert: its district's enterprises only
    hp_ent = enterprises.create(
        session=session, uscc=h.make_uscc("91310101MA1000077"), name="黄浦企业", actor=officer_hp
    )
    hp_expert = users.create(
        session=session,
        username="expert-hp",
        password="expert-pass",
        role=states.EXPERT,
        actor=officer_hp,
        policies=w.policies,
    )
    assert [e.id for e in enterprises.list_all(session=session, actor=hp_expert)] == [hp_ent.id]
    assert hp_ent.id not in [e.id for e in enterprises.list_all(session=session, actor=w.experts[0])]
    assert {e.id for e in enterprises.list_all(session=session, actor=w.experts[0])} == {e.id for e in w.ent}


# ------------------------------------------------------------------ finding 4: a profile's claimed district


def test_4_a_profile_that_contradicts_the_enterprise_record_is_refused(session, world, hp):
    """A Jinshan enterprise submitted into a Huangpu round with registered_district: 黄浦区 in its
    profile; the Huangpu officer who owns the round could not see it, and the Jinshan officer
    approved 2,000,000 against Huangpu's budget."""
    w = world
    hp_round = rounds.create(
        session=session,
        code="HP-2026-X",
        name="黄浦 2026",
        programmes=["WF-HP-FRONTIER"],
        year=2026,
        opens_on=h.OPEN,
        closes_on=dt.date(2026, 4, 30),
        budget="10000000",
        actor=hp[0],
        policies=w.policies,
    )
    rounds.open_round(session=session, round_id=hp_round.id, actor=hp[0])
    assert hp_round.district == "黄浦区"  # the programmes' document's, not typed in
    claims = [{"id": "fp", "kind": "frontier_project", "approval_date": "2025-06-01", "national_major_project": True}]
    with pytest.raises(InvalidInput) as exc:
        applications.create_draft(
            session=session,
            round_id=hp_round.id,
            enterprise_id=w.ent[0].id,
            programme_id="WF-HP-FRONTIER",
            profile={"enterprise": {"registered_district": "黄浦区"}, "claims": claims},
            actor=w.ent_users[0],
            policies=w.policies,
        )
    assert exc.value.field == "profile.enterprise.registered_district"
    assert (
        "黄浦区" in exc.value.message_zh
        and "金山区" in exc.value.message_zh
        and exc.value.details == {"profile": "黄浦区", "record": "金山区"}
    )
    # without the claim the record decides: the application is Huangpu's (its round's), eligibility says no
    app = applications.create_draft(
        session=session,
        round_id=hp_round.id,
        enterprise_id=w.ent[0].id,
        programme_id="WF-HP-FRONTIER",
        profile={"enterprise": {}, "claims": claims},
        actor=w.ent_users[0],
        policies=w.policies,
    )
    assert (app.district, app.profile["enterprise"]["registered_district"]) == ("黄浦区", "金山区")
    assert applications.get(session=session, application_id=app.id, actor=hp[0]).id == app.id
    with pytest.raises(NotFound):
        applications.get(session=session, application_id=app.id, actor=w.officer)
    with pytest.raises(NotFound):  # the Jinshan officer cannot decide on Huangpu's budget
        decision_flows.approve(session=session, application_id=app.id, amount="2000000", actor=w.officer, on=DAY)
    with pytest.raises(IllegalTransition) as exc:  # 一、适用范围: registered in Huangpu — the record says Jinshan
        applications.submit(
            session=session, application_id=app.id, actor=w.ent_users[0], on=h.SUBMIT_DAY, policies=w.policies
        )
    assert exc.value.field == "eligibility"


def test_4_the_town_comes_from_the_record_too(session, world):
    w = world
    with pytest.raises(InvalidInput) as exc:
        h.draft(session, w, 0, "WF-RENT", h.rent(), profile_extra={"town": "山阳镇"})  # the record: 亭林镇
    assert exc.value.field == "profile.enterprise.town" and exc.value.details == {
        "profile": "山阳镇",
        "record": "亭林镇",
    }


# ------------------------------------------------------------------ finding 5: a conflict declared after scoring


def test_5_a_tie_declared_after_scoring_voids_the_score(session, world):
    """An expert who declares a conflict after scoring kept the score. Now the score is void (kept,
    audited), counts for no ranking, and the expert no longer sees the application."""
    w = world
    a = h.submitted(session, w, 0, "WF-RENT", h.rent())
    reviews.town_confirm(session=session, application_id=a.id, actor=w.reviewer, confirmed=True)
    reviews.district_check(session=session, application_id=a.id, actor=w.officer, passed=True)
    reviews.assign_experts(
        session=session, application_id=a.id, expert_ids=[w.experts[0].id, w.experts[1].id], actor=w.officer
    )
    reviews.score(session=session, application_id=a.id, actor=w.experts[0], score=95)
    reviews.score(session=session, application_id=a.id, actor=w.experts[1], score=70)
    reviews.consult(session=session, application_id=a.id, actor=w.officer, department="区财政局", opinion="无意见")
    users.declare_tie(
        session=session, expert_id=w.experts[0].id, enterprise_id=w.ent[0].id, reason="系该企业股东", actor=w.experts[0]
    )
    [void] = [x for x in reviews.assignments_for(session=session, app=a) if x.expert_id == w.experts[0].id]
    assert void.voided_at is not None and void.score == Decimal("95.00") and void.void_reason == "系该企业股东"
    [entry] = [
        e for e in audit.entries(session, entity="application", entity_id=a.id) if e.action == "review.score_void"
    ]
    assert (entry.actor, entry.data["score"], entry.district) == ("expert0", "95.00", "金山区")
    with pytest.raises(NotFound):
        applications.get(session=session, application_id=a.id, actor=w.experts[0])
    [ranked] = review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    assert ranked.score == Decimal("70.00")  # (95 + 70) / 2 = 82.50 had the void score counted


def test_5_with_its_only_scorer_standing_aside_another_expert_is_assigned(session, world):
    w = world
    a = h.submitted(session, w, 0, "WF-RENT", h.rent())
    reviews.town_confirm(session=session, application_id=a.id, actor=w.reviewer, confirmed=True)
    reviews.district_check(session=session, application_id=a.id, actor=w.officer, passed=True)
    reviews.assign_experts(session=session, application_id=a.id, expert_ids=[w.experts[0].id], actor=w.officer)
    reviews.score(session=session, application_id=a.id, actor=w.experts[0], score=95)
    reviews.consult(session=session, application_id=a.id, actor=w.officer, department="区财政局", opinion="无意见")
    users.declare_tie(
        session=session, expert_id=w.experts[0].id, enterprise_id=w.ent[0].id, reason="亲属任职", actor=w.officer
    )
    session.commit()
    with pytest.raises(Exception, match="stood aside"):
        review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    session.rollback()
    reviews.assign_experts(
        session=session, application_id=a.id, expert_ids=[w.experts[2].id], actor=w.officer
    )  # in review already: added
    reviews.score(session=session, application_id=a.id, actor=w.experts[2], score=60)
    [ranked] = review_flows.shortlist(session=session, round_id=w.round.id, actor=w.officer)
    assert (ranked.state, ranked.score) == ("shortlisted", Decimal("60.00"))


def test_tied_experts_are_never_assigned_nor_see_the_application(session, world):
    """The expert-tie filter (access.py): an expert with a declared tie cannot be assigned and does
    not see the enterprise's applications."""
    w = world
    a = h.submitted(session, w, 0, "WF-RENT", h.rent())
    reviews.town_confirm(session=session, application_id=a.id, actor=w.reviewer, confirmed=True)
    reviews.district_check(session=session, application_id=a.id, actor=w.officer, passed=True)
    session.commit()
    users.declare_tie(
        session=session, expert_id=w.experts[0].id, enterprise_id=w.ent[0].id, reason="曾任顾问", actor=w.experts[0]
    )
    with pytest.raises(PermissionDenied) as exc:
        reviews.assign_experts(session=session, application_id=a.id, expert_ids=[w.experts[0].id], actor=w.officer)
    assert exc.value.field == "experts"
    session.rollback()
    users.declare_tie(
        session=session, expert_id=w.experts[0].id, enterprise_id=w.ent[0].id, reason="曾任顾问", actor=w.experts[0]
    )
    reviews.assign_experts(session=session, application_id=a.id, expert_ids=[w.experts[1].id], actor=w.officer)
    # a tie declared by the officer after assignment: the expert loses sight of it at once
    users.declare_tie(
        session=session, expert_id=w.experts[1].id, enterprise_id=w.ent[0].id, reason="亲属任职", actor=w.officer
    )
    assert applications.list_for(session=session, actor=w.experts[1]) == []
    with pytest.raises(NotFound):
        reviews.score(session=session, application_id=a.id, actor=w.experts[1], score=80)
