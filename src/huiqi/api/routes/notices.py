"""Public notice (公示): batches, objections."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, SessionDep
from huiqi.api.routes.common import DATE_PATTERN, Date, R401, R422, WRITE
from huiqi.workflow.applications import service as applications
from huiqi.workflow.common import row_dict
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.notices import service as notices

router = APIRouter(tags=["notices 公示"])


class PublishIn(BaseModel):
    application_ids: list[int] = Field(..., min_length=1, max_length=500)
    published_on: Date = Field(None, pattern=DATE_PATTERN)
    title: Optional[str] = Field(None, max_length=200)


class ObjectionIn(BaseModel):
    objector: str = Field(..., min_length=1, max_length=200)
    content: str = Field(..., min_length=1, max_length=4000)
    received_on: Date = Field(None, pattern=DATE_PATTERN)


class ResolveIn(BaseModel):
    upheld: bool
    finding: str = Field(..., min_length=1, max_length=4000)


class CloseIn(BaseModel):
    on: Date = Field(None, pattern=DATE_PATTERN)


def visible_batches(session, user) -> list[tuple[dict, list]]:  # noqa: ANN001
    """The notice batches the user may see, each with the applications in it the user may see
    (the pages use it too)."""
    out = []
    for b in notices.batches(session=session, actor=user):
        apps = [
            (a, session.get(Enterprise, a.enterprise_id).name)
            for a in notices.batch_applications(session=session, batch_id=b.id, actor=user)
        ]
        out.append((row_dict(b), apps))
    return out


@router.get(
    "/notices",
    summary="公示批次 / notice batches",
    response_model=list[schemas.NoticeWithApplications],
    responses={**R401, **R422},
)
def list_notices(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [
        n | {"applications": [applications.summary(a) | {"enterprise_name": e} for a, e in apps]}
        for n, apps in visible_batches(session, user)
    ]


@router.post(
    "/notices",
    summary="发布公示 / publish a notice batch",
    status_code=201,
    response_model=schemas.NoticeBatch,
    responses=WRITE,
)
def publish(body: PublishIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        notices.publish(
            session=session,
            application_ids=body.application_ids,
            published_on=body.published_on,
            actor=user,
            title=body.title or None,
        )
    )


@router.post(
    "/notices/{batch_id}/close",
    summary="公示期满 / close a notice",
    response_model=schemas.NoticeBatch,
    responses=WRITE,
)
def close_notice(batch_id: int, body: CloseIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(notices.close(session=session, batch_id=batch_id, on=body.on, actor=user))


@router.post(
    "/applications/{application_id}/objections",
    summary="登记异议 / record an objection",
    status_code=201,
    response_model=schemas.Objection,
    responses=WRITE,
)
def object_to(application_id: int, body: ObjectionIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        notices.object_to(
            session=session,
            application_id=application_id,
            objector=body.objector,
            content=body.content,
            received_on=body.received_on,
            actor=user,
        )
    )


@router.post(
    "/objections/{objection_id}/resolve",
    summary="核实异议 / resolve an objection",
    response_model=schemas.Objection,
    responses=WRITE,
)
def resolve(objection_id: int, body: ResolveIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(
        notices.resolve(
            session=session, objection_id=objection_id, upheld=body.upheld, finding=body.finding, actor=user
        )
    )
