"""Issue 19's pages: an enterprise's record and inbox, the officers' matching list and deliveries."""

from __future__ import annotations

from tests.api.conftest import client, env, page_csrf, web_login, wf_policies  # noqa: F401 - shared fixtures
from tests.workflow import helpers as h


def test_record_matching_and_inbox_pages(client, env):
    assert web_login(client, "officer").status_code == 303
    csrf = page_csrf(client, "/office/matching")
    csv = f"uscc,name,enterprise.independent_legal_person\n{h.uscc(1)},测试企业1,是\n".encode()
    r = client.post(
        "/office/records/import",
        data={"csrf_token": csrf, "list_name": "法人名单", "as_of": "2026-03-01"},
        files={"file": ("legal.csv", csv, "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post("/office/matching/run", data={"csrf_token": csrf}, follow_redirects=True)
    page = r.text
    assert "WF-AWARD" in page and "测试企业1" in page and "20.00 万元" in page  # eligible, 200,000 (fixture's WF-AWARD)
    assert 'id="funnel"' in page
    r = client.post("/office/notifications/dispatch", data={"csrf_token": csrf}, follow_redirects=True)
    assert r.status_code == 200 and "未配置 SMTP" in r.text
    client.post("/logout", data={"csrf_token": page_csrf(client, "/")})
    assert web_login(client, "ent1").status_code == 303
    page = client.get("/my/record").text
    assert "法人名单" in page and "WF-AWARD" in page
    csrf = page_csrf(client, "/my/record")
    r = client.post(
        "/my/record",
        data={"csrf_token": csrf, "fact": "enterprise.debt_to_asset_ratio", "value": "0.4", "note": "年报"},
        follow_redirects=True,
    )
    assert "企业自行更正" in r.text
    r = client.post(
        "/my/record", data={"csrf_token": csrf, "fact": "enterprise.nonsense", "value": "1"}, follow_redirects=True
    )
    assert "enterprise.nonsense" in r.text  # the bilingual refusal names the field
    from huiqi.web import selfcheck as sc

    answers = sc.Answers(
        profile={
            "enterprise": {"independent_legal_person": True, "debt_to_asset_ratio": "0.35"},
            "call": {},
            "claims": [],
        }
    )
    token = sc.dump(answers, str(env["app"].state.huiqi.settings.secret_key))
    r = client.post("/my/record/selfcheck", data={"csrf_token": csrf, "state": token}, follow_redirects=True)
    assert "自测信息已存入企业档案" in r.text and "0.35" in r.text  # the self-check's facts, source 企业自测
    page = client.get("/notifications").text
    assert 'id="prefs"' in page
    r = client.post(
        "/notifications/prefs",
        data={"csrf_token": csrf, "email": "ent1@example.com", "stage:inbox": "on"},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "ent1@example.com" in r.text
    assert client.get("/office/matching", follow_redirects=False).status_code in (303, 403, 404)
