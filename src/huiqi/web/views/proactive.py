"""Pages of issue 19 (政策找企业): an enterprise's record and its corrections; everyone's inbox and an
enterprise's choices; the officers' matching lists (with the funnel, the fact-list imports and the
免申即享 proposals) and their district's deliveries. Every list and action goes through the
workflow services with the signed-in user as ``actor``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from huiqi.api.security import check_csrf_form, db
from huiqi.web.render import render
from huiqi.web.views.common import page_user, pop_flash, run_action
from huiqi.workflow.matching import flows as matching
from huiqi.workflow.matching import service as matches
from huiqi.workflow.notifications import flows as notify
from huiqi.workflow.notifications import service as inbox
from huiqi.workflow.notifications.models import KINDS
from huiqi.workflow.records import service as records

router = APIRouter(include_in_schema=False)
ENT = page_user("page.my")
ANYONE = page_user(None)
DISTRICT = page_user("page.office_district")


def _ps(request: Request) -> Any:
    return request.app.state.huiqi.policies


def _settings(request: Request) -> Any:
    return request.app.state.huiqi.settings


# ------------------------------------------------------------------ an enterprise's record


@router.get("/my/record")
def my_record(request: Request, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    ps = _ps(request)
    rec = records.record(session=session, enterprise_id=user.enterprise_id, actor=user, policies=ps)
    found = matches.results(session=session, actor=user)
    facts = sorted(
        f"enterprise.{k}"
        for k in ps.vocabulary.facts_of("enterprise")
        if f"enterprise.{k}" not in records.REGISTER_FACTS
    )
    return render(
        request, "my_record.html", {"rec": rec, "matches": found, "fact_names": facts, "flash": pop_flash(request)}
    )


@router.post("/my/record", dependencies=[Depends(check_csrf_form)])
def my_record_correct(
    request: Request,
    fact: str = Form(...),
    value: str = Form(""),
    note: str = Form(""),
    user: Any = Depends(ENT),
    session: Any = Depends(db),
) -> Response:
    fn = lambda: records.correct(  # noqa: E731
        session=session,
        enterprise_id=user.enterprise_id,
        facts={fact.strip(): value},
        note=note,
        actor=user,
        policies=_ps(request),
    )
    return run_action(
        request, session, fn, back="/my/record", ok=("已更正（记为企业自述）", "corrected (marked self-declared)")
    )


@router.post("/my/record/selfcheck", dependencies=[Depends(check_csrf_form)])
async def my_record_selfcheck(request: Request, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    """Keep the facts of a self-check (the signed answers of the self-check page) in the record."""
    from fastapi.responses import RedirectResponse

    from huiqi.web import selfcheck as sc

    form = await request.form()
    answers = sc.load(str(form.get("state") or ""), str(_settings(request).secret_key))
    if answers is None:
        return RedirectResponse("/selfcheck", status_code=303)
    profile = sc.profile_for_match(answers)
    fn = lambda: records.save_selfcheck(session=session, actor=user, profile=profile, policies=_ps(request))  # noqa: E731
    return run_action(
        request, session, fn, back="/my/record", ok=("自测信息已存入企业档案", "the self-check was kept in your record")
    )


# ------------------------------------------------------------------ everyone's inbox


@router.get("/notifications")
def notifications_page(request: Request, user: Any = Depends(ANYONE), session: Any = Depends(db)) -> Response:
    items = [inbox.view(n) for n in inbox.inbox(session=session, actor=user)]
    prefs = inbox.prefs(session=session, actor=user) if user.role == "enterprise" else None
    return render(request, "notifications.html", {"items": items, "prefs": prefs, "flash": pop_flash(request)})


@router.post("/notifications/{notification_id}/read", dependencies=[Depends(check_csrf_form)])
def notifications_read(
    request: Request, notification_id: int, user: Any = Depends(ANYONE), session: Any = Depends(db)
) -> Response:
    return run_action(
        request,
        session,
        lambda: inbox.mark_read(session=session, notification_id=notification_id, actor=user),
        back="/notifications",
    )


@router.post("/notifications/prefs", dependencies=[Depends(check_csrf_form)])
async def notifications_prefs(request: Request, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    form = await request.form()
    on = {str(k) for k in form.keys()}
    muted = [f"{k}:{c}" for k in KINDS if k != "office" for c in ("inbox", "email") if f"{k}:{c}" not in on]
    fn = lambda: inbox.set_prefs(session=session, actor=user, email=str(form.get("email") or ""), muted=muted)  # noqa: E731
    return run_action(request, session, fn, back="/notifications", ok=("通知设置已保存", "settings saved"))


# ------------------------------------------------------------------ officers: matching, imports of fact lists, the funnel


@router.get("/office/matching")
def matching_page(
    request: Request, programme: str | None = None, user: Any = Depends(DISTRICT), session: Any = Depends(db)
) -> Response:
    ps = _ps(request)
    rows = matches.results(session=session, actor=user, programme_id=programme or None)
    funnel = notify.funnel(session=session, actor=user, policies=ps) if user.district else []
    automatic = [p for d in ps.documents if d.district == user.district for p in d.programmes if p.mode == "automatic"]
    return render(
        request,
        "office_matching.html",
        {
            "groups": matches.by_programme(rows),
            "funnel": funnel,
            "automatic": automatic,
            "programme": programme or "",
            "flash": pop_flash(request),
        },
    )


@router.post("/office/matching/run", dependencies=[Depends(check_csrf_form)])
def matching_run(request: Request, user: Any = Depends(DISTRICT), session: Any = Depends(db)) -> Response:
    fn = lambda: matching.run_register(session=session, actor=user, policies=_ps(request))  # noqa: E731
    return run_action(
        request,
        session,
        fn,
        back="/office/matching",
        ok=("已对本区企业名录重新匹配", "the district's register was matched"),
    )


@router.post("/office/matching/propose", dependencies=[Depends(check_csrf_form)])
def matching_propose(
    request: Request,
    programme: str = Form(...),
    year: str = Form(...),
    user: Any = Depends(DISTRICT),
    session: Any = Depends(db),
) -> Response:
    fn = lambda: matching.propose_grants(  # noqa: E731
        session=session,
        programme_id=programme,
        year=int(year) if year.strip().isdigit() else 0,
        actor=user,
        policies=_ps(request),
    )
    return run_action(
        request,
        session,
        fn,
        back="/office/matching",
        ok=("已生成待确认的免申即享发放（确认：申报页面）", "grants proposed (confirm them on the application pages)"),
    )


@router.post("/office/records/import", dependencies=[Depends(check_csrf_form)])
async def records_import(
    request: Request,
    list_name: str = Form(""),
    as_of: str = Form(""),
    file: UploadFile = File(...),
    user: Any = Depends(DISTRICT),
    session: Any = Depends(db),
) -> Response:
    from huiqi.api.routes.imports import read_upload

    try:
        content = await read_upload(_settings(request), file)
    except Exception as exc:  # noqa: BLE001 - shown as a flash message by run_action
        err = exc
        return run_action(request, session, lambda: (_ for _ in ()).throw(err), back="/office/matching")
    fn = lambda: records.import_facts(  # noqa: E731
        session=session,
        path=file.filename or "list.csv",
        content=content,
        list_name=list_name,
        on=as_of or None,
        actor=user,
        policies=_ps(request),
    )
    return run_action(
        request,
        session,
        fn,
        back="/office/matching",
        ok=("名单已导入企业档案", "the list was imported into the records"),
    )


# ------------------------------------------------------------------ officers: deliveries


@router.get("/office/notifications")
def deliveries_page(
    request: Request, state: str | None = None, user: Any = Depends(DISTRICT), session: Any = Depends(db)
) -> Response:
    rows = [inbox.view(n) for n in inbox.deliveries(session=session, actor=user, state=state or None)]
    return render(
        request,
        "office_notifications.html",
        {"rows": rows, "state": state or "", "smtp": bool(_settings(request).smtp_host), "flash": pop_flash(request)},
    )


@router.post("/office/notifications/dispatch", dependencies=[Depends(check_csrf_form)])
def deliveries_dispatch(request: Request, user: Any = Depends(DISTRICT), session: Any = Depends(db)) -> Response:
    def fn() -> dict:
        ps, st = _ps(request), _settings(request)
        notify.dispatch(session=session, actor=user, policies=ps, settings=st)
        notify.remind(session=session, actor=user, policies=ps, settings=st)
        return notify.deliver(session=session, actor=user, settings=st)

    return run_action(request, session, fn, back="/office/notifications", ok=("通知已分发", "notifications dispatched"))


@router.post("/office/notifications/{notification_id}/retry", dependencies=[Depends(check_csrf_form)])
def deliveries_retry(
    request: Request, notification_id: int, user: Any = Depends(DISTRICT), session: Any = Depends(db)
) -> Response:
    return run_action(
        request,
        session,
        lambda: inbox.retry_now(session=session, notification_id=notification_id, actor=user),
        back="/office/notifications",
        ok=("将在下次分发时重试", "will be retried at the next dispatch"),
    )
