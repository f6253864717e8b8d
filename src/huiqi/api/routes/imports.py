"""Imports (导入): serious-dishonesty records, 免申即享 lists — into the officer's district."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, UploadFile

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep, SettingsDep
from huiqi.api.errors import ApiError
from huiqi.api.routes.common import TOO_LARGE, WRITE
from huiqi.workflow.applications import service as applications
from huiqi.workflow.common import row_dict
from huiqi.workflow.imports import service as imports

router = APIRouter(tags=["imports 导入"])


async def read_upload(settings, file: UploadFile) -> bytes:  # noqa: ANN001
    """An import file's content: at most the upload limit, .csv or .xlsx (the pages use it too)."""
    limit = settings.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, f"文件过大，上限 {limit} 字节", f"file too large; the limit is {limit} bytes", field="file")
    name = (file.filename or "").lower()
    if not name.endswith((".csv", ".xlsx")):
        raise ApiError(415, "只接受 .csv 或 .xlsx 文件", "only .csv or .xlsx files are accepted", field="file")
    return content


@router.post(
    "/imports/credit",
    summary="导入严重失信名单（CSV/xlsx）/ import credit records",
    status_code=201,
    response_model=schemas.ImportRun,
    responses={**WRITE, **TOO_LARGE},
)
async def import_credit(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, file: UploadFile = File(...)
) -> dict:
    content = await read_upload(settings, file)
    return row_dict(
        imports.import_credit(session=session, path=file.filename or "credit.csv", content=content, actor=user)
    )


@router.post(
    "/imports/automatic",
    summary="导入免申即享名单 / import a grant-without-application list",
    status_code=201,
    response_model=list[schemas.ApplicationSummary],
    responses={**WRITE, **TOO_LARGE},
)
async def import_automatic(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    ps: PoliciesDep,
    programme: str = Form(..., max_length=50),
    year: int = Form(..., ge=2000, le=2100),
    file: UploadFile = File(...),
) -> list[dict]:
    content = await read_upload(settings, file)
    apps = imports.import_automatic(
        session=session,
        path=file.filename or "list.csv",
        content=content,
        programme_id=programme,
        year=year,
        actor=user,
        policies=ps,
    )
    return [applications.summary(a) for a in apps]
