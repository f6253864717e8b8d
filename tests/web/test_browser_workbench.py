"""The policy workbench in a real browser (Debian's chromium via Playwright): Jinshan's officer
uploads a corrigendum's text → the draft; replaces it with the policy file, with a mistake → the
check names it live; fixes it → saves → proposes; the author is told a second officer must
publish (and a publish it posts anyway is refused, 403); the second officer reviews the diff
(“上限 50 万元 → 80 万元”) and publishes. Screenshots go to test-artifacts/workbench/.

The corrigendum is crafted (tests/workflow/workbench_fixture.py): WF-RENT's yearly ceiling 50 万 →
80 万 (its text, line 4)."""

from __future__ import annotations

import pytest

from tests.web.test_browser_e2e import Shots, expect_ok, login, logout
from tests.workflow.workbench_fixture import SOURCE, YAML, YAML_WITH_ERROR

pytestmark = pytest.mark.browser


@pytest.fixture
def second_officer(live, wf_policies):
    from huiqi.workflow import states
    from huiqi.workflow.users import service as users

    with live["maker"]() as s:
        admin = users.by_username(session=s, username="admin")
        users.create(
            session=s,
            username="officer2",
            password="officer2-pass",
            role=states.OFFICER,
            district="金山区",
            actor=admin,
            policies=wf_policies,
        )
        s.commit()
    return "officer2", "officer2-pass"


def _set_yaml(page, text: str) -> None:
    page.fill("#yaml", text)
    page.locator("#yaml").dispatch_event("keyup")


def test_draft_edit_check_propose_review_publish(browser, live, second_officer, tmp_path):
    base = live["base"]
    shot = Shots("workbench")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()

    # --- the author: upload the text → the draft
    login(page, base, "officer", "officer-pass")
    page.goto(f"{base}/office/workbench")
    shot(page, "home")
    src = tmp_path / "source.txt"
    src.write_text(SOURCE, encoding="utf-8")
    page.fill("#new-version input[name=document_id]", "wf-fixture-2")
    page.select_option("#new-version select[name=supersedes]", "wf-fixture")
    page.set_input_files("#new-version input[name=source]", str(src))
    page.click("#new-version button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    assert "/office/workbench/" in page.url
    version_url = page.url
    assert "草稿" in page.locator("#version-state").inner_text()
    # the draft's TODOs are checked as soon as the page loads
    page.wait_for_selector("#problems .alert.err")
    assert "TODO" in page.locator("#problems").inner_text()
    assert "测科〔2026〕2号" in page.locator("#yaml").input_value()  # the 文号 found on line 2
    shot(page, "draft")

    # --- edit: the policy file, with a mistake → the check names it, live
    _set_yaml(page, YAML_WITH_ERROR)
    page.wait_for_selector("#problems:has-text('lease.annual_rnet')")
    problems = page.locator("#problems").inner_text()
    assert (
        "programmes[WF-RENT].support.amount.multi_year.each_year.rate.base" in problems and "未声明的事实" in problems
    )
    shot(page, "check-error")
    # fixed → no problem left; saved
    _set_yaml(page, YAML)
    page.wait_for_selector("#problems .alert.ok")
    shot(page, "check-ok")
    page.click("#save")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    # one programme beside its quoted text
    page.click("nav.tabs a:has-text('WF-RENT')")
    page.wait_for_load_state("networkidle")
    assert page.locator("#yaml").input_value().startswith("  - id: WF-RENT")
    assert "单年度最高补贴 80 万元" in page.locator("ol.source-lines li[value='4']").inner_text()
    page.wait_for_selector("#problems .alert.ok")
    # the preview of match on an example profile (rent 1,000,000: 30% = 300,000 a year × 3)
    page.fill(
        "#preview-form textarea[name=profile]",
        "enterprise: {registered_district: 金山区, independent_legal_person: true}\nclaims: [{id: l1, kind: lease, annual_rent: 1000000}]",
    )
    page.fill("#preview-form input[name=on]", "2026-03-20")
    page.click("#preview-form button[type=submit]")
    page.wait_for_selector("#preview-result table")
    row = page.locator("#preview-result tbody tr").first.inner_text()
    assert "900000.00" in row and "wf-fixture-2" in row
    shot(page, "programme-preview")
    # the diff, then propose
    page.goto(version_url)
    assert "上限 50 万元 → 80 万元" in page.locator("#review pre.diff").inner_text()
    page.click("#propose")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    assert "待复核" in page.locator("#version-state").inner_text()
    # four eyes: the author has no publish button, and a publish posted anyway is refused
    assert page.locator("#four-eyes").count() == 1 and page.locator("#publish").count() == 0
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(f"{version_url}/publish", form={"csrf_token": csrf, "note": ""})
    assert refused.status == 403 and "四眼原则" in refused.text()
    shot(page, "proposed-author")
    logout(page)

    # --- a second officer of the district reviews the diff and publishes
    login(page, base, *second_officer)
    page.goto(f"{base}/office/workbench")
    page.click(f"#versions a[href='{version_url.replace(base, '')}']")
    page.wait_for_load_state("networkidle")
    diff = page.locator("#review pre.diff").inner_text()
    assert "WF-RENT 租赁（三年） — 修改 / changed" in diff and "上限 50 万元 → 80 万元" in diff
    shot(page, "review")
    page.fill("#publish-form input[name=note]", "核对原文第 4 行，无误")
    page.click("#publish")
    page.wait_for_load_state("networkidle")
    expect_ok(page)
    assert "已发布" in page.locator("#version-state").inner_text()
    shot(page, "published")
    # the app now loads it beside policies/: the document page lists it
    assert live["app"].state.huiqi.policies.document("wf-fixture-2") is not None
    page.goto(f"{base}/policies/wf-fixture-2")
    assert (
        "第 2 版（共 2 版）" in page.locator("#doc-version").inner_text()
        and "2026 年更正" in page.locator("#doc-version").inner_text()
    )
    shot(page, "document-page")
    ctx.close()
