"""The credit hold on the pages (关于项目管理有关要求 一、信用管理: “……原则上不予支持”): the enterprise
sees that its application is held; the officer sees the record, records the decision with a written
reason, then approves; the revocation form offers the document's own grounds (四、项目撤销)."""

from __future__ import annotations

from tests.api.conftest import client, env, page_csrf, token, web_login, wf_policies  # noqa: F401 - shared fixtures
from tests.api.test_flow import draft_and_submit
from tests.workflow import helpers as h


def test_credit_hold_on_the_pages(client, env):
    off = token(client, "officer")
    csv = f"uscc,name,record_date,authority,description\n{h.uscc(1)},测试企业1,2024-05-06,上海市市场监督管理局,列入严重违法失信名单\n".encode()
    assert client.post("/api/v1/imports/credit", files={"file": ("credit.csv", csv, "text/csv")}, headers=off).status_code == 201
    aid = draft_and_submit(client, env, claims=h.project("5000000"), programme="WF-PROJECT")["id"]
    assert client.post(f"/api/v1/applications/{aid}/district-check", json={"passed": True}, headers=off).status_code == 200

    assert web_login(client, "ent1").status_code == 303
    page = client.get(f"/my/applications/{aid}").text
    assert 'id="credit-hold"' in page and "信用审查中" in page and "credit-override-form" not in page
    assert "信用审查中</span>" in client.get("/my").text  # the badge in the list

    assert web_login(client, "officer").status_code == 303
    path = f"/office/applications/{aid}"
    page = client.get(path).text
    assert "2024-05-06" in page and "上海市市场监督管理局" in page and "列入严重违法失信名单" in page and 'id="credit-override-form"' in page
    csrf = page_csrf(client, path)
    r = client.post(f"{path}/act", data={"csrf_token": csrf, "action": "approve", "amount": "1500000", "reason": "", "confirmed": "1"}, follow_redirects=True)
    assert "不能立项：信用审查中" in r.text and "<code>credit</code>" not in r.text  # refused with the reason; no internal field name (issue 16)
    r = client.post(f"{path}/act", data={"csrf_token": csrf, "action": "credit_override", "reason": "失信行为已完成信用修复，经研究同意继续支持"}, follow_redirects=True)
    assert "已登记信用审查意见" in r.text and "失信行为已完成信用修复，经研究同意继续支持" in r.text and 'id="credit-override-form"' not in r.text
    r = client.post(f"{path}/act", data={"csrf_token": csrf, "action": "approve", "amount": "1500000", "reason": "", "confirmed": "1"}, follow_redirects=True)
    assert "已立项" in r.text
    # the revocation form lists the document's grounds (management.revocation.grounds), not invented ones
    assert 'value="conditions_changed"' in r.text and 'value="unfinished_after_extension"' not in r.text
