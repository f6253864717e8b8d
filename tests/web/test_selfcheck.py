"""The guided self-check without a browser (issue 16): the step logic, what is asked and what is not,
inline errors, check-your-answers, the result page's grouping, the possible ceilings, the PDF.

Two worlds: the workflow test world (tests/workflow/policies, a database with an open round and
enterprise users) for prefill and drafts, and the real policies without a database for what the
issue saw on a Jinshan company (19 Huangpu measures, 免申即享, duplicate questions, 0 万元)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from fastapi.testclient import TestClient

from huiqi.api import Settings, create_app
from huiqi.rules import evaluate, load_policies, parse_profile
from huiqi.web import selfcheck as sc
from tests.api.conftest import client, env, web_login, wf_policies  # noqa: F401 - shared fixtures
from tests.web.sc_walk import Walk

ON = "2026-03-02"


@pytest.fixture(scope="module")
def real_policies():
    return load_policies("policies")


@pytest.fixture(scope="module")
def real(tmp_path_factory, real_policies):
    """The real policies, rules only (no database): what an anonymous visitor sees."""
    settings = Settings(
        with_database=False, data_dir=tmp_path_factory.mktemp("sc"), secure_cookies=False, secret_key="k" * 40
    )
    with TestClient(create_app(settings, policies=real_policies)) as c:
        yield c


def _state(walk: Walk, client) -> sc.Answers:
    return sc.load(walk.state, str(client.app.state.huiqi.settings.secret_key))


def _visible(html: str) -> str:
    """The page's text as a reader sees it (no tags, no attributes)."""
    body = html.split("<body", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S)))


# ------------------------------------------------------------------ what is asked


def test_cold_start_asks_place_then_only_the_facts_the_engine_says_are_missing(client, wf_policies):
    w = Walk(client).start(f"/selfcheck?programme=WF-RENT&on={ON}")
    assert w.page == "place" and "注册登记所在区" in w.html
    # the district is a select of the loaded policies' districts: nothing to mistype
    options = re.findall(r'<select id="q-enterprise-registered_district".*?</select>', w.html, re.S)[0]
    assert re.findall(r'<option value="([^"]+)"', options) == ["金山区", "黄浦区", "其他区"]
    assert "评估日期" not in w.html
    w.post(answers={"f:enterprise:registered_district": "金山区", "f:enterprise:town": "亭林镇"})
    assert w.page == "subjects"  # one programme named: no business-area page
    assert re.findall(r'name="has" value="(\w+)"', w.html) == ["lease"]
    w.post(answers={"has": "lease"})
    assert w.page == "questions"
    # exactly the enterprise facts WF-RENT's needs-info result lists as missing (place and call facts excluded)
    answers = _state(w, client)
    report = evaluate(
        wf_policies,
        parse_profile(sc.profile_for_match(answers), wf_policies.vocabulary),
        on=dt.date.fromisoformat(ON),
        programmes=["WF-RENT"],
    ).to_dict()
    missing = {m["fact"] for r in report["results"] for m in r["missing"] if m["fact"].startswith("enterprise.")}
    assert {f"enterprise:{f.split('.')[1]}" for f in missing} - {
        "enterprise:registered_district",
        "enterprise:town",
    } == set(w.keys)
    assert set(w.keys) == {
        "enterprise:independent_legal_person",
        "enterprise:serious_dishonesty_last_3_years",
        "enterprise:debt_to_asset_ratio",
    }
    w.post(
        answers={
            "f:enterprise:independent_legal_person": "true",
            "f:enterprise:serious_dishonesty_last_3_years": "false",
            "f:enterprise:debt_to_asset_ratio": "50",
        }
    )
    assert w.page == "questions" and w.keys == ["claim:lease-1:annual_rent"]
    assert "年租金（元）" in w.labels()
    w.post(answers={"f:claim:lease-1:annual_rent": "120万"})
    assert w.page == "check"
    assert w.pages == ["place", "subjects", "questions", "questions", "check"]


def test_a_fact_is_asked_once_even_when_declared_twice(real, real_policies):
    # Issue 16: 前年主营业务收入 and 前年研发投入 were asked twice: facts.d declares each twice
    # (main_revenue_2_years_ago / main_revenue_year_before_last, same label). One question fills both.
    w = Walk(real).start(f"/selfcheck?on={ON}")
    w.post(answers={"f:enterprise:registered_district": "金山区", "f:enterprise:town": "亭林镇"})
    assert w.page == "area"
    w.post(answers={"area": ["关于支持创新主体培育实施细则", "关于强化创新载体建设实施细则"]})
    assert w.page == "subjects"
    w.post(answers={"has": ["incubator"]})
    asked: list[str] = []
    while w.page == "questions":
        labels = w.labels()
        asked += labels
        fill = {}
        for key in w.keys:
            q = sc.question_for(real_policies, _state(w, real), key)
            if q.fdef.zh == "前年（上上年度）主营业务收入":
                fill[q.name] = "4,000万"
        w.post(answers=fill)
    assert len(asked) == len(set(asked)), [a for a in asked if asked.count(a) > 1]
    assert asked.count("前年（上上年度）主营业务收入（元）") == 1
    ent = _state(w, real).enterprise
    assert ent["main_revenue_2_years_ago"] == "40000000"  # one name per fact (issue 15): the synonym is gone
    assert "main_revenue_year_before_last" not in ent


def test_claim_subjects_are_offered_by_kind_not_48_checkboxes(real):
    w = Walk(real).start(f"/selfcheck?on={ON}")
    w.post(answers={"f:enterprise:registered_district": "金山区"})
    w.post(answers={"area": ["关于引导重点产业集聚壮大实施细则"]})
    assert w.page == "subjects"
    # 关于引导重点产业集聚壮大实施细则 has two topics: 专题一 租赁 and 专题二 首次购建 — two kinds to offer
    assert re.findall(r'name="has" value="(\w+)"', w.html) == ["lease", "premises"]
    assert "（J1.1）" not in _visible(w.html)  # the subject's label without the programme code
    # 专题一 reads the town (原则上 亭林镇、山阳镇、高新区、碳谷绿湾) and the 限定期间: the town belongs to the first
    # page (left blank there: 暂不清楚), the period to the round — neither is asked among the questions
    w.post(answers={"has": ["lease"]})
    asked = " ".join(label for page in w.blank_until("check") for label in page)
    assert "年租金" in asked
    assert "所在镇" not in asked and "限定期间" not in asked and "注册登记所在区" not in asked


def test_免申即享_programmes_ask_nothing_and_say_no_application(real, real_policies):
    w = Walk(real).start(f"/selfcheck?on={ON}")
    w.post(answers={"f:enterprise:registered_district": "金山区"})
    w.post(answers={"area": ["关于支持创新主体培育实施细则"]})
    if w.page == "subjects":
        w.post()
    asked = w.blank_until("check")
    flat = [label for page in asked for label in page]
    # J5.1 (免申即享) reads enterprise.sme_fund_project_approved; no online programme in the area does
    assert "获上海市科技型中小企业技术创新资金立项" not in flat
    w.post()  # 查看测算结果
    assert w.page == "results"
    auto = re.search(
        r'免申即享：无需申报，由区科委主动核定.*?(?=<h3 class="bucket|<details class="more"|</section>)', w.html, re.S
    ).group(0)
    j51 = real_policies.programme("J5.1")
    assert j51.title in auto and "无需申报，由区科委主动核定" in auto
    assert "selfcheck.apply" not in auto and "/my/applications/new" not in auto


# ------------------------------------------------------------------ errors, units, changing answers


def test_a_uscc_typo_keeps_the_value_and_names_the_field_at_the_top_and_beside_it(real):
    w = Walk(real).start()
    w.post(answers={"f:enterprise:registered_district": "金山区", "f:enterprise:uscc": "91310116MA1J8ABC1X"})
    assert w.page == "place"  # stays on the page
    summary = re.search(r'<div class="error-summary".*?</div>', w.html, re.S).group(0)
    assert 'href="#q-enterprise-uscc"' in summary and "统一社会信用代码" in summary and "校验码错误" in summary
    assert re.search(
        r'id="q-enterprise-uscc" name="f:enterprise:uscc" value="91310116MA1J8ABC1X"', w.html
    )  # not erased
    assert 'class="fielderr" id="q-enterprise-uscc-error"' in w.html
    assert "f:enterprise:uscc" not in _visible(w.html)  # the field's internal name is never shown
    assert "<title>错误：" in w.html
    # the district chosen on the same page was kept too
    assert re.search(r'<option value="金山区" selected>', w.html)


def test_amounts_in_yuan_accept_万_and_commas_ratios_are_percentages(client):
    w = Walk(client).start(f"/selfcheck?programme=WF-RENT&on={ON}")
    w.post(answers={"f:enterprise:registered_district": "金山区"})
    w.post(answers={"has": "lease"})
    w.post(
        answers={
            "f:enterprise:independent_legal_person": "true",
            "f:enterprise:serious_dishonesty_last_3_years": "false",
            "f:enterprise:debt_to_asset_ratio": "abc",
        }
    )
    assert w.page == "questions" and "请填百分数" in w.html
    assert re.search(r'name="f:enterprise:debt_to_asset_ratio" value="abc"', w.html)  # what was typed is kept
    assert re.search(
        r'<input type="radio" id="q-enterprise-independent_legal_person" name="f:enterprise:independent_legal_person" value="true" checked>',
        w.html,
    )
    w.post(
        answers={
            "f:enterprise:debt_to_asset_ratio": "65%",
            "f:enterprise:independent_legal_person": "true",
            "f:enterprise:serious_dishonesty_last_3_years": "false",
        }
    )
    assert _state(w, client).enterprise["debt_to_asset_ratio"] == "0.65"
    w.post(answers={"f:claim:lease-1:annual_rent": "1,200,000"})
    assert _state(w, client).claim("lease-1")["annual_rent"] == "1200000"
    assert "1,200,000.00 元（120.00 万元）" in w.html and "65%" in w.html  # the check page says it in words
    w.post()
    # fixture 专题一 3.支持标准: “三年内按照租金的 30%给予补贴，单年度最高补贴 50 万元” —
    # min(1,200,000 × 30%, 500,000) = 360,000 a year × 3 = 1,080,000 = 108.00 万元
    card = re.search(r'<article class="result st-eligible.*?</article>', w.html, re.S).group(0)
    assert "108.00 万元" in card and "租赁（三年）" in card


def test_check_your_answers_change_one_answer_keeps_the_others(client):
    w = Walk(client).start(f"/selfcheck?programme=WF-RENT&on={ON}")
    w.post(answers={"f:enterprise:registered_district": "金山区"})
    w.post(answers={"has": "lease"})
    w.post(
        answers={
            "f:enterprise:independent_legal_person": "true",
            "f:enterprise:serious_dishonesty_last_3_years": "false",
            "f:enterprise:debt_to_asset_ratio": "50",
        }
    )
    w.post(answers={"f:claim:lease-1:annual_rent": "100万"})
    assert w.page == "check"
    assert 'value="edit:claim:lease-1:annual_rent"' in w.html
    w.post("edit:claim:lease-1:annual_rent")
    assert w.page == "edit" and w.keys == ["claim:lease-1:annual_rent"]
    assert re.search(r'name="f:claim:lease-1:annual_rent" value="1,000,000"', w.html)  # the stored answer, in 元
    w.post(answers={"f:claim:lease-1:annual_rent": "200万"})
    assert w.page == "check"
    answers = _state(w, client)
    assert answers.claim("lease-1")["annual_rent"] == "2000000"
    assert (
        answers.enterprise["debt_to_asset_ratio"] == "0.5" and answers.enterprise["independent_legal_person"] is True
    )
    w.post()  # results: min(2,000,000 × 30%, 500,000) = 500,000 × 3 = 150.00 万元
    assert "150.00 万元" in re.search(r'<article class="result st-eligible.*?</article>', w.html, re.S).group(0)
    # back from the results to the check page, nothing lost
    w.post("goto:check")
    assert w.page == "check" and _state(w, client).claim("lease-1")["annual_rent"] == "2000000"


def test_back_keeps_the_answers(client):
    w = Walk(client).start(f"/selfcheck?programme=WF-RENT&on={ON}")
    w.post(answers={"f:enterprise:registered_district": "金山区", "f:enterprise:town": "亭林镇"})
    w.post(answers={"has": "lease"})
    w.post("back")
    assert w.page == "subjects" and re.search(r'id="has-lease" name="has" value="lease" checked', w.html)
    w.post("back")
    assert w.page == "place" and re.search(r'<option value="亭林镇" selected>', w.html)


def test_a_tampered_state_starts_over_without_an_error(real):
    w = Walk(real).start()
    r = real.post(
        "/selfcheck",
        data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', w.html).group(1),
            "state": w.state[:-3] + "abc",
            "page": "place",
            "action": "next",
        },
    )
    assert r.status_code == 200 and 'name="page" value="place"' in r.text
    assert 'id="expired"' in r.text and "已过期" in r.text  # said, not silent


# ------------------------------------------------------------------ signed in: what is on record is not asked


def test_a_signed_in_enterprise_is_not_asked_what_is_on_record(client):
    assert web_login(client, "ent1").status_code == 303
    w = Walk(client).start(f"/selfcheck?programme=WF-RENT&on={ON}")
    # 测试企业1 is on the register in 金山区 亭林镇: no place page at all
    assert w.page == "subjects"
    answers = _state(w, client)
    assert answers.enterprise["name"] == "测试企业1" and answers.enterprise["town"] == "亭林镇"
    assert set(answers.locked) == {"name", "uscc", "registered_district", "town"}
    # the open round's 限定期间 (JS-2026-1: 2025-01-01 – 2025-12-31) is the call's, never asked
    assert answers.profile["call"] == {"period_start": "2025-01-01", "period_end": "2025-12-31"}
    w.post(answers={"has": "lease"})
    asked = w.blank_until("check")
    flat = " ".join(label for page in asked for label in page)
    for never in ("企业名称", "统一社会信用代码", "注册登记所在区", "所在镇", "限定期间"):
        assert never not in flat
    assert "来自申报批次“2026 年度第一批”" in w.html and "2025-01-01 – 2025-12-31" in w.html
    assert 'value="goto:place"' not in w.html  # nothing on record can be changed here
    # a forged answer cannot change the record
    w.post("goto:check")
    assert _state(w, client).enterprise["registered_district"] == "金山区"


def test_from_a_result_to_a_draft_application(client):
    web_login(client, "ent1")
    w = Walk(client).start(f"/selfcheck?programme=WF-RENT&on={ON}")
    w.post(answers={"has": "lease"})
    w.post(
        answers={
            "f:enterprise:independent_legal_person": "true",
            "f:enterprise:serious_dishonesty_last_3_years": "false",
            "f:enterprise:debt_to_asset_ratio": "50",
        }
    )
    w.post(answers={"f:claim:lease-1:annual_rent": "100万"})
    w.post()
    form = re.search(r'<form method="post" action="/my/applications/new".*?</form>', w.html, re.S).group(0)
    data = {
        m.group(1): re.sub("&#34;", '"', m.group(2)).replace("&amp;", "&")
        for m in re.finditer(r'name="([^"]+)" value="([^"]*)"', form)
    }
    assert data["programme"] == "WF-RENT" and data["claim"] == "lease-1"
    r = client.post("/my/applications/new", data=data, follow_redirects=False)
    assert r.status_code == 303 and re.match(r"^/my/applications/\d+$", r.headers["location"]), r.headers
    page = client.get(r.headers["location"]).text
    assert "草稿" in page
    # the same results again: 查看已有申报 for this lease, not a second 申报此项目 (issue 16)
    w.post("goto:results")
    assert f'href="{r.headers["location"]}"' in w.html and "查看已有申报" in w.html
    assert 'value="WF-RENT"' not in w.html


# ------------------------------------------------------------------ results: grouping, possible ceilings, PDF


def _jinshan_results(real, areas=("关于支持创新主体培育实施细则",)):
    w = Walk(real).start(f"/selfcheck?on={ON}")
    w.post(answers={"f:enterprise:registered_district": "金山区", "f:enterprise:name": "上海金山测试科技有限公司"})
    w.post(answers={"area": list(areas)})
    if w.page == "subjects":
        w.post()
    w.blank_until("check")
    w.post()
    assert w.page == "results"
    return w


def test_an_out_of_scope_document_is_one_line_and_eligible_comes_first(real, real_policies):
    w = _jinshan_results(real)
    lines = re.findall(r'<p class="doc-line"[^>]*>(.*?)</p>', w.html, re.S)
    assert len(lines) == 1 and "黄浦区政策《黄科委规〔2025〕2号》：不适用（不满足“在黄浦区注册登记”）" in lines[0]
    huangpu = [p.title for p in real_policies.document("huangpu-2025-2").programmes]
    assert not any(f">{t}<" in w.html for t in huangpu)  # not one Huangpu card
    # the Jinshan section comes before the collapsed line
    assert w.html.index("金山区政策《金科〔2025〕25号》") < w.html.index('class="doc-line"')
    buckets = re.findall(r'<h3 class="bucket b-(\w+)">', w.html)
    assert buckets == sorted(buckets, key=["eligible", "needs_info", "automatic", "ineligible"].index)


def test_possible_ceiling_is_the_standard_s_most_not_0(real):
    # 金科〔2025〕25号 专题二 3.支持标准 (line 941): “首次认定……给予 20 万元奖励；有效期满重新认定……5 万元” — while the
    # kind of recognition is unknown, at most 20 万元; 专题一 3.支持标准 (line 920): “市、区两级给予最高 30 万元”.
    w = _jinshan_results(real)
    j52 = re.search(
        r'<article class="result[^"]*">(?:(?!</article>).)*?专题二 对首次认定(?:(?!</article>).)*</article>',
        w.html,
        re.S,
    ).group(0)
    assert "补充信息后可能的上限 <strong>20.00 万元</strong>" in j52
    j51 = re.search(
        r'<article class="result[^"]*">(?:(?!</article>).)*?专题一 对立项的上海市科技型中小企业(?:(?!</article>).)*</article>',
        w.html,
        re.S,
    ).group(0)
    assert "补充信息后可能的上限 <strong>30.00 万元</strong>" in j51
    total = re.search(r"补充信息后可能的上限</span><strong>([\d,.]+) 万元</strong>", w.html).group(1)
    assert float(total.replace(",", "")) >= 50.0  # never the 0 万元 the issue saw


def test_codes_only_behind_technical_details(real):
    w = _jinshan_results(real)
    visible = _visible(re.sub(r'<details class="tech">.*?</details>', "", w.html, flags=re.S))
    assert not re.search(r"\bJ\d\.\d", visible), re.findall(r".{20}\bJ\d\.\d.{20}", visible)[:3]
    assert "J5.2" in w.html  # still there, behind the toggle


def test_the_result_sheet_pdf_embeds_a_chinese_font(real, real_policies):
    pypdf = pytest.importorskip("pypdf")
    w = _jinshan_results(real)
    r = real.post(
        "/selfcheck/pdf",
        data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', w.html).group(1), "state": w.state},
    )
    if r.status_code == 503:
        pytest.skip("no CJK font on this machine (apt-get install fonts-noto-cjk)")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    text = re.sub(
        r"[\s\x00]", "", "".join(p.extract_text() for p in reader.pages)
    )  # pypdf pads 2-byte codes with NULs
    assert "政策自测结果单" in text and "上海金山测试科技有限公司" in text
    assert real_policies.programme("J5.2").title.replace(" ", "") in text
    assert "黄浦区政策《黄科委规〔2025〕2号》：不适用" in text
    fonts = [f.get_object() for p in reader.pages for f in p["/Resources"]["/Font"].values()]
    descendant = fonts[0]["/DescendantFonts"][0].get_object()
    assert "CJK" in str(fonts[0]["/BaseFont"]) and (
        "/FontFile3" in descendant["/FontDescriptor"] or "/FontFile2" in descendant["/FontDescriptor"]
    )  # embedded


def test_without_a_chinese_font_the_pdf_falls_back_to_a_clear_page(real, monkeypatch):
    from huiqi.web import selfcheck_pdf

    monkeypatch.setattr(selfcheck_pdf, "find_font", lambda: None)
    w = _jinshan_results(real)
    r = real.post(
        "/selfcheck/pdf",
        data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', w.html).group(1), "state": w.state},
    )
    assert r.status_code == 503 and "text/html" in r.headers["content-type"]
    assert "服务器上没有中文字体" in r.text and "打印" in r.text


def test_in_english_too(real):
    real.cookies.set("lang", "en")
    try:
        w = Walk(real).start(f"/selfcheck?programme=J5.2&on={ON}")
        assert w.h1 == "About the enterprise" and "<title>About the enterprise · Self-check" in w.html
        w.post(answers={"f:enterprise:registered_district": "金山区"})
        w.blank_until("check")
        assert w.h1 == "Check your answers" and "Don&#39;t know" in w.html
        w.post()
        assert w.page == "results" and "Possible ceiling once complete <strong>20.00 万元</strong>" in w.html
        assert "policy 黄科委规〔2025〕2号: does not apply" not in w.html  # only J5.2 was asked for: no Huangpu line
    finally:
        real.cookies.delete("lang")


def test_an_event_after_the_application_date_is_reported_not_a_500(real_policies):
    # issue 15: the engine refuses an event dated after the application date; the self-check drops
    # the value and says why (黄科委规〔2025〕2号 措施 2, completion date 2026-07-01 > 2026-06-30)
    answers = sc.Answers(on="2026-06-30")
    answers.profile["enterprise"].update({"registered_district": "黄浦区", "org_type": "企业"})
    answers.profile["claims"].append({"id": "a1", "kind": "ai_project", "total_investment": "5000000", "completion_date": "2026-07-01"})
    report, problems = sc.run(real_policies, answers)
    assert [p[0] for p in problems] == ["claims[0].completion_date"] and "2026-07-01" in problems[0][1]
    h2 = next(r for r in report["results"] if r["programme"] == "H2")
    assert h2["status"] == "needs_info" and "ai_project.completion_date" in [m["fact"] for m in h2["missing"]]
