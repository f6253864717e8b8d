"""Enterprise records (企业档案): the facts known about an enterprise, their sources and history;
corrections (an enterprise's own are marked self-declared); officers' imports of fact lists."""

from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep, SettingsDep
from huiqi.api.routes.common import DATE_PATTERN, READ, TOO_LARGE, WRITE
from huiqi.api.routes.imports import read_upload
from huiqi.workflow.records import service as records

router = APIRouter(tags=["records 企业档案"])


class Correction(BaseModel):
    facts: dict[str, Any] = Field(
        ..., description="fact path → value (empty: withdrawn, unknown again)", max_length=200
    )
    note: Optional[str] = Field(None, max_length=1000)
    on: Optional[str] = Field(None, pattern=DATE_PATTERN)


@router.get(
    "/enterprises/{enterprise_id}/record",
    summary="企业档案 / an enterprise's record",
    response_model=schemas.EnterpriseRecord,
    responses=READ,
)
def get_record(enterprise_id: int, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    return records.record(session=session, enterprise_id=enterprise_id, actor=user, policies=ps)


@router.get(
    "/enterprises/{enterprise_id}/record/history",
    summary="档案的全部版本 / every version of the record's facts",
    response_model=list[schemas.RecordFact],
    responses=READ,
)
def get_history(
    enterprise_id: int, session: SessionDep, user: CurrentUser, ps: PoliciesDep, fact: Optional[str] = None
) -> list[dict]:
    return records.history(session=session, enterprise_id=enterprise_id, actor=user, fact=fact, policies=ps)


@router.post(
    "/enterprises/{enterprise_id}/record",
    summary="更正档案（企业自行更正记为自述）/ correct the record",
    status_code=201,
    response_model=list[schemas.EnterpriseFactRecord],
    responses=WRITE,
)
def correct_record(
    enterprise_id: int, body: Correction, session: SessionDep, user: CurrentUser, ps: PoliciesDep
) -> list[dict]:
    from huiqi.workflow.common import row_dict

    rows = records.correct(
        session=session,
        enterprise_id=enterprise_id,
        facts=body.facts,
        note=body.note,
        on=body.on,
        actor=user,
        policies=ps,
    )
    return [row_dict(r) for r in rows]


@router.post(
    "/imports/facts",
    summary="导入名单至企业档案（高新技术企业、专精特新、纳税与营收档次、GCP 认证等）/ import a fact list",
    status_code=201,
    response_model=schemas.FactImport,
    responses={**WRITE, **TOO_LARGE},
)
async def import_facts(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    ps: PoliciesDep,
    list_name: str = Form(..., max_length=200),
    as_of: Optional[str] = Form(None, pattern=DATE_PATTERN),
    file: UploadFile = File(...),
) -> dict:
    content = await read_upload(settings, file)
    run = records.import_facts(
        session=session,
        path=file.filename or "list.csv",
        content=content,
        list_name=list_name,
        on=as_of,
        actor=user,
        policies=ps,
    )
    return {"id": run.id, "filename": run.filename, "rows": run.rows, "changed": run.changed, "unchanged": run.skipped}


class SelfCheckIn(BaseModel):
    profile: dict[str, Any] = Field(..., description="a self-check's profile (enterprise facts and claims)")


@router.post(
    "/record/selfcheck",
    summary="把自测信息存入本企业档案 / keep a self-check in my record",
    status_code=201,
    response_model=list[schemas.EnterpriseFactRecord],
    responses=WRITE,
)
def save_selfcheck(body: SelfCheckIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> list[dict]:
    from huiqi.workflow.common import row_dict

    return [row_dict(r) for r in records.save_selfcheck(session=session, actor=user, profile=body.profile, policies=ps)]
