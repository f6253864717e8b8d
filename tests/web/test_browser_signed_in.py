"""No irreversible surprises, in a real browser (Debian's chromium via Playwright), at 1280×900 and on a
390×844 phone: the duplicate refusal (查看已有申报), the round-close confirmation (how many drafts it
locks), the revocation confirmation, and a notice that cannot close before its computed end (the
button is not there; a forged POST is refused). Screenshots go to test-artifacts/signed-in/ (the
officers' guide uses some of them). The whole lifecycle with the other confirmation pages, the
expert's criteria and axe-core over every signed-in page: test_browser_e2e.py."""

from __future__ import annotations

import json

import pytest

from tests.web.test_browser_e2e import Shots, expect_ok, login, logout
from tests.web.test_browser_selfcheck import axe_scan, fits_the_phone
from tests.workflow import helpers as h

pytestmark = pytest.mark.browser
VIEWS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
}


def _csrf(page) -> str:
    return page.get_attribute("input[name=csrf_token]", "value")


def _post(page, path: str, data: dict) -> int:
    """A form POST from the page's own session (what a stale page or a forged form would send)."""
    return page.evaluate(
        """async ([path, data]) => { const f = new FormData(); for (const [k, v] of Object.entries(data)) f.append(k, v);
        const r = await fetch(path, {method: 'POST', body: f, redirect: 'manual'}); return r.status; }""",
        [path, data],
    )


@pytest.mark.parametrize("view", ["desktop", "phone"])
def test_no_irreversible_surprises(browser, live, view):
    from huiqi.workflow.applications import service as applications
    from huiqi.workflow.notices import service as notices
    from huiqi.workflow.reviews import flows as review_flows
    from huiqi.workflow.reviews import service as reviews
    from huiqi.workflow.rounds import service as rounds
    from huiqi.workflow.users import service as users

    base = live["base"]
    shot = Shots(f"signed-in-{view}")
    ctx = browser.new_context(locale="zh-CN", bypass_csp=True, **VIEWS[view])
    page = ctx.new_page()
    bad: dict[str, list] = {}
    wide: dict[str, tuple] = {}

    def look(name: str) -> None:
        shot(page, name)
        bad[name] = axe_scan(page, f"signed-in-{view}-{name}")
        w, hgt = fits_the_phone(page)
        if view == "phone" and (w > 390 or hgt > 110):
            wide[name] = (w, hgt)

    # --- the duplicate refusal: a second draft for the same lease
    login(page, base, "ent1", "enterprise-pass")
    prof = h.base_profile()
    prof["claims"] = h.rent("1000000")
    page.goto(f"{base}/my")
    look("my")
    assert page.locator("#offers a[href='/selfcheck?programme=WF-RENT']").count() == 1  # start from 我的申报
    token = _csrf(page)
    for _ in range(2):
        with page.expect_navigation():
            page.evaluate(
            """([t, p]) => { const f = document.createElement('form'); f.method = 'post'; f.action = '/my/applications/new';
            for (const [k, v] of Object.entries({csrf_token: t, programme: 'WF-RENT', profile: p})) {
              const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }
            document.body.appendChild(f); setTimeout(() => f.submit(), 0); }""",
            [token, json.dumps(prof)],
            )
        page.wait_for_load_state("networkidle")
    assert page.locator("#duplicate").count() == 1
    look("duplicate")
    page.click("#see-existing")
    page.wait_for_load_state("networkidle")
    assert "草稿" in page.inner_text("h1") and "租赁（三年）" in page.inner_text("h1")
    logout(page)

    # --- closing the round: the confirmation says one draft will be locked
    login(page, base, "officer", "officer-pass")
    page.goto(f"{base}/office/rounds")
    page.locator("#rounds tr", has_text="端到端").locator("form[action$='/close'] button").click()
    page.wait_for_selector("#confirm")
    facts = page.inner_text("#confirm-facts")
    assert "将被锁定的草稿\n1" in facts or "将被锁定的草稿\t1" in facts, facts
    look("confirm-round-close")
    page.click("#confirm-no")  # back, nothing changed
    page.wait_for_load_state("networkidle")
    assert "受理中" in page.locator("#rounds tr", has_text="端到端").inner_text()

    # --- a notice that cannot close early, and a revocation's confirmation: the world moved on by the services
    aid, pid = _in_notice_and_approved(live)
    page.goto(f"{base}/office/notices")
    assert page.locator("input[type=date]").count() == 0  # no date box: the server decides
    assert page.locator("form[action$='/close']").count() == 0 and "起可结束公示" in page.inner_text("main")
    look("notice-cannot-close")
    batch = page.locator("[id^=closes-]").first.get_attribute("id").split("-")[1]
    # an opaque redirect (status 0 to fetch): the service refused and the page flashes why
    assert _post(page, f"/office/notices/{batch}/close", {"csrf_token": _csrf(page), "on": "2099-12-31"}) in (0, 303)
    page.goto(f"{base}/office/notices")
    assert "尚不能结束公示" in page.inner_text("#flash") and "起可结束公示" in page.inner_text("main")
    page.goto(f"{base}/office/applications/{pid}")
    page.click("text=撤销项目")
    page.fill("details textarea[name=reason]", "企业迁出本区")
    page.click("details button[value=revoke]")
    page.wait_for_selector("#confirm")
    text = page.inner_text("#confirm")
    # WF-PROJECT: 30% of 5,000,000 = 150.00 万元 approved, nothing paid: all of it cancelled, nothing to recover
    assert "150.00 万元" in text and "确认撤销" in text
    look("confirm-revoke")
    page.click("#confirm-no")
    page.wait_for_load_state("networkidle")
    assert "已立项" in page.inner_text("h1")
    logout(page)
    ctx.close()
    assert aid
    assert {k: v for k, v in bad.items() if v} == {}
    assert wide == {}


def _in_notice_and_approved(live) -> tuple[int, int]:
    """Through the services: 测试企业1's second lease in a notice published today (WF-RENT, 5 working
    days), and 测试企业2's WF-PROJECT approved at its ceiling. Returns both ids."""
    from huiqi.workflow.applications import service as applications
    from huiqi.workflow.decisions import flows as decisions
    from huiqi.workflow.materials import service as materials
    from huiqi.workflow.notices import service as notices
    from huiqi.workflow.reviews import flows as review_flows
    from huiqi.workflow.reviews import service as reviews
    from huiqi.workflow.rounds import service as rounds
    from huiqi.workflow.users import service as users

    ps = live["app"].state.huiqi.policies
    with live["maker"]() as s:
        u = {n: users.by_username(session=s, username=n) for n in ("officer", "tinglin", "expert1", "ent1", "ent2")}
        r = next(x for x in rounds.list_all(session=s, actor=u["officer"]) if x.code.endswith("-E2E"))

        import datetime as dt

        today = dt.date.today()
        r2 = rounds.create(session=s, code=f"JS-{today.year}-P", name=f"{today.year} 年度项目补贴", programmes=["WF-PROJECT"], year=today.year,
                           opens_on=today - dt.timedelta(days=1), closes_on=today + dt.timedelta(days=60), budget="3000000", actor=u["officer"], policies=ps)
        rounds.open_round(session=s, round_id=r2.id, actor=u["officer"])

        def submitted(who: str, programme: str, claims: list) -> int:
            app = applications.create_draft(session=s, round_id=r.id if programme == "WF-RENT" else r2.id, enterprise_id=u[who].enterprise_id, programme_id=programme,
                                            profile={**h.base_profile(), "claims": claims}, actor=u[who], policies=ps)
            for item in materials.checklist(session=s, application_id=app.id, actor=u["officer"], policies=ps):
                if item["required"]:
                    materials.upload(session=s, application_id=app.id, material_id=item["id"], filename=f"{item['id']}.pdf",
                                     content=b"%PDF-1.4\n" + item["id"].encode(), actor=u[who], stamped=item["stamped"], policies=ps)
            applications.submit(session=s, application_id=app.id, actor=u[who], policies=ps)
            return app.id

        aid = submitted("ent1", "WF-RENT", [{**h.rent("1000000")[0], "id": "lease-2"}])
        reviews.town_confirm(session=s, application_id=aid, actor=u["tinglin"], confirmed=True)
        reviews.district_check(session=s, application_id=aid, actor=u["officer"], passed=True)
        reviews.assign_experts(session=s, application_id=aid, expert_ids=[u["expert1"].id], actor=u["officer"])
        reviews.score(session=s, application_id=aid, actor=u["expert1"], criteria={"c1": "80", "c2": "80", "c3": "80", "c4": "80"})
        reviews.consult(session=s, application_id=aid, actor=u["officer"], department="区财政局", opinion="无意见")
        review_flows.shortlist(session=s, round_id=r.id, actor=u["officer"])
        notices.publish(session=s, application_ids=[aid], published_on=None, actor=u["officer"])
        pid = submitted("ent2", "WF-PROJECT", h.project("5000000"))
        reviews.district_check(session=s, application_id=pid, actor=u["officer"], passed=True)
        decisions.approve(session=s, application_id=pid, amount="1500000", actor=u["officer"], reason="同意")
        s.commit()
    return aid, pid
