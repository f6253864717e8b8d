"""Every role against every resource: what each may read and write, and what it is refused.

The application under test belongs to ent1 (亭林镇), is assigned to expert1 and expert2, and is
in expert review. "ok" means the server let the role through (the answer may still be 409 or
422 for the state or the body — never 401, 403 or 404); 403 a role refusal; 404 a record the
user may not see (its existence is not disclosed); 401 no log-in.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORDS, make_env, token, web_login
from tests.api.test_flow import PDF, draft_and_submit

ROLES = ["anon", "ent1", "ent9", "tinglin", "shanyang", "expert1", "expert0", "officer", "auditor"]
OK = "ok"


@pytest.fixture(scope="module")
def world(tmp_path_factory, wf_policies):
    env = make_env(tmp_path_factory.mktemp("matrix"), wf_policies)
    client = TestClient(env["app"])
    app = draft_and_submit(client, env)
    aid = app["id"]
    off = token(client, "officer")
    assert client.post(f"/api/v1/applications/{aid}/town-confirm", json={"confirmed": True}, headers=token(client, "tinglin")).status_code == 200
    assert client.post(f"/api/v1/applications/{aid}/district-check", json={"passed": True}, headers=off).status_code == 200
    assert client.post(f"/api/v1/applications/{aid}/experts", json={"expert_ids": env["ids"]["experts"][1:]}, headers=off).status_code == 200
    fid = app["materials"][0]["id"]
    tokens = {u: token(client, u) for u in ROLES if u != "anon"}
    tokens["anon"] = {}
    yield {"env": env, "client": client, "aid": aid, "fid": fid, "tokens": tokens}
    client.close()
    env["engine"].dispose()


def row(expect: dict) -> dict:
    """Fill a matrix row: roles not named are refused with the given default."""
    default = expect.pop("_", 403)
    out = {r: default for r in ROLES}
    out["anon"] = 401
    out.update(expect)
    return out


VISIBLE = {"ent1": OK, "tinglin": OK, "expert1": OK, "officer": OK, "auditor": OK, "ent9": 404, "shanyang": 404, "expert0": 404}
OFFICER_ONLY = {"officer": OK}
STAFF_READ = {"officer": OK, "auditor": OK}

API = [
    # (method, path, json body, expectations)
    ("GET", "/api/v1/auth/me", None, row({r: OK for r in ROLES if r != "anon"})),
    ("GET", "/api/v1/applications/{aid}", None, row(dict(VISIBLE))),
    ("GET", "/api/v1/applications/{aid}/materials/{fid}", None, row(dict(VISIBLE))),
    ("GET", "/api/v1/rounds", None, row({r: OK for r in ROLES if r != "anon"})),
    ("GET", "/api/v1/notices", None, row({r: OK for r in ROLES if r != "anon"})),
    ("GET", "/api/v1/payments", None, row({r: OK for r in ROLES if r != "anon"})),
    ("GET", "/api/v1/payment-batches", None, row(dict(STAFF_READ))),
    ("GET", "/api/v1/changes", None, row(dict(STAFF_READ))),
    ("GET", "/api/v1/experts", None, row(dict(STAFF_READ))),
    ("GET", "/api/v1/dashboard", None, row({"officer": OK, "auditor": OK, "tinglin": OK, "shanyang": OK})),
    ("GET", "/api/v1/audit/verify", None, row(dict(STAFF_READ))),
    ("GET", "/api/v1/exports/notice/999.xlsx", None, row({"officer": 404, "auditor": 404})),
    ("POST", "/api/v1/applications/{aid}/town-confirm", {"confirmed": True}, row({"tinglin": OK, "shanyang": 404})),
    ("POST", "/api/v1/applications/{aid}/district-check", {"passed": True}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/applications/{aid}/experts", {"expert_ids": [3]}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/applications/{aid}/score", {"score": "70"}, row({"expert1": OK, "expert0": 404})),
    ("POST", "/api/v1/applications/{aid}/consult", {"department": "区财政局", "opinion": "无意见"}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/applications/{aid}/objections", {"objector": "某人", "content": "x"}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/applications/{aid}/approve", {"amount": "1"}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/applications/{aid}/confirm", {}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/applications/{aid}/credit-override", {"reason": "x"}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/applications/{aid}/revoke", {"ground": "other", "reason": "x"}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/applications/{aid}/submit", {}, row({"ent1": OK, "officer": OK, "ent9": 404})),
    ("POST", "/api/v1/applications/{aid}/withdraw", {}, row({"ent1": OK, "ent9": 404})),
    ("POST", "/api/v1/applications/{aid}/progress", {"period": "2026", "progress": "x"}, row({"ent1": OK, "officer": OK, "ent9": 404})),
    ("POST", "/api/v1/applications/{aid}/changes", {"kind": "content", "description": "x"}, row({"ent1": OK, "officer": OK, "ent9": 404})),
    ("POST", "/api/v1/applications", {"round_id": 1, "programme": "WF-RENT", "profile": {"enterprise": {}}}, row({"ent1": OK, "ent9": OK, "officer": OK})),
    ("POST", "/api/v1/rounds", {"code": "X", "name": "x", "programmes": ["WF-RENT"], "year": 2026, "opens_on": "2026-01-01", "closes_on": "2026-02-01"}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/rounds/1/shortlist", {}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/rounds/1/budget", {"budget": "3000000", "reason": "x"}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/notices", {"application_ids": [999]}, row({"officer": 404})),
    ("POST", "/api/v1/notices/999/close", {}, row({"officer": 404})),
    ("POST", "/api/v1/objections/999/resolve", {"upheld": False, "finding": "x"}, row({"officer": 404})),
    ("POST", "/api/v1/payment-batches", {"pay_on": "2020-01-01"}, row(dict(OFFICER_ONLY))),
    ("POST", "/api/v1/payment-batches/999/run", None, row({"officer": 404})),
    ("POST", "/api/v1/changes/999/decide", {"approve": True, "reason": "x"}, row({"officer": 404})),
    ("POST", "/api/v1/receivables/999/recovered", {}, row({"officer": 404})),
    ("POST", "/api/v1/experts/me/ties", {"enterprise_id": 4, "reason": "亲属"}, row({"expert0": OK, "expert1": OK})),
    ("POST", "/api/v1/experts/3/ties", {"enterprise_id": 4, "reason": "亲属"}, row(dict(OFFICER_ONLY))),
    ("GET", "/api/v1/applications/{aid}/materials", None, row(dict(VISIBLE))),
    ("GET", "/api/v1/users", None, row(dict(STAFF_READ))),
    ("POST", "/api/v1/users", {"username": "new-user", "password": "password-123", "role": "auditor"}, row(dict(OFFICER_ONLY))),
    ("GET", "/api/v1/enterprises", None, row({r: OK for r in ROLES if r != "anon"})),
    ("POST", "/api/v1/enterprises", {"uscc": "91310116MA1000008X", "name": "x"}, row(dict(OFFICER_ONLY))),
    ("GET", "/api/v1/audit/log", None, row(dict(STAFF_READ))),
]

# The order matters for the writes: refusals first, so an allowed write cannot change what a later
# refusal sees (visibility never depends on the state).
CASES = [(m, p, b, role, exp[role]) for (m, p, b, exp) in API for role in sorted(ROLES, key=lambda r: exp[r] == OK)]


@pytest.mark.parametrize("method,path,body,role,expected", CASES, ids=[f"{m} {p} as {r}" for m, p, _b, r, _e in CASES])
def test_api_matrix(world, method, path, body, role, expected):
    url = path.format(aid=world["aid"], fid=world["fid"])
    r = world["client"].request(method, url, json=body, headers=world["tokens"][role])
    if expected == OK:
        assert r.status_code not in (401, 403, 404), f"{role} {method} {url}: {r.status_code} {r.text[:300]}"
    else:
        assert r.status_code == expected, f"{role} {method} {url}: {r.status_code} {r.text[:300]}"
        body = r.json()
        assert body["message_zh"] and body["message_en"] and "field" in body


def test_upload_is_refused_to_others(world):
    c, aid = world["client"], world["aid"]
    files = {"file": ("x.pdf", PDF, "application/pdf")}
    for role, code in (("ent9", 404), ("tinglin", 403), ("expert1", 403), ("auditor", 403), ("anon", 401)):
        r = c.post(f"/api/v1/applications/{aid}/materials", data={"material_id": "form"}, files=files, headers=world["tokens"][role])
        assert r.status_code == code, (role, r.text)


def test_list_shows_only_visible_applications(world):
    c, aid = world["client"], world["aid"]
    for role, sees in (("ent1", True), ("ent9", False), ("tinglin", True), ("shanyang", False), ("expert1", True), ("expert0", False), ("officer", True), ("auditor", True)):
        ids = [a["id"] for a in c.get("/api/v1/applications", headers=world["tokens"][role]).json()]
        assert (aid in ids) is sees, role


PAGES = [
    ("/my", {"ent1": 200, "ent9": 200}),
    ("/my/applications/{aid}", {"ent1": 200, "ent9": 404}),
    ("/office", {"tinglin": 200, "shanyang": 200, "officer": 200, "auditor": 200}),
    ("/office/applications/{aid}", {"tinglin": 200, "shanyang": 404, "officer": 200, "auditor": 200}),
    ("/office/notices", {"tinglin": 200, "shanyang": 200, "officer": 200, "auditor": 200}),
    ("/office/payments", {"tinglin": 200, "shanyang": 200, "officer": 200, "auditor": 200}),
    ("/office/dashboard", {"tinglin": 200, "shanyang": 200, "officer": 200, "auditor": 200}),
    ("/office/rounds", {"officer": 200, "auditor": 200}),
    ("/office/changes", {"officer": 200, "auditor": 200}),
    ("/office/imports", {"officer": 200, "auditor": 200}),
    ("/office/exports", {"officer": 200, "auditor": 200}),
    ("/expert", {"expert1": 200, "expert0": 200}),
    ("/expert/applications/{aid}", {"expert1": 200, "expert0": 404}),
    ("/files/{aid}/{fid}", {"ent1": 200, "tinglin": 200, "expert1": 200, "officer": 200, "auditor": 200, "ent9": 404, "shanyang": 404, "expert0": 404}),
]
PAGE_CASES = [(p, role, exp.get(role, 403)) for p, exp in PAGES for role in ROLES]


@pytest.fixture(scope="module")
def page_clients(world):
    clients = {}
    for role in ROLES:
        c = TestClient(world["env"]["app"])
        if role != "anon":
            assert web_login(c, role).status_code == 303
        clients[role] = c
    yield clients
    for c in clients.values():
        c.close()


@pytest.mark.parametrize("path,role,expected", PAGE_CASES, ids=[f"{p} as {r}" for p, r, _ in PAGE_CASES])
def test_page_matrix(world, page_clients, path, role, expected):
    url = path.format(aid=world["aid"], fid=world["fid"])
    r = page_clients[role].get(url, follow_redirects=False)
    if role == "anon":
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (url, r.status_code)
    else:
        assert r.status_code == expected, (role, url, r.status_code)


def test_auditor_never_writes_through_pages(world, page_clients):
    import re

    c = page_clients["auditor"]
    page = c.get(f"/office/applications/{world['aid']}")
    assert 'name="action"' not in page.text  # no action forms at all
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post(f"/office/applications/{world['aid']}/act", data={"action": "decline", "reason": "x", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 403
    for path in ("/office/notices", "/office/payments/batches", "/office/rounds"):
        assert c.post(path, data={"csrf_token": csrf}, follow_redirects=False).status_code == 403


def test_an_officer_of_another_district_sees_nothing_of_this_one(world):
    c, aid = world["client"], world["aid"]
    hp = token(c, "officer-hp")
    assert c.get(f"/api/v1/applications/{aid}", headers=hp).status_code == 404
    assert c.post(f"/api/v1/applications/{aid}/decline", json={"reason": "x"}, headers=hp).status_code == 404
    assert c.get("/api/v1/applications", headers=hp).json() == []


def test_enterprise_list_is_narrowed(world):
    c = world["client"]
    names = lambda role: sorted(e["name"] for e in c.get("/api/v1/enterprises", headers=world["tokens"][role]).json())  # noqa: E731
    assert names("ent1") == ["测试企业1"]
    assert names("shanyang") == ["山阳测试企业"]
    assert names("expert1") == []
    assert len(names("auditor")) == 4
