"""Office pages (town/park reviewers, district officers, auditors read-only, the administrator):
queues, the application page with the frozen explanation, decisions, notices, payments, changes,
imports, exports, dashboard. Every list and action goes through the workflow services with the
signed-in user as ``actor``: the same rules as the API and the CLI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from huiqi.api.routes.applications import material_response  # noqa: F401 - re-exported for the pages
from huiqi.api.routes.exports import export_response
from huiqi.api.routes.notices import visible_batches
from huiqi.api.security import check_csrf_form, DB
from huiqi.web.render import render
from huiqi.web.views.common import flash, form_bool, page_user, pop_flash, run_action
from huiqi.workflow import access, states
from huiqi.workflow.applications import flows as application_flows
from huiqi.workflow.applications import service as applications
from huiqi.workflow.changes import flows as change_flows
from huiqi.workflow.changes import service as changes
from huiqi.workflow.credit import service as credit
from huiqi.workflow.dashboard import flows as dashboard_flows
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.decisions import service as decisions
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import NotFound
from huiqi.workflow.imports import service as imports
from huiqi.workflow.notices import service as notices
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.payments import service as payments
from huiqi.workflow.reviews import flows as review_flows
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.rounds import flows as round_flows
from huiqi.workflow.rounds import service as rounds
from huiqi.workflow.users import service as users

router = APIRouter(include_in_schema=False)
OFFICE = page_user("page.office")  # reviewers, officers, auditors, the administrator
DISTRICT = page_user("page.office_district")  # a district's books: officers, auditors, the administrator


def _ps(request: Request) -> Any:
    return request.app.state.huiqi.policies


def _with_enterprises(session: Any, apps: list) -> list[tuple[Any, Any]]:
    return [(a, session.get(Enterprise, a.enterprise_id)) for a in apps]


@router.get("/office")
def queues(request: Request, stage: str | None = None, state: str | None = None, town: str | None = None, round_id: str | None = None, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    rid = int(round_id) if round_id and round_id.isdigit() else None
    apps = applications.list_for(session=session, actor=user, stage=stage or None, state=state or None, town=town or None, round_id=rid, newest_first=True, limit=500)
    ctx = {"rows": _with_enterprises(session, apps), "counts": dashboard_flows.queue_counts(session=session, actor=user), "stages": states.STAGE_ORDER,
           "app_states": states.APPLICATION.states, "rounds": list(reversed(rounds.list_all(session=session, actor=user))),
           "f": {"stage": stage or "", "state": state or "", "town": town or "", "round_id": rid}, "flash": pop_flash(request)}
    return render(request, "office_queue.html", ctx)


@router.get("/office/applications/{application_id}")
def office_application(request: Request, application_id: int, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    a = application_flows.detail(session=session, application_id=application_id, actor=user, policies=_ps(request))
    experts = []
    if access.role_may(user.role, "application.assign_experts"):
        experts = [u for u in users.list_all(session=session, actor=user, role=states.EXPERT) if u.active and u.district == a["district"]]
    return render(request, "application.html", {"a": a, "experts": experts, "flash": pop_flash(request), "base": "/office/applications"})


@router.post("/office/applications/{application_id}/act", dependencies=[Depends(check_csrf_form)])
async def office_act(request: Request, application_id: int, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    action = str(f.get("action") or "")
    text = lambda k: str(f.get(k) or "").strip()  # noqa: E731
    opt = lambda k: text(k) or None  # noqa: E731
    ps = _ps(request)
    kw = {"session": session, "application_id": application_id, "actor": user}
    table = {
        "town_confirm": (lambda: reviews.town_confirm(**kw, confirmed=True, opinion=text("opinion")), ("镇（园区）已确认", "confirmed by the town/park")),
        "town_reject": (lambda: reviews.town_confirm(**kw, confirmed=False, opinion=text("opinion")), ("已不予确认", "not confirmed")),
        "district_pass": (lambda: reviews.district_check(**kw, passed=True, opinion=text("opinion"), originals_checked=form_bool(f.get("originals_checked"))), ("区级初审通过", "district check passed")),
        "district_fail": (lambda: reviews.district_check(**kw, passed=False, opinion=text("opinion")), ("区级初审不通过", "district check failed")),
        "assign_experts": (lambda: reviews.assign_experts(**kw, expert_ids=[int(x) for x in f.getlist("expert_ids") if str(x).isdigit()]), ("已分配专家", "experts assigned")),
        "consult": (lambda: reviews.consult(**kw, department=text("department"), opinion=text("opinion")), ("已记录部门意见", "opinion recorded")),
        "object": (lambda: notices.object_to(**kw, objector=text("objector"), content=text("content"), received_on=opt("received_on")), ("已登记异议，申报暂停", "objection recorded; the application is held")),
        "approve": (lambda: decision_flows.approve(**kw, amount=text("amount"), reason=opt("reason"), on=opt("on")), ("已立项", "approved")),
        "decline": (lambda: decisions.decline(**kw, reason=text("reason")), ("已不予立项", "declined")),
        "credit_override": (lambda: credit.override(**kw, reason=text("reason"), on=_day(opt("on"))), ("已登记信用审查意见", "credit decision recorded")),
        "confirm": (lambda: imports.confirm(**kw, amount=opt("amount"), reason=opt("reason")), ("已确认免申即享", "grant confirmed")),
        "revoke": (lambda: change_flows.revoke(**kw, ground=text("ground"), reason=text("reason"), planned_investment=opt("planned_investment"), audited_investment=opt("audited_investment"),
                                               claw_back=form_bool(f.get("claw_back") or "1"), policies=ps), ("项目已撤销", "project revoked")),
        "submit_offline": (lambda: applications.submit(**kw, policies=ps), ("已登记纸质申报", "paper submission recorded")),
    }
    back = f"/office/applications/{application_id}"
    if action not in table:
        flash(request, "err", f"未知操作：{action}", f"unknown action: {action}", "action")
        return RedirectResponse(back, status_code=303)
    fn, ok = table[action]
    return run_action(request, session, fn, back=back, ok=ok)


def _day(value: str | None) -> Any:
    from huiqi.workflow.common import parse_day

    return parse_day(value, field="on") if value else None


# ------------------------------------------------------------------ rounds


@router.get("/office/rounds")
def rounds_page(request: Request, user: Any = Depends(DISTRICT), session: Any = DB) -> Response:
    rows = rounds.list_all(session=session, actor=user)
    committed = {r.id: round_flows.commitments(session=session, round_id=r.id, actor=user) for r in rows}
    ps = _ps(request)
    mine = [p for p in ps.programmes() if not user.district or getattr(ps.document(p.document_id), "district", None) == user.district]
    return render(request, "office_rounds.html", {"rounds": sorted(rows, key=lambda r: -r.id), "committed": committed, "programmes": mine, "flash": pop_flash(request)})


@router.post("/office/rounds", dependencies=[Depends(check_csrf_form)])
async def rounds_create(request: Request, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    t = lambda k: str(f.get(k) or "").strip() or None  # noqa: E731
    kw = dict(code=t("code") or "", name=t("name") or "", programmes=[str(x) for x in f.getlist("programmes")], year=int(t("year") or 0) if (t("year") or "").isdigit() else 0,
              opens_on=t("opens_on") or "", closes_on=t("closes_on") or "", period_start=t("period_start"), period_end=t("period_end"), budget=t("budget"), district=t("district"),
              notice_working_days=t("notice_working_days"), notice_basis=t("notice_basis"))
    return run_action(request, session, lambda: rounds.create(session=session, actor=user, policies=_ps(request), **kw), back="/office/rounds", ok=("批次已创建", "round created"))


@router.post("/office/rounds/{round_id}/{op}", dependencies=[Depends(check_csrf_form)])
async def rounds_op(request: Request, round_id: int, op: str, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    kw = {"session": session, "round_id": round_id, "actor": user}
    fns = {
        "open": (lambda: rounds.open_round(**kw), ("已开放申报", "round opened")),
        "close": (lambda: rounds.close_round(**kw), ("已截止申报", "round closed")),
        "shortlist": (lambda: review_flows.shortlist(**kw, min_score=str(f.get("min_score") or "") or None), ("已按评分择优列入拟立项名单", "shortlisted by score within the budget")),
        "budget": (lambda: round_flows.set_budget(**kw, budget=str(f.get("budget") or "").strip() or None, reason=str(f.get("reason") or "")), ("预算已调整", "budget changed")),
        "notice_days": (lambda: rounds.set_notice_days(**kw, days=str(f.get("notice_working_days") or "").strip() or None, basis=str(f.get("notice_basis") or "")), ("公示期限已设定", "notice length set")),
    }
    if op not in fns:
        raise NotFound("没有这种操作", "no such operation", field="op")
    fn, ok = fns[op]
    return run_action(request, session, fn, back="/office/rounds", ok=ok)


# ------------------------------------------------------------------ notices


@router.get("/office/notices")
def notices_page(request: Request, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    shortlisted = []
    if access.role_may(user.role, "application.publish"):
        shortlisted = _with_enterprises(session, applications.list_for(session=session, actor=user, state="shortlisted", newest_first=True))
    objections = notices.objections(session=session, actor=user)
    return render(request, "office_notices.html", {"batches": visible_batches(session, user), "shortlisted": shortlisted, "objections": objections, "flash": pop_flash(request)})


@router.post("/office/notices", dependencies=[Depends(check_csrf_form)])
async def notices_publish(request: Request, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    ids = [int(x) for x in f.getlist("application_ids") if str(x).isdigit()]
    return run_action(request, session, lambda: notices.publish(session=session, application_ids=ids, published_on=str(f.get("published_on") or "") or None, title=str(f.get("title") or "") or None, actor=user),
                      back="/office/notices", ok=("已发布公示", "notice published"))


@router.post("/office/notices/{batch_id}/close", dependencies=[Depends(check_csrf_form)])
async def notices_close(request: Request, batch_id: int, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: notices.close(session=session, batch_id=batch_id, on=str(f.get("on") or "") or None, actor=user), back="/office/notices", ok=("公示已结束", "notice closed"))


@router.post("/office/objections/{objection_id}/resolve", dependencies=[Depends(check_csrf_form)])
async def objection_resolve(request: Request, objection_id: int, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: notices.resolve(session=session, objection_id=objection_id, upheld=form_bool(f.get("upheld")), finding=str(f.get("finding") or ""), actor=user),
                      back="/office/notices", ok=("异议已核实处理", "objection resolved"))


# ------------------------------------------------------------------ payments


@router.get("/office/payments")
def payments_page(request: Request, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    batches = payments.batches(session=session, actor=user) if access.role_may(user.role, "payment_batch.read") else []
    ctx = {"payments": list(reversed(payments.ledger(session=session, actor=user))), "batches": batches, "receivables": payments.receivables(session=session, actor=user), "flash": pop_flash(request)}
    return render(request, "office_payments.html", ctx)


@router.post("/office/payments/batches", dependencies=[Depends(check_csrf_form)])
async def payments_batch(request: Request, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: payments.create_batch(session=session, pay_on=str(f.get("pay_on") or "") or None, code=str(f.get("code") or "") or None, actor=user),
                      back="/office/payments", ok=("拨付批次已生成", "payment batch gathered"))


@router.post("/office/payments/batches/{batch_id}/run", dependencies=[Depends(check_csrf_form)])
def payments_run(request: Request, batch_id: int, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    return run_action(request, session, lambda: payment_flows.run_batch(session=session, batch_id=batch_id, actor=user), back="/office/payments", ok=("已拨付", "paid"))


@router.post("/office/receivables/{receivable_id}/recovered", dependencies=[Depends(check_csrf_form)])
async def receivable_recovered(request: Request, receivable_id: int, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: payment_flows.record_recovery(session=session, receivable_id=receivable_id, actor=user, on=str(f.get("on") or "") or None),
                      back="/office/payments", ok=("已登记收回", "recovery recorded"))


# ------------------------------------------------------------------ changes


@router.get("/office/changes")
def changes_page(request: Request, user: Any = Depends(DISTRICT), session: Any = DB) -> Response:
    ctx = {"changes": changes.changes(session=session, actor=user), "revocations": changes.revocations(session=session, actor=user), "flash": pop_flash(request)}
    return render(request, "office_changes.html", ctx)


@router.post("/office/changes/{change_id}/decide", dependencies=[Depends(check_csrf_form)])
async def change_decide(request: Request, change_id: int, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: changes.decide_change(session=session, change_id=change_id, approve=form_bool(f.get("approve")), reason=str(f.get("reason") or ""), actor=user),
                      back="/office/changes", ok=("已作出书面决定", "decision recorded"))


# ------------------------------------------------------------------ imports, exports


@router.get("/office/imports")
def imports_page(request: Request, user: Any = Depends(DISTRICT), session: Any = DB) -> Response:
    ps = _ps(request)
    auto = [p for p in ps.programmes() if p.mode == "automatic" and (not user.district or getattr(ps.document(p.document_id), "district", None) == user.district)]
    return render(request, "office_imports.html", {"runs": imports.runs(session=session, actor=user), "automatic": auto, "flash": pop_flash(request)})


@router.post("/office/imports/{kind}", dependencies=[Depends(check_csrf_form)])
async def imports_run(request: Request, kind: str, programme: str = Form(""), year: str = Form(""), file: UploadFile = File(...), user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    from huiqi.api.routes.imports import read_upload

    try:
        content = await read_upload(request.app.state.huiqi.settings, file)
    except Exception as exc:  # noqa: BLE001 - shown as a flash message by run_action
        err = exc
        return run_action(request, session, lambda: (_ for _ in ()).throw(err), back="/office/imports")
    name = file.filename or "import.csv"
    if kind == "credit":
        fn = lambda: imports.import_credit(session=session, path=name, content=content, actor=user)  # noqa: E731
    else:
        fn = lambda: imports.import_automatic(session=session, path=name, content=content, programme_id=programme, year=int(year) if year.isdigit() else 0, actor=user, policies=_ps(request))  # noqa: E731
    return run_action(request, session, fn, back="/office/imports", ok=("导入完成", "imported"))


@router.get("/office/exports")
def exports_page(request: Request, user: Any = Depends(DISTRICT), session: Any = DB) -> Response:
    return render(request, "office_exports.html", {"notices": notices.batches(session=session, actor=user), "batches": payments.batches(session=session, actor=user)})


@router.get("/office/exports/{kind}/{batch_id}.xlsx")
def exports_download(request: Request, kind: str, batch_id: int, user: Any = Depends(DISTRICT), session: Any = DB) -> Response:
    return export_response(session, user, kind, batch_id)


# ------------------------------------------------------------------ dashboard


@router.get("/office/dashboard")
def dashboard(request: Request, user: Any = Depends(OFFICE), session: Any = DB) -> Response:
    from decimal import Decimal

    from huiqi.web import charts
    from huiqi.web.i18n import pick
    from huiqi.web.render import page_lang

    lang = page_lang(request)
    d = dashboard_flows.dashboard(session=session, actor=user)
    L = lambda zh, en: pick(zh, en, lang)  # noqa: E731
    items = lambda key: [(x["key"], Decimal(x["amount"])) for x in d[key]]  # noqa: E731
    svgs = {
        "programme": charts.bar_chart(items("by_programme"), title=L("立项金额（按项目）", "Approved, by programme")),
        "town": charts.bar_chart(items("by_town"), title=L("立项金额（按镇/园区）", "Approved, by town/park")),
        "month": charts.column_chart(items("by_month"), title=L("立项金额（按月份）", "Approved, by month")),
        "budget": charts.budget_chart(d["budgets"], title=L("预算使用（按批次）", "Budget used, by round"), used_label=L("已立项", "approved"), budget_label=L("预算", "budget")),
    }
    return render(request, "office_dashboard.html", {"d": d, "svgs": svgs})
