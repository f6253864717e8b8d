"""Errors of the web layer and the handlers that turn every failure into a clear answer.

The JSON API answers ``{"error", "message_zh", "message_en", "field", "details"}``; pages
answer a short bilingual HTML page. Nothing a user sees ever contains a traceback: an
unexpected exception is logged on the server and answered with a generic 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from huiqi.rules import InputError

log = logging.getLogger("huiqi.web")


class ApiError(Exception):
    """A refused request: HTTP status, bilingual message, and the field it concerns."""

    def __init__(self, status_code: int, message_zh: str, message_en: str, *, field: str = "", error: str | None = None, details: Any = None, headers: dict | None = None) -> None:
        super().__init__(f"{status_code} {field}: {message_zh} / {message_en}")
        self.status_code = status_code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.error = error or _DEFAULT_CODES.get(status_code, "error")
        self.details = details
        self.headers = headers

    def to_dict(self) -> dict:
        return {"error": self.error, "field": self.field, "message_zh": self.message_zh, "message_en": self.message_en, "details": self.details}


_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
}

# Generic bilingual texts for HTTP statuses raised by the framework itself.
_STATUS_TEXT = {
    400: ("请求格式错误", "malformed request"),
    401: ("请先登录", "please log in"),
    403: ("无权访问", "you may not do this"),
    404: ("找不到所请求的资源", "not found"),
    405: ("不支持该请求方法", "method not allowed"),
    413: ("请求内容过大", "request too large"),
    415: ("不支持的内容类型", "unsupported media type"),
    422: ("输入有误", "invalid input"),
    429: ("请求过于频繁，请稍后再试", "too many requests, try again later"),
    500: ("服务器内部错误，已记录，请稍后再试", "internal error; it has been logged, please try again later"),
}


def unauthenticated() -> ApiError:
    return ApiError(401, "请先登录", "please log in", field="session")


def forbidden(zh: str = "无权访问此资源", en: str = "you may not access this resource", field: str = "") -> ApiError:
    return ApiError(403, zh, en, field=field)


def not_found(what_zh: str, what_en: str, field: str = "id") -> ApiError:
    return ApiError(404, f"{what_zh}不存在", f"no such {what_en}", field=field)


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _field_of(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form")]
    return ".".join(parts) or (str(loc[0]) if loc else "")


def error_response(request: Request, status: int, payload: dict, headers: dict | None = None) -> Any:
    if wants_json(request):
        return JSONResponse(payload, status_code=status, headers=headers)
    from huiqi.web.render import render_error_page

    return render_error_page(request, status, payload, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    from huiqi.workflow.errors import WorkflowError

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):  # noqa: ANN202
        return error_response(request, exc.status_code, exc.to_dict(), exc.headers)

    @app.exception_handler(WorkflowError)
    async def _workflow_error(request: Request, exc: WorkflowError):  # noqa: ANN202
        payload = exc.to_dict()
        payload["error"] = type(exc).__name__
        return error_response(request, getattr(exc, "status_code", 400), _jsonable(payload))

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):  # noqa: ANN202
        problems = [p.to_dict() for p in exc.problems]
        first = problems[0] if problems else {"field": "", "message_zh": "输入有误", "message_en": "invalid input"}
        payload = {
            "error": "invalid_input",
            "field": first["field"],
            "message_zh": "；".join(f"{p['field']}: {p['message_zh']}" for p in problems) or first["message_zh"],
            "message_en": "; ".join(f"{p['field']}: {p['message_en']}" for p in problems) or first["message_en"],
            "details": problems,
        }
        return error_response(request, 422, payload)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):  # noqa: ANN202
        problems = []
        for e in exc.errors():
            field = _field_of(e.get("loc", ()))
            msg = str(e.get("msg", "invalid"))
            problems.append({"field": field, "message_zh": _zh_validation(e), "message_en": msg})
        first = problems[0] if problems else {"field": "", "message_zh": "输入有误", "message_en": "invalid input"}
        payload = {
            "error": "invalid_input",
            "field": first["field"],
            "message_zh": "；".join(f"{p['field']}: {p['message_zh']}" for p in problems),
            "message_en": "; ".join(f"{p['field']}: {p['message_en']}" for p in problems),
            "details": problems,
        }
        return error_response(request, 422, payload)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):  # noqa: ANN202
        zh, en = _STATUS_TEXT.get(exc.status_code, ("请求失败", "request failed"))
        if isinstance(exc.detail, str) and exc.detail and exc.status_code not in _STATUS_TEXT:
            en = exc.detail
        payload = {"error": _DEFAULT_CODES.get(exc.status_code, "error"), "field": "", "message_zh": zh, "message_en": en, "details": None}
        return error_response(request, exc.status_code, payload, getattr(exc, "headers", None))

    from sqlalchemy.exc import DataError

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError):  # noqa: ANN202
        # the database refused a value as data (a NUL byte in a text, a number out of range): bad input, not a fault
        log.info("value refused by the database on %s %s: %s", request.method, request.url.path, exc.orig)
        payload = {"error": "invalid_input", "field": "", "message_zh": "输入的值无法保存或查询（含不允许的字符，或数值超出范围）",
                   "message_en": "a value cannot be stored or searched for (a character not allowed, or a number out of range)", "details": None}
        return error_response(request, 422, payload)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # noqa: ANN202
        zh_en = (getattr(exc, "message_zh", None), getattr(exc, "message_en", None))
        if zh_en[0] and zh_en[1]:  # a domain error from a shared module (money, uscc, calendar)
            payload = {"error": "invalid_input", "field": getattr(exc, "field", ""), "message_zh": zh_en[0], "message_en": zh_en[1], "details": None}
            return error_response(request, 422, payload)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        zh, en = _STATUS_TEXT[500]
        return error_response(request, 500, {"error": "internal_error", "field": "", "message_zh": zh, "message_en": en, "details": None})


def _zh_validation(e: dict) -> str:
    kind = str(e.get("type", ""))
    if kind == "missing":
        return "缺少此项"
    if kind.startswith("json"):
        return "JSON 格式错误"
    if "int" in kind:
        return "应为整数"
    if "date" in kind:
        return "应为有效日期（YYYY-MM-DD）"
    if "decimal" in kind or "float" in kind or "number" in kind:
        return "应为数值"
    if "string" in kind:
        return "应为文本"
    if "bool" in kind:
        return "应为 是/否"
    if "enum" in kind or "literal" in kind:
        return "取值不在允许范围内"
    return "格式不正确"


def _jsonable(value: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(value, custom_encoder={__import__("decimal").Decimal: str})
