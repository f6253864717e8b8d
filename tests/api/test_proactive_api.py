"""Issue 19 over the API: records, matching, notifications — each reader within its scope."""

from __future__ import annotations

from tests.api.conftest import token
from tests.workflow import helpers as h


def test_records_matching_and_notifications_through_the_api(client, env):
    off, ent1, ent2, hp = (token(client, u) for u in ("officer", "ent1", "ent2", "officer-hp"))
    e1, e2 = env["ids"]["ent"][0], env["ids"]["ent"][1]
    csv = f"uscc,name,enterprise.independent_legal_person\n{h.uscc(1)},测试企业1,是\n".encode()
    r = client.post(
        "/api/v1/imports/facts",
        data={"list_name": "法人名单", "as_of": "2026-03-01"},
        files={"file": ("legal.csv", csv, "text/csv")},
        headers=off,
    )
    assert r.status_code == 201, r.text
    assert [c["enterprise"] for c in r.json()["changed"]] == [e1]
    r = client.post(
        "/api/v1/imports/facts",
        data={"list_name": "法人名单"},
        files={"file": ("legal.csv", csv, "text/csv")},
        headers=off,
    )
    assert r.status_code == 409  # the same file again
    rec = client.get(f"/api/v1/enterprises/{e1}/record", headers=ent1).json()
    assert [(f["fact"], f["value"], f["source"], f["as_of"]) for f in rec["facts"]] == [
        ("enterprise.independent_legal_person", True, "import", "2026-03-01")
    ]
    assert client.get(f"/api/v1/enterprises/{e1}/record", headers=ent2).status_code == 404
    assert client.get(f"/api/v1/enterprises/{e1}/record", headers=hp).status_code == 404
    r = client.post(
        f"/api/v1/enterprises/{e2}/record",
        json={"facts": {"enterprise.independent_legal_person": "true"}, "note": "营业执照"},
        headers=ent2,
    )
    assert r.status_code == 201 and r.json()[0]["source"] == "self_declared"
    r = client.post(f"/api/v1/enterprises/{e2}/record", json={"facts": {"enterprise.no_such_fact": 1}}, headers=ent2)
    assert r.status_code == 422 and r.json()["field"] == "enterprise.no_such_fact"
    r = client.post(
        "/api/v1/record/selfcheck",
        json={"profile": {"enterprise": {"debt_to_asset_ratio": "0.5", "uscc": "x"}}},
        headers=ent1,
    )
    assert r.status_code == 201 and [(x["fact"], x["source"]) for x in r.json()] == [
        ("enterprise.debt_to_asset_ratio", "selfcheck")
    ]
    assert client.post("/api/v1/record/selfcheck", json={"profile": {}}, headers=off).status_code == 422
    r = client.post("/api/v1/matches/run", json={"on": "2026-03-10"}, headers=off)
    assert r.status_code == 200, r.text
    assert r.json()["WF-AWARD"]["eligible"] == [e1, e2]  # 独立法人 known for both; registered in 金山区
    rows = client.get("/api/v1/matches", params={"programme": "WF-AWARD"}, headers=off).json()
    e3, e9 = env["ids"]["ent"][2], env["ids"]["ent"][3]  # 独立法人 unknown: one fact away
    assert [(x["enterprise_id"], x["status"], x["ceiling"]) for x in rows] == [
        (e1, "eligible", "200000.00"),
        (e2, "eligible", "200000.00"),
        (e3, "near", None),
        (e9, "near", None),
    ]
    assert client.get("/api/v1/matches", headers=hp).json() == []
    assert {x["enterprise_id"] for x in client.get("/api/v1/matches", headers=ent1).json()} == {e1}
    assert client.post("/api/v1/matches/run", json={}, headers=ent1).status_code == 403
    assert (
        client.put(
            "/api/v1/notifications/prefs", json={"email": "a@b.example", "muted": ["stage:email"]}, headers=ent1
        ).status_code
        == 200
    )
    assert client.put("/api/v1/notifications/prefs", json={"muted": ["nonsense"]}, headers=ent1).status_code == 422
    r = client.post("/api/v1/notifications/dispatch", json={"on": "2026-03-10"}, headers=off)
    assert r.status_code == 200, r.text
    assert r.json()["delivered"]["smtp"] is False  # no SMTP server configured: e-mails wait
    mine = client.get("/api/v1/notifications", headers=ent1).json()
    assert all(n["user_id"] == mine[0]["user_id"] for n in mine)
    if mine:
        assert client.post(f"/api/v1/notifications/{mine[0]['id']}/read", headers=ent2).status_code == 404
    assert client.get("/api/v1/notifications/deliveries", headers=hp).json() == []
    funnel = {x["programme_id"]: x for x in client.get("/api/v1/dashboard/funnel", headers=off).json()}
    assert funnel["WF-AWARD"]["eligible"] == 2
