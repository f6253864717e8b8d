"""Every refusal is JSON with message_zh, message_en and the field: 401, 403, 404, 409, 413, 415,
422, 429; CSRF, rate limiting, uploads, security headers; and the public rule endpoints."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.conftest import page_csrf, token, web_login
from tests.api.test_flow import PDF, draft_and_submit
from tests.workflow import helpers as h


def assert_error(r, status, field=None):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"error", "field", "message_zh", "message_en"}
    assert body["message_zh"] and body["message_en"]
    assert "Traceback" not in r.text
    if field is not None:
        assert body["field"] == field, body
    return body


def test_401_without_and_with_a_bad_token(client):
    assert_error(client.get("/api/v1/applications"), 401, "session")
    assert_error(client.get("/api/v1/applications", headers={"Authorization": "Bearer nonsense"}), 401, "Authorization")
    assert_error(client.get("/api/v1/applications", headers={"Authorization": "Basic abc"}), 401, "Authorization")


def test_token_log_in_errors_and_rate_limit(client):
    assert_error(client.post("/api/v1/auth/token", json={"username": "officer", "password": "wrong"}), 401, "password")
    body = assert_error(client.post("/api/v1/auth/token", json={"username": "officer"}), 422, "password")
    assert "缺少" in body["message_zh"]
    for _ in range(3):  # 5 failures per account in the window (one above, one in the next test line)
        client.post("/api/v1/auth/token", json={"username": "officer", "password": "wrong"})
    client.post("/api/v1/auth/token", json={"username": "officer", "password": "wrong"})
    r = client.post("/api/v1/auth/token", json={"username": "officer", "password": "officer-pass"})
    body = assert_error(r, 429, "username")
    assert int(r.headers["Retry-After"]) > 0 and "秒后再试" in body["message_zh"] and body["details"]["locked"] == "account"
    # the lock is the account's: a colleague behind the same address logs in (issue 14 finding 7)
    assert client.post("/api/v1/auth/token", json={"username": "ent1", "password": "enterprise-pass"}).status_code == 200


def test_403_role_and_404_invisible(client, env):
    app = draft_and_submit(client, env)
    body = assert_error(client.post(f"/api/v1/applications/{app['id']}/approve", json={"amount": "1"}, headers=token(client, "auditor")), 403, "role")
    assert "区级主管部门经办人" in body["message_zh"]
    body = assert_error(client.get(f"/api/v1/applications/{app['id']}", headers=token(client, "ent2")), 404, "application")
    assert body["message_en"].startswith("no such application")
    assert_error(client.get("/api/v1/applications/99999", headers=token(client, "officer")), 404, "application")
    assert_error(client.get("/api/v1/nothing-here"), 404)


def test_409_illegal_transition_names_the_state(client, env):
    app = draft_and_submit(client, env)
    body = assert_error(client.post(f"/api/v1/applications/{app['id']}/approve", json={"amount": "1"}, headers=token(client, "officer")), 409, "stage")
    assert "不能跳过" in body["message_zh"]


def test_422_validation_names_the_field(client, env):
    off = token(client, "officer")
    assert_error(client.post("/api/v1/notices", json={"application_ids": "x"}, headers=off), 422, "application_ids")
    assert_error(client.post("/api/v1/payment-batches", json={"pay_on": "2026-02-30"}, headers=off), 422, "pay_on")
    assert_error(client.post("/api/v1/applications/1/approve", content=b"{", headers={**off, "content-type": "application/json"}), 422)
    assert_error(client.get("/api/v1/applications/abc", headers=off), 422, "application_id")
    # a money amount that is not one
    app = draft_and_submit(client, env)
    body = assert_error(client.post(f"/api/v1/applications/{app['id']}/withdraw", json={"reason": 5}, headers=token(client, "ent1")), 422, "reason")
    assert body["details"][0]["field"] == "reason"


def test_draft_needs_a_valid_profile(client, env):
    r = client.post("/api/v1/applications", json={"round_id": env["ids"]["round"], "programme": "WF-RENT", "profile": {"enterprise": {"annual_rent": "x"}}}, headers=token(client, "ent1"))
    assert_error(r, 422, "profile.enterprise.annual_rent")


def test_uploads_size_type_and_storage(client, env):
    hdr = token(client, "ent1")
    prof = h.base_profile()
    prof["claims"] = h.rent()
    app = client.post("/api/v1/applications", json={"round_id": env["ids"]["round"], "programme": "WF-RENT", "profile": prof}, headers=hdr).json()
    url = f"/api/v1/applications/{app['id']}/materials"
    mid = app["checklist"][0]["id"]
    big = PDF + b"0" * 200_001  # the test app allows 200,000 bytes
    assert_error(client.post(url, data={"material_id": mid}, files={"file": ("big.pdf", big, "application/pdf")}, headers=hdr), 413, "file")
    body = assert_error(client.post(url, data={"material_id": mid}, files={"file": ("evil.pdf", b"<script>alert(1)</script>", "application/pdf")}, headers=hdr), 422, "file")
    assert body["message_zh"]
    assert_error(client.post(url, data={"material_id": mid}, files={"file": ("x.exe", b"MZ\x90\x00", "application/octet-stream")}, headers=hdr), 422, "file")
    r = client.post(url, data={"material_id": mid}, files={"file": ("证明.pdf", PDF, "application/pdf")}, headers=hdr)
    assert r.status_code == 201, r.text
    f = r.json()
    # stored by digest outside the web root: the static mount never serves it
    stored = list((env["tmp"] / "data" / "files").rglob(f["sha256"]))
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    assert client.get(f"/static/{f['sha256']}").status_code == 404
    got = client.get(f"{url}/{f['id']}", headers=hdr)
    assert got.content == PDF and got.headers["content-type"] == "application/pdf" and "attachment" in got.headers["content-disposition"]


def test_cookie_session_needs_csrf_header_for_api_writes(client, env):
    assert web_login(client, "officer").status_code == 303
    assert client.get("/api/v1/auth/me").json()["username"] == "officer"
    body = assert_error(client.post("/api/v1/payment-batches", json={"pay_on": "2020-01-01"}), 403, "X-CSRF-Token")
    assert body["error"] == "csrf"
    csrf = page_csrf(client, "/office")
    r = client.post("/api/v1/payment-batches", json={"pay_on": "2020-01-01"}, headers={"X-CSRF-Token": csrf})
    assert_error(r, 422, "pay_on")  # through the CSRF check; nothing is due by then


def test_page_forms_need_the_csrf_token(client):
    r = client.post("/login", data={"username": "officer", "password": "officer-pass"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    assert web_login(client, "officer").status_code == 303
    r = client.post("/office/payments/batches", data={"pay_on": "2026-01-01", "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403


def test_page_log_in_failure_rate_limit_and_session_cookie(client):
    r = web_login(client, "officer", "wrong")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = web_login(client, "officer")
    cookie = r.headers["set-cookie"]
    assert "huiqi_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert r.headers["location"] == "/office"


def test_secure_cookie_flag_by_default(tmp_path, wf_policies):
    from fastapi.testclient import TestClient

    from huiqi.api import Settings, create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite", data_dir=tmp_path, secret_key="k" * 40), policies=wf_policies)
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/login")
        assert "secure" in r.headers["set-cookie"].lower()


def test_open_redirect_refused(client):
    import re

    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": "ent1", "password": "enterprise-pass", "next": "//evil.example/x", "csrf_token": csrf}, follow_redirects=False)
    assert r.headers["location"] == "/my"


def test_security_headers(client):
    r = client.get("/")
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_html_error_pages_are_bilingual(client):
    r = client.get("/programmes/NOPE")
    assert r.status_code == 404 and "扶持项目不存在" in r.text and "no such programme" in r.text and "Traceback" not in r.text
    assert client.get("/my", follow_redirects=False).headers["location"] == "/login?next=/my"


def test_internal_errors_never_leak(env):
    from fastapi.testclient import TestClient

    app = env["app"]

    @app.get("/api/v1/_boom", include_in_schema=False)
    def boom():
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/_boom")
    body = assert_error(r, 500)
    assert "secret" not in r.text and body["message_en"].startswith("internal error")


# ------------------------------------------------------------------ public rule endpoints


def test_policies_programmes_facts_schema(client):
    docs = client.get("/api/v1/policies").json()
    assert [p["id"] for p in docs["documents"][0]["programmes"]][:2] == ["WF-RENT", "WF-INCUBATOR"]
    p = client.get("/api/v1/programmes/WF-RENT").json()
    assert p["criteria"] and all(c["clause"]["text"] for c in p["criteria"])
    assert_error(client.get("/api/v1/programmes/NOPE"), 404, "programme_id")
    assert_error(client.get("/api/v1/policies/NOPE"), 404, "document_id")
    facts = {f["name"] for f in client.get("/api/v1/facts").json()["facts"]}
    assert "lease.annual_rent" in facts
    assert client.get("/api/v1/schema/profile").json()["required"] == ["enterprise"]
    spec = client.get("/api/v1/openapi.json").json()
    assert "Profile" in spec["components"]["schemas"] and "/api/v1/match" in spec["paths"]


def test_match_equals_the_engine(client, wf_policies):
    import datetime as dt

    from huiqi.rules import evaluate, parse_profile

    prof = h.base_profile()
    prof["claims"] = h.rent("1000000")
    prof["call"] = {"period_start": "2025-01-01", "period_end": "2025-12-31"}  # the round's qualifying period
    prof["enterprise"]["serious_dishonesty_last_3_years"] = False  # the credit check the workflow adds
    r = client.post("/api/v1/match?on=2026-03-10&programme=WF-RENT", json=prof)
    assert r.status_code == 200
    expected = evaluate(wf_policies, parse_profile(prof, wf_policies.vocabulary), on=dt.date(2026, 3, 10), programmes=["WF-RENT"]).to_dict()
    assert r.json() == expected
    [res] = r.json()["results"]
    # 1,000,000 × 30% = 300,000 a year, three years
    assert (res["status"], Decimal(res["ceiling"])) == ("eligible", Decimal("900000.00"))


def test_match_errors(client):
    assert_error(client.post("/api/v1/match", content=b"[1,2", headers={"content-type": "application/json"}), 422, "body")
    assert_error(client.post("/api/v1/match"), 422, "body")
    assert_error(client.post("/api/v1/match", json=[1]), 422, "profile")
    assert_error(client.post("/api/v1/match?on=2026-02-30", json={"enterprise": {}}), 422, "on")
    assert_error(client.post("/api/v1/match?programme=NOPE", json={"enterprise": {}}), 422, "programme")
    body = assert_error(client.post("/api/v1/match", json={"enterprise": {"uscc": "123"}}), 422, "enterprise.uscc")
    assert body["details"][0]["field"] == "enterprise.uscc"
