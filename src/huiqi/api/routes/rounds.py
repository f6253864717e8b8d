"""Rounds (申报批次): list, create, open, close, budget; shortlisting on merit (择优)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep
from huiqi.api.routes.common import DATE_PATTERN, Date, R401, R422, WRITE
from huiqi.workflow.applications import service as applications
from huiqi.workflow.common import plain, row_dict
from huiqi.workflow.reviews import flows as review_flows
from huiqi.workflow.rounds import flows as round_flows
from huiqi.workflow.rounds import service as rounds

router = APIRouter(tags=["rounds 申报批次"])


class RoundIn(BaseModel):
    code: str = Field(..., min_length=1, max_length=50)
    name: str = Field(..., min_length=1, max_length=200)
    programmes: list[str] = Field(..., min_length=1, max_length=100)
    year: int = Field(..., ge=2000, le=2100)
    opens_on: str = Field(..., pattern=DATE_PATTERN)
    closes_on: str = Field(..., pattern=DATE_PATTERN)
    period_start: Date = Field(None, pattern=DATE_PATTERN)
    period_end: Date = Field(None, pattern=DATE_PATTERN)
    budget: Optional[str] = Field(None, max_length=30)
    district: Optional[str] = Field(
        None, max_length=50, description="the programmes' document decides it; if given it must match"
    )
    notice_working_days: Optional[int] = Field(
        None, ge=1, le=60, description="公示期限（工作日）set by the year's call where the policy gives none"
    )
    notice_basis: Optional[str] = Field(None, max_length=300, description="where the call says it")


class NoticeDaysIn(BaseModel):
    days: Optional[int] = Field(None, ge=1, le=60, description="working days; null clears it")
    basis: Optional[str] = Field(None, max_length=300, description="e.g. the year's call's document number")


class BudgetIn(BaseModel):
    budget: Optional[str] = Field(None, max_length=30, description="元 / yuan; empty: no budget")
    reason: str = Field(..., min_length=1, max_length=2000)


class ShortlistIn(BaseModel):
    min_score: Optional[str] = Field(None, max_length=10)


@router.get("/rounds", summary="申报批次 / rounds", response_model=list[schemas.Round], responses={**R401, **R422})
def list_rounds(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [row_dict(r) for r in rounds.list_all(session=session, actor=user)]


@router.post(
    "/rounds", summary="新建批次 / create a round", status_code=201, response_model=schemas.Round, responses=WRITE
)
def create_round(body: RoundIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    return row_dict(rounds.create(session=session, actor=user, policies=ps, **body.model_dump()))


@router.post(
    "/rounds/{round_id}/open", summary="开放申报 / open a round", response_model=schemas.Round, responses=WRITE
)
def open_round(round_id: int, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(rounds.open_round(session=session, round_id=round_id, actor=user))


@router.post(
    "/rounds/{round_id}/budget",
    summary="调整预算（须写明理由）/ change a round's budget",
    response_model=schemas.RoundWithCommitments,
    responses=WRITE,
)
def set_budget(round_id: int, body: BudgetIn, session: SessionDep, user: CurrentUser) -> dict:
    r = round_flows.set_budget(
        session=session, round_id=round_id, budget=body.budget or None, actor=user, reason=body.reason
    )
    return row_dict(r) | {"commitments": plain(round_flows.commitments(session=session, round_id=r.id, actor=user))}


@router.post(
    "/rounds/{round_id}/notice-days",
    summary="设定公示期限（年度申报通知）/ set the notice length the year's call gives",
    response_model=schemas.Round,
    responses=WRITE,
)
def set_notice_days(round_id: int, body: NoticeDaysIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(rounds.set_notice_days(session=session, round_id=round_id, days=body.days, basis=body.basis, actor=user))


@router.post(
    "/rounds/{round_id}/close", summary="截止申报 / close a round", response_model=schemas.Round, responses=WRITE
)
def close_round(round_id: int, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(rounds.close_round(session=session, round_id=round_id, actor=user))


@router.post(
    "/rounds/{round_id}/shortlist",
    tags=["reviews 评审"],
    summary="择优拟立项 / shortlist by merit within the budget",
    response_model=list[schemas.ApplicationSummary],
    responses=WRITE,
)
def shortlist(round_id: int, body: ShortlistIn, session: SessionDep, user: CurrentUser) -> list[dict]:
    return [
        applications.summary(a)
        for a in review_flows.shortlist(session=session, round_id=round_id, actor=user, min_score=body.min_score)
    ]
