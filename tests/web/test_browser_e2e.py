"""End to end in a real browser (Debian's chromium via Playwright): the enterprise self-checks,
applies with a file; the town confirms; the district checks, assigns experts and consults; the
experts score; the officer shortlists, publishes the notice, closes it, approves and pays; the
enterprise sees the payment. Screenshots of every step go to test-artifacts/e2e/."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n% huiqi e2e\n"


class Shots:
    def __init__(self, name: str):
        self.dir = ARTIFACTS / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, page, label: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.dir / f"{self.n:02d}-{label}.png"), full_page=True)


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def logout(page) -> None:
    page.click("header form[action='/logout'] button")
    page.wait_for_load_state("networkidle")


def expect_ok(page) -> None:
    flash = page.locator("#flash")
    assert flash.count() == 1, page.content()[:2000]
    assert "err" not in (flash.get_attribute("class") or ""), flash.inner_text()


def confirm(page, shot=None, label: str = "") -> str:
    """On a confirmation page: keep what it says (and a screenshot), then confirm; returns its text."""
    page.wait_for_selector("#confirm")
    text = page.inner_text("#confirm")
    if shot is not None:
        shot(page, label)
    page.click("#confirm-yes")
    page.wait_for_load_state("networkidle")
    return text


def backdate_notice(live, days: int = 30) -> None:
    """The notice ran its course: its dates move ``days`` back (the test cannot wait 5 working days;
    the page and the service still decide from today that it may close)."""
    import datetime as _dt

    from sqlalchemy import select

    from huiqi.workflow.notices.models import NoticeBatch

    with live["maker"]() as s:
        for n in s.execute(select(NoticeBatch)).scalars():
            n.published_on -= _dt.timedelta(days=days)
            n.ends_on -= _dt.timedelta(days=days)
        s.commit()


def test_enterprise_to_payment(browser, live, tmp_path):
    """The whole lifecycle through the pages, with each irreversible step's confirmation page, the
    expert's declaration before the content and scoring by the round's criteria; every signed-in
    page is scanned with axe-core (zero serious/critical) and screenshot, then revisited at 390×844."""
    from tests.web.test_browser_selfcheck import axe_scan, fits_the_phone

    base = live["base"]
    shot = Shots("e2e")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", bypass_csp=True)
    page = ctx.new_page()
    visited: dict[str, list[tuple[str, str]]] = {}
    bad: dict[str, list] = {}

    def scan(who: str, name: str) -> None:
        visited.setdefault(who, []).append((name, page.url))
        bad[f"{who}-{name}"] = axe_scan(page, f"signed-in-{who}-{name}")

    # --- the enterprise: self-check (only the facts still needed), then apply
    login(page, base, "ent1", "enterprise-pass")
    assert page.url.endswith("/my")
    scan("ent1", "my")
    page.goto(f"{base}/selfcheck?programme=WF-RENT")
    shot(page, "selfcheck-start")
    # the guided self-check (tests/web/test_browser_selfcheck.py): name, USCC, district and town are on
    # the district's register, so it starts at "do you have a …"; then only the facts still missing
    assert page.locator("#q-enterprise-registered_district").count() == 0
    page.check("#has-lease")
    page.click("#sc-next")
    page.wait_for_selector("#q-enterprise-debt_to_asset_ratio")
    page.check("input[name='f:enterprise:independent_legal_person'][value='true']")
    page.check("input[name='f:enterprise:serious_dishonesty_last_3_years'][value='false']")
    page.fill("#q-enterprise-debt_to_asset_ratio", "50")
    page.click("#sc-next")
    page.wait_for_selector("#q-claim-lease-1-annual_rent")
    shot(page, "selfcheck-claim-added")
    page.fill("#q-claim-lease-1-annual_rent", "100万")
    page.click("#sc-next")
    page.wait_for_selector("#sc-next:has-text('查看测算结果')")  # check your answers
    page.click("#sc-next")
    page.wait_for_selector("article.result.st-eligible")
    shot(page, "selfcheck-eligible")
    result = page.locator("article.result.st-eligible").first
    # 1,000,000 × 30% = 300,000 a year, for three years (fixture 专题一 支持标准) → 90.00 万元
    assert "90.00 万元" in result.inner_text()
    result.locator("form.apply button").click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/my/applications/\d+$", page.url), page.url
    app_id = int(page.url.rsplit("/", 1)[1])
    expect_ok(page)
    scan("ent1", "draft")
    materials = page.locator("#upload-form select[name=material_id] option")
    ids = [materials.nth(i).get_attribute("value") for i in range(materials.count())]
    for i, mid in enumerate(ids):
        f = tmp_path / f"material-{i}.pdf"
        f.write_bytes(PDF + mid.encode())
        page.select_option("#upload-form select[name=material_id]", mid)
        page.set_input_files("#upload-form input[type=file]", str(f))
        page.check("#upload-form input[name=stamped]")
        page.click("#upload-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        expect_ok(page)
    shot(page, "application-materials")
    # the duplicate: the self-check's 申报此项目 again, for the same lease → 查看已有申报
    page.go_back()
    page.goto(f"{base}/my")
    assert page.locator(f"#offers a[href='/my/applications/{app_id}']").count() == 0  # WF-RENT is claimed per lease
    # submit through the review page
    page.goto(f"{base}/my/applications/{app_id}")
    page.click("#to-review")
    page.wait_for_selector("#review-effects")
    assert page.locator("#review-missing").count() == 0
    scan("ent1", "review")
    shot(page, "review-before-submit")
    page.click("#submit-app")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    assert "已提交" in page.locator("h1").inner_text()
    assert page.title().startswith("租赁（三年） · 已提交")
    shot(page, "application-submitted")
    scan("ent1", "submitted")
    logout(page)

    # --- the town confirms
    login(page, base, "tinglin", "reviewer-pass")
    page.goto(f"{base}/office?stage=application")
    scan("tinglin", "queue")
    shot(page, "town-queue")
    page.click(f"#queue a[href='/office/applications/{app_id}']")
    scan("tinglin", "application")
    page.fill("#town-form textarea[name=opinion]", "辖区企业，经营正常")
    page.click("#town-form button[value=town_confirm]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    shot(page, "town-confirmed")
    logout(page)

    # --- the district: check, experts, consultation (open, since shortlisting needs it)
    login(page, base, "officer", "officer-pass")
    page.goto(f"{base}/office/applications/{app_id}")
    assert page.locator("#approve-form").count() == 0  # 立项 is not offered before its stage
    page.fill("#district-form textarea[name=opinion]", "材料齐全")
    page.click("#district-form button[value=district_pass]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    page.check("#experts-form label:has-text('expert1') input")
    page.check("#experts-form label:has-text('expert2') input")
    shot(page, "district-assign-experts")
    page.click("#experts-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    assert page.locator("#consult[open]").count() == 1
    page.fill("#consult-form input[name=department]", "区财政局")
    page.fill("#consult-form textarea[name=opinion]", "无意见")
    page.click("#consult-form button[value=consult]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    logout(page)

    # --- the experts: declaration first, then the four criteria
    for ex, marks in (("expert1", ("90", "80", "70", "60")), ("expert2", ("80", "80", "80", "80"))):
        login(page, base, ex, "expert-pass")
        scan(ex, "home")
        page.click(f"#assigned a[href='/expert/applications/{app_id}']")
        page.wait_for_selector("#declare-form")
        assert page.locator("#materials").count() == 0 and page.locator("#score-form").count() == 0
        scan(ex, "declare")
        shot(page, f"{ex}-declare")
        page.check("#declare-no")
        page.click("#declare-submit")
        page.wait_for_load_state("networkidle")
        expect_ok(page)
        for cid, mark in zip(("c1", "c2", "c3", "c4"), marks):
            page.fill(f"#crit-{cid}", mark)
        page.fill("#score-form textarea[name=comment]", "租赁用途明确")
        scan(ex, "scoring")
        shot(page, f"{ex}-scoring")
        page.click("#score-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        expect_ok(page)
        logout(page)

    # --- the officer: shortlist, notice, approval, payment — each confirmed
    login(page, base, "officer", "officer-pass")
    page.goto(f"{base}/office/rounds")
    scan("officer", "rounds")
    page.locator("#rounds tr", has_text="端到端").locator("form[action$='/shortlist'] button").click()
    confirm(page, shot, "confirm-shortlist")
    expect_ok(page)
    page.goto(f"{base}/office/applications/{app_id}")
    # (90×30 + 80×30 + 70×20 + 60×20) ÷ 100 = 77.00 and 80.00: the average 78.50
    assert "78.50" in page.inner_text("#amounts")
    page.goto(f"{base}/office/notices")
    assert page.locator("input[name=published_on], input[name=on]").count() == 0  # the server decides the dates
    page.fill("#publish-form input[name=title]", "拟立项项目公示")
    page.click("#publish-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    assert page.locator("form[action$='/close']").count() == 0 and "起可结束公示" in page.inner_text("main")
    scan("officer", "notices")
    shot(page, "notice-published")
    batch_link = page.locator("a[href^='/notices/']").first.get_attribute("href")
    backdate_notice(live)
    page.reload()
    page.click("form[action$='/close'] button")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    page.goto(f"{base}/office/applications/{app_id}")
    assert "公示无异议" in page.locator("h1").inner_text()
    scan("officer", "application")
    page.fill("#approve-form textarea[name=reason]", "经评审，同意立项")
    shot(page, "approve")
    page.click("#approve-form button[value=approve]")
    text = confirm(page, shot, "confirm-approve")
    assert "90.00 万元" in text and "玖拾万元整" in text
    expect_ok(page)
    assert "已立项" in page.locator("h1").inner_text()
    page.goto(f"{base}/office/payments")
    page.click("#batch-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    page.click("#batches button[type=submit]")
    text = confirm(page, shot, "confirm-payment-run")
    assert "测试企业1" in text and "30.00 万元" in text and "合计 1 笔" in text
    expect_ok(page)
    scan("officer", "payments")
    shot(page, "paid")
    assert "30.00 万元" in page.locator("#payments").inner_text() and "叁拾万元整" in page.locator("#payments").inner_text()
    for name, path in (("queue", "/office"), ("changes", "/office/changes"), ("imports", "/office/imports"), ("exports", "/office/exports"), ("dashboard", "/office/dashboard")):
        page.goto(base + path)
        scan("officer", name)
    assert page.locator("#chart-programme svg rect").count() >= 1
    shot(page, "dashboard")
    page.goto(f"{base}/office/applications/{app_id}")
    page.click("#tech summary")
    shot(page, "officer-application-paid")
    logout(page)

    # --- the auditor reads
    login(page, base, "auditor", "auditor-pass")
    for name, path in (("queue", "/office"), ("application", f"/office/applications/{app_id}"), ("payments", "/office/payments")):
        page.goto(base + path)
        scan("auditor", name)
    logout(page)

    # --- the public 公示, no log-in
    page.goto(base + batch_link)
    assert "测试企业1" in page.inner_text("#notice-list") and "91310" not in page.inner_text("main")
    scan("public", "notice")
    shot(page, "public-notice")

    # --- the enterprise follows it: approved, paid, in words
    login(page, base, "ent1", "enterprise-pass")
    assert "叁拾万元整" in page.content()
    shot(page, "enterprise-paid")
    page.goto(f"{base}/my/applications/{app_id}")
    assert "已立项" in page.locator("h1").inner_text()
    assert "78.50" not in page.inner_text("main")  # the round does not disclose scores
    history = page.locator("#history").inner_text()
    for words in ("提交申报", "镇（园区）确认", "区级初审通过", "立项（核定金额）", "拨付"):
        assert words in history, words
    assert "application." not in history and "instalment." not in history
    scan("ent1", "approved")
    shot(page, "enterprise-application")
    logout(page)
    ctx.close()
    assert {k: v for k, v in bad.items() if v} == {}

    # --- the same pages on a 390×844 phone: nothing scrolls sideways, the header stays small
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2, is_mobile=True, has_touch=True, bypass_csp=True)
    page = phone.new_page()
    pshot = Shots("e2e-phone")
    passwords = {"ent1": "enterprise-pass", "tinglin": "reviewer-pass", "officer": "officer-pass", "expert1": "expert-pass", "expert2": "expert-pass", "auditor": "auditor-pass"}
    wide: dict[str, tuple[int, int]] = {}
    for who, pages in visited.items():
        if who in passwords:
            login(page, base, who, passwords[who])
        for name, url in dict(pages).items():
            page.goto(url)
            w, hgt = fits_the_phone(page)
            if w > 390 or hgt > 110:
                wide[f"{who}-{name}"] = (w, hgt)
            pshot(page, f"{who}-{name}")
        if who in passwords:
            logout(page)
    phone.close()
    assert wide == {}


def test_language_switch_and_no_external_requests(browser, live):
    ctx = browser.new_context()
    page = ctx.new_page()
    outside = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(live["base"]) else None)
    page.goto(f"{live['base']}/policies")
    assert "政策文件与扶持项目" in page.content()
    page.click("a.lang")
    page.wait_for_load_state("networkidle")
    assert "Policy documents and programmes" in page.content()
    page.goto(f"{live['base']}/programmes/WF-RENT")
    page.goto(f"{live['base']}/selfcheck")
    assert outside == []
    ctx.close()
