"""Property-based requests generated from the OpenAPI document: no request may cause a 500, and
every answer — success or refusal — matches the response model its operation declares
(``huiqi.api.schemas``; refusals: ``Error``).

Bounded: a few examples per operation. The schema comes from the app itself; the requests go over
HTTP to the same app served by uvicorn on loopback — over SQLite and over PostgreSQL (an id too
large for a 32-bit column is an error only there) — as the district officer (the role that
reaches the most code) and as the system administrator (reads everything; anonymous and other
roles: the access matrix).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from huiqi.api import Settings, create_app
from huiqi.rules import load_policies
from tests.api.conftest import make_env, token
from tests.workflow.conftest import POLICY_DIR

# The OpenAPI document of the app (no database needed to describe it).
_spec_app = create_app(Settings(policy_dir=POLICY_DIR, with_database=False, secret_key="s" * 40, data_dir="var/schemathesis"), policies=load_policies(POLICY_DIR))
# log-out and password change would end the tokens every later case uses: tested in test_sessions.py
# and swept with bad input in test_bad_input_sweep.py
schema = schemathesis.openapi.from_dict(_spec_app.openapi()).exclude(path_regex=r"/auth/(logout|password)$")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served(request, tmp_path_factory, wf_policies):
    """The test world's app on SQLite (the shared template) or on a PostgreSQL schema of its own."""
    import uvicorn

    tmp = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    drop = None
    if request.param == "sqlite":
        env = make_env(tmp, wf_policies)
    else:
        from huiqi.store import make_engine
        from tests.api.conftest import _seed
        from tests.workflow.conftest import new_pg_schema

        url, drop = new_pg_schema("huiqi_s")
        _seed(url, wf_policies)
        settings_ = Settings(database_url=url, policy_dir=POLICY_DIR, data_dir=tmp / "data", secure_cookies=False, secret_key="schemathesis-" + "x" * 40, max_upload_bytes=200_000)
        env = {"app": create_app(settings_, policies=wf_policies), "engine": make_engine(url)}
    with TestClient(env["app"]) as c:
        auth = {who: token(c, who) for who in ("officer", "admin")}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(env["app"], host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield {"base": f"http://127.0.0.1:{port}", "auth": auth}
    server.should_exit = True
    thread.join(timeout=10)
    env["app"].state.huiqi.engine.dispose()
    env["engine"].dispose()
    if drop is not None:
        drop()


@pytest.mark.parametrize("who", ["officer", "admin"])
@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error_and_answers_match_their_schema(case, served, who):
    response = case.call(base_url=served["base"], headers={**(case.headers or {}), **served["auth"][who]}, timeout=10)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    ctype = response.headers.get("content-type") or [""]
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    if response.status_code >= 400 and ctype.startswith("application/json"):
        body = response.json()
        assert body.get("message_zh") and body.get("message_en") and "field" in body, body
