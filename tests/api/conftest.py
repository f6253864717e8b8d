"""Fixtures for the API and page tests: a migrated SQLite file with the workflow tests' world
(administrator, Jinshan's officer, town reviewer, three experts, auditor, three enterprises of 亭林镇
and their users, an open round) plus an enterprise in another town and Huangpu's officer, and the
web app over it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from huiqi.api import Settings, create_app
from huiqi.rules import load_policies
from huiqi.store import make_engine, make_sessionmaker, upgrade
from huiqi.workflow import states
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.users import service as users
from tests.workflow import helpers as h
from tests.workflow.conftest import POLICY_DIR

PASSWORDS = {"admin": "admin-pass", "officer": "officer-pass", "tinglin": "reviewer-pass", "shanyang": "reviewer-pass", "expert0": "expert-pass", "expert1": "expert-pass", "expert2": "expert-pass", "auditor": "auditor-pass", "ent1": "enterprise-pass", "ent2": "enterprise-pass", "ent3": "enterprise-pass", "ent9": "enterprise-pass", "officer-hp": "officer-pass"}


@pytest.fixture(scope="session")
def wf_policies():
    return load_policies(POLICY_DIR)


_TEMPLATE: dict = {}


def _template(wf_policies):
    """The seeded database, built once per test session (argon2 hashing is slow on purpose)."""
    if "path" not in _TEMPLATE:
        import tempfile
        from pathlib import Path

        path = Path(tempfile.mkdtemp(prefix="huiqi-web-")) / "template.sqlite"
        _TEMPLATE["path"] = path
        _TEMPLATE["ids"] = _seed(f"sqlite:///{path}", wf_policies)
    return _TEMPLATE["path"], _TEMPLATE["ids"]


def make_env(tmp_path, wf_policies):
    import shutil

    template, ids = _template(wf_policies)
    shutil.copy(template, tmp_path / "web.sqlite")
    url = f"sqlite:///{tmp_path / 'web.sqlite'}"
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    settings = Settings(database_url=url, policy_dir=POLICY_DIR, data_dir=tmp_path / "data", secure_cookies=False, secret_key="test-secret-" + "x" * 40, max_upload_bytes=200_000)
    app = create_app(settings, policies=wf_policies)
    return {"app": app, "ids": ids, "maker": maker, "tmp": tmp_path, "engine": engine}


def _seed(url, wf_policies) -> dict:
    engine = make_engine(url)
    upgrade(engine)
    maker = make_sessionmaker(engine)
    with maker() as session:
        w = h.build_world(session, wf_policies)
        other = enterprises.create(session=session, uscc=h.uscc(9), name="山阳测试企业", district="金山区", town="山阳镇", actor=w.officer)
        users.create(session=session, username="ent9", password="enterprise-pass", role=states.ENTERPRISE, enterprise_id=other.id, actor=w.officer, policies=wf_policies)
        users.create(session=session, username="shanyang", password="reviewer-pass", role=states.REVIEWER, town="山阳镇", actor=w.officer, policies=wf_policies)
        users.create(session=session, username="officer-hp", password="officer-pass", role=states.OFFICER, district="黄浦区", actor=w.admin, policies=wf_policies)
        session.commit()
        ids = {"round": w.round.id, "ent": [e.id for e in w.ent] + [other.id], "experts": [e.id for e in w.experts]}
    engine.dispose()
    return ids


@pytest.fixture
def env(tmp_path, wf_policies):
    e = make_env(tmp_path, wf_policies)
    yield e
    e["engine"].dispose()


@pytest.fixture
def client(env):
    with TestClient(env["app"]) as c:
        yield c


def token(client, username: str) -> dict:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORDS[username]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def web_login(client, username: str, password: str | None = None):
    """Log in through the page (CSRF token from the form); returns the response of the POST."""
    import re

    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password or PASSWORDS[username], "csrf_token": csrf}, follow_redirects=False)


def page_csrf(client, path: str = "/") -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)
