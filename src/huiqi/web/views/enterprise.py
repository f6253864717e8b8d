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
from huiqi.web.views.common import flash, form_bool, page_user, pop_flash, run_action
from huiqi.workflow.applications import flows as application_flows
from huiqi.workflow.applications import service as applications
from huiqi.workflow.changes import service as changes
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.materials import service as materials
from huiqi.workflow.payments import service as payments
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
    ctx = {"ent": ent, "rows": rows, "rounds": open_rounds, "notices": visible_batches(session, user), "payments": payments.ledger(session=session, actor=user), "flash": pop_flash(request)}
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
    return run_action(
        request, session,
        lambda: applications.create_draft(session=session, round_id=int(round_id), enterprise_id=user.enterprise_id, programme_id=programme, profile=profile, claim_id=claim, actor=user, policies=state.policies),
        back="/my", ok=("已创建申报草稿，请上传材料后提交", "draft created: upload the materials, then submit"),
        then=lambda app: f"/my/applications/{app.id}",
    )


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


@router.post("/my/applications/{application_id}/submit", dependencies=[Depends(check_csrf_form)])
def my_submit(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    state = _state(request)
    return run_action(request, session, lambda: applications.submit(session=session, application_id=application_id, actor=user, policies=state.policies), back=f"/my/applications/{application_id}", ok=("已提交，测算结果已冻结", "submitted; the evaluation is frozen"))


@router.post("/my/applications/{application_id}/withdraw", dependencies=[Depends(check_csrf_form)])
async def my_withdraw(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    form = await request.form()
    return run_action(request, session, lambda: applications.withdraw(session=session, application_id=application_id, actor=user, reason=str(form.get("reason") or "") or None), back=f"/my/applications/{application_id}", ok=("已撤回", "withdrawn"))


@router.post("/my/applications/{application_id}/progress", dependencies=[Depends(check_csrf_form)])
async def my_progress(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: changes.report_progress(session=session, application_id=application_id, period=str(f.get("period") or ""), progress=str(f.get("progress") or ""), funds_used=str(f.get("funds_used") or "") or None, actor=user), back=f"/my/applications/{application_id}", ok=("进展已报告", "progress reported"))


@router.post("/my/applications/{application_id}/change", dependencies=[Depends(check_csrf_form)])
async def my_change(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = DB) -> Response:
    f = await request.form()
    state = _state(request)
    return run_action(request, session, lambda: changes.request_change(session=session, application_id=application_id, kind=str(f.get("kind") or ""), description=str(f.get("description") or ""), before=str(f.get("before") or "") or None, after=str(f.get("after") or "") or None, structure_change=str(f.get("structure_change") or "") or None, actor=user, policies=state.policies), back=f"/my/applications/{application_id}", ok=("变更已报告", "change reported"))


@router.get("/files/{application_id}/{file_id}")
def download(request: Request, application_id: int, file_id: int, user: Any = Depends(page_user()), session: Any = DB) -> Response:
    """Uploaded materials: only to users who may see the application (404 otherwise)."""
    return material_response(session, user, request.app.state.huiqi.settings, application_id, file_id)
