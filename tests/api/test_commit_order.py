"""Commit, then respond (issue 14, finding 3).

The request's unit of work used to commit after the response had been sent: on PostgreSQL 28 of
40 ``POST /applications`` → immediate ``GET`` pairs answered 404, and a commit that failed reached
the client as a success. Now the commit runs when the handler returns, before the response is sent
(``huiqi.api.security.DB``), and a failed commit is answered as an error (503, or 409 for a
conflicting change) in both languages — for the API and for the pages.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.api import Settings, create_app
from tests.api.conftest import PASSWORDS, _seed, make_env, page_csrf, token, web_login
from tests.workflow import helpers as h
from tests.workflow.conftest import POLICY_DIR


def _lease(i: int) -> list[dict]:
    return [{"id": f"lease-{i}", "kind": "lease", "annual_rent": "1000000", "start_date": "2025-06-01"}]


def _body(env_ids: dict, i: int) -> dict:
    prof = h.base_profile()
    prof["claims"] = _lease(i)
    return {"round_id": env_ids["round"], "programme": "WF-RENT", "profile": prof}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served(request, tmp_path, wf_policies):
    """The test world's app served by uvicorn on loopback (a real server: the response leaves when
    it is sent, as in production), over SQLite or a PostgreSQL schema of its own."""
    import uvicorn

    drop = None
    if request.param == "sqlite":
        env = make_env(tmp_path, wf_policies)
    else:
        from huiqi.store import make_engine
        from tests.workflow.conftest import new_pg_schema

        url, drop = new_pg_schema("huiqi_c")
        ids = _seed(url, wf_policies)
        settings = Settings(
            database_url=url,
            policy_dir=POLICY_DIR,
            data_dir=tmp_path / "data",
            secure_cookies=False,
            secret_key="commit-" + "x" * 40,
        )
        env = {"app": create_app(settings, policies=wf_policies), "engine": make_engine(url), "ids": ids}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(env["app"], host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield {**env, "base": f"http://127.0.0.1:{port}", "kind": request.param}
    server.should_exit = True
    thread.join(timeout=10)
    env["app"].state.huiqi.engine.dispose()
    env["engine"].dispose()
    if drop is not None:
        drop()


def _pairs(served, n: int, start: int = 0) -> list[int]:
    """n POST /applications, each followed at once by a GET of it on a new connection."""
    base = served["base"]
    with httpx.Client(base_url=base, timeout=30) as c:
        hdr = {
            "Authorization": "Bearer "
            + c.post("/api/v1/auth/token", json={"username": "ent1", "password": PASSWORDS["ent1"]}).json()["token"]
        }
        got = []
        for i in range(start, start + n):
            r = c.post("/api/v1/applications", json=_body(served["ids"], i), headers=hdr)
            assert r.status_code == 201, r.text
            got.append(httpx.get(f"{base}/api/v1/applications/{r.json()['id']}", headers=hdr, timeout=30).status_code)
    return got


def test_forty_posts_each_read_back_at_once(served):
    assert _pairs(served, 40) == [200] * 40


def test_a_slow_commit_holds_the_response_back(served):
    """Commits made slow on purpose (0.3 s): had the response left before the commit, the GET that
    follows would find nothing on PostgreSQL (SQLite serialises writers, so there it would wait)."""

    slept = []

    class SlowCommit(Session):
        def commit(self) -> None:
            time.sleep(0.3)
            slept.append(1)
            super().commit()

    state = served["app"].state.huiqi
    state.sessionmaker = sessionmaker(bind=state.engine, class_=SlowCommit, expire_on_commit=False)
    assert _pairs(served, 5, start=100) == [200] * 5
    # the log-in, each POST and each GET committed before answering (with the old order the last
    # commit was still running here: 10; and on PostgreSQL the first POST found no token: 401)
    assert len(slept) == 11


def _failing_maker(state, exc: Exception):
    class FailingCommit(Session):
        def commit(self) -> None:
            raise exc

    return sessionmaker(bind=state.engine, class_=FailingCommit, expire_on_commit=False)


@pytest.mark.parametrize(
    "exc, status, field",
    [
        (OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly")), 503, "database"),
        (IntegrityError("COMMIT", {}, Exception("duplicate key value violates unique constraint")), 409, ""),
    ],
    ids=["database-gone", "conflict"],
)
def test_a_failed_commit_reaches_the_client_as_an_error(env, exc, status, field):
    state = env["app"].state.huiqi
    with TestClient(env["app"]) as c:
        hdr = token(c, "ent1")
        before = c.get("/api/v1/applications", headers=hdr).json()
        good = state.sessionmaker
        state.sessionmaker = _failing_maker(state, exc)
        r = c.post("/api/v1/applications", json=_body(env["ids"], 1), headers=hdr)
        state.sessionmaker = good
        assert r.status_code == status, r.text
        body = r.json()
        assert (
            body["field"] == field
            and "未保存任何内容" in body["message_zh"]
            and "nothing was saved" in body["message_en"]
        )
        assert "Traceback" not in r.text and "duplicate key" not in r.text and "server closed" not in r.text
        if status == 503:
            assert r.headers["Retry-After"] == "5"
        assert c.get("/api/v1/applications", headers=hdr).json() == before  # nothing was saved


def test_a_failed_commit_on_a_page_is_an_error_page_never_a_success(env):
    state = env["app"].state.huiqi
    with TestClient(env["app"]) as c:
        assert web_login(c, "ent1").status_code == 303
        csrf = page_csrf(c, "/my")
        good = state.sessionmaker
        state.sessionmaker = _failing_maker(state, OperationalError("COMMIT", {}, Exception("disk I/O error")))
        import json

        prof = h.base_profile()
        prof["claims"] = _lease(7)
        r = c.post(
            "/my/applications/new",
            data={
                "programme": "WF-RENT",
                "round_id": str(env["ids"]["round"]),
                "profile": json.dumps(prof),
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        state.sessionmaker = good
        assert r.status_code == 503 and "location" not in r.headers
        assert "保存失败" in r.text and "disk I/O" not in r.text
        assert "lease-7" not in c.get("/api/v1/applications").text
