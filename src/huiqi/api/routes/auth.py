"""Log-in for the API and the pages: one mechanism (server-side sessions, lock-out per account and
per client address — ``huiqi.workflow.users.sessions``); log-out and password change end sessions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.errors import ApiError
from huiqi.api.security import DB, api_user, client_address, current_user, end_session, issue_token
from huiqi.api.serialize import user_dict

router = APIRouter(tags=["auth 登录"])


class Credentials(BaseModel):
    username: str = Field(..., min_length=1, max_length=100, description="用户名 / user name")
    password: str = Field(..., min_length=1, max_length=500, description="密码 / password")


class PasswordChange(BaseModel):
    current_password: str = Field(..., min_length=1, max_length=500, description="当前密码 / the present password")
    new_password: str = Field(
        ..., min_length=1, max_length=500, description="新密码（至少 8 位）/ the new password (8+)"
    )


def lockout_rules(request: Request) -> Any:
    from huiqi.workflow.users.sessions import LockoutRules

    s = request.app.state.huiqi.settings
    return LockoutRules(
        account_attempts=s.login_attempts,
        lock_seconds=s.login_lock_seconds,
        lock_max_seconds=s.login_lock_max_seconds,
        address_attempts=s.login_address_attempts,
        window_seconds=s.login_window_seconds,
    )


def _too_many(wait: int, why: str) -> ApiError:
    if why == "account":
        zh, en = (
            f"该账户登录失败次数过多，已暂时锁定，请 {wait} 秒后再试",
            f"too many failed log-ins for this account: locked, try again in {wait} s",
        )
    else:
        zh, en = (
            f"本地址登录失败次数过多，请 {wait} 秒后再试",
            f"too many failed log-ins from this address; try again in {wait} s",
        )
    return ApiError(
        429, zh, en, field="username", headers={"Retry-After": str(wait)}, details={"locked": why, "retry_after": wait}
    )


def check_login(request: Request, session: Any, username: str, password: str) -> Any:
    """Authenticate, with the lock-out per account and per client address; raise 401/429 in both
    languages. A failure is counted and committed before the refusal is answered."""
    from sqlalchemy.exc import IntegrityError

    from huiqi.workflow.users import service as users
    from huiqi.workflow.users import sessions

    rules, name, address = lockout_rules(request), username.strip(), client_address(request)
    wait, why = sessions.wait_seconds(session=session, username=name, address=address, rules=rules)
    if wait:
        raise _too_many(wait, why)
    user = users.authenticate(session=session, username=name, password=password)
    if user is None:
        for attempt in (1, 2):  # two first failures at once may both insert the counter
            try:
                sessions.failed(session=session, username=name, address=address, rules=rules)
                session.commit()
                break
            except IntegrityError:
                session.rollback()
                if attempt == 2:
                    raise
        raise ApiError(401, "用户名或密码错误", "wrong user name or password", field="password")
    sessions.succeeded(session=session, username=name)
    return user


R_LOGIN = {
    401: {"description": "wrong credentials", "model": schemas.Error},
    422: {"description": "invalid input", "model": schemas.Error},
    429: {"description": "too many failed log-ins", "model": schemas.Error},
}
R_AUTH = {
    401: {"description": "not logged in", "model": schemas.Error},
    403: {"description": "CSRF", "model": schemas.Error},
    422: {"description": "invalid input", "model": schemas.Error},
}


@router.post(
    "/auth/token",
    summary="登录并取得令牌 / log in and get a bearer token",
    response_model=schemas.Token,
    responses=R_LOGIN,
)
def token(request: Request, body: Credentials, session: Any = DB) -> dict:
    user = check_login(request, session, body.username, body.password)
    return {
        "token": issue_token(request, session, user),
        "token_type": "bearer",
        "expires_in": request.app.state.huiqi.settings.session_max_age,
        "user": user_dict(user),
    }


@router.post(
    "/auth/logout",
    summary="退出登录（令牌或会话立即失效）/ log out (the token or session ends now)",
    response_model=schemas.Ended,
    responses=R_AUTH,
)
def logout(request: Request, user: Any = Depends(api_user), session: Any = DB) -> dict:  # noqa: ARG001 - signed in
    return {"ended": int(end_session(request, session))}


@router.post(
    "/auth/password",
    summary="修改本人密码（结束本人所有会话与令牌）/ change one's password (ends all one's sessions and tokens)",
    response_model=schemas.Ended,
    responses=R_AUTH,
)
def change_password(request: Request, body: PasswordChange, user: Any = Depends(api_user), session: Any = DB) -> dict:
    return {"ended": change_own_password(request, session, user, body.current_password, body.new_password)}


def change_own_password(request: Request, session: Any, user: Any, current: str, new: str) -> int:
    """One's own password, the present one checked first (a stolen session alone cannot change it);
    every session of the user ends, this one included. Returns how many ended."""
    from huiqi.workflow.users import service as users
    from huiqi.workflow.users import sessions

    try:  # counted like a log-in: a stolen session cannot guess the password here either
        check_login(request, session, user.username, current)
    except ApiError as exc:
        if exc.status_code != 401:
            raise
        raise ApiError(422, "当前密码不正确", "the present password is wrong", field="current_password") from None
    live = sessions.live_count(session=session, user_id=user.id)
    users.set_password(session=session, user_id=user.id, password=new, actor=user)
    return live


@router.get(
    "/auth/me",
    summary="当前用户 / the signed-in user",
    response_model=schemas.User,
    responses={401: {"description": "not logged in", "model": schemas.Error}},
)
def me(user: Any = Depends(current_user)) -> dict:
    return user_dict(user)
