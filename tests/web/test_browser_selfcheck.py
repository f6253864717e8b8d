"""The guided self-check and the public pages in a real browser (Debian's chromium via Playwright):
cold start to a result, a signed-in enterprise's prefill to a draft, changing an answer from the
check page, an inline error that keeps what was typed, no JavaScript, a 390×844 phone, and an
axe-core scan (vendored, tests/web/vendor) with zero serious or critical violations on every page.
Screenshots go to test-artifacts/selfcheck/ (the guide's images in docs/img/ are copies of them)."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

from tests.web.conftest import ARTIFACTS, _free_port
from tests.web.test_browser_e2e import Shots, login

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
HEADER_MAX_PX = 110  # the issue measured 225 px at 390×844
ON = "2026-03-02"


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    """The real policies (金山, 黄浦), rules only: what an anonymous visitor sees."""
    import uvicorn

    from huiqi.api import Settings, create_app
    from huiqi.rules import load_policies

    app = create_app(
        Settings(
            with_database=False, data_dir=tmp_path_factory.mktemp("real"), secure_cookies=False, secret_key="r" * 40
        ),
        policies=load_policies("policies"),
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def axe_scan(page, label: str) -> list[dict]:
    """Inject axe-core and run it; return the serious and critical violations (saved as an artefact)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    out = ARTIFACTS / "axe"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{label}.json").write_text(
        json.dumps(
            [{k: v[k] for k in ("id", "impact", "help", "nodes")} for v in result["violations"]],
            ensure_ascii=False,
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in bad
    ]


def h1_is(page, text: str) -> None:
    page.wait_for_function(
        "t => { const h = document.querySelector('#selfcheck h1, main h1'); return h && h.textContent.includes(t); }",
        arg=text,
        timeout=15000,
    )


def cont(page, text: str) -> None:
    """Press 继续 (or the page's primary button) and wait for the next step's heading."""
    page.click("#sc-next")
    h1_is(page, text)


def step(page, button: str = "#sc-next") -> None:
    """Press a button of the step's form and wait until htmx has swapped the next step in."""
    before = page.get_attribute("#selfcheck input[name=state]", "value")
    page.click(button)
    page.wait_for_function(
        "v => { const s = document.querySelector('#selfcheck input[name=state]'); return s && s.value !== v; }",
        arg=before,
        timeout=15000,
    )


def fits_the_phone(page) -> tuple[int, int]:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    header = page.evaluate("() => document.querySelector('header.top').getBoundingClientRect().height")
    return width, header


# ------------------------------------------------------------------ flows


def test_cold_start_to_a_result_with_an_inline_error_and_the_result_sheet(browser, real_site):
    shot = Shots("selfcheck")
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{real_site}/selfcheck?on={ON}")
    assert page.title().startswith("企业基本情况")
    # the district is a select: 金山区 cannot be typed wrong
    assert sorted(page.locator("select#q-enterprise-registered_district option").all_inner_texts()[1:3]) == sorted(
        ["金山区", "黄浦区"]
    )
    page.fill("#q-enterprise-name", "上海金山测试科技有限公司")
    page.fill("#q-enterprise-uscc", "91310116MA1J8ABC1X")  # a typo in the check character
    page.select_option("#q-enterprise-registered_district", "金山区")
    page.select_option("#q-enterprise-town", "亭林镇")
    page.click("#sc-next")
    page.wait_for_selector("#error-summary")
    shot(page, "error-kept")
    assert page.input_value("#q-enterprise-uscc") == "91310116MA1J8ABC1X"  # not erased
    assert page.title().startswith("错误：企业基本情况")  # htmx swapped the step in, and its <title>
    assert page.evaluate("() => document.activeElement.id") == "error-summary"  # focus moved to the summary
    assert "f:enterprise:uscc" not in page.inner_text("body")
    page.click("#error-summary a[href='#q-enterprise-uscc']")
    assert page.evaluate("() => document.activeElement.id") == "q-enterprise-uscc"
    assert page.input_value("#q-enterprise-name") == "上海金山测试科技有限公司"  # the rest of the page kept too
    page.fill("#q-enterprise-uscc", "")
    cont(page, "经营领域")
    assert page.title().startswith("经营领域 · 政策自测")
    shot(page, "areas")
    page.check("label:has-text('关于支持创新主体培育实施细则')")
    page.check("label:has-text('关于引导重点产业集聚壮大实施细则')")
    cont(page, "你有以下哪些事项")
    shot(page, "subjects")
    page.check("#has-lease")
    cont(page, "企业情况")
    shot(page, "questions")
    page.check("input[name='f:enterprise:independent_legal_person'][value='true']")
    page.check("input[name='f:enterprise:serious_dishonesty_last_3_years'][value='false']")
    for _ in range(12):  # the rest: 暂不清楚, except the lease's rent
        if page.locator("#q-claim-lease-1-annual_rent").count():
            page.fill("#q-claim-lease-1-annual_rent", "120万")
        step(page)
        if "检查你的回答" in page.inner_text("#selfcheck h1"):
            break
    h1_is(page, "检查你的回答")
    shot(page, "check")
    assert "1,200,000.00 元（120.00 万元）" in page.inner_text("main")
    cont(page, "测算结果")
    shot(page, "results")
    text = page.inner_text("main")
    assert "黄浦区政策《黄科委规〔2025〕2号》：不适用（不满足“在黄浦区注册登记”）" in text
    assert "无需申报，由区科委主动核定" in text
    assert (
        "补充信息后可能的上限" in text
        and "0.00 万元" not in page.inner_text("#totals").split("补充信息后可能的上限")[1]
    )
    with page.expect_popup() as popup:
        page.click("#sc-pdf")
    pdf = popup.value
    pdf.wait_for_load_state()
    ctx.close()


def test_signed_in_prefill_change_an_answer_then_a_draft(browser, live):
    base = live["base"]
    shot = Shots("selfcheck-enterprise")
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = ctx.new_page()
    login(page, base, "ent1", "enterprise-pass")
    page.goto(f"{base}/selfcheck?programme=WF-RENT")
    h1_is(page, "你有以下哪些事项")  # name, USCC, district and town are on record: no first page
    assert page.locator("#q-enterprise-registered_district, #q-enterprise-town, #q-enterprise-uscc").count() == 0
    page.check("#has-lease")
    cont(page, "企业情况")
    page.check("input[name='f:enterprise:independent_legal_person'][value='true']")
    page.check("input[name='f:enterprise:serious_dishonesty_last_3_years'][value='false']")
    page.fill("#q-enterprise-debt_to_asset_ratio", "50")
    cont(page, "关于租赁用房 1")
    page.fill("#q-claim-lease-1-annual_rent", "100万")
    cont(page, "检查你的回答")
    assert "测试企业1" in page.inner_text("main") and "来自企业登记" in page.inner_text("main")
    shot(page, "check")
    # correct the rent from the check page
    page.click("button[value='edit:claim:lease-1:annual_rent']")
    h1_is(page, "修改回答")
    assert page.input_value("#q-claim-lease-1-annual_rent") == "1,000,000"
    page.fill("#q-claim-lease-1-annual_rent", "150万")
    cont(page, "检查你的回答")
    assert "1,500,000.00 元（150.00 万元）" in page.inner_text("main")
    assert "50%" in page.inner_text("main")  # the other answers are still there
    cont(page, "测算结果")
    shot(page, "results")
    card = page.locator("article.result.st-eligible").first
    # fixture 专题一: min(1,500,000 × 30%, 500,000) = 450,000 a year × 3 years = 135.00 万元
    assert "135.00 万元" in card.inner_text()
    card.locator("form.apply button").click()
    page.wait_for_url(re.compile(r"/my/applications/\d+$"))
    assert "草稿" in page.inner_text("h1")
    shot(page, "draft")
    ctx.close()


def test_works_without_javascript(browser, live):
    ctx = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{live['base']}/selfcheck?programme=WF-RENT")
    page.select_option("#q-enterprise-registered_district", "金山区")
    page.click("#sc-next")
    page.wait_for_load_state()
    assert "你有以下哪些事项" in page.inner_text("h1")
    page.check("#has-lease")
    page.click("#sc-next")
    page.wait_for_load_state()
    assert "企业情况" in page.inner_text("h1")
    page.click("#sc-back")
    page.wait_for_load_state()
    assert page.is_checked("#has-lease")  # going back keeps the answer
    ctx.close()


# ------------------------------------------------------------------ phones and accessibility


def _public_pages(base: str) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("policies", "/policies"),
        ("document", "/policies/jinshan-2025-25"),
        ("programme", "/programmes/J1.1"),
        ("login", "/login"),
        ("not-found", "/programmes/nope"),
    ]


def _selfcheck_steps(page, base: str, label: str, visit) -> None:
    """Walk the self-check, calling visit(page, name) on every kind of step."""
    page.goto(f"{base}/selfcheck?on={ON}")
    visit(page, f"{label}-place")
    page.fill("#q-enterprise-uscc", "91310116MA1J8ABC1X")
    page.click("#sc-next")
    page.wait_for_selector("#error-summary")
    visit(page, f"{label}-place-error")
    page.fill("#q-enterprise-uscc", "")
    page.select_option("#q-enterprise-registered_district", "金山区")
    cont(page, "经营领域")
    visit(page, f"{label}-areas")
    page.check("label:has-text('关于引导重点产业集聚壮大实施细则')")
    cont(page, "你有以下哪些事项")
    visit(page, f"{label}-subjects")
    page.check("#has-lease")
    cont(page, "企业情况")
    visit(page, f"{label}-questions")
    page.fill("#q-enterprise-debt_to_asset_ratio", "abc") if page.locator(
        "#q-enterprise-debt_to_asset_ratio"
    ).count() else None
    for _ in range(10):
        step(page)
        if page.locator("#error-summary").count():
            visit(page, f"{label}-questions-error")
            page.fill("#q-enterprise-debt_to_asset_ratio", "65")
            continue
        if "检查你的回答" in page.inner_text("#selfcheck h1"):
            break
        if "租赁" in page.inner_text("#selfcheck h1"):
            visit(page, f"{label}-claim")
    h1_is(page, "检查你的回答")
    visit(page, f"{label}-check")
    cont(page, "测算结果")
    visit(page, f"{label}-results")


def test_axe_finds_no_serious_or_critical_violation_on_the_public_pages(browser, real_site):
    ctx = browser.new_context(
        viewport=DESKTOP, locale="zh-CN", bypass_csp=True
    )  # the app's CSP forbids the injected script
    page = ctx.new_page()
    found: dict[str, list] = {}
    for name, path in _public_pages(real_site):
        page.goto(real_site + path)
        found[name] = axe_scan(page, f"desktop-{name}")

    def visit(p, name):
        found[name] = axe_scan(p, f"desktop-{name}")

    _selfcheck_steps(page, real_site, "selfcheck", visit)
    page.goto(f"{real_site}/policies?lang=en")
    found["policies-en"] = axe_scan(page, "desktop-policies-en")
    ctx.close()
    assert len(found) >= 15
    assert {k: v for k, v in found.items() if v} == {}


def test_phone_no_sideways_scroll_small_header_tables_as_cards(browser, real_site):
    shot = Shots("phone")
    ctx = browser.new_context(
        viewport=PHONE, locale="zh-CN", device_scale_factor=2, is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = ctx.new_page()
    measured: dict[str, tuple[int, int]] = {}
    bad: dict[str, list] = {}
    for name, path in _public_pages(real_site):
        page.goto(real_site + path)
        measured[name] = fits_the_phone(page)
        bad[name] = axe_scan(page, f"phone-{name}")
        shot(page, name)
    # the policy list: the issue measured 6,982 px with 区科委 wrapped one character per line
    page.goto(f"{real_site}/policies")
    cell = page.locator("table.cards td.nowrap").first
    box = cell.bounding_box()
    assert box["height"] < 40, box  # one line
    assert (
        page.evaluate("() => getComputedStyle(document.querySelector('table.cards tr')).display") == "block"
    )  # a card

    def visit(p, name):
        measured[name] = fits_the_phone(p)
        bad[name] = axe_scan(p, f"phone-{name}")
        shot(p, name)

    _selfcheck_steps(page, real_site, "selfcheck", visit)
    ctx.close()
    too_wide = {k: v for k, v in measured.items() if v[0] > PHONE["width"]}
    too_tall = {k: v for k, v in measured.items() if v[1] > HEADER_MAX_PX}
    assert too_wide == {} and too_tall == {}, (too_wide, too_tall)
    assert {k: v for k, v in bad.items() if v} == {}
