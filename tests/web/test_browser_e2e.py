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


def test_enterprise_to_payment(browser, live, tmp_path):
    base = live["base"]
    shot = Shots("e2e")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()

    # --- the enterprise: self-check (only the facts still needed), then apply
    login(page, base, "ent1", "enterprise-pass")
    assert page.url.endswith("/my")
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
    page.click("#submit-app")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    assert "已提交" in page.locator("h1").inner_text()
    shot(page, "application-submitted")
    logout(page)

    # --- the town confirms
    login(page, base, "tinglin", "reviewer-pass")
    page.goto(f"{base}/office?stage=application")
    shot(page, "town-queue")
    page.click(f"#queue a[href='/office/applications/{app_id}']")
    page.fill("#town-form textarea[name=opinion]", "辖区企业，经营正常")
    page.click("#town-form button[value=town_confirm]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    shot(page, "town-confirmed")
    logout(page)

    # --- the district: check, experts, consultation
    login(page, base, "officer", "officer-pass")
    page.goto(f"{base}/office/applications/{app_id}")
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
    page.click("text=征求部门意见")
    page.fill("input[name=department]", "区财政局")
    page.fill("details textarea[name=opinion]", "无意见")
    page.click("details button[value=consult]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    logout(page)

    # --- the experts score
    for ex, score in (("expert1", "88"), ("expert2", "82")):
        login(page, base, ex, "expert-pass")
        page.goto(f"{base}/expert")
        page.click(f"#assigned a[href='/expert/applications/{app_id}']")
        page.fill("#score-form input[name=score]", score)
        page.fill("#score-form textarea[name=comment]", "租赁用途明确")
        shot(page, f"{ex}-scoring")
        page.click("#score-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        expect_ok(page)
        logout(page)

    # --- the officer: shortlist, notice, approval, payment
    login(page, base, "officer", "officer-pass")
    page.goto(f"{base}/office/rounds")
    page.locator("#rounds tr", has_text="E2E").locator("form[action$='/shortlist'] button").click()
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    page.goto(f"{base}/office/notices")
    page.fill("#publish-form input[name=title]", "拟立项项目公示")
    page.click("#publish-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    shot(page, "notice-published")
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    page.fill("form[action$='/close'] input[name=on]", later)
    page.click("form[action$='/close'] button")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    page.goto(f"{base}/office/applications/{app_id}")
    assert "公示无异议" in page.locator("h1").inner_text()
    page.fill("#approve-form textarea[name=reason]", "经评审，同意立项")
    shot(page, "approve")
    page.click("#approve-form button[value=approve]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    assert "已立项" in page.locator("h1").inner_text()
    page.goto(f"{base}/office/payments")
    page.click("#batch-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    page.click("#batches button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    shot(page, "paid")
    assert "300,000.00" in page.locator("#payments").inner_text() and "叁拾万元整" in page.locator("#payments").inner_text()
    page.goto(f"{base}/office/dashboard")
    assert page.locator("#chart-programme svg rect").count() >= 1
    shot(page, "dashboard")
    logout(page)

    # --- the enterprise follows it: approved, paid
    login(page, base, "ent1", "enterprise-pass")
    assert "叁拾万元整" in page.content()
    shot(page, "enterprise-paid")
    page.goto(f"{base}/my/applications/{app_id}")
    assert "已立项" in page.locator("h1").inner_text()
    history = page.locator("#history").inner_text()
    for step in ("application.submit", "application.town_confirm", "application.district_pass", "application.approve"):
        assert step in history
    shot(page, "enterprise-application")
    ctx.close()


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
