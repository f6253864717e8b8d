"""The signed-in pages without a browser (issue 16, part B): no irreversible surprises (a review page
before submit, confirmation pages saying what will happen, a notice that cannot close early, the
duplicate refusal), the expert's conflict declaration before the content and scoring by the round's
criteria, scores hidden from applicants, steps offered only when the process allows them, one
progress bar ending with 拨付, payments in 办理记录, the public 公示 page, plain words.

The world is tests/workflow/helpers.build_world over the fixture policy (tests/workflow/policies/
wf-fixture.yaml): WF-RENT's process is 申报 → 镇（园区）确认 → 区级初审 → 专家评审 → 征求意见 →
拟立项 → 公示 (5 working days) → 立项 → 拨付; 专题一 支持标准 30% of the annual rent a year, three years.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.rounds.service import parse_criteria
from tests.api.conftest import client, env, page_csrf, token, web_login, wf_policies  # noqa: F401 - shared fixtures
from tests.api.test_flow import draft_and_submit
from tests.workflow import helpers as h

CRITERIA = "创新性 30\n产业化前景 30\n经济社会效益 20\n财务状况 20"


def _post(client, path, data, page=None):
    data = {"csrf_token": page_csrf(client, page or "/"), **data}
    return client.post(path, data=data, follow_redirects=False)


def _new_draft(client, programme="WF-RENT", claims=None):
    prof = h.base_profile()
    prof["claims"] = claims if claims is not None else h.rent("1000000")
    import json

    return _post(client, "/my/applications/new", {"programme": programme, "profile": json.dumps(prof)}, "/my")


def _to_expert_review(client, env, experts=("expert1", "expert2")):
    """A WF-RENT application submitted, confirmed, checked and assigned to ``experts`` (through the API)."""
    aid = draft_and_submit(client, env)["id"]
    assert client.post(f"/api/v1/applications/{aid}/town-confirm", json={"confirmed": True}, headers=token(client, "tinglin")).status_code == 200
    off = token(client, "officer")
    assert client.post(f"/api/v1/applications/{aid}/district-check", json={"passed": True}, headers=off).status_code == 200
    ids = [env["ids"]["experts"][int(e[-1])] for e in experts]
    assert client.post(f"/api/v1/applications/{aid}/experts", json={"expert_ids": ids}, headers=off).status_code == 200
    return aid


def _approved(client, env):
    """Through review, notice (published 2026-09-30, 5 working days over National Day: ends 2026-10-13)
    and approval at 900,000 (3 × 300,000), through the API."""
    aid = _to_expert_review(client, env)
    for ex in ("expert1", "expert2"):
        assert client.post(f"/api/v1/applications/{aid}/score", json={"score": "85"}, headers=token(client, ex)).status_code == 200
    off = token(client, "officer")
    client.post(f"/api/v1/applications/{aid}/consult", json={"department": "区财政局", "opinion": "无意见"}, headers=off)
    assert client.post(f"/api/v1/rounds/{env['ids']['round']}/shortlist", json={}, headers=off).status_code == 200
    batch = client.post("/api/v1/notices", json={"application_ids": [aid], "published_on": "2026-09-30"}, headers=off).json()["id"]
    assert client.post(f"/api/v1/notices/{batch}/close", json={"on": "2026-10-14"}, headers=off).status_code == 200
    assert client.post(f"/api/v1/applications/{aid}/approve", json={"amount": "900000", "on": "2026-10-15"}, headers=off).status_code == 200
    return aid


# ------------------------------------------------------------------ enterprise: duplicates, start, review before submit


def test_a_second_draft_for_the_same_lease_is_refused_with_the_way_to_the_first(client):
    assert web_login(client, "ent1").status_code == 303
    first = _new_draft(client)
    assert first.status_code == 303
    aid = int(first.headers["location"].rsplit("/", 1)[1])
    again = _new_draft(client)
    assert again.status_code == 409
    assert "查看已有申报" in again.text and f'href="/my/applications/{aid}"' in again.text
    assert "租赁（三年）" in again.text and "WF-RENT" not in again.text  # the programme by its name, never its code
    # a different lease (another claim id) is another application
    other = _new_draft(client, claims=[{**h.rent("800000")[0], "id": "lease-2"}])
    assert other.status_code == 303 and other.headers["location"] != first.headers["location"]


def test_my_page_starts_an_application_or_shows_the_existing_one(client):
    assert web_login(client, "ent1").status_code == 303
    page = client.get("/my").text
    assert 'id="offers"' in page and 'href="/selfcheck?programme=WF-PROJECT"' in page
    # WF-PROJECT is claimed per project, WF-AWARD per enterprise: once applied, 查看已有申报 replaces 开始申报
    r = _new_draft(client, programme="WF-PROJECT", claims=h.project("5000000"))
    assert r.status_code == 303
    assert "<code>WF-" not in client.get("/my").text


def test_submit_goes_through_a_review_page(client, env):
    assert web_login(client, "ent1").status_code == 303
    aid = int(_new_draft(client).headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/my/applications/{aid}").text
    assert f'href="/my/applications/{aid}/review"' in page and "/submit" not in page
    # a bare POST (an old form, a double click) only leads to the review page; nothing is submitted
    r = _post(client, f"/my/applications/{aid}/submit", {}, f"/my/applications/{aid}")
    assert r.status_code == 303 and r.headers["location"] == f"/my/applications/{aid}/review"
    review = client.get(f"/my/applications/{aid}/review").text
    assert 'id="review-missing"' in review and "冻结" in review and 'name="confirmed" value="1"' in review
    assert "草稿" in client.get(f"/my/applications/{aid}").text
    r = _post(client, f"/my/applications/{aid}/submit", {"confirmed": "1"}, f"/my/applications/{aid}/review")
    assert r.status_code == 303
    assert "尚缺材料" in client.get(r.headers["location"]).text  # refused: the materials are missing


def test_withdraw_asks_first(client):
    assert web_login(client, "ent1").status_code == 303
    aid = int(_new_draft(client).headers["location"].rsplit("/", 1)[1])
    r = _post(client, f"/my/applications/{aid}/withdraw", {"reason": ""}, f"/my/applications/{aid}")
    assert r.status_code == 200 and "确认撤回申报" in r.text and "不能恢复" in r.text
    assert "草稿" in client.get(f"/my/applications/{aid}").text
    r = _post(client, f"/my/applications/{aid}/withdraw", {"reason": "", "confirmed": "1"}, f"/my/applications/{aid}")
    assert r.status_code == 303 and "已撤回" in client.get(f"/my/applications/{aid}").text


# ------------------------------------------------------------------ officer: confirmation pages


def test_closing_a_round_says_how_many_drafts_it_locks(client, env):
    for who in ("ent1", "ent2"):
        assert web_login(client, who).status_code == 303
        assert _new_draft(client).status_code == 303
    draft_and_submit(client, env, who="ent3")
    assert web_login(client, "officer").status_code == 303
    rid = env["ids"]["round"]
    r = _post(client, f"/office/rounds/{rid}/close", {}, "/office/rounds")
    assert r.status_code == 200 and 'id="confirm"' in r.text
    facts = re.sub(r"<[^>]+>", " ", r.text.split('id="confirm-facts"')[1].split("</dl>")[0])
    assert re.search(r"将被锁定的草稿\s+2\b", facts) and re.search(r"已提交的申报\s+1\b", facts), facts
    assert "受理中" in client.get("/office/rounds").text  # nothing changed yet
    r = _post(client, f"/office/rounds/{rid}/close", {"confirmed": "1"}, "/office/rounds")
    assert r.status_code == 303 and "已截止" in client.get("/office/rounds").text


def test_the_payment_run_shows_payees_count_and_total_first(client, env):
    aid = _approved(client, env)
    off = token(client, "officer")
    batch = client.post("/api/v1/payment-batches", json={"pay_on": "2026-10-20"}, headers=off).json()["id"]
    assert web_login(client, "officer").status_code == 303
    r = _post(client, f"/office/payments/batches/{batch}/run", {}, "/office/payments")
    assert r.status_code == 200
    # the first of three yearly instalments: 300,000 元 = 30.00 万元, to 测试企业1 (helpers.build_world)
    assert "测试企业1" in r.text and "30.00 万元" in r.text and "叁拾万元整" in r.text and "合计 1 笔" in r.text
    assert client.get("/api/v1/payments", headers=off).json() == []  # nothing paid by looking
    r = _post(client, f"/office/payments/batches/{batch}/run", {"confirmed": "1"}, "/office/payments")
    assert r.status_code == 303
    assert [p["amount"] for p in client.get("/api/v1/payments", headers=off).json()] == ["300000.00"]
    # the payment is in the application's 办理记录, in words, and the progress bar is at 拨付
    page = client.get(f"/office/applications/{aid}").text
    history = page.split('id="history"')[1]
    assert "拨付" in history and "30.00 万元" in history and "instalment.pay" not in history
    bar = page.split('id="stagebar"')[1].split("</ol>")[0]
    assert re.search(r'class="now"[^>]*>拨付', bar), bar


def test_approval_and_revocation_confirm_what_they_do(client, env):
    aid = _approved(client, env)
    assert web_login(client, "officer").status_code == 303
    path = f"/office/applications/{aid}"
    page = client.get(path).text
    assert "撤销项目" in page
    r = _post(client, f"{path}/act", {"action": "revoke", "ground": "conditions_changed", "reason": "企业迁出", "claw_back": "1"}, path)
    assert r.status_code == 200 and "确认撤销项目" in r.text
    # 900,000 approved, nothing paid yet: every instalment (90.00 万元) is cancelled, nothing to claw back
    assert "90.00 万元" in r.text and "已撤销" not in client.get(path).text.split("<h1>")[1].split("</h1>")[0]


def test_a_notice_cannot_close_before_its_end(client, env):
    aid = _to_expert_review(client, env)
    for ex in ("expert1", "expert2"):
        client.post(f"/api/v1/applications/{aid}/score", json={"score": "85"}, headers=token(client, ex))
    off = token(client, "officer")
    client.post(f"/api/v1/applications/{aid}/consult", json={"department": "区财政局", "opinion": "无意见"}, headers=off)
    assert client.post(f"/api/v1/rounds/{env['ids']['round']}/shortlist", json={}, headers=off).status_code == 200
    assert web_login(client, "officer").status_code == 303
    page = client.get("/office/notices").text
    assert 'name="published_on"' not in page  # the server decides the date
    r = _post(client, "/office/notices", {"application_ids": str(aid), "title": "拟立项项目公示"}, "/office/notices")
    assert r.status_code == 303
    page = client.get("/office/notices").text
    batch = client.get("/api/v1/notices", headers=off).json()[0]
    ends = dt.date.fromisoformat(batch["ends_on"])
    assert batch["published_on"] == dt.date.today().isoformat() and ends > dt.date.today()
    assert 'name="on"' not in page and f"/office/notices/{batch['id']}/close" not in page
    assert f"{ends + dt.timedelta(days=1)} 起可结束公示" in page
    # a hand-made POST (or a stale page) is refused by the service: the day is today, before the end
    r = _post(client, f"/office/notices/{batch['id']}/close", {"on": "2099-01-01"}, "/office/notices")
    assert r.status_code == 303
    assert "尚不能结束公示" in client.get("/office/notices").text
    assert client.get("/api/v1/notices", headers=off).json()[0]["state"] == "open"


def test_the_public_notice_page_needs_no_login_and_shows_no_credit_code(client, env):
    aid = _approved(client, env)
    batch = client.get("/api/v1/notices", headers=token(client, "officer")).json()[0]["id"]
    client.cookies.clear()
    listing = client.get("/notices")
    assert listing.status_code == 200 and f'href="/notices/{batch}"' in listing.text
    page = client.get(f"/notices/{batch}")
    assert page.status_code == 200
    assert "测试企业1" in page.text and "90.00 万元" in page.text
    assert h.uscc(1) not in page.text and "亭林镇" not in page.text and "85" not in page.text.split('id="notice-list"')[1]
    assert client.get("/notices/99999").status_code == 404
    assert aid


# ------------------------------------------------------------------ officer: steps the stage allows


def test_only_steps_the_process_allows_are_offered(client, env):
    aid = draft_and_submit(client, env)["id"]  # submitted; WF-RENT's next stage is 镇（园区）确认
    assert web_login(client, "officer").status_code == 303
    page = client.get(f"/office/applications/{aid}").text
    assert 'id="approve-form"' not in page and 'value="approve"' not in page  # 立项 would skip six stages
    assert 'id="district-form"' not in page  # the town confirms first
    detail = client.get(f"/api/v1/applications/{aid}", headers=token(client, "officer")).json()
    assert [s["name"] for s in detail["next_steps"]] == ["district_fail", "decline"]  # ending it is always possible
    # the progress bar: the same nine stages as a draft's, now at 镇（园区）确认
    bar = page.split('id="stagebar"')[1].split("</ol>")[0]
    assert re.findall(r">([^<>]+)<span", bar) == ["申报", "镇（园区）确认", "区级初审", "专家评审", "征求意见", "拟立项（择优）", "公示", "立项", "拨付"]
    assert re.search(r'class="now"[^>]*>镇（园区）确认', bar)


def test_the_consultation_form_is_open_when_shortlisting_needs_it(client, env):
    aid = _to_expert_review(client, env)
    assert web_login(client, "officer").status_code == 303
    page = client.get(f"/office/applications/{aid}").text
    assert '<details class="card" id="consult" open>' in page and "择优前须征求" in page


def test_a_draft_has_the_same_progress_bar(client, env):
    assert web_login(client, "ent1").status_code == 303
    aid = int(_new_draft(client).headers["location"].rsplit("/", 1)[1])
    bar = client.get(f"/my/applications/{aid}").text.split('id="stagebar"')[1].split("</ol>")[0]
    assert len(re.findall(r"<li ", bar)) == 9 and bar.count('class="now"') == 1


# ------------------------------------------------------------------ experts


def _criteria_round(env, wf_policies, visible=False):
    from huiqi.workflow.rounds import service as rounds
    from huiqi.workflow.users import service as users

    with env["maker"]() as s:
        officer = users.by_username(session=s, username="officer")
        rounds.close_round(session=s, round_id=env["ids"]["round"], actor=officer)
        r = rounds.create(session=s, code="JS-2026-C", name="2026 年度第二批", programmes=["WF-RENT"], year=2026, opens_on=dt.date(2026, 3, 1),
                          closes_on=dt.date(2026, 4, 30), period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), budget="3000000",
                          actor=officer, policies=wf_policies, criteria=CRITERIA, scores_visible=visible)
        rounds.open_round(session=s, round_id=r.id, actor=officer)
        s.commit()
        env["ids"] = {**env["ids"], "round": r.id}  # a copy: the template's ids are shared


def test_the_expert_declares_before_the_content_then_scores_by_criteria(client, env, wf_policies):
    _criteria_round(env, wf_policies)
    aid = _to_expert_review(client, env)
    assert web_login(client, "expert1").status_code == 303
    home = client.get("/expert").text
    assert "待声明利益冲突" in home
    page = client.get(f"/expert/applications/{aid}").text
    assert 'id="declare-form"' in page and "测试企业1" in page
    assert 'id="materials"' not in page and 'id="score-form"' not in page and 'id="history"' not in page
    r = _post(client, f"/expert/applications/{aid}/declare", {"conflict": "0"}, f"/expert/applications/{aid}")
    assert r.status_code == 303
    page = client.get(f"/expert/applications/{aid}").text
    assert 'id="declare-form"' not in page and 'id="materials"' in page
    for name in ("创新性", "产业化前景", "经济社会效益", "财务状况"):
        assert name in page.split('id="score-form"')[1]
    fields = dict(re.findall(r'<label for="(crit-c\d)">([^<]+) ', page))
    assert list(fields.values()) == ["创新性", "产业化前景", "经济社会效益", "财务状况"]
    # one criterion left out: refused, naming it, nothing saved
    r = _post(client, f"/expert/applications/{aid}/score", {"crit:c1": "90", "crit:c2": "80", "crit:c3": "70"}, f"/expert/applications/{aid}")
    assert "财务状况" in client.get(r.headers["location"]).text
    # (90×30 + 80×30 + 70×20 + 60×20) ÷ 100 = 77.00
    r = _post(client, f"/expert/applications/{aid}/score", {"crit:c1": "90", "crit:c2": "80", "crit:c3": "70", "crit:c4": "60", "comment": "好"}, f"/expert/applications/{aid}")
    assert r.status_code == 303
    mine = client.get(f"/api/v1/applications/{aid}", headers=token(client, "expert1")).json()["assignments"]
    assert [(a["score"], a["criterion_scores"]) for a in mine] == [("77.00", {"c1": "90.00", "c2": "80.00", "c3": "70.00", "c4": "60.00"})]
    # the enterprise sees no score (the round keeps them undisclosed)
    assert web_login(client, "ent1").status_code == 303
    assert "77.00" not in client.get(f"/my/applications/{aid}").text


def test_declaring_a_tie_stands_aside_and_a_later_tie_voids_the_score(client, env):
    aid = _to_expert_review(client, env)
    assert web_login(client, "expert2").status_code == 303
    r = _post(client, f"/expert/applications/{aid}/declare", {"conflict": "1", "reason": "曾任该企业技术顾问"}, f"/expert/applications/{aid}")
    assert r.status_code == 303 and r.headers["location"] == "/expert"
    assert client.get(f"/expert/applications/{aid}").status_code == 404
    # expert1 declares no conflict and scores, then declares a tie: the score is void (issue 13)
    assert web_login(client, "expert1").status_code == 303
    _post(client, f"/expert/applications/{aid}/declare", {"conflict": "0"}, f"/expert/applications/{aid}")
    _post(client, f"/expert/applications/{aid}/score", {"score": "88"}, f"/expert/applications/{aid}")
    ent = client.get(f"/api/v1/applications/{aid}", headers=token(client, "officer")).json()["enterprise"]["id"]
    _post(client, "/expert/ties", {"enterprise_id": str(ent), "reason": "近三年合作"}, "/expert")
    assert web_login(client, "officer").status_code == 303
    page = client.get(f"/office/applications/{aid}").text.split('id="assignments"')[1].split("</ul>")[0]
    assert page.count("已回避，评分作废") == 2 and "expert #" not in page and "88" not in page


def test_a_round_may_show_applicants_their_scores(client, env, wf_policies):
    _criteria_round(env, wf_policies, visible=True)
    aid = _to_expert_review(client, env, experts=("expert1",))
    assert web_login(client, "expert1").status_code == 303
    _post(client, f"/expert/applications/{aid}/declare", {"conflict": "0"}, f"/expert/applications/{aid}")
    _post(client, f"/expert/applications/{aid}/score", {"crit:c1": "100", "crit:c2": "100", "crit:c3": "50", "crit:c4": "50"}, f"/expert/applications/{aid}")
    off = token(client, "officer")
    client.post(f"/api/v1/applications/{aid}/consult", json={"department": "区财政局", "opinion": "无意见"}, headers=off)
    assert client.post(f"/api/v1/rounds/{env['ids']['round']}/shortlist", json={}, headers=off).status_code == 200
    assert web_login(client, "ent1").status_code == 303
    # (100×30 + 100×30 + 50×20 + 50×20) ÷ 100 = 80.00, rank 1
    assert "80.00（第 1 名）" in client.get(f"/my/applications/{aid}").text


# ------------------------------------------------------------------ plain words on every signed-in page


@pytest.mark.parametrize("who, paths", [
    ("ent1", ["/my"]),
    ("officer", ["/office", "/office/rounds", "/office/notices", "/office/payments", "/office/changes", "/office/imports", "/office/exports", "/office/dashboard"]),
    ("tinglin", ["/office"]),
    ("expert1", ["/expert"]),
    ("auditor", ["/office", "/office/payments"]),
])
def test_signed_in_pages_have_their_own_title_and_no_codes(client, env, who, paths):
    aid = draft_and_submit(client, env)["id"]
    assert web_login(client, who).status_code == 303
    titles = set()
    for path in paths + ([f"/my/applications/{aid}"] if who == "ent1" else [f"/office/applications/{aid}"] if who in ("officer", "tinglin", "auditor") else []):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        title = re.search(r"<title>([^<]+)</title>", page.text).group(1)
        assert title != "惠企 · 产业扶持政策服务", path
        titles.add(title)
        visible = re.sub(r"<details class=\"tech\".*?</details>", "", page.text, flags=re.S)
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style|head)\b.*?</\1>", "", visible, flags=re.S))
        assert not re.search(r"\bWF-[A-Z]+\b", visible), (path, re.findall(r".{30}WF-[A-Z]+.{30}", visible))
        assert not re.search(r"expert #\d|policy [0-9a-f]{8}|\b(open|closed|paid|scheduled|done)\b", visible), path
        assert not re.search(r"\b(application|instalment|notice|payment)\.[a-z_]+\b", visible), path
    assert len(titles) == len(paths) + (1 if who != "expert1" else 0)


def test_errors_carry_no_field_names(client, env):
    assert web_login(client, "officer").status_code == 303
    r = _post(client, f"/office/rounds/{env['ids']['round']}/budget", {"budget_wan": "abc", "reason": "x"}, "/office/rounds")
    flash = client.get(r.headers["location"]).text.split('id="flash">')[1].split("</div>")[0]
    assert "budget" not in flash and "：" not in flash[:6]


# ------------------------------------------------------------------ the round's criteria


def test_criteria_read_from_lines_with_weights():
    got = parse_criteria(CRITERIA + "\n")
    assert [(c["id"], c["zh"], c["weight"]) for c in got] == [("c1", "创新性", "30"), ("c2", "产业化前景", "30"), ("c3", "经济社会效益", "20"), ("c4", "财务状况", "20")]
    assert parse_criteria("创新性 / innovation 40")[0]["en"] == "innovation"
    assert parse_criteria("") is None and parse_criteria(None) is None


@pytest.mark.parametrize("bad", ["创新性", "创新性 0", "创新性 -3", "创新性 abc", "创新性 30\n创新性 20", "创新性 NaN"])
def test_bad_criteria_are_refused_in_both_languages(bad):
    with pytest.raises(InvalidInput) as e:
        parse_criteria(bad)
    assert e.value.field == "criteria" and e.value.message_zh and e.value.message_en


def test_amounts_typed_in_wan_reach_the_service_exactly():
    from huiqi.web.render import _wan_number

    assert _wan_number("266667") == "26.6667" and _wan_number("900000.00") == "90" and Decimal(_wan_number("266667")) * 10000 == 266667


def test_criteria_through_the_api(client, env):
    """The API sets a round's criteria and takes per-criterion scores (the same service as the pages)."""
    off = token(client, "officer")
    r = client.post("/api/v1/rounds", json={"code": "JS-2026-API", "name": "接口批次", "programmes": ["WF-RENT"], "year": 2026, "opens_on": "2026-03-01",
                                             "closes_on": "2026-04-30", "criteria": CRITERIA, "scores_visible": True}, headers=off)
    assert r.status_code == 201, r.text
    assert [c["zh"] for c in r.json()["criteria"]] == ["创新性", "产业化前景", "经济社会效益", "财务状况"] and r.json()["scores_visible"] is True
    bad = client.post("/api/v1/rounds", json={"code": "JS-2026-BAD", "name": "x", "programmes": ["WF-RENT"], "year": 2026, "opens_on": "2026-03-01",
                                               "closes_on": "2026-04-30", "criteria": "创新性 abc"}, headers=off)
    assert bad.status_code == 422 and bad.json()["field"] == "criteria"


def test_public_notices_in_rules_only_mode(tmp_path):
    """A server without a database publishes nothing: an empty list, and 404 for a notice — never a 500."""
    from fastapi.testclient import TestClient

    from huiqi.api import Settings, create_app
    from huiqi.rules import load_policies
    from tests.workflow.conftest import POLICY_DIR

    app = create_app(Settings(with_database=False, data_dir=tmp_path, secure_cookies=False, secret_key="r" * 40), policies=load_policies(POLICY_DIR))
    with TestClient(app) as c:
        r = c.get("/notices")
        assert r.status_code == 200 and "暂无记录" in r.text
        assert c.get("/notices/1").status_code == 404
