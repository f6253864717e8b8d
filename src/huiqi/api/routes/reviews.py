"""Reviews (评审): town/park confirmation, district check, experts (assignment, scores, ties), consultation."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, SessionDep
from huiqi.api.routes.common import LIST, WRITE
from huiqi.api.serialize import user_dict
from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.common import row_dict
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.users import service as users

router = APIRouter(tags=["reviews 评审"])


class TownIn(BaseModel):
    confirmed: bool
    opinion: str = Field("", max_length=2000)


class DistrictIn(BaseModel):
    passed: bool
    opinion: str = Field("", max_length=2000)
    originals_checked: bool = False


class ExpertsIn(BaseModel):
    expert_ids: list[int] = Field(..., min_length=1, max_length=20)


class ScoreIn(BaseModel):
    score: Optional[str] = Field(None, max_length=10, description="0–100 (a round without criteria)")
    comment: str = Field("", max_length=4000)
    criteria: Optional[dict[str, str]] = Field(
        None, max_length=12, description="a round with criteria: {criterion id: 0–100}; the score is their weighted total"
    )


class ConsultIn(BaseModel):
    department: str = Field(..., min_length=1, max_length=100)
    opinion: str = Field(..., min_length=1, max_length=4000)


class TieIn(BaseModel):
    enterprise_id: int = Field(..., ge=1, le=2**31 - 1)
    reason: str = Field(..., min_length=1, max_length=2000)


@router.post(
    "/applications/{application_id}/town-confirm",
    summary="镇（园区）确认 / town or park confirms",
    response_model=schemas.ApplicationSummary,
    responses=WRITE,
)
def town_confirm(application_id: int, body: TownIn, session: SessionDep, user: CurrentUser) -> dict:
    return applications.summary(
        reviews.town_confirm(
            session=session, application_id=application_id, actor=user, confirmed=body.confirmed, opinion=body.opinion
        )
    )


@router.post(
    "/applications/{application_id}/district-check",
    summary="区级初审 / district check",
    response_model=schemas.ApplicationSummary,
    responses=WRITE,
)
def district_check(application_id: int, body: DistrictIn, session: SessionDep, user: CurrentUser) -> dict:
    app = reviews.district_check(
        session=session,
        application_id=application_id,
        actor=user,
        passed=body.passed,
        opinion=body.opinion,
        originals_checked=body.originals_checked,
    )
    return applications.summary(app)


@router.post(
    "/applications/{application_id}/experts",
    summary="分配专家 / assign experts",
    response_model=list[schemas.ExpertAssignment],
    responses=WRITE,
)
def assign_experts(application_id: int, body: ExpertsIn, session: SessionDep, user: CurrentUser) -> list[dict]:
    return [
        row_dict(a)
        for a in reviews.assign_experts(
            session=session, application_id=application_id, expert_ids=body.expert_ids, actor=user
        )
    ]


@router.post(
    "/applications/{application_id}/score",
    summary="专家评分 / an expert scores",
    response_model=schemas.ExpertAssignment,
    responses=WRITE,
)
def score(application_id: int, body: ScoreIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        reviews.score(
            session=session,
            application_id=application_id,
            actor=user,
            score=body.score,
            comment=body.comment,
            criteria=body.criteria,
        )
    )


@router.post(
    "/applications/{application_id}/consult",
    summary="征求部门意见 / record a department's opinion",
    response_model=schemas.ReviewOpinion,
    responses=WRITE,
)
def consult(application_id: int, body: ConsultIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        reviews.consult(
            session=session, application_id=application_id, actor=user, department=body.department, opinion=body.opinion
        )
    )


@router.post(
    "/experts/me/ties",
    summary="声明利益冲突（回避）/ declare a conflict of interest",
    status_code=201,
    response_model=schemas.ExpertTie,
    responses=WRITE,
)
def declare_tie(body: TieIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        users.declare_tie(
            session=session, expert_id=user.id, enterprise_id=body.enterprise_id, reason=body.reason, actor=user
        )
    )


@router.post(
    "/experts/{expert_id}/ties",
    summary="代专家登记利益冲突 / record an expert's tie (officers)",
    status_code=201,
    response_model=schemas.ExpertTie,
    responses=WRITE,
)
def declare_tie_for(expert_id: int, body: TieIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        users.declare_tie(
            session=session, expert_id=expert_id, enterprise_id=body.enterprise_id, reason=body.reason, actor=user
        )
    )


@router.get(
    "/experts", summary="评审专家 / the district's expert pool", response_model=list[schemas.User], responses=LIST
)
def list_experts(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [user_dict(u) for u in users.list_all(session=session, actor=user, role=states.EXPERT)]
