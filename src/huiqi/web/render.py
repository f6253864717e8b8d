"""Jinja2 rendering with the page language, the signed-in user and the CSRF token in every page."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from huiqi.money import format_yuan, to_chinese_capital, to_wan
from huiqi.web.i18n import DEFAULT_LANG, LANGS, actor_label, event_label, event_sentence, pick, state_label, translate

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

_env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html", "xml", "svg"]), trim_blocks=True, lstrip_blocks=True)


def _wan(value: Any) -> str:
    """An amount in 万元 to two decimals (266667 → “26.67 万元”): one unit on every screen."""
    if value is None or value == "":
        return "—"
    try:
        return f"{to_wan(Decimal(str(value))):,.2f} 万元"
    except (InvalidOperation, ValueError):
        return str(value)


def _pct(value: Any) -> str:
    """A ratio as a percentage (0.65 → “65%”)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{(Decimal(str(value)) * 100).normalize():f}%"
    except (InvalidOperation, ValueError):
        return str(value)


def _yuan(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return format_yuan(Decimal(str(value)))


def _capital(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return to_chinese_capital(Decimal(str(value)))
    except Exception:  # noqa: BLE001 - a display helper never breaks a page
        return ""


def _tojson_pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _attrjson(value: Any) -> Markup:
    from markupsafe import escape

    return escape(json.dumps(value, ensure_ascii=False, default=str))


def _role_label(role: str) -> tuple[str, str]:
    try:
        from huiqi.workflow.states import ROLES
    except ModuleNotFoundError:  # pragma: no cover - rules-only install
        return (role, role)
    return ROLES.get(role, (role, role))


def _stage_label(stage: str) -> tuple[str, str]:
    try:
        from huiqi.workflow.states import STAGE_LABELS
    except ModuleNotFoundError:  # pragma: no cover
        return (stage, stage)
    return STAGE_LABELS.get(stage, (stage, stage))


def _subject_label(subject: str) -> tuple[str, str]:
    sub = _VOCAB_SUBJECTS.get(subject)
    return (sub.zh, sub.en) if sub else (subject, subject)


_VOCAB_SUBJECTS: dict = {}


def set_vocabulary(vocab: Any) -> None:
    _VOCAB_SUBJECTS.clear()
    _VOCAB_SUBJECTS.update(vocab.subjects)


_env.globals["state_label"] = state_label  # state_label(state, machine="application") → (zh, en)
_env.globals["event_label"] = event_label  # an audit action in words
_env.globals["actor_label"] = actor_label
_env.filters["pct"] = _pct
_env.filters["attrjson"] = _attrjson
_env.globals["role_label"] = _role_label
_env.globals["stage_label"] = _stage_label
_env.globals["subject_label"] = _subject_label
_env.filters["wan"] = _wan
_env.filters["yuan"] = _yuan
_env.filters["capital"] = _capital
_env.filters["pretty_json"] = _tojson_pretty


def _programme_namer(request: Request, lang: str) -> Any:
    """``programme_name(code)`` in templates: the programme's title wherever a code would appear."""
    state = getattr(request.app.state, "huiqi", None)
    ps = getattr(state, "policies", None)

    def name(code: str | None) -> str:
        p = ps.programme(code) if ps is not None and code else None
        return pick(p.title, p.title_en, lang) if p is not None else (code or "")

    return name


def page_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


def csrf_token(request: Request) -> str:
    """The browser's CSRF token (``huiqi.api.security.csrf_token``); every form and htmx request
    sends it back."""
    from huiqi.api.security import csrf_token as token_of

    return token_of(request)


def _may(user: Any, action: str) -> bool:
    """Whether the page should offer ``action`` to ``user`` (display only: the services decide)."""
    if user is None:
        return False
    from huiqi.workflow.access import role_may

    return role_may(user.role, action)


def render(request: Request, template: str, context: dict | None = None, *, status_code: int = 200, headers: dict | None = None) -> HTMLResponse:
    lang = page_lang(request)
    user = getattr(request.state, "user", None)
    ctx = {
        "request": request,
        "lang": lang,
        "t": lambda key, **kw: translate(key, lang).format(**kw) if kw else translate(key, lang),
        "pick": lambda zh, en: pick(zh, en, lang),
        "user": user,
        "csrf": csrf_token(request),
        "path": request.url.path,
        "programme_name": _programme_namer(request, lang),
        "event_sentence": lambda action, actor: event_sentence(action, actor, lang),
        "htmx": request.headers.get("HX-Request") == "true",
        "may": lambda action: _may(user, action),
        **(context or {}),
    }
    ctx["csrf_field"] = Markup(f'<input type="hidden" name="csrf_token" value="{ctx["csrf"]}">')
    html = _env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def render_error_page(request: Request, status: int, payload: dict, headers: dict | None = None) -> HTMLResponse:
    try:
        if status == 401:
            from fastapi.responses import RedirectResponse
            from urllib.parse import quote

            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return render(request, "error.html", {"status": status, "error": payload}, status_code=status, headers=headers)
    except Exception:  # noqa: BLE001 - an error page must never fail
        return HTMLResponse(f"<h1>{status}</h1><p>{payload.get('message_zh', '')} / {payload.get('message_en', '')}</p>", status_code=status, headers=headers)
