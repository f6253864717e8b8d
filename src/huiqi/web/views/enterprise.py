"""Enterprise pages: my applications, apply from the self-check, upload materials, submit, follow."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from huiqi.api import access, actions
from huiqi.api.errors import ApiError
from huiqi.api.routers.workflow import material_response, notices_visible
from huiqi.api.security import check_csrf_form, db
from huiqi.web.render import render
from huiqi.web.views.common import flash, form_bool, page_user, pop_flash, run_action

router = APIRouter(include_in_schema=False)
ENT = page_user("enterprise")


def _state(request: Request) -> Any:
    return request.app.state.huiqi


@router.get("/my")
def my_home(request: Request, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.enterprises.models import Enterprise
    from huiqi.workflow.payments.models import Payment
    from huiqi.workflow.rounds.models import Round

    ent = session.get(Enterprise, user.enterprise_id)
    rows = actions.list_applications(session, user)
    rounds = list(session.execute(select(Round).where(Round.state == "open").order_by(Round.id)).scalars())
    ids = [a.id for a, _ in rows]
    payments = list(session.execute(select(Payment).where(Payment.application_id.in_(ids or [-1])).order_by(Payment.id)).scalars())
    return render(request, "my.html", {"ent": ent, "rows": rows, "rounds": rounds, "notices": notices_visible(session, user), "payments": payments, "flash": pop_flash(request)})


@router.post("/my/applications/new", dependencies=[Depends(check_csrf_form)])
async def new_application(request: Request, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.rounds.models import Round

    form = await request.form()
    programme = str(form.get("programme") or "")
    claim = str(form.get("claim") or "") or None
    try:
        profile = json.loads(str(form.get("profile") or "{}"))
    except json.JSONDecodeError:
        profile = {}
    round_id = form.get("round_id")
    if not round_id:
        r = next((r for r in session.execute(select(Round).where(Round.state == "open").order_by(Round.id)).scalars() if programme in (r.programmes or [])), None)
        if r is None:
            flash(request, "err", f"{programme} 目前没有开放的申报批次", f"no round is open for {programme} at present", "round")
            return RedirectResponse("/my", status_code=303)
        round_id = r.id
    state = _state(request)
    return run_action(
        request, session,
        lambda: actions.create_draft(session, user, state.policies, round_id=int(round_id), programme=programme, profile=profile, claim=claim),
        back="/my", ok=("已创建申报草稿，请上传材料后提交", "draft created: upload the materials, then submit"),
        then=lambda app: f"/my/applications/{app.id}",
    )


@router.get("/my/applications/{application_id}")
def my_application(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    app = access.application_for(session, user, application_id)
    return render(request, "application.html", {"a": actions.application_detail(session, user, app, request.app.state.huiqi.policies), "flash": pop_flash(request), "base": "/my/applications"})


@router.post("/my/applications/{application_id}/upload", dependencies=[Depends(check_csrf_form)])
async def my_upload(request: Request, application_id: int, material_id: str = Form(...), stamped: str = Form(""), file: UploadFile = File(...), user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    state = _state(request)
    content = await file.read(state.settings.max_upload_bytes + 1)
    back = f"/my/applications/{application_id}"
    return run_action(request, session, lambda: actions.upload(session, user, state.policies, state.settings, application_id=application_id, material_id=material_id, filename=file.filename or "upload", content=content, stamped=form_bool(stamped)), back=back, ok=("材料已上传", "material uploaded"))


@router.post("/my/applications/{application_id}/submit", dependencies=[Depends(check_csrf_form)])
def my_submit(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    state = _state(request)
    return run_action(request, session, lambda: actions.submit(session, user, state.policies, application_id=application_id), back=f"/my/applications/{application_id}", ok=("已提交，测算结果已冻结", "submitted; the evaluation is frozen"))


@router.post("/my/applications/{application_id}/withdraw", dependencies=[Depends(check_csrf_form)])
async def my_withdraw(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    form = await request.form()
    return run_action(request, session, lambda: actions.withdraw(session, user, application_id=application_id, reason=str(form.get("reason") or "") or None), back=f"/my/applications/{application_id}", ok=("已撤回", "withdrawn"))


@router.post("/my/applications/{application_id}/progress", dependencies=[Depends(check_csrf_form)])
async def my_progress(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: actions.report_progress(session, user, application_id=application_id, period=str(f.get("period") or ""), progress=str(f.get("progress") or ""), funds_used=str(f.get("funds_used") or "") or None), back=f"/my/applications/{application_id}", ok=("进展已报告", "progress reported"))


@router.post("/my/applications/{application_id}/change", dependencies=[Depends(check_csrf_form)])
async def my_change(request: Request, application_id: int, user: Any = Depends(ENT), session: Any = Depends(db)) -> Response:
    f = await request.form()
    state = _state(request)
    return run_action(request, session, lambda: actions.request_change(session, user, state.policies, application_id=application_id, kind=str(f.get("kind") or ""), description=str(f.get("description") or ""), before=str(f.get("before") or "") or None, after=str(f.get("after") or "") or None, structure_change=str(f.get("structure_change") or "") or None), back=f"/my/applications/{application_id}", ok=("变更已报告", "change reported"))


@router.get("/files/{application_id}/{file_id}")
def download(request: Request, application_id: int, file_id: int, user: Any = Depends(page_user()), session: Any = Depends(db)) -> Response:
    """Uploaded materials: only to users who may see the application (404 otherwise)."""
    return material_response(request, session, user, application_id, file_id)
