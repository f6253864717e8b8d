"""Users (用户): list, create — the administrator anywhere, a district officer inside its district —
and set a user's scope (the administrator)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep
from huiqi.api.routes.common import LIST, WRITE
from huiqi.api.serialize import user_dict
from huiqi.workflow.users import service as users

router = APIRouter(tags=["admin 管理"])


class UserIn(BaseModel):
    username: str = Field(..., min_length=1, max_length=100)
    password: str = Field(..., min_length=1, max_length=500)
    role: str = Field(..., max_length=20)
    display_name: Optional[str] = Field(None, max_length=200)
    enterprise_id: Optional[int] = Field(None, ge=1, le=2**31 - 1)
    town: Optional[str] = Field(None, max_length=50)
    district: Optional[str] = Field(None, max_length=50, description="an officer's users: its district by default")
    department: Optional[str] = Field(None, max_length=100)


class ScopeIn(BaseModel):
    district: Optional[str] = Field(None, max_length=50)
    town: Optional[str] = Field(None, max_length=50)
    enterprise_id: Optional[int] = Field(None, ge=1, le=2**31 - 1)


@router.get("/users", summary="用户 / users", response_model=list[schemas.User], responses=LIST)
def list_users(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [user_dict(u) for u in users.list_all(session=session, actor=user)]


@router.post(
    "/users", summary="新建用户 / create a user", status_code=201, response_model=schemas.User, responses=WRITE
)
def create_user(body: UserIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    return user_dict(users.create(session=session, actor=user, policies=ps, **body.model_dump()))


@router.post(
    "/users/{user_id}/scope",
    summary="设定用户的区、镇或企业（系统管理员）/ set a user's scope (administrator)",
    response_model=schemas.User,
    responses=WRITE,
)
def set_scope(user_id: int, body: ScopeIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    return user_dict(users.set_scope(session=session, user_id=user_id, actor=user, policies=ps, **body.model_dump()))
