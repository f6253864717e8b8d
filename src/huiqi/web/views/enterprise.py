"""Enterprise pages: my applications, apply from the self-check, upload materials, submit, follow."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from huiqi.api.routes.applications import material_response
from huiqi.api.routes.notices import visible_batches
from huiqi.api.security import check_csrf_form, DB
from huiqi.web.render import render
from huiqi.web.views.common import confirmed, flash, form_bool, page_user, pop_flash, run_action
from huiqi.workflow.applications import flows as application_flows
from huiqi.workflow.applications import service as applications
from huiqi.workflow.changes import service as changes
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.materials import service as materials
from huiqi.workflow.payments import service as payments
from huiqi.workflow import access, states
from huiqi.workflow.errors import NotFound, PermissionDenied, WorkflowError
from huiqi.workflow.rounds import service as rounds

router = APIRouter(include_in_schema=False)
ENT = page_user("page.my")


def _state(request: Request) -> Any:
    return request.app.state.huiqi


@router.get("/my")
def my_home(request: Request, user: Any = Depends(ENT), session: Any = DB) -> Response:
    ent = enterprises.get(session=session, enterprise_id=user.enterprise_id, actor=user)
    rows = [(a, ent) for a in applications.list_for(session=session, actor=user, newest_first=True)]
    open_rounds = sorted(rounds.list_all(session=session, actor=user, state="open"), key=lambda r: r.id)
    ps = _state(request).policies
    # what the enterprise can start: each open round's programmes, or the live application it has already
    offers = []
    for r in open_rounds:
        for pid in r.programmes or []:
            prog = ps.programme(pid)
            if prog is None:
                continue
            have = applications.live_for(session=session, actor=user, round_id=r.id, programme_id=pid, enterprise_id=user.enterprise_id) if prog.subject == "enterprise" else None
            offers.append({"round": r, "programme": prog, "existing": have})
    ctx = {"ent": ent, "rows": rows, "rounds": open_rounds, "offers": offers, "notices": visible_batches(session, user), "payments": payments.ledger(session=session, actor=user), "flash": pop_flash(request),
           "programmes_of": {a.id: a.programme_id for a, _e in rows}}
    return render(request, "my.html", ctx)


@router.post("/my/applications/new", dependencies=[Depends(check_csrf_form)])
async def new_application(request: Request, user: Any = Depends(ENT), session: Any = DB) -> Response:
    form = await request.form()
    programme = str(form.get("programme") or "")
    claim = str(form.get("claim") or "") or None
    try:
        profile = json.loads(str(form.get("profile") or "{}"))
    except json.JSONDecodeError:
        profile = {}
    round_id = form.get("round_id")
    if not round_id:
        r = next((r for r in sorted(rounds.list_all(session=session, actor=user, state="open"), key=lambda r: r.id) if programme in (r.programmes or [])), None)
        if r is None:
            flash(request, "err", f"{programme} 目前没有开放的申报批次", f"no round is open for {programme} at present", "round")
            return RedirectResponse("/my", status_code=303)
        round_id = r.id
    state = _state(request)
    rid = int(str(round_id)) if str(round_id).isdigit() else 0
    have = applications.live_for(session=session, actor=user, round_id=rid, programme_id=programme, enterprise_id=user.enterprise_id, claim_id=claim, profile=profile)
    if have is not None:
        return _duplicate(request, have)
    try:
        app = applications.create_draft(session=session, round_id=rid, enterprise_id=user.enterprise_id, programme_id=programme, profile=profile, claim_id=claim, actor=user, policies=state.policies)
        session.flush()
    except WorkflowError as exc:
        existing = _existing_from(exc)
        if existing is None or isinstance(exc, (NotFound, PermissionDenied)):
            err = exc  # the name `exc` is unbound once the except clause ends
            return run_action(request, session, lambda: _raise(err), back="/my")
        session.rollback()
        return _duplicate(request, applications.get(session=session, application_id=existing, actor=user))
    flash(request, "ok", "已创建申报草稿：请上传材料，检查后提交", "draft created: upload the materials, check them, then submit")
    return RedirectResponse(f"/my/applications/{app.id}", status_code=303)


def _raise(exc: Exception) -> Any:
    raise exc


def _existing_from(exc: Exception) -> int | None:
    """The id of the live application a duplicate refusal names, if it names one (the service's
    refusal carries it in its details)."""
    details = getattr(exc, "details", None)
    for d in details if isinstance(details, list) else [details]:
        if isinstance(d, dict):
            for key in ("existing", "existing_application", "existing_id", "application_id", "application"):
                v = d.get(key)
                if isinstance(v, dict):
                    v = v.get("id")
                if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
                    return int(v)
    return None


def _duplicate(request: Request, existing: Any) -> Response:
    """One live application per programme and claim per round: the refusal, with the way to the one there is."""
    return render(request, "duplicate.html", {"existing": existing}, status_code=409)


@router.get("/my/applications/{application_id}")
def my_application(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    a = application_flows.detail(session=session, application_id=application_id, actor=user, policies=request.app.state.huiqi.policies)
    return render(request, "application.html", {"a": a, "flash": pop_flash(request), "base": "/my/applications"})


@router.post("/my/applications/{application_id}/upload", dependencies=[Depends(check_csrf_form)])
async def my_upload(request: Request, application_id: int, material_id: str = Form(...), stamped: str = Form(""), file: UploadFile = File(...), user: Any = Depends(ENT), session: Any = DB) -> Response:
    state = _state(request)
    content = await file.read(state.settings.max_upload_bytes + 1)
    back = f"/my/applications/{application_id}"
    return run_action(request, session, lambda: _upload(session, user, state, application_id, material_id, file.filename or "upload", content, form_bool(stamped)), back=back, ok=("材料已上传", "material uploaded"))


def _upload(session: Any, user: Any, state: Any, application_id: int, material_id: str, filename: str, content: bytes, stamped: bool) -> Any:
    from huiqi.workflow.errors import InvalidInput

    limit = state.settings.max_upload_bytes
    if len(content) > limit:
        raise InvalidInput(f"文件过大：{len(content)} 字节，上限 {limit} 字节", f"file too large: {len(content)} bytes, the limit is {limit}", field="file")
    return materials.upload(session=session, application_id=application_id, material_id=material_id, filename=filename, content=content, actor=user, stamped=stamped, policies=state.policies, root=state.settings.storage_dir,
                            max_files=state.settings.max_files_per_item)


@router.get("/my/applications/{application_id}/review")
def my_review(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    """Check before submitting: what is applied for, the materials uploaded and missing, and what
    submitting does (the evaluation is frozen, materials can no longer change)."""
    a = application_flows.detail(session=session, application_id=application_id, actor=user, policies=_state(request).policies)
    return render(request, "review.html", {"a": a, "flash": pop_flash(request)})


@router.post("/my/applications/{application_id}/submit", dependencies=[Depends(check_csrf_form)])
async def my_submit(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    state = _state(request)
    form = await request.form()
    if not confirmed(form):
        return RedirectResponse(f"/my/applications/{application_id}/review", status_code=303)
    return run_action(request, session, lambda: applications.submit(session=session, application_id=application_id, actor=user, policies=state.policies), back=f"/my/applications/{application_id}", ok=("已提交，测算结果已冻结", "submitted; the evaluation is frozen"))


@router.post("/my/applications/{application_id}/withdraw", dependencies=[Depends(check_csrf_form)])
async def my_withdraw(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    form = await request.form()
    if not confirmed(form):
        from huiqi.web.views.common import confirm_page

        a = applications.get(session=session, application_id=application_id, actor=user)
        access.authorize(user, "application.withdraw")
        from huiqi.web.i18n import pick
        from huiqi.web.render import _programme_namer, page_lang

        facts = [(("项目", "Programme"), _programme_namer(request, page_lang(request))(a.programme_id)), (("状态", "State"), pick(states.APPLICATION.state(a.state).zh, states.APPLICATION.state(a.state).en, page_lang(request)))]
        return confirm_page(request, title=("确认撤回申报", "Confirm withdrawing"), lead=("撤回后这份申报终止办理，不能恢复；如需申报，须重新建立。", "A withdrawn application ends and cannot be restored; to apply again, start a new one."),
                            action=f"/my/applications/{application_id}/withdraw", form=form, button=("确认撤回", "Withdraw"), facts=facts, back=f"/my/applications/{application_id}")
    return run_action(request, session, lambda: applications.withdraw(session=session, application_id=application_id, actor=user, reason=str(form.get("reason") or "") or None), back=f"/my/applications/{application_id}", ok=("已撤回", "withdrawn"))


@router.post("/my/applications/{application_id}/progress", dependencies=[Depends(check_csrf_form)])
async def my_progress(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: changes.report_progress(session=session, application_id=application_id, period=str(f.get("period") or ""), progress=str(f.get("progress") or ""), funds_used=str(f.get("funds_used") or "") or None, actor=user), back=f"/my/applications/{application_id}", ok=("进展已报告", "progress reported"))


@router.post("/my/applications/{application_id}/change", dependencies=[Depends(check_csrf_form)])
async def my_change(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    f = await request.form()
    state = _state(request)
    return run_action(request, session, lambda: changes.request_change(session=session, application_id=application_id, kind=str(f.get("kind") or ""), description=str(f.get("description") or ""), before=str(f.get("before") or "") or None, after=str(f.get("after") or "") or None, structure_change=_ratio(str(f.get("structure_change_pct") or "")) or str(f.get("structure_change") or "") or None, actor=user, policies=state.policies), back=f"/my/applications/{application_id}", ok=("变更已报告", "change reported"))


def _ratio(pct: str) -> str | None:
    """A percentage typed on the page (50 or 50%) as the ratio the service takes (0.5); bad text is passed on."""
    from decimal import Decimal, InvalidOperation

    raw = pct.replace("%", "").replace("％", "").strip()
    if not raw:
        return None
    try:
        return str(Decimal(raw) / 100)
    except InvalidOperation:
        return raw


@router.get("/files/{application_id}/{file_id}")
def download(request: Request, application_id: int, file_id: int, user: Any = Depends(page_user()), session: Any = DB) -> Response:
    """Uploaded materials: only to users who may see the application (404 otherwise)."""
    return material_response(session, user, request.app.state.huiqi.settings, application_id, file_id)
