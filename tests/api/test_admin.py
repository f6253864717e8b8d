"""Administration over the API: users, enterprises, the audit log, materials, officers' tie records."""

from __future__ import annotations

from huiqi.uscc import make_uscc
from tests.api.conftest import token
from tests.api.test_flow import draft_and_submit


def test_officer_registers_an_enterprise_and_its_user(client):
    off = token(client, "officer")
    code = make_uscc("91310116MA1000777")
    r = client.post("/api/v1/enterprises", json={"uscc": code, "name": "新企业", "district": "金山区", "town": "亭林镇"}, headers=off)
    assert r.status_code == 201 and r.json()["uscc"] == code
    bad = client.post("/api/v1/enterprises", json={"uscc": "91310116MA1000777A", "name": "x"}, headers=off)
    assert bad.status_code == 422 and bad.json()["field"] == "uscc"
    u = client.post("/api/v1/users", json={"username": "ent-new", "password": "long-enough-1", "role": "enterprise", "enterprise_id": r.json()["id"]}, headers=off)
    assert u.status_code == 201 and u.json()["role"] == "enterprise"
    short = client.post("/api/v1/users", json={"username": "x", "password": "short", "role": "auditor"}, headers=off)
    assert short.status_code == 422 and short.json()["field"] == "password"
    me = client.post("/api/v1/auth/token", json={"username": "ent-new", "password": "long-enough-1"}).json()["user"]
    assert me["enterprise_id"] == r.json()["id"]
    log = client.get("/api/v1/audit/log", params={"entity": "user"}, headers=token(client, "auditor")).json()
    assert log[-1]["action"] == "user.create" and log[-1]["actor"] == "officer"
    assert client.get("/api/v1/audit/verify", headers=off).json()["ok"] is True


def test_materials_listing_and_officer_tie(client, env):
    app = draft_and_submit(client, env)
    m = client.get(f"/api/v1/applications/{app['id']}/materials", headers=token(client, "ent1")).json()
    assert m["missing"] == [] and len(m["files"]) == sum(1 for c in m["checklist"] if c["required"])
    off = token(client, "officer")
    expert0 = env["ids"]["experts"][0]
    r = client.post(f"/api/v1/experts/{expert0}/ties", json={"enterprise_id": app["enterprise_id"], "reason": "曾任顾问"}, headers=off)
    assert r.status_code == 201
    client.post(f"/api/v1/applications/{app['id']}/town-confirm", json={"confirmed": True}, headers=token(client, "tinglin"))
    client.post(f"/api/v1/applications/{app['id']}/district-check", json={"passed": True}, headers=off)
    refused = client.post(f"/api/v1/applications/{app['id']}/experts", json={"expert_ids": [expert0]}, headers=off)
    assert refused.status_code == 403 and refused.json()["field"] == "experts"  # 回避
