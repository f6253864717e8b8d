"""Server-rendered pages without a browser: the policy browser quotes the clauses, the self-check
asks only what the engine still needs, bad answers are shown next to their field, English switch."""

from __future__ import annotations

import json
import re

from tests.api.conftest import client, env, page_csrf, wf_policies  # noqa: F401 - shared fixtures


def _names(html: str) -> set[str]:
    return set(re.findall(r'name="(f:[^"]+)"', html))


def test_policy_pages_quote_the_clauses(client, wf_policies):
    p = wf_policies.programme("WF-RENT")
    html = client.get("/programmes/WF-RENT").text
    for c in p.criteria:
        assert c.clause.text in html
    assert p.support.clause.text in html
    assert client.get(f"/policies/{p.document_id}").status_code == 200
    assert "WF-RENT" in client.get("/policies").text


def test_selfcheck_asks_only_missing_facts(client):
    html = client.get("/selfcheck?programme=WF-RENT").text
    asked = _names(html) - {"f:enterprise:name", "f:enterprise:uscc"}
    # exactly the facts WF-RENT's needs_info result lists as missing (claim facts come once a lease is added)
    assert asked == {"f:enterprise:debt_to_asset_ratio", "f:enterprise:independent_legal_person", "f:enterprise:registered_district", "f:enterprise:serious_dishonesty_last_3_years"}
    assert 'name="add_claim" value="lease"' in html
    profile = re.search(r'name="profile" value="([^"]*)"', html).group(1)
    csrf = page_csrf(client, "/selfcheck")
    form = {"csrf_token": csrf, "profile": profile.replace("&#34;", '"'), "programme": "WF-RENT", "on": "2026-03-10",
            "f:enterprise:registered_district": "金山区", "f:enterprise:independent_legal_person": "true", "f:enterprise:serious_dishonesty_last_3_years": "false",
            "f:enterprise:debt_to_asset_ratio": "abc", "add_claim": "lease"}
    r = client.post("/selfcheck", data=form)
    assert r.status_code == 200
    asked = _names(r.text) - {"f:enterprise:name", "f:enterprise:uscc", "f:claim:lease-1:label"}
    assert asked == {"f:enterprise:debt_to_asset_ratio", "f:claim:lease-1:annual_rent"}  # the bad ratio is asked again
    assert "应为数值" in r.text  # shown next to the field, in Chinese
    profile = re.search(r'name="profile" value="([^"]*)"', r.text).group(1).replace("&#34;", '"')
    stored = json.loads(profile)
    assert "debt_to_asset_ratio" not in stored["enterprise"] and stored["claims"] == [{"id": "lease-1", "kind": "lease"}]
    form = {"csrf_token": csrf, "profile": profile, "programme": "WF-RENT", "on": "2026-03-10", "f:enterprise:debt_to_asset_ratio": "0.5", "f:claim:lease-1:annual_rent": "100万"}
    r = client.post("/selfcheck", data=form, headers={"HX-Request": "true"})
    assert "<html" not in r.text  # htmx gets the fragment only
    assert 'class="badge st-eligible"' in r.text and "90 万元" in r.text  # 1,000,000 × 30% × 3 years


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
