"""Enterprises (企业): the ones the reader may see; registering one (an officer in its district,
the administrator anywhere)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, SessionDep
from huiqi.api.routes.common import R401, R422, WRITE
from huiqi.workflow.common import row_dict
from huiqi.workflow.enterprises import service as enterprises

router = APIRouter(tags=["admin 管理"])


class EnterpriseIn(BaseModel):
    uscc: str = Field(..., min_length=1, max_length=30)
    name: str = Field(..., min_length=1, max_length=200)
    district: Optional[str] = Field(None, max_length=50, description="an officer: its district by default")
    town: Optional[str] = Field(None, max_length=50)


@router.get(
    "/enterprises",
    summary="可见的企业 / visible enterprises",
    response_model=list[schemas.Enterprise],
    responses={**R401, **R422},
)
def list_enterprises(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [row_dict(e) for e in enterprises.list_all(session=session, actor=user)]


@router.post(
    "/enterprises",
    summary="登记企业 / register an enterprise",
    status_code=201,
    response_model=schemas.Enterprise,
    responses=WRITE,
)
def create_enterprise(body: EnterpriseIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(enterprises.create(session=session, actor=user, **body.model_dump()))
