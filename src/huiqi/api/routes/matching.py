"""Proactive matching (政策找企业): the enterprises of the register found eligible or one or two
facts away per programme; an officer's run; a 免申即享 programme's eligible list → proposed grants."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep
from huiqi.api.routes.common import DATE_PATTERN, LIST, WRITE
from huiqi.workflow.applications import service as applications
from huiqi.workflow.common import parse_day
from huiqi.workflow.matching import flows as matching
from huiqi.workflow.matching import service as matches

router = APIRouter(tags=["matching 政策匹配"])


class RunIn(BaseModel):
    district: Optional[str] = Field(None, max_length=50, description="an officer: its own")
    programmes: Optional[list[str]] = Field(None, max_length=100)
    on: Optional[str] = Field(None, pattern=DATE_PATTERN)


class ProposeIn(BaseModel):
    year: int = Field(..., ge=2000, le=2100)
    on: Optional[str] = Field(None, pattern=DATE_PATTERN)


@router.get(
    "/matches",
    summary="匹配结果：符合条件或差一两项信息的企业 / matches",
    response_model=list[schemas.MatchRow],
    responses=LIST,
)
def list_matches(
    session: SessionDep,
    user: CurrentUser,
    programme: Optional[str] = None,
    status: Optional[str] = None,
) -> list[dict]:
    return matches.results(session=session, actor=user, programme_id=programme, status=status)


@router.post(
    "/matches/run",
    summary="对本区企业名录运行匹配 / match the district's register",
    response_model=dict[str, schemas.MatchFound],
    responses=WRITE,
)
def run_matching(body: RunIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    on = parse_day(body.on, field="on") if body.on else None
    return matching.run_register(
        session=session, actor=user, district=body.district, programme_ids=body.programmes, on=on, policies=ps
    )


@router.post(
    "/matches/{programme_id}/propose",
    summary="免申即享：符合条件的企业 → 待确认发放 / propose grants from the eligible list",
    status_code=201,
    response_model=list[schemas.ApplicationSummary],
    responses=WRITE,
)
def propose(programme_id: str, body: ProposeIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> list[dict]:
    on = parse_day(body.on, field="on") if body.on else None
    apps = matching.propose_grants(
        session=session, programme_id=programme_id, year=body.year, actor=user, on=on, policies=ps
    )
    return [applications.summary(a) for a in apps]
