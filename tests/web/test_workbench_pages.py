"""The workbench pages without a browser (the flow itself: test_browser_workbench.py): who may open
them (district scope: 404; role: 403) and bad input answered in both languages."""

from __future__ import annotations

import re

from tests.api.conftest import client, env, page_csrf, web_login, wf_policies  # noqa: F401 - shared fixtures
from tests.workflow.workbench_fixture import SOURCE


def _login(client, username):
    assert web_login(client, username).status_code == 303


def _create(client, **form):
    data = {
        "csrf_token": page_csrf(client, "/office/workbench"),
        "document_id": "wf-fixture-2",
        "supersedes": "wf-fixture",
        "source_text": SOURCE,
        **form,
    }
    return client.post("/office/workbench", data=data, follow_redirects=False)


def test_a_version_is_seen_by_its_district_only(client):
    _login(client, "officer")
    r = _create(client)
    assert r.status_code == 303 and re.match(r"/office/workbench/\d+$", r.headers["location"]), r.text
    url = r.headers["location"]
    assert client.get(url).status_code == 200
    client.post("/logout", data={"csrf_token": page_csrf(client, "/office/workbench")})
    _login(client, "officer-hp")
    assert client.get(url).status_code == 404  # another district's: as if it did not exist
    assert "wf-fixture-2" not in client.get("/office/workbench").text
    client.post("/logout", data={"csrf_token": page_csrf(client, "/office/workbench")})
    _login(client, "ent1")
    assert client.get("/office/workbench").status_code == 403


def test_bad_input_is_named_in_both_languages(client):
    _login(client, "officer")
    r = _create(client, document_id="Wf Fixture!")
    assert r.status_code == 303 and r.headers["location"] == "/office/workbench"
    flash = client.get("/office/workbench").text
    assert "文件 id 只能由小写字母、数字和连字符组成" in flash
    client.cookies.set("lang", "en")
    r = _create(client, source_text="", document_id="wf-fixture-3")
    assert "the document&#39;s text is empty" in client.get("/office/workbench").text
    r = client.post(
        "/office/workbench",
        data={"csrf_token": page_csrf(client, "/office/workbench"), "document_id": "wf-fixture-3"},
        files={"source": ("s.txt", "测试".encode("gb18030"), "text/plain")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "the text must be UTF-8" in client.get("/office/workbench").text
    assert client.get("/office/workbench/abc").status_code == 404
