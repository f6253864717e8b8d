"""Who is asking: sessions, bearer tokens, CSRF, security headers.

- Pages use a signed session cookie (HttpOnly, SameSite=Lax, Secure unless plain-http loopback);
  every form carries the session's CSRF token, and htmx sends it as ``X-CSRF-Token``.
- The API takes ``Authorization: Bearer <token>`` (from ``POST /api/v1/auth/token``), or the
  session cookie together with an ``X-CSRF-Token`` header on every write.
- What the signed-in user may see and do is decided by the workflow services
  (:mod:`huiqi.workflow.access`), never here.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from huiqi.api.errors import ApiError, unauthenticated
from huiqi.store import session_scope

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
TOKEN_SALT = "huiqi-api-token"


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
]


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (a plain ASGI middleware: cheap)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security(app: FastAPI) -> None:
    app.add_middleware(SecurityHeadersMiddleware)


# ------------------------------------------------------------------ database session per request


def db(request: Request) -> Iterator[Any]:
    """One unit of work per request: commit when the handler returns, roll back on any error."""
    state = request.app.state.huiqi
    if state.sessionmaker is None:
        raise ApiError(503, "数据库不可用（仅规则测算模式）", "no database: this server runs in rules-only mode", field="database", error="unavailable")
    with session_scope(state.sessionmaker) as session:
        yield session


# ------------------------------------------------------------------ tokens


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.huiqi.settings.session_secret(), salt=TOKEN_SALT)


def issue_token(request: Request, user: Any) -> str:
    return _serializer(request).dumps({"uid": user.id, "pw": user.password_hash[-12:]})


def _token_user_id(request: Request, token: str, session: Any) -> Any:
    from huiqi.workflow.users.models import User

    max_age = request.app.state.huiqi.settings.session_max_age
    try:
        data = _serializer(request).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ApiError(401, "令牌已过期，请重新登录", "the token has expired; log in again", field="Authorization") from None
    except BadSignature:
        raise ApiError(401, "令牌无效", "invalid token", field="Authorization") from None
    user = session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or not hmac.compare_digest(str(data.get("pw", "")), user.password_hash[-12:]):
        raise ApiError(401, "令牌无效", "invalid token", field="Authorization")
    return user


# ------------------------------------------------------------------ the current user


def load_user(request: Request, session: Any) -> Any:
    """The signed-in user (bearer token first, then the session cookie), or None; cached on request.state."""
    if getattr(request.state, "user_loaded", False):
        return request.state.user
    from huiqi.workflow.users.models import User

    user = None
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Authorization 头应为 Bearer 令牌", "the Authorization header must be 'Bearer <token>'", field="Authorization")
        user = _token_user_id(request, token.strip(), session)
        request.state.auth = "bearer"
    else:
        uid = request.session.get("uid") if "session" in request.scope else None
        if uid is not None:
            user = session.get(User, uid)
            if user is None or not user.active or request.session.get("pw") != user.password_hash[-12:]:
                request.session.clear()
                user = None
        request.state.auth = "cookie" if user is not None else None
    request.state.user = user
    request.state.user_loaded = True
    return user


def optional_user(request: Request, session: Any = Depends(db)) -> Any:
    return load_user(request, session)


def current_user(request: Request, session: Any = Depends(db)) -> Any:
    user = load_user(request, session)
    if user is None:
        raise unauthenticated()
    return user


# ------------------------------------------------------------------ CSRF


def _csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf") if "session" in request.scope else None
    return bool(expected and sent and hmac.compare_digest(str(expected), str(sent)))


def check_csrf_header(request: Request) -> None:
    """API writes with a cookie session must echo the CSRF token in ``X-CSRF-Token``."""
    if request.method in SAFE_METHODS or getattr(request.state, "auth", None) != "cookie":
        return
    if not _csrf_ok(request, request.headers.get("x-csrf-token")):
        raise ApiError(403, "缺少或错误的 CSRF 令牌（X-CSRF-Token）", "missing or wrong CSRF token (X-CSRF-Token)", field="X-CSRF-Token", error="csrf")


async def check_csrf_form(request: Request) -> None:
    """Every page form posts ``csrf_token`` (htmx sends the header instead)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if not sent:
        ctype = request.headers.get("content-type", "")
        if "form" in ctype:
            form = await request.form()
            sent = form.get("csrf_token")  # type: ignore[assignment]
    if not _csrf_ok(request, sent):
        raise ApiError(403, "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试", "the form expired or came from elsewhere (CSRF check failed); reload the page and try again", field="csrf_token", error="csrf")


def api_user(request: Request, user: Any = Depends(current_user)) -> Any:
    """The API's signed-in user, with the CSRF rule for cookie sessions applied."""
    check_csrf_header(request)
    return user


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
