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


def test_no_escalation_through_the_api(client, env):
    """Finding 2 of issue 13 through the API: a district officer created {"role": "officer"} with no
    district (which then saw every district), and {"role": "enterprise", "enterprise_id": <a
    Jinshan enterprise>}, which downloaded that enterprise's files."""
    hp = token(client, "officer-hp")
    r = client.post("/api/v1/users", json={"username": "officer-hp2", "password": "long-enough-1", "role": "officer"}, headers=hp)
    assert r.status_code == 201 and r.json()["district"] == "黄浦区"  # its creator's district, never none
    for body, code, field in (
        ({"username": "x1", "password": "long-enough-1", "role": "officer", "district": "金山区"}, 403, "district"),
        ({"username": "x2", "password": "long-enough-1", "role": "admin"}, 403, "role"),
        ({"username": "x3", "password": "long-enough-1", "role": "enterprise", "enterprise_id": env["ids"]["ent"][0]}, 404, "enterprise"),
    ):
        r = client.post("/api/v1/users", json=body, headers=hp)
        assert (r.status_code, r.json()["field"]) == (code, field), r.text
    assert client.post("/api/v1/auth/token", json={"username": "x3", "password": "long-enough-1"}).status_code == 401
    # the officer created by Huangpu's officer sees none of Jinshan's applications
    app = draft_and_submit(client, env)
    new = client.post("/api/v1/auth/token", json={"username": "officer-hp2", "password": "long-enough-1"}).json()["token"]
    assert client.get(f"/api/v1/applications/{app['id']}", headers={"Authorization": f"Bearer {new}"}).status_code == 404


def test_the_administrator_sets_up_districts(client, env):
    adm = token(client, "admin")
    code = make_uscc("91310101MA1000888")
    r = client.post("/api/v1/enterprises", json={"uscc": code, "name": "黄浦新企业", "district": "黄浦区"}, headers=adm)
    assert r.status_code == 201 and r.json()["district"] == "黄浦区"
    # an officer registers enterprises only in its own district
    r = client.post("/api/v1/enterprises", json={"uscc": make_uscc("91310101MA1000889"), "name": "x", "district": "黄浦区"}, headers=token(client, "officer"))
    assert (r.status_code, r.json()["field"]) == (403, "district")
    r = client.post("/api/v1/users", json={"username": "auditor-hp", "password": "long-enough-1", "role": "auditor", "district": "黄浦区"}, headers=adm)
    assert r.status_code == 201 and r.json()["district"] == "黄浦区"
    r = client.post("/api/v1/users", json={"username": "auditor-x", "password": "long-enough-1", "role": "auditor"}, headers=adm)
    assert (r.status_code, r.json()["field"]) == (422, "district")  # no user without the scope its role needs
    uid = client.post("/api/v1/auth/token", json={"username": "auditor-hp", "password": "long-enough-1"}).json()["user"]["id"]
    assert client.post(f"/api/v1/users/{uid}/scope", json={"district": "金山区"}, headers=token(client, "officer")).status_code == 403
    r = client.post(f"/api/v1/users/{uid}/scope", json={"district": "金山区"}, headers=adm)
    assert r.status_code == 200 and r.json()["district"] == "金山区"
    log = client.get("/api/v1/audit/log", params={"entity": "user", "entity_id": str(uid)}, headers=adm).json()
    assert [e["action"] for e in log] == ["user.create", "user.scope"] and log[-1]["data"]["before"]["district"] == "黄浦区"
