"""Applications (申报): list, draft, detail, materials (upload, list, download), submit, withdraw."""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep, SettingsDep
from huiqi.api.errors import ApiError
from huiqi.api.routes.common import DATE_PATTERN, Date, R401, R422, READ, TOO_LARGE, WRITE
from huiqi.workflow.applications import flows as application_flows
from huiqi.workflow.applications import service as applications
from huiqi.workflow.common import row_dict
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.materials import service as materials

router = APIRouter(tags=["applications 申报"])


class DraftIn(BaseModel):
    round_id: int = Field(..., ge=1, le=2**31 - 1)
    programme: str = Field(..., min_length=1, max_length=50)
    profile: dict = Field(..., description="企业画像 / the enterprise profile (see POST /match)")
    claim: Optional[str] = Field(None, max_length=100)
    requested_amount: Optional[str] = Field(None, max_length=30, description="元 / yuan")
    project: Optional[str] = Field(None, max_length=200, description="the project's identity (同一项目)")
    enterprise_id: Optional[int] = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="officers only (offline submissions); an enterprise user applies for its own",
    )


class SubmitIn(BaseModel):
    on: Date = Field(None, pattern=DATE_PATTERN)


class ReasonIn(BaseModel):
    reason: Optional[str] = Field(None, max_length=2000)


def detail(session, user, ps, application_id: int) -> dict:  # noqa: ANN001
    return application_flows.detail(session=session, application_id=application_id, actor=user, policies=ps)


@router.get(
    "/applications",
    summary="可见的申报（按阶段、镇/园区筛选）/ visible applications, by stage and town",
    response_model=list[schemas.ApplicationListItem],
    responses={**R401, **R422},
)
def list_applications(
    session: SessionDep,
    user: CurrentUser,
    state: Optional[str] = Query(None, max_length=30),
    stage: Optional[str] = Query(None, max_length=30),
    town: Optional[str] = Query(None, max_length=50),
    round_id: Optional[int] = Query(None, ge=1, le=2**31 - 1),
    programme: Optional[str] = Query(None, max_length=50),
) -> list[dict]:
    apps = applications.list_for(
        session=session,
        actor=user,
        state=state,
        stage=stage,
        town=town,
        round_id=round_id,
        programme_id=programme,
        newest_first=True,
        limit=500,
    )
    out = []
    for a in apps:
        e = session.get(Enterprise, a.enterprise_id)
        out.append(applications.summary(a) | {"enterprise_name": e.name, "town": e.town})
    return out


@router.post(
    "/applications",
    summary="新建申报草稿 / start a draft",
    status_code=201,
    response_model=schemas.ApplicationDetail, response_model_exclude_unset=True,
    responses=WRITE,
)
def create_application(body: DraftIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    enterprise_id = body.enterprise_id if body.enterprise_id is not None else user.enterprise_id
    if enterprise_id is None:
        raise ApiError(422, "须指定企业", "an enterprise is required", field="enterprise_id")
    app = applications.create_draft(
        session=session,
        round_id=body.round_id,
        enterprise_id=enterprise_id,
        programme_id=body.programme,
        profile=body.profile,
        actor=user,
        claim_id=body.claim or None,
        requested_amount=body.requested_amount,
        policies=ps,
        project=body.project,
    )
    return detail(session, user, ps, app.id)


@router.get(
    "/applications/{application_id}",
    summary="申报详情（冻结的测算、材料、记录）/ one application",
    response_model=schemas.ApplicationDetail, response_model_exclude_unset=True,
    responses=READ,
)
def get_application(application_id: int, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    return detail(session, user, ps, application_id)


@router.post(
    "/applications/{application_id}/materials",
    summary="上传材料 / upload a material",
    status_code=201,
    response_model=schemas.MaterialFile,
    responses={**WRITE, **TOO_LARGE},
)
async def upload_material(
    application_id: int,
    session: SessionDep,
    user: CurrentUser,
    ps: PoliciesDep,
    settings: SettingsDep,
    material_id: str = Form(..., max_length=100),
    stamped: bool = Form(False),
    file: UploadFile = File(...),
) -> dict:
    limit = settings.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(
            413,
            f"文件过大：{len(content)} 字节，上限 {limit} 字节",
            f"file too large: {len(content)} bytes, the limit is {limit}",
            field="file",
        )
    if not content:
        raise ApiError(422, "文件为空", "the file is empty", field="file")
    f = materials.upload(
        session=session,
        application_id=application_id,
        material_id=material_id,
        filename=file.filename or "upload",
        content=content,
        actor=user,
        stamped=stamped,
        policies=ps,
        root=settings.storage_dir,
        max_files=settings.max_files_per_item,
    )
    return row_dict(f)


@router.get(
    "/applications/{application_id}/materials",
    summary="材料清单、已上传、尚缺 / checklist, uploads, missing",
    response_model=schemas.Materials,
    responses=READ,
)
def list_materials(application_id: int, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    return {
        "checklist": materials.checklist(session=session, application_id=application_id, actor=user, policies=ps),
        "files": [row_dict(f) for f in materials.files(session=session, application_id=application_id, actor=user)],
        "missing": materials.missing(session=session, application_id=application_id, actor=user, policies=ps),
    }


@router.get(
    "/applications/{application_id}/materials/{file_id}",
    summary="下载材料 / download a material",
    responses={**READ, 200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
)
def download_material(
    application_id: int, file_id: int, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> Response:
    return material_response(session, user, settings, application_id, file_id)


def material_response(session, user, settings, application_id: int, file_id: int) -> Response:  # noqa: ANN001
    """An uploaded material, to a user who may see its application (the pages use it too)."""
    f, data = materials.file(
        session=session, application_id=application_id, file_id=file_id, actor=user, root=settings.storage_dir
    )
    return Response(
        data,
        media_type=f.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(f.filename)}",
            "Cache-Control": "private, no-store",
        },
    )


@router.post(
    "/applications/{application_id}/submit",
    summary="提交申报（冻结测算结果）/ submit (freezes the evaluation)",
    response_model=schemas.ApplicationDetail, response_model_exclude_unset=True,
    responses=WRITE,
)
def submit(application_id: int, body: SubmitIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    from huiqi.workflow.common import parse_day

    on = parse_day(body.on, field="on") if body.on else None
    app = applications.submit(session=session, application_id=application_id, actor=user, on=on, policies=ps)
    return detail(session, user, ps, app.id)


@router.post(
    "/applications/{application_id}/withdraw",
    summary="撤回 / withdraw",
    response_model=schemas.ApplicationSummary,
    responses=WRITE,
)
def withdraw(application_id: int, body: ReasonIn, session: SessionDep, user: CurrentUser) -> dict:
    return applications.summary(
        applications.withdraw(session=session, application_id=application_id, actor=user, reason=body.reason)
    )
