"""Log-in for the API: a bearer token for a user name and password (argon2), rate limited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.errors import ApiError
from huiqi.api.security import client_address, current_user, db, issue_token
from huiqi.api.serialize import user_dict

router = APIRouter(tags=["auth 登录"])


class Credentials(BaseModel):
    username: str = Field(..., min_length=1, max_length=100, description="用户名 / user name")
    password: str = Field(..., min_length=1, max_length=500, description="密码 / password")


def check_login(request: Request, session: Any, username: str, password: str) -> Any:
    """Authenticate with rate limiting per account and per client address; raise 401/429 in both languages."""
    from huiqi.workflow.users import service as users

    limiter = request.app.state.huiqi.limiter
    keys = (f"user:{username.strip().lower()}", f"ip:{client_address(request)}")
    wait = limiter.retry_after(*keys)
    if wait:
        raise ApiError(429, f"登录失败次数过多，请 {wait} 秒后再试", f"too many failed log-ins; try again in {wait} s", field="username", headers={"Retry-After": str(wait)})
    user = users.authenticate(session=session, username=username.strip(), password=password)
    if user is None:
        limiter.failed(*keys)
        raise ApiError(401, "用户名或密码错误", "wrong user name or password", field="password")
    limiter.succeeded(keys[0])
    return user


@router.post("/auth/token", summary="登录并取得令牌 / log in and get a bearer token", response_model=schemas.Token, responses={401: {"description": "wrong credentials", "model": schemas.Error}, 422: {"description": "invalid input", "model": schemas.Error}, 429: {"description": "too many failed log-ins", "model": schemas.Error}})
def token(request: Request, body: Credentials, session: Any = Depends(db)) -> dict:
    user = check_login(request, session, body.username, body.password)
    return {"token": issue_token(request, user), "token_type": "bearer", "expires_in": request.app.state.huiqi.settings.session_max_age, "user": user_dict(user)}


@router.get("/auth/me", summary="当前用户 / the signed-in user", response_model=schemas.User, responses={401: {"description": "not logged in", "model": schemas.Error}})
def me(user: Any = Depends(current_user)) -> dict:
    return user_dict(user)
