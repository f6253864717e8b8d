"""Credit checks (信用审查), as the policy data says.

金科〔2025〕25号 关于项目管理有关要求 一、信用管理 (seed line 1610): “对过去三年内有严重失信行为或违法
行为的申报主体，原则上不予支持。” — 原则上: a record holds the application for an officer's decision,
it is never silently passed and never an automatic exclusion. 黄科委规〔2025〕2号 一、适用范围 (line
39): “信用记录良好” — a plain condition: a record bars the application.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi import audit
from huiqi.workflow.credit import service as credit
from huiqi.workflow.decisions import service as decisions
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.decisions.models import Decision
from huiqi.workflow.errors import IllegalTransition, InvalidInput, PermissionDenied
from huiqi.workflow.imports import service as imports
from huiqi.workflow.reviews import service as reviews
from tests.workflow import helpers as h

RECORD = ["2024-05-06", "上海市市场监督管理局", "列入严重违法失信名单"]
APPROVE_DAY = dt.date(2026, 6, 1)


def _import(session, w, tmp_path, *rows, name="credit.csv", actor=None):
    return imports.import_credit(session=session, path=h.credit_csv(tmp_path, [list(r) for r in rows], name=name), actor=actor or w.officer)


def _actions(session, app_id, action):
    return [e for e in audit.entries(session, entity="application", entity_id=app_id) if e.action == action]


def test_a_record_holds_the_application_until_an_officer_overrides_it(session, world, tmp_path):
    w = world
    _import(session, w, tmp_path, [h.uscc(1), "测试企业1", *RECORD])
    # submission goes on (原则上 is not an exclusion): 30% of 5,000,000 = 1,500,000 (黄浦 二、（一）2 shape)
    app = h.checked_project(session, w, 0, "5000000")
    assert (app.state, app.eval_status, app.ceiling, app.credit_hold) == ("district_checked", "eligible", Decimal("1500000.00"), True)
    assert [s["criterion"] for s in app.evaluation["result"]["soft_failed"]] == ["no_serious_dishonesty"]
    assert app.evaluation["credit"]["mode"] == "soft" and app.evaluation["credit"]["clause"]["ref"] == "关于项目管理有关要求 一、信用管理"
    [held] = _actions(session, app.id, "application.credit_hold")
    assert held.data["records"][0]["date"] == "2024-05-06"

    # the officer sees the record (date, authority, description); the enterprise that it is held
    officer_view = credit.view(session=session, app=app, actor=w.officer)
    assert [(r["date"], r["authority"], r["description"]) for r in officer_view["uncovered"]] == [tuple(RECORD)]
    ent_view = credit.view(session=session, app=app, actor=w.ent_users[0])
    assert ent_view["held"] is True and ent_view["message_zh"].startswith("信用审查中") and "overrides" not in ent_view
    assert credit.view(session=session, app=app, actor=w.experts[0]) == {"held": True, "barred": False, "mode": "soft", "records": officer_view["records"], "message_zh": credit.HOLD_ZH, "message_en": credit.HOLD_EN}
    session.commit()

    # blocked: not by an approval reason, only by an explicit credit decision
    for reason in (None, "项目质量很好"):
        with pytest.raises(IllegalTransition) as exc:
            decision_flows.approve(session=session, application_id=app.id, amount="1500000", actor=w.officer, reason=reason, on=APPROVE_DAY)
        assert exc.value.field == "credit"
        assert "2024-05-06 上海市市场监督管理局：列入严重违法失信名单" in exc.value.message_zh and "原则上不予支持" in exc.value.message_zh
        assert "credit override" in exc.value.message_en
        session.rollback()
    assert session.query(Decision).count() == 0

    # only a district officer, only with a written reason
    with pytest.raises(PermissionDenied):
        credit.override(session=session, application_id=app.id, actor=w.ent_users[0], reason="已整改")
    with pytest.raises(PermissionDenied):
        credit.override(session=session, application_id=app.id, actor=w.reviewer, reason="已整改")
    with pytest.raises(InvalidInput) as exc:
        credit.override(session=session, application_id=app.id, actor=w.officer, reason="  ")
    assert exc.value.field == "reason"
    session.rollback()

    o = credit.override(session=session, application_id=app.id, actor=w.officer, reason="失信行为已完成信用修复，经研究同意继续支持", on=dt.date(2026, 5, 20))
    assert app.credit_hold is False and [r["description"] for r in o.records] == ["列入严重违法失信名单"]
    [entry] = _actions(session, app.id, "application.credit_override")
    assert (entry.actor, entry.reason, entry.data["decided_on"], entry.data["records"][0]["authority"]) == ("officer", "失信行为已完成信用修复，经研究同意继续支持", "2026-05-20", "上海市市场监督管理局")
    with pytest.raises(IllegalTransition, match="no serious-dishonesty record awaiting"):
        credit.override(session=session, application_id=app.id, actor=w.officer, reason="again")
    session.commit()

    # the credit criterion is decided by the override: no second reason is asked at approval
    d = decision_flows.approve(session=session, application_id=app.id, amount="1500000", actor=w.officer, on=APPROVE_DAY)
    assert (app.state, d.amount, d.overrides) == ("approved", Decimal("1500000.00"), ["no_serious_dishonesty"])
    [entry] = _actions(session, app.id, "application.approve")
    assert entry.data["credit_overrides"] == [o.id]
    view = credit.view(session=session, app=app, actor=w.auditor)
    assert view["held"] is False and view["overrides"][0]["actor"] == "officer" and view["overrides"][0]["reason"].startswith("失信行为已完成信用修复")
    session.commit()
    assert audit.verify(session).ok


def test_records_outside_three_years_do_not_count(session, world, tmp_path):
    w = world
    # submitted 2026-03-10: the three years run from 2023-03-10 (exclusive); 2023-03-10 is out, 2023-03-11 in
    _import(session, w, tmp_path, [h.uscc(1), "测试企业1", "2023-03-10", "区税务局", "重大税收违法"], [h.uscc(2), "测试企业2", "2023-03-11", "区税务局", "重大税收违法"])
    a = h.checked_project(session, w, 0, "1000000")
    b = h.checked_project(session, w, 1, "1000000")
    assert (a.credit_hold, a.evaluation["credit_records"], a.evaluation["profile"]["enterprise"]["serious_dishonesty_last_3_years"]) == (False, [], False)
    assert b.credit_hold is True and [r["date"] for r in b.evaluation["credit_records"]] == ["2023-03-11"]
    decision_flows.approve(session=session, application_id=a.id, amount="300000", actor=w.officer, on=APPROVE_DAY)
    assert a.state == "approved"


def test_a_record_imported_after_submission_holds_again(session, world, tmp_path):
    w = world
    app = h.checked_project(session, w, 0, "5000000")
    assert app.credit_hold is False
    session.commit()
    _import(session, w, tmp_path, [h.uscc(1), "测试企业1", "2026-03-15", "区生态环境局", "环境违法行为"])
    assert app.credit_hold is True  # flagged by the import (its date is after submission: still “过去三年内”)
    [held] = _actions(session, app.id, "application.credit_hold")
    assert held.data["by"] == "import" and held.data["records"][0]["description"] == "环境违法行为"
    session.commit()
    with pytest.raises(IllegalTransition, match="环境违法行为"):
        decision_flows.approve(session=session, application_id=app.id, amount="1500000", actor=w.officer, on=APPROVE_DAY)
    session.rollback()
    credit.override(session=session, application_id=app.id, actor=w.officer, reason="经核查属轻微违法，已整改")
    session.commit()
    # an override covers the records it saw: a later one holds the application again
    _import(session, w, tmp_path, [h.uscc(1), "测试企业1", "2026-04-02", "区应急管理局", "安全生产违法"], name="credit2.csv")
    session.commit()
    with pytest.raises(IllegalTransition) as exc:
        decision_flows.approve(session=session, application_id=app.id, amount="1500000", actor=w.officer, on=APPROVE_DAY)
    assert "安全生产违法" in exc.value.message_zh and "环境违法行为" not in exc.value.message_zh
    session.rollback()
    o2 = credit.override(session=session, application_id=app.id, actor=w.officer, reason="同上，已整改完毕")
    assert [r["description"] for r in o2.records] == ["安全生产违法"]
    decision_flows.approve(session=session, application_id=app.id, amount="1500000", actor=w.officer, on=APPROVE_DAY)
    assert app.state == "approved"


def test_a_hard_credit_condition_bars_the_application(session, world, tmp_path):
    """黄科委规〔2025〕2号 一、适用范围 “信用记录良好”: not 原则上 — a record bars, no override."""
    w = world
    hp = h.huangpu(session, w)
    _import(session, w, tmp_path, [hp.ent.uscc, hp.ent.name, *RECORD], actor=hp.officer)  # Huangpu's own credit import
    with pytest.raises(IllegalTransition) as exc:
        h.frontier(session, w, hp, "2025-06-01")
    assert exc.value.field == "credit" and "不予支持" in exc.value.message_zh and "列入严重违法失信名单" in exc.value.message_zh
    session.rollback()

    # a clean applicant; a record arrives during review: approval is refused, no override possible
    hp2 = h.huangpu(session, w, n=2)
    app = h.frontier(session, w, hp2, "2025-06-01")
    assert (app.state, app.evaluation["credit"]["mode"], app.evaluation["credit"]["criteria"]) == ("submitted", "hard", ["good_credit"])
    reviews.district_check(session=session, application_id=app.id, actor=hp2.officer, passed=True)
    session.commit()
    _import(session, w, tmp_path, [hp2.ent.uscc, hp2.ent.name, "2026-03-20", "区市场监管局", "虚假宣传"], name="c2.csv", actor=hp2.officer)
    assert app.credit_hold is False  # not a hold: a bar
    with pytest.raises(IllegalTransition, match="not supported"):
        decision_flows.approve(session=session, application_id=app.id, amount="2000000", actor=hp2.officer, on=APPROVE_DAY)
    session.rollback()
    with pytest.raises(IllegalTransition, match="cannot be overridden"):
        credit.override(session=session, application_id=app.id, actor=hp2.officer, reason="x")
    session.rollback()
    decisions.decline(session=session, application_id=app.id, actor=hp2.officer, reason="信用记录不良")
    assert app.state == "rejected"


def test_a_grant_without_application_is_imported_held(session, world, tmp_path):
    """免申即享 (WF-LAB): the row is imported, proposed and held; confirmation waits for the decision."""
    w = world
    _import(session, w, tmp_path, [h.uscc(1), "测试企业1", *RECORD])
    path = tmp_path / "labs.csv"
    path.write_text(f"uscc,name,municipal_grant\n{h.uscc(1)},测试企业1,3000000\n{h.uscc(2)},测试企业2,1000000\n", encoding="utf-8")
    on = dt.date(2026, 6, 1)
    a, b = imports.import_automatic(session=session, path=path, programme_id="WF-LAB", year=2026, actor=w.officer, on=on, defaults={"enterprise.registered_district": "金山区", "enterprise.independent_legal_person": "true"}, policies=w.policies)
    assert (a.state, a.ceiling, a.credit_hold, b.credit_hold) == ("proposed", Decimal("3000000.00"), True, False)
    session.commit()
    with pytest.raises(IllegalTransition) as exc:
        imports.confirm(session=session, application_id=a.id, actor=w.officer, on=on)
    assert exc.value.field == "credit"
    session.rollback()
    credit.override(session=session, application_id=a.id, actor=w.officer, reason="重点实验室承担国家任务，失信行为已修复")
    imports.confirm(session=session, application_id=a.id, actor=w.officer, on=on)
    imports.confirm(session=session, application_id=b.id, actor=w.officer, on=on)
    assert (a.state, a.approved_amount, b.state) == ("approved", Decimal("3000000.00"), "approved")
