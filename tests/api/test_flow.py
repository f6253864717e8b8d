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
