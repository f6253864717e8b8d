"""Decisions (立项): approve at an amount, decline, the credit override, confirming a 免申即享 grant."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, SessionDep
from huiqi.api.routes.common import DATE_PATTERN, WRITE, Date
from huiqi.workflow.common import row_dict
from huiqi.workflow.credit import service as credit
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.decisions import service as decisions
from huiqi.workflow.imports import service as imports

router = APIRouter(tags=["decisions 立项"])


class ApproveIn(BaseModel):
    amount: str = Field(..., max_length=30, description="元 / yuan")
    reason: Optional[str] = Field(None, max_length=2000)
    on: Date = Field(None, pattern=DATE_PATTERN)


class RequiredReasonIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000)


class CreditOverrideIn(BaseModel):
    reason: str = Field(
        ...,
        min_length=1,
        max_length=2000,
        description="同意支持的书面理由 / the written reason for supporting the applicant",
    )
    on: Date = Field(None, pattern=DATE_PATTERN)


class ConfirmIn(BaseModel):
    amount: Optional[str] = Field(None, max_length=30)
    reason: Optional[str] = Field(None, max_length=2000)


@router.post(
    "/applications/{application_id}/approve",
    summary="立项（核定金额）/ approve at an amount",
    response_model=schemas.Decision,
    responses=WRITE,
)
def approve(application_id: int, body: ApproveIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        decision_flows.approve(
            session=session,
            application_id=application_id,
            amount=body.amount,
            actor=user,
            reason=body.reason,
            on=body.on,
        )
    )


@router.post(
    "/applications/{application_id}/credit-override",
    summary="信用审查：登记同意支持的书面理由（原则上不予支持）/ record a credit override",
    status_code=201,
    response_model=schemas.CreditOverride,
    responses=WRITE,
)
def credit_override(application_id: int, body: CreditOverrideIn, session: SessionDep, user: CurrentUser) -> dict:
    from huiqi.workflow.common import parse_day

    on = parse_day(body.on, field="on") if body.on else None
    return row_dict(
        credit.override(session=session, application_id=application_id, actor=user, reason=body.reason, on=on)
    )


@router.post(
    "/applications/{application_id}/decline",
    summary="不予立项 / decline",
    response_model=schemas.Decision,
    responses=WRITE,
)
def decline(application_id: int, body: RequiredReasonIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(decisions.decline(session=session, application_id=application_id, actor=user, reason=body.reason))


@router.post(
    "/applications/{application_id}/confirm",
    tags=["imports 导入"],
    summary="确认免申即享 / confirm a grant without application",
    response_model=schemas.Decision,
    responses=WRITE,
)
def confirm(application_id: int, body: ConfirmIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        imports.confirm(
            session=session, application_id=application_id, actor=user, amount=body.amount, reason=body.reason
        )
    )
