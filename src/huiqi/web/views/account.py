"""Log-in and log-out pages (password, argon2, rate limited; the session is renewed on log-in)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.api.errors import ApiError
from huiqi.api.routes.auth import check_login
from huiqi.api.security import check_csrf_form, db
from huiqi.web.render import render
from huiqi.web.views.public import maybe_user, safe_next

router = APIRouter(include_in_schema=False)

HOME_BY_ROLE = {"enterprise": "/my", "reviewer": "/office", "officer": "/office", "expert": "/expert", "auditor": "/office", "admin": "/office"}


def demo_logins(request: Request) -> list[dict]:
    return request.app.state.huiqi.extra.get("demo_logins", [])


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    maybe_user(request)
    return render(request, "login.html", {"next": safe_next(next, ""), "demo_logins": demo_logins(request), "error": None})


@router.post("/login", dependencies=[Depends(check_csrf_form)])
async def login_submit(request: Request, session: Any = Depends(db)) -> Response:
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
    request.session.clear()  # a fresh session on log-in (no fixation)
    request.session["uid"] = user.id
    request.session["pw"] = user.password_hash[-12:]
    return RedirectResponse(target or HOME_BY_ROLE.get(user.role, "/"), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf_form)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)
