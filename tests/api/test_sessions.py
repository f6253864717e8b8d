"""Sessions kept on the server, and the log-in lock-out (issue 14, findings 2 and 7).

Finding 2: the signed cookie stayed valid for 8 hours after ``POST /logout`` and carried part of the
password hash. Now the cookie and the API token are random ids of rows of ``sessions``; log-out ends
the row, a password change ends every row of the user. Finding 7: the lock-out was per address only,
so one person behind an office's shared address locked everyone out; now the account is locked
(with a growing back-off) and the address has its own, larger limit.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from huiqi.workflow.users.models import LoginFailure, User, UserSession
from tests.api.conftest import PASSWORDS, make_env, page_csrf, token, web_login


def _me(app, cookie: str | None = None, headers: dict | None = None) -> int:
    """Status of GET /api/v1/auth/me from a fresh client carrying only this cookie or header."""
    with TestClient(app) as c:
        if cookie:
            c.cookies.set("huiqi_session", cookie)
        return c.get("/api/v1/auth/me", headers=headers or {}).status_code


def test_the_cookie_is_dead_after_log_out(client, env):
    assert web_login(client, "officer").status_code == 303
    cookie = client.cookies.get("huiqi_session")
    assert _me(env["app"], cookie) == 200
    r = client.post("/logout", data={"csrf_token": page_csrf(client, "/office")}, follow_redirects=False)
    assert r.status_code == 303 and "huiqi_session=;" in r.headers["set-cookie"]
    # the old cookie, replayed by someone who kept it, signs in nobody (it used to for 8 hours)
    assert _me(env["app"], cookie) == 401
    with TestClient(env["app"]) as c:
        c.cookies.set("huiqi_session", cookie)
        page = c.get("/office", follow_redirects=False)
        assert page.status_code in (303, 401) and "officer" not in page.text
    with env["maker"]() as s:
        row = s.execute(
            select(UserSession).where(UserSession.token_hash == hashlib.sha256(cookie.encode()).hexdigest())
        ).scalar_one()
        assert (row.kind, row.revoked_reason) == ("web", "logout") and row.revoked_at is not None


def test_the_cookie_holds_a_random_id_and_nothing_of_the_password(client, env):
    assert web_login(client, "officer").status_code == 303
    cookie = client.cookies.get("huiqi_session")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie), cookie  # 32 random bytes, url-safe base64
    raw = base64.urlsafe_b64decode(cookie + "=")
    with env["maker"]() as s:
        user = s.execute(select(User).where(User.username == "officer")).scalar_one()
        rows = list(s.execute(select(UserSession).where(UserSession.user_id == user.id)).scalars())
        pw_hash = user.password_hash
    # no part of the argon2 hash (its salt, its digest, or their tail as before) is in the cookie
    salt, digest = pw_hash.split("$")[-2:]
    for part in (pw_hash[-12:], salt[:12], digest[:12]):
        assert part not in cookie and part.encode() not in raw
    # 32 bytes of nothing but randomness: no user id, name or signed payload (a byte-level b"{" check
    # failed at random: 32 random bytes hold a "{" one time in nine)
    assert len(raw) == 32 and b"officer" not in raw and str(user.id).encode() + b"|" not in raw
    with pytest.raises(ValueError):
        json.loads(raw)
    # the table keeps only the digest of the id: reading it lets nobody sign in
    assert [r.token_hash for r in rows] == [hashlib.sha256(cookie.encode()).hexdigest()]
    assert _me(env["app"], rows[0].token_hash[:43]) == 401
    # a new id at log-in: the one the browser had before (login form) is not the session's
    fresh = TestClient(env["app"])
    fresh.get("/login")
    before = fresh.cookies.get("huiqi_session")
    web_login(fresh, "officer")
    assert fresh.cookies.get("huiqi_session") != before
    assert _me(env["app"], before) == 401


def test_an_api_token_is_dead_after_log_out(client, env):
    hdr = token(client, "officer")
    assert client.get("/api/v1/auth/me", headers=hdr).status_code == 200
    r = client.post("/api/v1/auth/logout", headers=hdr)
    assert r.status_code == 200 and r.json() == {"ended": 1}
    body = client.get("/api/v1/auth/me", headers=hdr).json()
    assert (
        body["field"] == "Authorization" and "已退出登录" in body["message_zh"] and "logged out" in body["message_en"]
    )


def test_a_password_change_ends_every_session_of_the_user(client, env):
    app = env["app"]
    web = TestClient(app)
    web_login(web, "ent1")
    cookie = web.cookies.get("huiqi_session")
    other_token = token(client, "ent1")
    colleague = token(client, "ent2")
    mine = token(client, "ent1")
    r = client.post(
        "/api/v1/auth/password", json={"current_password": "wrong-one", "new_password": "a-new-password"}, headers=mine
    )
    assert r.status_code == 422 and r.json()["field"] == "current_password"
    r = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORDS["ent1"], "new_password": "short"}, headers=mine
    )
    assert r.status_code == 422 and r.json()["field"] == "password" and "至少 8 位" in r.json()["message_zh"]
    r = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORDS["ent1"], "new_password": "a-new-password"},
        headers=mine,
    )
    assert r.status_code == 200 and r.json() == {"ended": 3}, r.text
    # the browser's cookie, the other token and the token used are all dead; the colleague's lives
    assert (_me(app, cookie), _me(app, headers=other_token), _me(app, headers=mine), _me(app, headers=colleague)) == (
        401,
        401,
        401,
        200,
    )
    assert (
        client.post("/api/v1/auth/token", json={"username": "ent1", "password": PASSWORDS["ent1"]}).status_code == 401
    )
    assert client.post("/api/v1/auth/token", json={"username": "ent1", "password": "a-new-password"}).status_code == 200
    with env["maker"]() as s:
        reasons = (
            s.execute(
                select(UserSession.revoked_reason)
                .join(User, User.id == UserSession.user_id)
                .where(User.username == "ent1")
            )
            .scalars()
            .all()
        )
        assert sorted(x or "live" for x in reasons) == ["live", "password", "password", "password"]


def test_the_password_page_ends_the_sessions_too(client, env):
    other = TestClient(env["app"])
    web_login(other, "officer")
    other_cookie = other.cookies.get("huiqi_session")
    web_login(client, "officer")
    mine = client.cookies.get("huiqi_session")
    csrf = page_csrf(client, "/account/password")
    form = {
        "current_password": PASSWORDS["officer"],
        "new_password": "officer-new-pass",
        "new_password_again": "officer-other",
        "csrf_token": csrf,
    }
    r = client.post("/account/password", data=form, follow_redirects=False)
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.text
    form["new_password_again"] = "officer-new-pass"
    r = client.post("/account/password", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?ended=password"
    assert (_me(env["app"], mine), _me(env["app"], other_cookie)) == (401, 401)
    assert "所有会话已结束" in client.get("/login?ended=password").text
    assert web_login(client, "officer", "officer-new-pass").status_code == 303


def _fail(c, username, n=1):
    for _ in range(n):
        r = c.post("/api/v1/auth/token", json={"username": username, "password": "wrong-password"})
        assert r.status_code in (401, 429), r.text
    return r


def test_the_account_is_locked_with_a_growing_back_off_and_colleagues_still_log_in(client, env):
    _fail(client, "officer", 5)  # settings.login_attempts: 5 consecutive failures
    r = client.post("/api/v1/auth/token", json={"username": "officer", "password": PASSWORDS["officer"]})
    body = r.json()
    assert r.status_code == 429 and body["details"]["locked"] == "account" and 55 <= int(r.headers["Retry-After"]) <= 61
    assert "该账户" in body["message_zh"] and "this account" in body["message_en"]
    # the same address (one office behind NAT): every other account logs in as usual
    for who in ("ent1", "tinglin", "auditor"):
        assert client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORDS[who]}).status_code == 200
    # and from elsewhere, the locked account stays locked (the lock is the account's, not the address's)
    with TestClient(env["app"], client=("10.9.8.7", 40000)) as far:
        assert (
            far.post("/api/v1/auth/token", json={"username": "officer", "password": PASSWORDS["officer"]}).status_code
            == 429
        )

    def unlock():
        with env["maker"]() as s:
            s.execute(
                update(LoginFailure)
                .where(LoginFailure.key == "user:officer")
                .values(locked_until=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
            )
            s.commit()

    unlock()
    r = _fail(client, "officer")  # one more failure after the lock: locked again, twice as long
    r = client.post("/api/v1/auth/token", json={"username": "officer", "password": PASSWORDS["officer"]})
    assert r.status_code == 429 and 115 <= int(r.headers["Retry-After"]) <= 121
    unlock()
    assert (
        client.post("/api/v1/auth/token", json={"username": "officer", "password": PASSWORDS["officer"]}).status_code
        == 200
    )
    with env["maker"]() as s:  # a success clears the account's count
        assert s.get(LoginFailure, "user:officer") is None


def test_unknown_names_are_locked_like_real_ones(client):
    _fail(client, "no-such-user", 5)
    a = client.post("/api/v1/auth/token", json={"username": "no-such-user", "password": "x"})
    _fail(client, "ent3", 5)
    b = client.post("/api/v1/auth/token", json={"username": "ent3", "password": "x"})
    assert a.status_code == b.status_code == 429 and a.json()["message_en"] == b.json()["message_en"]


def test_the_address_has_its_own_larger_limit(tmp_path, wf_policies):
    """Guessing many accounts from one address is slowed at the address's limit — other addresses
    are not affected, and the accounts tried are not locked (each saw fewer than 5 failures)."""
    env = make_env(tmp_path, wf_policies)
    env["app"].state.huiqi.settings.login_address_attempts = 8
    with TestClient(env["app"], client=("192.0.2.10", 1)) as c:
        for who in ("officer", "ent1", "ent2", "ent3"):
            _fail(c, who, 2)
        r = c.post("/api/v1/auth/token", json={"username": "auditor", "password": PASSWORDS["auditor"]})
        assert (
            r.status_code == 429 and r.json()["details"]["locked"] == "address" and "本地址" in r.json()["message_zh"]
        )
    with TestClient(env["app"], client=("192.0.2.11", 1)) as other:
        for who in ("officer", "ent1", "auditor"):
            assert (
                other.post("/api/v1/auth/token", json={"username": who, "password": PASSWORDS[who]}).status_code == 200
            )
    env["engine"].dispose()


def test_the_lock_out_is_shared_by_every_server_process(tmp_path, wf_policies):
    """Two apps over one database (two workers): failures counted by one lock the account in the
    other (they were counted per process before)."""
    env = make_env(tmp_path, wf_policies)
    from huiqi.api import create_app

    second = create_app(env["app"].state.huiqi.settings, policies=wf_policies)
    with TestClient(env["app"]) as a, TestClient(second) as b:
        _fail(a, "officer", 3)
        _fail(b, "officer", 2)
        assert (
            a.post("/api/v1/auth/token", json={"username": "officer", "password": PASSWORDS["officer"]}).status_code
            == 429
        )
        # and a token from one process is good in the other (sessions are rows, not process memory)
        tok = b.post("/api/v1/auth/token", json={"username": "ent1", "password": PASSWORDS["ent1"]}).json()["token"]
        assert a.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tok}"}).json()["username"] == "ent1"
    second.state.huiqi.engine.dispose()
    env["engine"].dispose()


@pytest.mark.parametrize("cookie", ["", "x", "a" * 43, "../../etc/passwd", "a" * 500, "a.b" * 15])
def test_a_forged_or_malformed_cookie_signs_in_nobody(env, cookie):
    with TestClient(env["app"]) as c:
        c.cookies.set("huiqi_session", cookie)
        r = c.get("/api/v1/auth/me")
        assert r.status_code == 401 and r.json()["field"] == "session"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def both(request, tmp_path, wf_policies):
    """The test world's app over SQLite or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        env = make_env(tmp_path, wf_policies)
        yield env
        env["engine"].dispose()
        return
    from huiqi.api import Settings, create_app
    from huiqi.store import make_engine, make_sessionmaker
    from tests.api.conftest import _seed
    from tests.workflow.conftest import POLICY_DIR, new_pg_schema

    url, drop = new_pg_schema("huiqi_s")
    _seed(url, wf_policies)
    settings = Settings(
        database_url=url,
        policy_dir=POLICY_DIR,
        data_dir=tmp_path / "data",
        secure_cookies=False,
        secret_key="sessions-" + "x" * 40,
    )
    engine = make_engine(url)
    yield {"app": create_app(settings, policies=wf_policies), "engine": engine, "maker": make_sessionmaker(engine)}
    engine.dispose()
    drop()


def test_log_out_password_change_and_lock_out_on_both_databases(both):
    app = both["app"]
    with TestClient(app) as c:
        # log-out ends the cookie
        web_login(c, "officer")
        cookie = c.cookies.get("huiqi_session")
        c.post("/logout", data={"csrf_token": page_csrf(c, "/office")})
        assert _me(app, cookie) == 401
        # a password change ends every session of the user, the colleague's stay
        web_login(c, "ent1")
        cookie = c.cookies.get("huiqi_session")
        tok, colleague = token(c, "ent1"), token(c, "ent2")
        r = c.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORDS["ent1"], "new_password": "ent1-new-pass"},
            headers=tok,
        )
        assert r.json() == {"ended": 2}
        assert (_me(app, cookie), _me(app, headers=tok), _me(app, headers=colleague)) == (401, 401, 200)
        # the account is locked, colleagues behind the same address are not
        _fail(c, "officer", 5)
        assert (
            c.post("/api/v1/auth/token", json={"username": "officer", "password": PASSWORDS["officer"]}).status_code
            == 429
        )
        assert (
            c.post("/api/v1/auth/token", json={"username": "auditor", "password": PASSWORDS["auditor"]}).status_code
            == 200
        )
    with both["maker"]() as s:
        assert s.get(LoginFailure, "user:officer").failures == 5 and s.get(LoginFailure, "ip:testclient").failures == 5
    app.state.huiqi.engine.dispose()
