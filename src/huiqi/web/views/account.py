"""Log-in, log-out and password pages (argon2; lock-out per account and per address; sessions kept
on the server — the same mechanism as the API's, ``huiqi.api.routes.auth``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.api.errors import ApiError
from huiqi.api.routes.auth import change_own_password, check_login
from huiqi.api.security import DB, check_csrf_form, end_session, start_session
from huiqi.web.render import render
from huiqi.web.views.common import page_user
from huiqi.web.views.public import maybe_user, safe_next

router = APIRouter(include_in_schema=False)

HOME_BY_ROLE = {
    "enterprise": "/my",
    "reviewer": "/office",
    "officer": "/office",
    "expert": "/expert",
    "auditor": "/office",
    "admin": "/office",
}


def demo_logins(request: Request) -> list[dict]:
    return request.app.state.huiqi.extra.get("demo_logins", [])


@router.get("/login")
def login_page(request: Request, next: str | None = None, ended: str | None = None) -> Response:  # noqa: A002
    maybe_user(request)
    notice = None
    if ended == "password":
        notice = ApiError(
            200,
            "密码已修改，所有会话已结束，请用新密码登录",
            "password changed; every session has ended — log in with the new password",
        )
    return render(
        request,
        "login.html",
        {"next": safe_next(next, ""), "demo_logins": demo_logins(request), "error": None, "notice": notice},
    )


@router.post("/login", dependencies=[Depends(check_csrf_form)])
async def login_submit(request: Request, session: Any = DB) -> Response:
    form = await request.form()
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""), "")
    try:
        if not username.strip() or not password:
            raise ApiError(422, "请输入用户名和密码", "enter your user name and password", field="username")
        user = check_login(request, session, username, password)
    except ApiError as exc:
        request.state.user = None
        ctx = {"next": target, "demo_logins": demo_logins(request), "error": exc, "username": username}
        return render(request, "login.html", ctx, status_code=exc.status_code, headers=exc.headers)
    start_session(request, session, user, "web")  # a new random id as the cookie (no fixation)
    return RedirectResponse(target or HOME_BY_ROLE.get(user.role, "/"), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf_form)])
def logout(request: Request, session: Any = DB) -> Response:
    end_session(request, session)  # the session row ends now: the old cookie signs in nobody
    return RedirectResponse("/", status_code=303)


@router.get("/account/password")
def password_page(request: Request, user: Any = Depends(page_user())) -> Response:  # noqa: ARG001 - signed in
    return render(request, "account_password.html", {"error": None})


@router.post("/account/password", dependencies=[Depends(check_csrf_form)])
async def password_submit(request: Request, session: Any = DB, user: Any = Depends(page_user())) -> Response:
    form = await request.form()
    current, new, again = (str(form.get(k) or "") for k in ("current_password", "new_password", "new_password_again"))
    try:
        if new != again:
            raise ApiError(422, "两次输入的新密码不一致", "the two new passwords differ", field="new_password_again")
        change_own_password(request, session, user, current, new)
    except ApiError as exc:
        session.rollback()
        return render(
            request, "account_password.html", {"error": exc}, status_code=exc.status_code, headers=exc.headers
        )
    except Exception as exc:  # a workflow refusal (too short …) shown on the form
        if not getattr(exc, "message_zh", None):
            raise
        session.rollback()
        return render(request, "account_password.html", {"error": exc}, status_code=getattr(exc, "status_code", 422))
    end_session(request, session)  # ended with the others already; the cookie goes too
    return RedirectResponse("/login?ended=password", status_code=303)
