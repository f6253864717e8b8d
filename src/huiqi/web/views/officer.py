"""Officer pages (town/park reviewers, district officers, auditors read-only): queues, the application
page with the frozen explanation, decisions, notices, payments, changes, imports, exports, dashboard."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from huiqi.api import access, actions
from huiqi.api.routers.workflow import export_response, notices_visible
from huiqi.api.security import check_csrf_form, db
from huiqi.web.render import render
from huiqi.web.views.common import form_bool, page_user, pop_flash, run_action
from huiqi.workflow import states

router = APIRouter(include_in_schema=False)
STAFF = page_user(states.REVIEWER, states.OFFICER, states.AUDITOR)
DISTRICT = page_user(states.OFFICER, states.AUDITOR)
WRITER = page_user(states.REVIEWER, states.OFFICER)
OFFICER = page_user(states.OFFICER)


def _ps(request: Request) -> Any:
    return request.app.state.huiqi.policies


@router.get("/office")
def queues(request: Request, stage: str | None = None, state: str | None = None, town: str | None = None, round_id: str | None = None, user: Any = Depends(STAFF), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.rounds.models import Round

    rid = int(round_id) if round_id and round_id.isdigit() else None
    rows = actions.list_applications(session, user, stage=stage or None, state=state or None, town=town or None, round_id=rid)
    counts = actions.queue_counts(session, user)
    rounds = list(session.execute(select(Round).order_by(Round.id)).scalars())
    ctx = {"rows": rows, "counts": counts, "stages": states.STAGE_ORDER, "app_states": states.APPLICATION.states, "rounds": rounds,
           "f": {"stage": stage or "", "state": state or "", "town": town or "", "round_id": rid}, "flash": pop_flash(request)}
    return render(request, "office_queue.html", ctx)


@router.get("/office/applications/{application_id}")
def office_application(request: Request, application_id: int, user: Any = Depends(STAFF), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.users.models import User

    app = access.application_for(session, user, application_id)
    experts = list(session.execute(select(User).where(User.role == states.EXPERT, User.active.is_(True)).order_by(User.username)).scalars()) if user.role == states.OFFICER else []
    return render(request, "application.html", {"a": actions.application_detail(session, user, app, request.app.state.huiqi.policies), "experts": experts, "flash": pop_flash(request), "base": "/office/applications"})


@router.post("/office/applications/{application_id}/act", dependencies=[Depends(check_csrf_form)])
async def office_act(request: Request, application_id: int, user: Any = Depends(WRITER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    action = str(f.get("action") or "")
    text = lambda k: str(f.get(k) or "").strip()  # noqa: E731
    opt = lambda k: text(k) or None  # noqa: E731
    ps = _ps(request)
    a = application_id
    table = {
        "town_confirm": (lambda: actions.town_confirm(session, user, application_id=a, confirmed=True, opinion=text("opinion")), ("镇（园区）已确认", "confirmed by the town/park")),
        "town_reject": (lambda: actions.town_confirm(session, user, application_id=a, confirmed=False, opinion=text("opinion")), ("已不予确认", "not confirmed")),
        "district_pass": (lambda: actions.district_check(session, user, application_id=a, passed=True, opinion=text("opinion"), originals_checked=form_bool(f.get("originals_checked"))), ("区级初审通过", "district check passed")),
        "district_fail": (lambda: actions.district_check(session, user, application_id=a, passed=False, opinion=text("opinion")), ("区级初审不通过", "district check failed")),
        "assign_experts": (lambda: actions.assign_experts(session, user, application_id=a, expert_ids=[int(x) for x in f.getlist("expert_ids") if str(x).isdigit()]), ("已分配专家", "experts assigned")),
        "consult": (lambda: actions.consult(session, user, application_id=a, department=text("department"), opinion=text("opinion")), ("已记录部门意见", "opinion recorded")),
        "object": (lambda: actions.object_to(session, user, application_id=a, objector=text("objector"), content=text("content"), received_on=opt("received_on")), ("已登记异议，申报暂停", "objection recorded; the application is held")),
        "approve": (lambda: actions.approve(session, user, application_id=a, amount=text("amount"), reason=opt("reason"), on=opt("on")), ("已立项", "approved")),
        "decline": (lambda: actions.decline(session, user, application_id=a, reason=text("reason")), ("已不予立项", "declined")),
        "credit_override": (lambda: actions.credit_override(session, user, application_id=a, reason=text("reason"), on=opt("on")), ("已登记信用审查意见", "credit decision recorded")),
        "confirm": (lambda: actions.confirm_automatic(session, user, application_id=a, amount=opt("amount"), reason=opt("reason")), ("已确认免申即享", "grant confirmed")),
        "revoke": (lambda: actions.revoke(session, user, ps, application_id=a, ground=text("ground"), reason=text("reason"), planned_investment=opt("planned_investment"), audited_investment=opt("audited_investment"), claw_back=form_bool(f.get("claw_back") or "1")), ("项目已撤销", "project revoked")),
        "submit_offline": (lambda: actions.submit(session, user, ps, application_id=a), ("已登记纸质申报", "paper submission recorded")),
    }
    back = f"/office/applications/{a}"
    if action not in table:
        from huiqi.web.views.common import flash
        from fastapi.responses import RedirectResponse

        flash(request, "err", f"未知操作：{action}", f"unknown action: {action}", "action")
        return RedirectResponse(back, status_code=303)
    fn, ok = table[action]
    return run_action(request, session, fn, back=back, ok=ok)


# ------------------------------------------------------------------ rounds


@router.get("/office/rounds")
def rounds_page(request: Request, user: Any = Depends(DISTRICT), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.rounds.models import Round

    from huiqi.workflow.decisions.service import round_commitments

    rounds = list(session.execute(select(Round).order_by(Round.id.desc())).scalars())
    committed = {r.id: round_commitments(session=session, round_id=r.id) for r in rounds}
    return render(request, "office_rounds.html", {"rounds": rounds, "committed": committed, "programmes": _ps(request).programmes(), "flash": pop_flash(request)})


@router.post("/office/rounds", dependencies=[Depends(check_csrf_form)])
async def rounds_create(request: Request, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    t = lambda k: str(f.get(k) or "").strip() or None  # noqa: E731
    kw = dict(code=t("code") or "", name=t("name") or "", programmes=[str(x) for x in f.getlist("programmes")], year=int(t("year") or 0) if (t("year") or "").isdigit() else 0,
              opens_on=t("opens_on") or "", closes_on=t("closes_on") or "", period_start=t("period_start"), period_end=t("period_end"), budget=t("budget"), district=t("district"))
    return run_action(request, session, lambda: actions.create_round(session, user, _ps(request), **kw), back="/office/rounds", ok=("批次已创建", "round created"))


@router.post("/office/rounds/{round_id}/{op}", dependencies=[Depends(check_csrf_form)])
async def rounds_op(request: Request, round_id: int, op: str, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    fns = {
        "open": (lambda: actions.open_round(session, user, round_id=round_id), ("已开放申报", "round opened")),
        "close": (lambda: actions.close_round(session, user, round_id=round_id), ("已截止申报", "round closed")),
        "shortlist": (lambda: actions.shortlist(session, user, round_id=round_id, min_score=str(f.get("min_score") or "") or None), ("已按评分择优列入拟立项名单", "shortlisted by score within the budget")),
        "budget": (lambda: actions.set_budget(session, user, round_id=round_id, budget=str(f.get("budget") or "").strip() or None, reason=str(f.get("reason") or "")), ("预算已调整", "budget changed")),
    }
    if op not in fns:
        from huiqi.api.errors import not_found

        raise not_found("操作", "operation", field="op")
    fn, ok = fns[op]
    return run_action(request, session, fn, back="/office/rounds", ok=ok)


# ------------------------------------------------------------------ notices


@router.get("/office/notices")
def notices_page(request: Request, user: Any = Depends(STAFF), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.notices.models import Objection

    shortlisted = actions.list_applications(session, user, state="shortlisted") if user.role == states.OFFICER else []
    batches = notices_visible(session, user)
    visible_ids = {a.id for _, apps in batches for a, _ in apps}
    objections = [o for o in session.execute(select(Objection).order_by(Objection.id.desc())).scalars() if o.application_id in visible_ids]
    return render(request, "office_notices.html", {"batches": batches, "shortlisted": shortlisted, "objections": objections, "flash": pop_flash(request)})


@router.post("/office/notices", dependencies=[Depends(check_csrf_form)])
async def notices_publish(request: Request, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    ids = [int(x) for x in f.getlist("application_ids") if str(x).isdigit()]
    return run_action(request, session, lambda: actions.publish(session, user, application_ids=ids, published_on=str(f.get("published_on") or "") or None, title=str(f.get("title") or "") or None), back="/office/notices", ok=("已发布公示", "notice published"))


@router.post("/office/notices/{batch_id}/close", dependencies=[Depends(check_csrf_form)])
async def notices_close(request: Request, batch_id: int, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: actions.close_notice(session, user, batch_id=batch_id, on=str(f.get("on") or "") or None), back="/office/notices", ok=("公示已结束", "notice closed"))


@router.post("/office/objections/{objection_id}/resolve", dependencies=[Depends(check_csrf_form)])
async def objection_resolve(request: Request, objection_id: int, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: actions.resolve_objection(session, user, objection_id=objection_id, upheld=form_bool(f.get("upheld")), finding=str(f.get("finding") or "")), back="/office/notices", ok=("异议已核实处理", "objection resolved"))


# ------------------------------------------------------------------ payments


@router.get("/office/payments")
def payments_page(request: Request, user: Any = Depends(STAFF), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.applications.models import Application
    from huiqi.workflow.payments.models import Payment, PaymentBatch, Receivable

    visible = access.application_query(user).with_only_columns(Application.id)
    payments = list(session.execute(select(Payment).where(Payment.application_id.in_(visible)).order_by(Payment.id.desc())).scalars())
    batches = list(session.execute(select(PaymentBatch).order_by(PaymentBatch.id.desc())).scalars()) if user.role in access.READERS_OF_ALL else []
    receivables = list(session.execute(select(Receivable).where(Receivable.application_id.in_(visible)).order_by(Receivable.id.desc())).scalars())
    return render(request, "office_payments.html", {"payments": payments, "batches": batches, "receivables": receivables, "flash": pop_flash(request)})


@router.post("/office/payments/batches", dependencies=[Depends(check_csrf_form)])
async def payments_batch(request: Request, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: actions.create_payment_batch(session, user, pay_on=str(f.get("pay_on") or "") or None, code=str(f.get("code") or "") or None), back="/office/payments", ok=("拨付批次已生成", "payment batch gathered"))


@router.post("/office/payments/batches/{batch_id}/run", dependencies=[Depends(check_csrf_form)])
def payments_run(request: Request, batch_id: int, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    return run_action(request, session, lambda: actions.run_payment_batch(session, user, batch_id=batch_id), back="/office/payments", ok=("已拨付", "paid"))


@router.post("/office/receivables/{receivable_id}/recovered", dependencies=[Depends(check_csrf_form)])
async def receivable_recovered(request: Request, receivable_id: int, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: actions.record_recovery(session, user, receivable_id=receivable_id, on=str(f.get("on") or "") or None), back="/office/payments", ok=("已登记收回", "recovery recorded"))


# ------------------------------------------------------------------ changes


@router.get("/office/changes")
def changes_page(request: Request, user: Any = Depends(DISTRICT), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.changes.models import ChangeRequest, Revocation

    changes = list(session.execute(select(ChangeRequest).order_by(ChangeRequest.id.desc())).scalars())
    revocations = list(session.execute(select(Revocation).order_by(Revocation.id.desc())).scalars())
    return render(request, "office_changes.html", {"changes": changes, "revocations": revocations, "flash": pop_flash(request)})


@router.post("/office/changes/{change_id}/decide", dependencies=[Depends(check_csrf_form)])
async def change_decide(request: Request, change_id: int, user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: actions.decide_change(session, user, change_id=change_id, approve=form_bool(f.get("approve")), reason=str(f.get("reason") or "")), back="/office/changes", ok=("已作出书面决定", "decision recorded"))


# ------------------------------------------------------------------ imports, exports


@router.get("/office/imports")
def imports_page(request: Request, user: Any = Depends(DISTRICT), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.imports.models import ImportRun

    runs = list(session.execute(select(ImportRun).order_by(ImportRun.id.desc())).scalars())
    auto = [p for p in _ps(request).programmes() if p.mode == "automatic"]
    return render(request, "office_imports.html", {"runs": runs, "automatic": auto, "flash": pop_flash(request)})


@router.post("/office/imports/{kind}", dependencies=[Depends(check_csrf_form)])
async def imports_run(request: Request, kind: str, programme: str = Form(""), year: str = Form(""), file: UploadFile = File(...), user: Any = Depends(OFFICER), session: Any = Depends(db)) -> Response:
    from huiqi.api.routers.workflow import _read_upload

    try:
        content = await _read_upload(request, file)
    except Exception as exc:  # noqa: BLE001 - shown as a flash message by run_action
        err = exc
        return run_action(request, session, lambda: (_ for _ in ()).throw(err), back="/office/imports")
    name = file.filename or "import.csv"
    if kind == "credit":
        fn = lambda: actions.import_credit(session, user, filename=name, content=content)  # noqa: E731
    else:
        fn = lambda: actions.import_automatic(session, user, _ps(request), filename=name, content=content, programme=programme, year=int(year) if year.isdigit() else 0)  # noqa: E731
    return run_action(request, session, fn, back="/office/imports", ok=("导入完成", "imported"))


@router.get("/office/exports")
def exports_page(request: Request, user: Any = Depends(DISTRICT), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.notices.models import NoticeBatch
    from huiqi.workflow.payments.models import PaymentBatch

    notices = list(session.execute(select(NoticeBatch).order_by(NoticeBatch.id.desc())).scalars())
    batches = list(session.execute(select(PaymentBatch).order_by(PaymentBatch.id.desc())).scalars())
    return render(request, "office_exports.html", {"notices": notices, "batches": batches})


@router.get("/office/exports/{kind}/{batch_id}.xlsx")
def exports_download(request: Request, kind: str, batch_id: int, user: Any = Depends(DISTRICT), session: Any = Depends(db)) -> Response:
    return export_response(session, user, kind, batch_id)


# ------------------------------------------------------------------ dashboard


@router.get("/office/dashboard")
def dashboard(request: Request, user: Any = Depends(STAFF), session: Any = Depends(db)) -> Response:
    from decimal import Decimal

    from huiqi.api.stats import dashboard_data
    from huiqi.web import charts
    from huiqi.web.i18n import pick
    from huiqi.web.render import page_lang

    lang = page_lang(request)
    d = dashboard_data(session, user)
    L = lambda zh, en: pick(zh, en, lang)  # noqa: E731
    items = lambda key: [(x["key"], Decimal(x["amount"])) for x in d[key]]  # noqa: E731
    svgs = {
        "programme": charts.bar_chart(items("by_programme"), title=L("立项金额（按项目）", "Approved, by programme")),
        "town": charts.bar_chart(items("by_town"), title=L("立项金额（按镇/园区）", "Approved, by town/park")),
        "month": charts.column_chart(items("by_month"), title=L("立项金额（按月份）", "Approved, by month")),
        "budget": charts.budget_chart(d["budgets"], title=L("预算使用（按批次）", "Budget used, by round"), used_label=L("已立项", "approved"), budget_label=L("预算", "budget")),
    }
    return render(request, "office_dashboard.html", {"d": d, "svgs": svgs})
