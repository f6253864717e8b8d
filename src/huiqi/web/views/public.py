"""Pages anyone may see: home, language switch, log-in, the policy browser and the self-check."""

from __future__ import annotations

import datetime as dt
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
    from huiqi.api.security import SESSION_COOKIE

    if state.sessionmaker is None or not request.cookies.get(SESSION_COOKIE):
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
    return render(request, "programme.html", {"p": programme_detail(p, ps.document(p.document_id)), "programme": p})


# ------------------------------------------------------------------ self-check (guided: web/selfcheck.py)


def _secret(request: Request) -> str:
    return str(request.app.state.huiqi.settings.secret_key)


def _on(value: str | None) -> str | None:
    if value:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ApiError(
                422,
                f"不是有效日期（应为 YYYY-MM-DD）：{value!r}",
                f"not a real date (YYYY-MM-DD): {value!r}",
                field="on",
            ) from None
    return None


def _known(request: Request, user: Any, answers: sc.Answers) -> dict:
    """What the district already knows, put into the answers on every step (never asked): a signed-in
    enterprise's record, and the open round's 限定期间. Returns the round (for the pages) and the
    towns on the register."""
    state = request.app.state.huiqi
    out: dict = {"round": None, "towns_on_record": {}}
    if state.sessionmaker is None:
        return out
    from sqlalchemy import select

    from huiqi.workflow.enterprises.models import Enterprise
    from huiqi.workflow.rounds.models import Round

    session = state.sessionmaker()
    try:
        ent = (
            session.get(Enterprise, user.enterprise_id)
            if user is not None and user.role == "enterprise" and user.enterprise_id
            else None
        )
        if ent is not None:
            record = {"name": ent.name, "uscc": ent.uscc, "registered_district": ent.district, "town": ent.town}
            for key, value in record.items():
                if value:
                    answers.enterprise[key] = value
                    if key not in answers.locked:
                        answers.locked.append(key)
        for district, town in session.execute(
            select(Enterprise.district, Enterprise.town).where(Enterprise.town.is_not(None)).distinct()
        ):
            if district:
                out["towns_on_record"].setdefault(district, []).append(town)
        district = answers.enterprise.get("registered_district")
        rounds = session.execute(select(Round).where(Round.state == "open").order_by(Round.id)).scalars()
        wanted = set(answers.programmes)
        for r in rounds:
            if r.period_start is None or r.period_end is None or (r.district and district and r.district != district):
                continue
            if wanted and not wanted & set(r.programmes or []):
                continue
            answers.profile["call"] = {
                "period_start": r.period_start.isoformat(),
                "period_end": r.period_end.isoformat(),
            }
            out["round"] = {
                "name": r.name,
                "period_start": r.period_start,
                "period_end": r.period_end,
                "closes_on": r.closes_on,
            }
            break
        else:
            answers.profile["call"] = {}
        return out
    finally:
        session.close()


def _same(a: dict, b: dict) -> bool:
    return a.get("page") == b.get("page") and list(a.get("keys") or []) == list(b.get("keys") or [])


def _page(
    request: Request,
    answers: sc.Answers,
    nav: dict,
    *,
    known: dict,
    report: dict | None = None,
    errors: sc.PageErrors | None = None,
    problems: list | None = None,
    status_code: int = 200,
    expired: bool = False,
) -> Response:
    """Render one page of the self-check (the whole page, or the fragment for htmx)."""
    from huiqi.web.render import page_lang

    ps = _policies(request)
    lang = page_lang(request)
    if report is None:
        report, problems = sc.run(ps, answers)
    page = nav["page"]
    if not answers.trail or not _same(answers.trail[-1], nav):
        answers.trail.append(nav)
    ctx: dict = {
        "nav": nav,
        "page": page,
        "answers": answers,
        "errors": errors or sc.PageErrors(),
        "problems": problems or [],
        "round": known.get("round"),
        "report": report,
        "ps": ps,
        "sc": sc,
        "token": sc.dump(answers, _secret(request)),
        "can_back": len(answers.trail) > 1,
        "expired": expired,
    }
    if page == "place":
        ctx["districts"] = sc.districts(ps)
        ctx["towns"] = sc.towns(ps, known.get("towns_on_record", {}))
    elif page == "area":
        ctx["areas"] = sc.areas_of(ps, report)
    elif page == "subjects":
        ctx["offered"] = sc.offered_kinds(ps, answers, report)
    elif page in ("questions", "edit"):
        questions = [q for q in (sc.question_for(ps, answers, k) for k in nav.get("keys", [])) if q is not None]
        pend = {q.key: q for q in sc.pending(ps, answers, report)}
        for q in questions:
            if q.key in pend:
                q.programmes = pend[q.key].programmes
            if errors is not None and q.name in errors.typed:
                q.value = errors.typed[q.name]
            q.error = errors.of(q.id) if errors is not None else None
        ctx["questions"] = questions
        claim_ids = {q.claim for q in questions if q.claim}
        ctx["claim"] = claim = answers.claim(next(iter(claim_ids))) if len(claim_ids) == 1 else None
        ctx["ask_name"] = (
            claim is not None
            and page == "questions"
            and not any(k not in ("id", "kind") for k in claim)
            and not any(k.startswith(f"claim:{claim['id']}:") for k in answers.skipped)
        )
        ctx["remaining"] = len(sc.pending(ps, answers, report))
    elif page == "check":
        ctx["review"] = sc.review(ps, answers, lang)
        ctx["remaining"] = len(sc.pending(ps, answers, report))
    elif page == "results":
        ctx["docs"] = sc.results_view(ps, answers, report, lang)
        ctx["profile"] = sc.profile_for_match(answers)
    template = "_selfcheck_page.html" if request.headers.get("HX-Request") == "true" else "selfcheck.html"
    return render(request, template, ctx, status_code=status_code)


@router.get("/selfcheck")
def selfcheck_start(request: Request, programme: list[str] | None = Query(None), on: str | None = None) -> Response:
    user = maybe_user(request)
    ps = _policies(request)
    answers = sc.Answers(programmes=[p for p in (programme or []) if ps.programme(p) is not None], on=_on(on))
    known = _known(request, user, answers)
    report, problems = sc.run(ps, answers)
    return _page(request, answers, sc.first_page(ps, answers, report), known=known, report=report, problems=problems)


@router.post("/selfcheck", dependencies=[Depends(check_csrf_form)])
async def selfcheck_step(request: Request) -> Response:
    user = maybe_user(request)
    ps = _policies(request)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    action = values.get("action", "next")
    answers = sc.load(values.get("state"), _secret(request))
    if answers is None or action == "restart":
        expired = answers is None  # a state from another key (a restart with a new secret) or tampered with
        answers = sc.Answers(programmes=answers.programmes if answers else [], on=answers.on if answers else None)
        known = _known(request, user, answers)
        report, problems = sc.run(ps, answers)
        answers.trail = []
        nav = sc.first_page(ps, answers, report)
        return _page(request, answers, nav, known=known, report=report, problems=problems, expired=expired)
    known = _known(request, user, answers)
    report, _ = sc.run(ps, answers)
    page = values.get("page", "")
    keys = [k for k in (values.get("keys") or "").split(",") if k]
    current = {"page": page, **({"keys": keys} if keys else {})}
    back_to_check = values.get("return") == "check"
    if action == "back":
        if answers.trail and _same(answers.trail[-1], current):
            answers.trail.pop()
        previous = answers.trail.pop() if answers.trail else sc.first_page(ps, answers, report)
        return _page(request, answers, previous, known=known)
    errors = sc.PageErrors()
    if page == "place":
        errors = sc.apply_place(ps, answers, values, sc.towns(ps, known["towns_on_record"]))
        known = _known(request, user, answers)  # the open round may depend on the district
    elif page == "area":
        sc.apply_areas(ps, answers, [v for v in form.getlist("area") if isinstance(v, str)], report)
    elif page == "subjects":
        sc.apply_subjects(
            ps, answers, [v for v in form.getlist("has") if isinstance(v, str)], sc.offered_kinds(ps, answers, report)
        )
        if action.startswith("add:"):
            sc.add_claim(answers, action[4:])
        elif action.startswith("remove:"):
            sc.remove_claim(answers, action[7:])
    elif page in ("questions", "edit"):
        errors = sc.apply_questions(ps, answers, keys, values)
    if errors:
        return _page(
            request,
            answers,
            {**current, **({"return": "check"} if back_to_check else {})},
            known=known,
            errors=errors,
            status_code=200,
        )
    report, problems = sc.run(ps, answers)
    if page == "subjects" and (action.startswith("add:") or action.startswith("remove:")):
        return _page(request, answers, current, known=known, report=report, problems=problems)
    if action.startswith("goto:") and action[5:] in ("place", "area", "subjects", "check", "results"):
        target = action[5:]
        nav = {
            "page": target,
            **({"return": "check"} if target in ("place", "area", "subjects") and page == "check" else {}),
        }
    elif action.startswith("edit:"):
        nav = {"page": "edit", "keys": [action[5:]], "return": "check"}
    elif back_to_check:
        nav = {"page": "check"}
    elif action == "continue":
        nav = sc.next_page(ps, answers, report, "subjects")
    elif page == "check":
        nav = {"page": "results"}
    else:
        nav = sc.next_page(ps, answers, report, page if page != "edit" else "questions")
    return _page(request, answers, nav, known=known, report=report, problems=problems)


@router.post("/selfcheck/pdf", dependencies=[Depends(check_csrf_form)])
async def selfcheck_pdf(request: Request) -> Response:
    """The printable 自测结果单 (PDF, Chinese font embedded); without a CJK font on the server, a
    page that says so and offers the browser's print instead — never an error."""
    from huiqi.web import selfcheck_pdf as pdf
    from huiqi.web.render import page_lang

    user = maybe_user(request)
    ps = _policies(request)
    form = await request.form()
    answers = sc.load(str(form.get("state") or ""), _secret(request))
    if answers is None:
        return RedirectResponse("/selfcheck", status_code=303)
    known = _known(request, user, answers)
    report, _ = sc.run(ps, answers)
    lang = page_lang(request)
    try:
        data = pdf.build(ps, answers, report, lang=lang, round_=known.get("round"))
    except pdf.PdfUnavailable as exc:
        return render(
            request,
            "selfcheck_nopdf.html",
            {"reason": exc, "token": sc.dump(answers, _secret(request))},
            status_code=503,
        )
    name = f"huiqi-selfcheck-{answers.day().isoformat()}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"},
    )
