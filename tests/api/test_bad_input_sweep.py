"""Bad input, every endpoint (issue 14, finding 6 and "Tests: bad input"): each operation of the
OpenAPI document is fed ids no row can have (≥ 2⁶³, which SQLite cannot hold, and ≥ 2³¹, which a
PostgreSQL ``integer`` cannot), ``NaN`` and ``Infinity`` in each field of its body, a body that is
not UTF-8, JSON nested 10,000 deep, and a body over the limit. Every answer is a clear refusal in
both languages naming what was wrong (4xx) — never a 500. On SQLite and PostgreSQL.

Where schemathesis (test_schemathesis.py) tries random valid-looking requests, this sweeps the
known-bad ones on purpose, each operation by name.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from huiqi.api import Settings, create_app
from huiqi.rules import load_policies
from tests.api.conftest import _seed, make_env, token
from tests.workflow.conftest import POLICY_DIR

_spec_app = create_app(
    Settings(policy_dir=POLICY_DIR, with_database=False, secret_key="s" * 40, data_dir="var/sweep"),
    policies=load_policies(POLICY_DIR),
)
SPEC = _spec_app.openapi()
OPS = [(m.upper(), path, op) for path, item in sorted(SPEC["paths"].items()) for m, op in item.items()]
JSON_OPS = [o for o in OPS if "application/json" in o[2].get("requestBody", {}).get("content", {})]
ID_OPS = [
    o
    for o in OPS
    if any(p["in"] == "path" and p["schema"].get("type") == "integer" for p in o[2].get("parameters", []))
]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _t(param: dict) -> str | None:
    s = _resolve(param.get("schema", {}))
    for alt in s.get("anyOf", []):
        if alt.get("type") != "null":
            return alt.get("type")
    return s.get("type")


def example(schema: dict, depth: int = 0):  # noqa: ANN201
    """A small value the schema accepts (required fields only): the bad value is then the only fault."""
    s = _resolve(schema)
    for key in ("anyOf", "oneOf"):
        if key in s:
            return example(next(a for a in s[key] if a.get("type") != "null"), depth)
    if "enum" in s:
        return s["enum"][0]
    t = s.get("type")
    if t == "object" or "properties" in s:
        return (
            {k: example(v, depth + 1) for k, v in s.get("properties", {}).items() if k in s.get("required", [])}
            if depth < 5
            else {}
        )
    if t == "array":
        return [example(s.get("items", {}), depth + 1)] if s.get("minItems") else []
    if t == "integer":
        return max(int(s.get("minimum", 1)), 1)
    if t == "number":
        return 1
    if t == "boolean":
        return True
    if s.get("format") == "date" or "\\d{4}" in s.get("pattern", ""):
        return "2026-03-02"
    return "x" * max(int(s.get("minLength", 1)), 1)


def _body_schema(op: dict) -> dict:
    return _resolve(op["requestBody"]["content"]["application/json"]["schema"])


def _path(path: str, op: dict, ident: int) -> str:
    for p in op.get("parameters", []):
        if p["in"] == "path":
            value = ident if p["schema"].get("type") == "integer" else ("payment" if p["name"] == "kind" else "x")
            path = path.replace("{" + p["name"] + "}", str(value))
    return path


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request, tmp_path_factory, wf_policies):
    tmp = tmp_path_factory.mktemp(f"sweep-{request.param}")
    drop = None
    if request.param == "sqlite":
        env = make_env(tmp, wf_policies)
    else:
        from huiqi.store import make_engine
        from tests.workflow.conftest import new_pg_schema

        url, drop = new_pg_schema("huiqi_w")
        _seed(url, wf_policies)
        settings = Settings(
            database_url=url,
            policy_dir=POLICY_DIR,
            data_dir=tmp / "data",
            secure_cookies=False,
            secret_key="sweep-" + "x" * 40,
        )
        env = {"app": create_app(settings, policies=wf_policies), "engine": make_engine(url)}
    with TestClient(env["app"]) as c:
        yield {"client": c, "auth": {w: token(c, w) for w in ("officer", "admin")}, "db": request.param}
    env["app"].state.huiqi.engine.dispose()
    env["engine"].dispose()
    if drop is not None:
        drop()


def refused(r, *statuses: int) -> dict:
    """A clear refusal: one of ``statuses`` (any 4xx if none), JSON with both languages and a field."""
    assert r.status_code < 500, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}"
    assert (r.status_code in statuses) if statuses else (400 <= r.status_code < 500), (
        f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}"
    )
    body = r.json()
    assert body["message_zh"] and body["message_en"] and "field" in body, body
    assert "Traceback" not in r.text and "sqlalchemy" not in r.text.lower() and "psycopg" not in r.text.lower()
    return body


def _send(c, method: str, url: str, headers: dict, op: dict, *, content: bytes | None = None):
    ctype = op.get("requestBody", {}).get("content", {})
    if content is not None:
        return c.request(method, url, content=content, headers={**headers, "content-type": "application/json"})
    if "application/json" in ctype:
        return c.request(method, url, json=example(_body_schema(op)), headers=headers)
    if "multipart/form-data" in ctype:
        return c.request(
            method,
            url,
            data={"material_id": "form", "programme": "WF-AWARD", "year": "2026"},
            files={"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")},
            headers=headers,
        )
    return c.request(method, url, headers=headers)


@pytest.mark.parametrize("who", ["officer", "admin"])
@pytest.mark.parametrize("op", ID_OPS, ids=lambda o: f"{o[0]} {o[1]}")
def test_ids_no_row_can_have_are_not_found(api, op, who):
    method, path, spec = op
    for ident in (2**31, 2**63, 10**30):
        r = _send(api["client"], method, _path(path, spec, ident), api["auth"][who], spec)
        body = refused(r, 403, 404, 422)
        if r.status_code == 422:  # refused as input, naming the id or the body field at fault
            assert body["field"], body


def _numeric_fields(op: dict) -> list[str]:
    return sorted(_body_schema(op).get("properties", {}))


@pytest.mark.parametrize("op", JSON_OPS, ids=lambda o: f"{o[0]} {o[1]}")
def test_nan_and_infinity_in_every_field_are_refused(api, op):
    method, path, spec = op
    c, hdr = api["client"], api["auth"]["officer"]
    url = _path(path, spec, 1)
    base = example(_body_schema(spec))
    for name in _numeric_fields(spec):
        for bad in ("NaN", "Infinity", "-Infinity"):
            text = json.dumps({**base, name: "__BAD__"}).replace('"__BAD__"', bad)
            r = c.request(method, url, content=text.encode(), headers={**hdr, "content-type": "application/json"})
            refused(r)


@pytest.mark.parametrize("op", JSON_OPS, ids=lambda o: f"{o[0]} {o[1]}")
def test_non_utf8_deeply_nested_and_oversized_bodies_are_refused(api, op):
    method, path, spec = op
    c, hdr = api["client"], api["auth"]["officer"]
    url = _path(path, spec, 1)
    refused(_send(c, method, url, hdr, spec, content=b'{"name": "\xff\xfe\xc3"}'), 400, 403, 422)
    refused(_send(c, method, url, hdr, spec, content=b'{"a":' * 10_000 + b"1" + b"}" * 10_000), 400, 403, 422)
    refused(_send(c, method, url, hdr, spec, content=b"[" * 10_000 + b"]" * 10_000), 400, 403, 422)
    body = refused(_send(c, method, url, hdr, spec, content=b" " * (1024 * 1024 + 1)), 413)
    assert body["field"] == "body"


def test_an_import_file_that_is_not_utf8_or_is_huge_is_refused(api):
    c, hdr = api["client"], api["auth"]["officer"]
    gbk = "统一社会信用代码,企业名称\n91310116MA1J8TQF7A,测试\n".encode("gbk") + b"\xff\xfe"
    for url, data in (
        ("/api/v1/imports/credit", {}),
        ("/api/v1/imports/automatic", {"programme": "WF-LAB", "year": "2026"}),
    ):
        r = c.post(url, data=data, files={"file": ("x.csv", gbk, "text/csv")}, headers=hdr)
        body = refused(r, 415, 422)
        assert body["field"] in ("file", "") and (
            "UTF-8" in body["message_en"] or "encoding" in body["message_en"].lower() or r.status_code == 415
        ), body
    r = c.post("/api/v1/imports/credit", files={"file": ("x.csv", b"a" * (13 * 1024 * 1024), "text/csv")}, headers=hdr)
    refused(r, 413)
