"""Server-rendered pages without a browser: the policy browser quotes the clauses, the self-check
needs its CSRF token, English switch, local assets. The guided self-check: tests/web/test_selfcheck.py."""

from __future__ import annotations

from tests.api.conftest import client, env, wf_policies  # noqa: F401 - shared fixtures


def test_policy_pages_quote_the_clauses(client, wf_policies):
    p = wf_policies.programme("WF-RENT")
    html = client.get("/programmes/WF-RENT").text
    for c in p.criteria:
        assert c.clause.text in html
    assert p.support.clause.text in html
    assert client.get(f"/policies/{p.document_id}").status_code == 200
    assert "WF-RENT" in client.get("/policies").text


def test_selfcheck_needs_csrf(client):
    assert client.post("/selfcheck", data={"profile": "{}"}).status_code == 403


def test_english_switch(client):
    r = client.get("/lang/en?next=/policies", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/policies" and "lang=en" in r.headers["set-cookie"]
    client.cookies.set("lang", "en")
    assert "Policy documents and programmes" in client.get("/policies").text
    assert client.get("/lang/en?next=https://evil.example/", follow_redirects=False).headers["location"] == "/"


def test_static_assets_are_local(client):
    html = client.get("/").text
    assert "/static/htmx.min.js" in html and "http://" not in html.split("<body")[0] and "https://" not in html.split("<body")[0]
    assert client.get("/static/htmx.min.js").status_code == 200
    assert client.get("/static/huiqi.css").status_code == 200
