"""Helpers shared by the signed-in pages: the signed-in user, flash messages, running an action from a form.

Pages decide nothing about access: a page asks ``huiqi.workflow.access`` whether the user may open
its portal (``page.office`` …), and every action and record goes through the services with the
user as ``actor`` — the same rules as the API and the CLI.
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.api.errors import ApiError, unauthenticated
from huiqi.api.security import DB, load_user
from huiqi.rules import InputError
from huiqi.workflow.errors import DuplicateApplication, NotFound, PermissionDenied, WorkflowError


def page_user(portal: str | None = None) -> Callable:
    """A dependency for pages: the signed-in user (401 → log-in page) who may open ``portal`` (an
    ``access`` action such as ``page.office``; None: any signed-in user)."""
    from huiqi.workflow import access

    def dep(request: Request, session: Any = DB) -> Any:
        user = load_user(request, session)
        if user is None:
            raise unauthenticated()
        if portal is not None:
            access.authorize(user, portal)
        return user

    return dep


def flash(request: Request, kind: str, zh: str, en: str, field: str = "") -> None:
    """A one-time message for the next page, kept in the signed-in session's row (saved with the
    request's commit)."""
    row = getattr(request.state, "session_row", None)
    if row is not None:
        row.data = {**(row.data or {}), "flash": {"kind": kind, "zh": zh[:600], "en": en[:600], "field": field}}


def set_flash_link(request: Request, href: str, zh: str, en: str) -> None:
    """A link under the one-time message (e.g. 查看已有申报)."""
    row = getattr(request.state, "session_row", None)
    if row is not None and (row.data or {}).get("flash"):
        data = dict(row.data)
        data["flash"] = {**data["flash"], "link": {"href": href, "zh": zh, "en": en}}
        row.data = data


def pop_flash(request: Request) -> dict | None:
    row = getattr(request.state, "session_row", None)
    if row is None or not (row.data or {}).get("flash"):
        return None
    data = dict(row.data)
    message = data.pop("flash")
    row.data = data
    return message


def run_action(request: Request, session: Any, fn: Callable[[], Any], *, back: str, ok: tuple[str, str] = ("已完成", "done"), then: Callable[[Any], str] | None = None) -> Response:
    """Run a workflow action from a form: commit and flash success, or roll back and flash the
    bilingual reason; either way go back (303) to the page the form was on. A refusal — a record
    out of the user's scope, an action its role may not take — rolls back and answers 404 / 403
    as the API does (nothing was changed)."""
    try:
        result = fn()
        session.flush()
    except (NotFound, PermissionDenied):
        session.rollback()
        raise
    except (ApiError, WorkflowError) as exc:
        session.rollback()
        flash(request, "err", exc.message_zh, exc.message_en, getattr(exc, "field", ""))
        if isinstance(exc, DuplicateApplication):  # offer 查看已有申报 in the portal the form was in
            portal = back.strip("/").split("/")[0] or "my"
            set_flash_link(request, f"/{portal}/applications/{int(exc.details['existing_id'])}", "查看已有申报", "see the existing application")
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
