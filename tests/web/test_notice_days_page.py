"""The notice length the year's call sets, on the pages (issue 15 item 14): where a programme's
policy says only “向社会公示” (金科〔2025〕25号 专题一 5.申报流程（3）, line 1235), the officer sets the
length on the round's page and sees where it comes from; the API answers the same."""

from __future__ import annotations

from tests.api.conftest import client, env, page_csrf, token, web_login, wf_policies  # noqa: F401 - shared fixtures


def test_round_page_sets_the_notice_length_and_shows_its_source(client, env):
    rid = env["ids"]["round"]
    assert web_login(client, "officer").status_code == 303
    page = client.get("/office/rounds").text
    assert "未设定（以政策文件为准）" in page
    csrf = page_csrf(client, "/office/rounds")
    r = client.post(f"/office/rounds/{rid}/notice_days", data={"csrf_token": csrf, "notice_working_days": "0", "notice_basis": ""}, follow_redirects=True)
    assert "公示天数应在 1 至 60 个工作日之间" in r.text  # refused with the reason, nothing changed
    r = client.post(f"/office/rounds/{rid}/notice_days", data={"csrf_token": csrf, "notice_working_days": "5", "notice_basis": "金科〔2026〕3号"}, follow_redirects=True)
    assert "公示期限已设定" in r.text and "由年度申报通知规定：5个工作日" in r.text and "金科〔2026〕3号" in r.text
    off = token(client, "officer")
    r = client.post(f"/api/v1/rounds/{rid}/notice-days", json={"days": 7, "basis": "补充通知"}, headers=off)
    assert r.status_code == 200 and (r.json()["notice_working_days"], r.json()["notice_basis"]) == (7, "补充通知")
    assert client.post(f"/api/v1/rounds/{rid}/notice-days", json={"days": 0}, headers=off).status_code == 422
    aud = token(client, "auditor")
    assert client.post(f"/api/v1/rounds/{rid}/notice-days", json={"days": 5}, headers=aud).status_code == 403
