"""After approval (项目管理): progress, changes, revocation, claw-back."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep
from huiqi.api.routes.common import DATE_PATTERN, LIST, WRITE, Date
from huiqi.workflow.awards import service as awards
from huiqi.workflow.changes import flows as change_flows
from huiqi.workflow.changes import service as changes
from huiqi.workflow.common import row_dict
from huiqi.workflow.payments import flows as payment_flows

router = APIRouter(tags=["changes 变更"])


class ProgressIn(BaseModel):
    period: str = Field(..., min_length=1, max_length=50)
    progress: str = Field(..., min_length=1, max_length=4000)
    funds_used: Optional[str] = Field(None, max_length=30)


class ChangeIn(BaseModel):
    kind: str = Field(..., min_length=1, max_length=50)
    description: str = Field(..., min_length=1, max_length=4000)
    before: Optional[str] = Field(None, max_length=30)
    after: Optional[str] = Field(None, max_length=30)
    structure_change: Optional[str] = Field(None, max_length=30)
    new_due: Date = Field(None, pattern=DATE_PATTERN, description="延期: the completion date asked for")


class CompletionIn(BaseModel):
    due_on: Date = Field(None, pattern=DATE_PATTERN, description="the approved completion date (once)")
    completed_on: Date = Field(None, pattern=DATE_PATTERN)


class DecideIn(BaseModel):
    approve: bool
    reason: str = Field(..., min_length=1, max_length=2000)


class RevokeIn(BaseModel):
    ground: str = Field(..., min_length=1, max_length=50)
    reason: str = Field(..., min_length=1, max_length=2000)
    planned_investment: Optional[str] = Field(None, max_length=30)
    audited_investment: Optional[str] = Field(None, max_length=30)
    claw_back: bool = True


class RecoveryIn(BaseModel):
    on: Date = Field(None, pattern=DATE_PATTERN)


@router.post(
    "/applications/{application_id}/progress",
    summary="报告进展 / report progress",
    status_code=201,
    response_model=schemas.ProgressReport,
    responses=WRITE,
)
def progress(application_id: int, body: ProgressIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        changes.report_progress(
            session=session,
            application_id=application_id,
            period=body.period,
            progress=body.progress,
            actor=user,
            funds_used=body.funds_used,
        )
    )


@router.post(
    "/applications/{application_id}/changes",
    summary="申报项目变更 / report a change",
    status_code=201,
    response_model=schemas.ChangeRequest,
    responses=WRITE,
)
def request_change(
    application_id: int, body: ChangeIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep
) -> dict:
    return row_dict(
        changes.request_change(
            session=session, application_id=application_id, actor=user, policies=ps, **body.model_dump()
        )
    )


@router.post(
    "/applications/{application_id}/revoke",
    summary="撤销项目 / revoke",
    response_model=schemas.Revocation,
    responses=WRITE,
)
def revoke(application_id: int, body: RevokeIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    return row_dict(
        change_flows.revoke(
            session=session, application_id=application_id, actor=user, policies=ps, **body.model_dump()
        )
    )


@router.post(
    "/applications/{application_id}/completion",
    summary="登记批准的完成期限或完成日期 / record the approved completion date or completion",
    response_model=schemas.Award,
    responses=WRITE,
)
def completion(application_id: int, body: CompletionIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        awards.set_completion(
            session=session, application_id=application_id, due_on=body.due_on, completed_on=body.completed_on, actor=user
        )
    )


@router.get(
    "/awards",
    tags=["decisions 立项"],
    summary="已享受支持台账 / the awards ledger",
    response_model=list[schemas.Award],
    responses=LIST,
)
def list_awards(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [row_dict(a) for a in awards.list_for(session=session, actor=user)]


@router.get(
    "/changes", summary="变更申请 / change requests", response_model=list[schemas.ChangeRequest], responses=LIST
)
def list_changes(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [row_dict(c) for c in changes.changes(session=session, actor=user)]


@router.post(
    "/changes/{change_id}/decide",
    summary="书面同意或不同意变更 / decide a change",
    response_model=schemas.ChangeRequest,
    responses=WRITE,
)
def decide_change(change_id: int, body: DecideIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        changes.decide_change(
            session=session, change_id=change_id, approve=body.approve, reason=body.reason, actor=user
        )
    )


@router.post(
    "/receivables/{receivable_id}/recovered",
    summary="登记已收回 / mark a claw-back recovered",
    response_model=schemas.Receivable,
    responses=WRITE,
)
def recovered(receivable_id: int, body: RecoveryIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(payment_flows.record_recovery(session=session, receivable_id=receivable_id, actor=user, on=body.on))
