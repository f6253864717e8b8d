"""The lifecycle through the API: apply with a file → town confirms → district check → experts score
→ shortlist → notice → approve → pay, each step by the role that may do it."""

from __future__ import annotations

from decimal import Decimal

from tests.api.conftest import token
from tests.workflow import helpers as h

PDF = b"%PDF-1.4\n% huiqi api test\n"


def draft_and_submit(client, env, who="ent1", claims=None, programme="WF-RENT"):
    hdr = token(client, who)
    prof = h.base_profile()
    prof["claims"] = claims or h.rent("1000000")
    r = client.post("/api/v1/applications", json={"round_id": env["ids"]["round"], "programme": programme, "profile": prof}, headers=hdr)
    assert r.status_code == 201, r.text
    app = r.json()
    for m in app["checklist"]:
        if m["required"]:
            r = client.post(f"/api/v1/applications/{app['id']}/materials", data={"material_id": m["id"], "stamped": str(m["stamped"]).lower()}, files={"file": (f"{m['id']}.pdf", PDF + m["id"].encode(), "application/pdf")}, headers=hdr)
            assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/applications/{app['id']}/submit", json={"on": "2026-03-10"}, headers=hdr)
    assert r.status_code == 200, r.text
    return r.json()


def test_lifecycle_through_the_api(client, env):
    app = draft_and_submit(client, env)
    # 租金 1,000,000 × 30% = 300,000 a year for three years (fixture 专题一 支持标准)
    assert (app["state"], app["ceiling"], app["evaluation"]["result"]["status"]) == ("submitted", "900000.00", "eligible")
    aid = app["id"]
    r = client.post(f"/api/v1/applications/{aid}/town-confirm", json={"confirmed": True, "opinion": "辖区企业"}, headers=token(client, "tinglin"))
    assert r.json()["state"] == "town_confirmed"
    off = token(client, "officer")
    assert client.post(f"/api/v1/applications/{aid}/district-check", json={"passed": True, "opinion": "材料齐全"}, headers=off).json()["state"] == "district_checked"
    r = client.post(f"/api/v1/applications/{aid}/experts", json={"expert_ids": env["ids"]["experts"][1:]}, headers=off)
    assert r.status_code == 200, r.text
    for ex in ("expert1", "expert2"):
        r = client.post(f"/api/v1/applications/{aid}/score", json={"score": "85", "comment": "好"}, headers=token(client, ex))
        assert r.status_code == 200 and r.json()["score"] == "85.00", r.text
    r = client.post(f"/api/v1/rounds/{env['ids']['round']}/shortlist", json={}, headers=off)
    assert r.status_code == 409 and r.json()["field"] == "consultation"  # 征求意见 first
    r = client.post(f"/api/v1/applications/{aid}/consult", json={"department": "区财政局", "opinion": "无意见"}, headers=off)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/rounds/{env['ids']['round']}/shortlist", json={}, headers=off)
    assert r.status_code == 200, r.text
    assert [(x["id"], x["state"], x["score"]) for x in r.json()] == [(aid, "shortlisted", "85.00")]
    r = client.post("/api/v1/notices", json={"application_ids": [aid], "published_on": "2026-09-30"}, headers=off)
    assert r.status_code == 201 and r.json()["ends_on"] == "2026-10-13", r.text  # 5 working days over National Day
    batch = r.json()["id"]
    assert client.post(f"/api/v1/notices/{batch}/close", json={"on": "2026-10-13"}, headers=off).status_code == 409  # not over yet
    assert client.post(f"/api/v1/notices/{batch}/close", json={"on": "2026-10-14"}, headers=off).status_code == 200
    r = client.post(f"/api/v1/applications/{aid}/approve", json={"amount": "900000.01", "on": "2026-10-15"}, headers=off)
    assert r.status_code == 409 and r.json()["field"] == "amount"  # never above the frozen ceiling
    r = client.post(f"/api/v1/applications/{aid}/approve", json={"amount": "900000", "on": "2026-10-15"}, headers=off)
    assert r.status_code == 200 and r.json()["amount"] == "900000.00", r.text
    r = client.post("/api/v1/payment-batches", json={"pay_on": "2026-10-20"}, headers=off)
    assert r.status_code == 201, r.text
    paid = client.post(f"/api/v1/payment-batches/{r.json()['id']}/run", headers=off).json()
    assert sum(Decimal(p["amount"]) for p in paid) == Decimal("300000.00")  # first of three yearly instalments
    mine = client.get("/api/v1/payments", headers=token(client, "ent1")).json()
    assert [p["amount"] for p in mine] == ["300000.00"]
    assert client.get("/api/v1/payments", headers=token(client, "ent2")).json() == []
    detail = client.get(f"/api/v1/applications/{aid}", headers=token(client, "ent1")).json()
    assert detail["state"] == "approved" and detail["paid_total"] == "300000.00"
    steps = [e["action"] for e in detail["history"] if e["action"].startswith("application.")]
    assert steps[:5] == ["application.create", "application.freeze", "application.submit", "application.town_confirm", "application.district_pass"]
    assert steps[-1] == "application.approve"
    x = client.get(f"/api/v1/exports/payment/{r.json()['id']}.xlsx", headers=off)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    d = client.get("/api/v1/dashboard", headers=token(client, "auditor")).json()
    assert d["by_programme"] == [{"key": "WF-RENT", "amount": "900000.00"}] and d["paid_total"] == "300000.00"


def test_credit_hold_and_override_through_the_api(client, env):
    """关于项目管理有关要求 一、信用管理: “……原则上不予支持” — the application is held, the enterprise
    sees that it is, the officer sees the record and decides in writing; then it can be approved."""
    off = token(client, "officer")
    csv = f"uscc,name,record_date,authority,description\n{h.uscc(1)},测试企业1,2024-05-06,上海市市场监督管理局,列入严重违法失信名单\n".encode()
    r = client.post("/api/v1/imports/credit", files={"file": ("credit.csv", csv, "text/csv")}, headers=off)
    assert r.status_code == 201, r.text
    # WF-PROJECT: 30% of 5,000,000 = 1,500,000
    app = draft_and_submit(client, env, claims=h.project("5000000"), programme="WF-PROJECT")
    aid = app["id"]
    assert (app["state"], app["ceiling"], app["credit_hold"]) == ("submitted", "1500000.00", True)
    mine = client.get(f"/api/v1/applications/{aid}", headers=token(client, "ent1")).json()["credit"]
    assert mine["held"] is True and mine["message_zh"].startswith("信用审查中") and "overrides" not in mine
    theirs = client.get(f"/api/v1/applications/{aid}", headers=off).json()["credit"]
    assert [(x["date"], x["authority"], x["description"]) for x in theirs["uncovered"]] == [("2024-05-06", "上海市市场监督管理局", "列入严重违法失信名单")]
    assert client.post(f"/api/v1/applications/{aid}/district-check", json={"passed": True}, headers=off).status_code == 200
    r = client.post(f"/api/v1/applications/{aid}/approve", json={"amount": "1500000", "reason": "很好"}, headers=off)
    assert r.status_code == 409 and r.json()["field"] == "credit" and "列入严重违法失信名单" in r.json()["message_zh"], r.text
    assert client.post(f"/api/v1/applications/{aid}/credit-override", json={"reason": "已整改"}, headers=token(client, "ent1")).status_code == 403
    r = client.post(f"/api/v1/applications/{aid}/credit-override", json={"reason": ""}, headers=off)
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(f"/api/v1/applications/{aid}/credit-override", json={"reason": "失信行为已完成信用修复", "on": "2026-05-20"}, headers=off)
    assert r.status_code == 201 and r.json()["reason"] == "失信行为已完成信用修复" and r.json()["decided_on"] == "2026-05-20", r.text
    r = client.post(f"/api/v1/applications/{aid}/approve", json={"amount": "1500000"}, headers=off)
    assert r.status_code == 200 and r.json()["overrides"] == ["no_serious_dishonesty"], r.text
    audited = client.get(f"/api/v1/applications/{aid}", headers=token(client, "auditor")).json()
    assert audited["credit"]["overrides"][0]["actor"] == "officer" and "application.credit_override" in [e["action"] for e in audited["history"]]


def test_round_budget_through_the_api(client, env):
    rid = env["ids"]["round"]
    off = token(client, "officer")
    r = client.post(f"/api/v1/rounds/{rid}/budget", json={"budget": "2000000", "reason": "预算调减"}, headers=off)
    assert r.status_code == 200 and r.json()["budget"] == "2000000.00" and r.json()["commitments"]["committed"] == "0.00", r.text
    r = client.post(f"/api/v1/rounds/{rid}/budget", json={"budget": "2000000"}, headers=off)
    assert r.status_code == 422 and r.json()["field"] == "reason"
    a = draft_and_submit(client, env, claims=h.project("5000000"), programme="WF-PROJECT")
    b = draft_and_submit(client, env, who="ent2", claims=h.project("5000000"), programme="WF-PROJECT")
    for x in (a, b):
        assert client.post(f"/api/v1/applications/{x['id']}/district-check", json={"passed": True}, headers=off).status_code == 200
    assert client.post(f"/api/v1/applications/{a['id']}/approve", json={"amount": "1500000"}, headers=off).status_code == 200
    r = client.post(f"/api/v1/applications/{b['id']}/approve", json={"amount": "1500000"}, headers=off)
    assert r.status_code == 409 and r.json()["field"] == "amount" and r.json()["details"]["room"] == "500000.00", r.text
    d = client.get("/api/v1/dashboard", headers=off).json()
    assert [(x["code"], x["budget"], x["used"]) for x in d["budgets"]] == [("JS-2026-1", "2000000.00", "1500000.00")]
