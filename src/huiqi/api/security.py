"""Who is asking: sessions, bearer tokens, CSRF, security headers, the request-body limit.

- Sessions are kept on the server (``huiqi.workflow.users.sessions``: the ``sessions`` table). The
  pages' cookie (HttpOnly, SameSite=Lax, Secure unless plain-http loopback) and the API's bearer
  token (``POST /api/v1/auth/token``) are each a random id and nothing else; log-out and a password
  change end them at once.
- Every form carries a CSRF token derived (HMAC) from the browser's random id, and htmx sends it as
  ``X-CSRF-Token``; the API takes the bearer token, or the session cookie together with an
  ``X-CSRF-Token`` header on every write.
- One unit of work per request (:func:`db`): committed when the handler returns and before the
  response is sent; a commit that fails is answered as an error, never as a success.
- What the signed-in user may see and do is decided by the workflow services
  (:mod:`huiqi.workflow.access`), never here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request

from huiqi.api.errors import ApiError, unauthenticated

log = logging.getLogger("huiqi.web")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SESSION_COOKIE = "huiqi_session"
_SET_SID = "huiqi.set_sid"  # scope key: a new random id to send as the cookie (None: delete it)


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    ),
]


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response, and the session cookie when a handler
    started or ended one (a plain ASGI middleware: cheap)."""

    def __init__(self, app: Any, *, cookie_flags: str = "", max_age: int = 8 * 3600) -> None:
        self.app = app
        self.cookie_flags = cookie_flags
        self.max_age = max_age

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                if _SET_SID in scope:
                    sid = scope[_SET_SID]
                    value = (
                        f"{SESSION_COOKIE}={sid}; Max-Age={self.max_age}" if sid else f"{SESSION_COOKIE}=; Max-Age=0"
                    )
                    headers.append(
                        (b"set-cookie", f"{value}; Path=/; HttpOnly; SameSite=Lax{self.cookie_flags}".encode())
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuses a request body over ``limit`` bytes with a bilingual 413 — by its Content-Length
    before reading anything, else (chunked) as soon as the bytes read pass the limit; nothing
    larger is ever held in memory."""

    def __init__(self, app: Any, *, multipart: int, other: int) -> None:
        self.app = app
        self.multipart = multipart
        self.other = other

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = None
        limit = self.other
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    length = int(v)
                except ValueError:
                    length = -1
            elif k == b"content-type" and v.lower().startswith(b"multipart/form-data"):
                limit = self.multipart
        if length is not None and (length < 0 or length > limit):
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    from fastapi import HTTPException

                    raise HTTPException(413, too_large(limit)[2])
            return message

        await self.app(scope, limited_receive, send)

    async def _refuse(self, scope: dict, receive: Any, send: Any, limit: int) -> None:
        import json

        from starlette.requests import Request as _Request

        from huiqi.api.errors import error_response

        status, zh, en = too_large(limit)
        payload = {
            "error": "too_large",
            "field": "body",
            "message_zh": zh,
            "message_en": en,
            "details": {"limit_bytes": limit},
        }
        try:
            response = error_response(_Request(scope), status, payload)
        except Exception:  # noqa: BLE001 - the page renderer needs the app; JSON always works
            from starlette.responses import Response

            response = Response(
                json.dumps(payload, ensure_ascii=False), status_code=status, media_type="application/json"
            )
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def too_large(limit: int) -> tuple[int, str, str]:
    size = f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit} 字节"
    size_en = size.replace("字节", "bytes")
    return (413, f"请求内容过大：最多 {size}", f"request body too large: at most {size_en}")


def install_security(app: FastAPI) -> None:
    settings = app.state.huiqi.settings
    # an upload needs its file and the form around it; anything else is small
    multipart = max(settings.max_body_bytes, settings.max_upload_bytes + 64 * 1024)
    app.add_middleware(BodyLimitMiddleware, multipart=multipart, other=settings.max_json_bytes)
    flags = "; Secure" if settings.secure_cookies else ""
    app.add_middleware(SecurityHeadersMiddleware, cookie_flags=flags, max_age=settings.session_max_age)


# ------------------------------------------------------------------ database session per request


def db(request: Request) -> Iterator[Any]:
    """One unit of work per request: committed when the handler returns — before the response is
    sent (the dependency's scope is ``function``: use :data:`DB`) — rolled back on any error. A
    commit the database refuses is answered as an error: 409 (a conflicting change at the same
    time), 422 (a value it cannot store), else 503 (try again); never as a success."""
    from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

    state = request.app.state.huiqi
    if state.sessionmaker is None:
        raise ApiError(
            503,
            "数据库不可用（仅规则测算模式）",
            "no database: this server runs in rules-only mode",
            field="database",
            error="unavailable",
        )
    session = state.sessionmaker()
    try:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        try:
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            log.warning("commit refused on %s %s: %s", request.method, request.url.path, exc.orig)
            raise ApiError(
                409,
                "与同时进行的另一操作冲突，未保存任何内容，请刷新后重试",
                "this conflicts with another change made at the same time; nothing was saved — reload and try again",
                field="",
                error="conflict",
            ) from None
        except DataError as exc:
            session.rollback()
            log.info("commit refused a value on %s %s: %s", request.method, request.url.path, exc.orig)
            raise ApiError(
                422,
                "输入的值无法保存（含不允许的字符，或数值超出范围），未保存任何内容",
                "a value cannot be stored (a character not allowed, or a number out of range); nothing was saved",
                field="",
                error="invalid_input",
            ) from None
        except SQLAlchemyError as exc:
            session.rollback()
            log.error("commit failed on %s %s: %s", request.method, request.url.path, exc)
            raise ApiError(
                503,
                "保存失败（数据库暂不可用），未保存任何内容，请稍后重试",
                "saving failed (the database is unavailable); nothing was saved — try again shortly",
                field="database",
                error="unavailable",
                headers={"Retry-After": "5"},
            ) from None
    finally:
        session.close()


# Every route and page takes the database session through this: its exit (the commit) runs when the
# handler returns, before FastAPI sends the response (``Depends(..., scope="function")``).
DB = Depends(db, scope="function")


# ------------------------------------------------------------------ browser id, tokens, sessions


def browser_id(request: Request, *, new: bool = False) -> str:
    """The browser's random id: its cookie's, else (or with ``new``) a fresh one sent as the cookie
    with the response. Alone it signs in nobody: a signed-in session is a row of ``sessions``."""
    from huiqi.workflow.users import sessions

    sid = request.scope.get(_SET_SID)
    if sid and not new:
        return sid
    sid = None if new else request.cookies.get(SESSION_COOKIE)
    if not sessions.plausible(sid):
        sid = secrets.token_urlsafe(32)
        request.scope[_SET_SID] = sid
    return sid  # type: ignore[return-value]


def forget_browser(request: Request) -> None:
    """Delete the session cookie with the response (log-out)."""
    request.scope[_SET_SID] = None


def start_session(request: Request, session: Any, user: Any, kind: str) -> str:
    """A new server-side session for ``user`` (``web``: its id becomes the browser's cookie — a new
    id, never the one used before log-in; ``api``: the bearer token returned)."""
    from huiqi.workflow.users import sessions

    settings = request.app.state.huiqi.settings
    token = sessions.start(
        session=session, user=user, kind=kind, max_age=settings.session_max_age, address=client_address(request)
    )
    if kind == "web":
        request.scope[_SET_SID] = token
    return token


def issue_token(request: Request, session: Any, user: Any) -> str:
    return start_session(request, session, user, "api")


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if not auth:
        return None
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "Authorization 头应为 Bearer 令牌",
            "the Authorization header must be 'Bearer <token>'",
            field="Authorization",
        )
    return token.strip()


def end_session(request: Request, session: Any) -> bool:
    """End the session the request came with (bearer token, else cookie); True if one was live."""
    from huiqi.workflow.users import sessions

    token = _bearer(request)
    if token is not None:
        return sessions.end(session=session, token=token, reason="logout")
    ended = sessions.end(session=session, token=request.cookies.get(SESSION_COOKIE), reason="logout")
    forget_browser(request)
    return ended


# ------------------------------------------------------------------ the current user


def load_user(request: Request, session: Any) -> Any:
    """The signed-in user (bearer token first, then the session cookie), or None; cached on
    request.state (with the session row, ``request.state.session_row``)."""
    if getattr(request.state, "user_loaded", False):
        return request.state.user
    from huiqi.workflow.users import sessions

    user = row = None
    token = _bearer(request)
    if token is not None:
        found = sessions.find(session=session, token=token, kind="api")
        if found is None:
            raise ApiError(
                401,
                "令牌无效或已失效（已退出登录、密码已修改或已过期），请重新登录",
                "invalid or ended token (logged out, password changed or expired); log in again",
                field="Authorization",
            )
        row, user = found
        request.state.auth = "bearer"
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        found = sessions.find(session=session, token=cookie, kind="web") if cookie else None
        if found is not None:
            row, user = found
        request.state.auth = "cookie" if user is not None else None
    request.state.user = user
    request.state.session_row = row
    request.state.user_loaded = True
    return user


def optional_user(request: Request, session: Any = DB) -> Any:
    return load_user(request, session)


def current_user(request: Request, session: Any = DB) -> Any:
    user = load_user(request, session)
    if user is None:
        raise unauthenticated()
    return user


# ------------------------------------------------------------------ CSRF


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser: an HMAC of its random id under the server's secret (nothing
    to store; a new id at log-in gives a new token)."""
    key = request.app.state.huiqi.settings.session_secret().encode()
    return hmac.new(key, b"csrf:" + browser_id(request).encode(), hashlib.sha256).hexdigest()


def _csrf_ok(request: Request, sent: str | None) -> bool:
    if not sent or not sessions_plausible(request.cookies.get(SESSION_COOKIE)):
        return False
    key = request.app.state.huiqi.settings.session_secret().encode()
    expected = hmac.new(key, b"csrf:" + request.cookies[SESSION_COOKIE].encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, str(sent))


def sessions_plausible(value: str | None) -> bool:
    from huiqi.workflow.users import sessions

    return sessions.plausible(value)


def check_csrf_header(request: Request) -> None:
    """API writes with a cookie session must echo the CSRF token in ``X-CSRF-Token``."""
    if request.method in SAFE_METHODS or getattr(request.state, "auth", None) != "cookie":
        return
    if not _csrf_ok(request, request.headers.get("x-csrf-token")):
        raise ApiError(
            403,
            "缺少或错误的 CSRF 令牌（X-CSRF-Token）",
            "missing or wrong CSRF token (X-CSRF-Token)",
            field="X-CSRF-Token",
            error="csrf",
        )


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
        raise ApiError(
            403,
            "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
            "the form expired or came from elsewhere (CSRF check failed); reload the page and try again",
            field="csrf_token",
            error="csrf",
        )


def api_user(request: Request, user: Any = Depends(current_user)) -> Any:
    """The API's signed-in user, with the CSRF rule for cookie sessions applied."""
    check_csrf_header(request)
    return user


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
