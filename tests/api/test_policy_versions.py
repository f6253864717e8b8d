"""The workbench's JSON API (issue 18): the same services as the pages — a draft from text, the
YAML saved, proposed, refused to its author (four eyes, 403), published by a second officer;
another district's officer gets 404. The version: tests/workflow/workbench_fixture.py."""

from __future__ import annotations

from huiqi.workflow import states
from huiqi.workflow.users import service as users
from tests.api.conftest import client, env, token, wf_policies  # noqa: F401 - shared fixtures
from tests.workflow.workbench_fixture import SOURCE, YAML


def test_draft_propose_and_publish_with_four_eyes(client, env, wf_policies):
    with env["maker"]() as s:
        admin = users.by_username(session=s, username="admin")
        users.create(session=s, username="officer2", password="officer2-pass", role=states.OFFICER, district="金山区", actor=admin, policies=wf_policies)
        s.commit()
    author = token(client, "officer")
    r = client.post("/api/v1/policy-versions", json={"document_id": "wf-fixture-2", "supersedes": "wf-fixture", "source_text": SOURCE}, headers=author)
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    assert r.json()["state"] == "draft" and r.json()["district"] == "金山区"
    assert client.post(f"/api/v1/policy-versions/{vid}/propose", headers=author).status_code == 422  # TODOs left
    assert client.put(f"/api/v1/policy-versions/{vid}/yaml", json={"yaml_text": YAML}, headers=author).status_code == 200
    detail = client.get(f"/api/v1/policy-versions/{vid}", headers=author).json()
    assert detail["problems"] == [] and any("上限 50 万元 → 80 万元" in line for line in detail["diff"])
    assert client.post(f"/api/v1/policy-versions/{vid}/propose", headers=author).json()["state"] == "proposed"
    refused = client.post(f"/api/v1/policy-versions/{vid}/publish", json={}, headers=author)
    assert refused.status_code == 403 and refused.json()["field"] == "reviewer"
    assert client.get(f"/api/v1/policy-versions/{vid}", headers=token(client, "officer-hp")).status_code == 404
    r = client.post("/api/v1/auth/token", json={"username": "officer2", "password": "officer2-pass"})
    second = {"Authorization": f"Bearer {r.json()['token']}"}
    done = client.post(f"/api/v1/policy-versions/{vid}/publish", json={"note": "核对无误"}, headers=second)
    assert done.status_code == 200 and done.json()["state"] == "published"
    assert client.get("/api/v1/policies/wf-fixture-2").json()["version"]["supersedes"] == "wf-fixture"
