"""Pages anyone may see: home, language switch, log-in, the policy browser and the self-check."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.api.errors import ApiError, not_found
from huiqi.rules.catalogue import document_detail, programme_detail
from huiqi.api.security import check_csrf_form
from huiqi.web import selfcheck as sc
from huiqi.web.i18n import LANGS
from huiqi.web.render import render

router = APIRouter(include_in_schema=False)


def _policies(request: Request):  # noqa: ANN202
    return request.app.state.huiqi.policies


def maybe_user(request: Request) -> Any:
    """The signed-in user for the navigation bar, if the database is there; never raises 401."""
    state = request.app.state.huiqi
    if state.sessionmaker is None or "uid" not in request.session:
        request.state.user = None
        return None
    from huiqi.api.security import load_user

    session = state.sessionmaker()
    try:
        user = load_user(request, session)
        if user is not None:
            session.expunge(user)
        return user
    finally:
        session.close()


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect is refused."""
    if not target:
        return default
    u = urlparse(target)
    if u.scheme or u.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@router.get("/")
def home(request: Request) -> Response:
    maybe_user(request)
    ps = _policies(request)
    return render(request, "home.html", {"documents": ps.documents, "n_programmes": len(ps.programmes())})


@router.get("/lang/{lang}")
def switch_lang(request: Request, lang: str, next: str | None = None) -> Response:  # noqa: A002
    if lang not in LANGS:
        raise not_found("语言", "language", field="lang")
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return resp


@router.get("/policies")
def policies_page(request: Request) -> Response:
    maybe_user(request)
    ps = _policies(request)
    return render(request, "policies.html", {"documents": ps.documents})


@router.get("/policies/{document_id}")
def document_page(request: Request, document_id: str) -> Response:
    maybe_user(request)
    d = _policies(request).document(document_id)
    if d is None:
        raise not_found("政策文件", "document", field="document_id")
    return render(request, "document.html", {"doc": document_detail(d), "document": d})


@router.get("/programmes/{programme_id}")
def programme_page(request: Request, programme_id: str) -> Response:
    maybe_user(request)
    ps = _policies(request)
    p = ps.programme(programme_id)
    if p is None:
        raise not_found("扶持项目", "programme", field="programme_id")
    return render(request, "programme.html", {"p": programme_detail(p, ps.document(p.document_id))})


# ------------------------------------------------------------------ self-check


def _on(value: str | None) -> dt.date:
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ApiError(422, f"不是有效日期（应为 YYYY-MM-DD）：{value!r}", f"not a real date (YYYY-MM-DD): {value!r}", field="on") from None
    return dt.date.today()


@router.get("/selfcheck")
def selfcheck_page(request: Request, programme: list[str] | None = Query(None), on: str | None = None) -> Response:
    user = maybe_user(request)
    ps = _policies(request)
    prof = sc.empty_profile()
    if user is not None and user.enterprise_id is not None:
        prof["enterprise"].update(_enterprise_seed(request, user))
    st = sc.step(ps, prof, on=_on(on), programmes=list(programme or []))
    return render(request, "selfcheck.html", {"step": st, "all_programmes": ps.programmes()})


def _enterprise_seed(request: Request, user: Any) -> dict:
    """An enterprise user's self-check starts from what the district knows: name, USCC, district."""
    state = request.app.state.huiqi
    from huiqi.workflow.enterprises.models import Enterprise

    session = state.sessionmaker()
    try:
        ent = session.get(Enterprise, user.enterprise_id)
        if ent is None:
            return {}
        out = {"name": ent.name, "uscc": ent.uscc}
        if ent.district and ps_has(request, "enterprise.registered_district"):
            out["registered_district"] = ent.district
        return out
    finally:
        session.close()


def ps_has(request: Request, fact: str) -> bool:
    return _policies(request).vocabulary.fact(fact) is not None


@router.post("/selfcheck", dependencies=[Depends(check_csrf_form)])
async def selfcheck_step(request: Request) -> Response:
    maybe_user(request)
    ps = _policies(request)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    prof = sc.load_profile_field(values.get("profile"))
    if values.get("reset"):
        prof = sc.empty_profile()
    remove = values.get("remove_claim")
    if remove:
        sc.remove_claim(prof, remove)
    add_kinds = [v for v in form.getlist("add_claim") if isinstance(v, str)]
    errors = sc.apply_answers(ps, prof, values, add_kinds)
    programmes = [v for v in form.getlist("programme") if isinstance(v, str)]
    st = sc.step(ps, prof, on=_on(values.get("on")), programmes=programmes, errors=errors, form=values)
    template = "_selfcheck_body.html" if request.headers.get("HX-Request") == "true" else "selfcheck.html"
    return render(request, template, {"step": st, "all_programmes": ps.programmes(), "profile_json": json.dumps(prof, ensure_ascii=False)})
