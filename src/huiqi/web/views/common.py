"""Helpers shared by the signed-in pages: role checks, flash messages, running an action from a form."""

from __future__ import annotations

from typing import Any, Callable

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.api.errors import ApiError, forbidden, unauthenticated
from huiqi.api.security import db, load_user
from huiqi.rules import InputError
from huiqi.workflow.errors import WorkflowError


def page_user(*allowed: str) -> Callable:
    """A dependency for pages: the signed-in user (401 → log-in page) holding one of ``allowed``."""
    from huiqi.workflow.states import ROLES

    def dep(request: Request, session: Any = Depends(db)) -> Any:
        user = load_user(request, session)
        if user is None:
            raise unauthenticated()
        if allowed and user.role not in allowed:
            zh = "、".join(ROLES[r][0] for r in allowed)
            en = ", ".join(ROLES[r][1] for r in allowed)
            raise forbidden(f"此页面仅供{zh}使用", f"this page is for {en} only", field="role")
        return user

    return dep


def flash(request: Request, kind: str, zh: str, en: str, field: str = "") -> None:
    request.session["flash"] = {"kind": kind, "zh": zh[:600], "en": en[:600], "field": field}


def pop_flash(request: Request) -> dict | None:
    return request.session.pop("flash", None)


def run_action(request: Request, session: Any, fn: Callable[[], Any], *, back: str, ok: tuple[str, str] = ("已完成", "done"), then: Callable[[Any], str] | None = None) -> Response:
    """Run a workflow action from a form: commit and flash success, or roll back and flash the
    bilingual reason; either way go back (303) to the page the form was on."""
    try:
        result = fn()
        session.flush()
    except (ApiError, WorkflowError) as exc:
        session.rollback()
        flash(request, "err", exc.message_zh, exc.message_en, getattr(exc, "field", ""))
        return RedirectResponse(back, status_code=303)
    except InputError as exc:
        session.rollback()
        flash(request, "err", "；".join(f"{p.field}: {p.message_zh}" for p in exc.problems), "; ".join(f"{p.field}: {p.message_en}" for p in exc.problems))
        return RedirectResponse(back, status_code=303)
    except ValueError as exc:
        if not getattr(exc, "message_zh", None):
            raise
        session.rollback()
        flash(request, "err", exc.message_zh, getattr(exc, "message_en", ""), getattr(exc, "field", ""))  # type: ignore[attr-defined]
        return RedirectResponse(back, status_code=303)
    flash(request, "ok", *ok)
    return RedirectResponse(then(result) if then else back, status_code=303)


def form_bool(value: Any) -> bool:
    return str(value or "").lower() in ("1", "true", "yes", "on", "是")
