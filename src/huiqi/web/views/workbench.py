"""The policy workbench for a district's officers (issue 18): upload a document's text → the
draft; edit a programme's YAML beside the quoted source with live validation (``policies check``,
quotations, ``policies lint`` when present), the policy tests and a preview of ``match``; propose;
a second officer of the district reviews the diff and publishes (four eyes). Every action goes
through ``huiqi.workflow.workbench`` with the signed-in user as ``actor``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from huiqi.api.security import DB, check_csrf_form
from huiqi.web.render import render
from huiqi.web.views.common import page_user, pop_flash, run_action
from huiqi.workflow import access
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.users.models import User
from huiqi.workflow.workbench import flows, service

router = APIRouter(include_in_schema=False)
WORKBENCH = page_user("page.workbench")  # a district's officers and auditors, the administrator
MAX_UPLOAD = 2_000_000


def _ps(request: Request) -> Any:
    return request.app.state.huiqi.policies


def _reload(request: Request, session: Any) -> None:
    """After a publication: the app's policies are the files plus every published version."""
    state = request.app.state.huiqi
    base = state.extra.get("file_policies") or state.policies
    state.extra.setdefault("file_policies", base)
    state.policies = flows.with_published(session, base)


def _district_documents(request: Request, user: Any) -> list:
    return [d for d in _ps(request).documents if user.role == "admin" or d.district == user.district]


@router.get("/office/workbench")
def workbench_home(request: Request, user: Any = Depends(WORKBENCH), session: Any = DB) -> Response:
    rows = service.list_for(session=session, actor=user)
    names = (
        {
            u.id: u.username
            for u in session.query(User)
            .filter(User.id.in_({r.author_id for r in rows} | {r.reviewed_by for r in rows if r.reviewed_by}))
            .all()
        }
        if rows
        else {}
    )
    return render(
        request,
        "workbench.html",
        {"rows": rows, "names": names, "documents": _district_documents(request, user), "flash": pop_flash(request)},
    )


@router.post("/office/workbench", dependencies=[Depends(check_csrf_form)])
async def workbench_create(
    request: Request,
    document_id: str = Form(""),
    supersedes: str = Form(""),
    source_text: str = Form(""),
    source: UploadFile | None = File(None),
    user: Any = Depends(WORKBENCH),
    session: Any = DB,
) -> Response:
    text, name = source_text, "source.txt"
    if source is not None and source.filename:
        data = await source.read(MAX_UPLOAD + 1)
        name = source.filename

        def bad() -> Any:
            raise InvalidInput(
                "原文须为 UTF-8 文本（.txt），不超过 2 MB",
                "the text must be UTF-8 (.txt), at most 2 MB",
                field="source",
            )

        if len(data) > MAX_UPLOAD:
            return run_action(request, session, bad, back="/office/workbench")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return run_action(request, session, bad, back="/office/workbench")
    return run_action(
        request,
        session,
        lambda: service.create(
            session=session,
            actor=user,
            source_text=text,
            source_name=name,
            document_id=document_id,
            supersedes=supersedes or None,
            policies=_ps(request),
        ),
        back="/office/workbench",
        ok=("草稿已生成：请逐项处理 TODO", "draft written: resolve every TODO"),
        then=lambda v: f"/office/workbench/{v.id}",
    )


def _programmes(yaml_text: str) -> list[str]:
    span = re.search(r"^programmes:\s*$", yaml_text, re.M)
    if not span:
        return []
    return re.findall(r"^  - id:\s*[\"']?([^\"'\s#]+)", yaml_text[span.end() :], re.M)


def _quoted_lines(text: str, source: str) -> list[tuple[int, str]]:
    """The source lines the YAML quotes (``line: N``), with one line around each."""
    lines = source.splitlines()
    wanted: set[int] = set()
    for m in re.finditer(r"\bline:\s*(\d+)", text):
        n = int(m.group(1))
        wanted |= {n - 1, n, n + 1}
    return [(n, lines[n - 1]) for n in sorted(wanted) if 1 <= n <= len(lines)]


@router.get("/office/workbench/{version_id}")
def workbench_version(
    request: Request,
    version_id: str,
    programme: str | None = None,
    user: Any = Depends(WORKBENCH),
    session: Any = DB,
) -> Response:
    v = service.get(session=session, version_id=version_id, actor=user)
    programmes = _programmes(v.yaml_text)
    block = service.block_text(v.yaml_text, programme) if programme else None
    if programme and block is None:
        programme = None
    text = block if block is not None else v.yaml_text
    quoted = (
        _quoted_lines(text, v.source_text)
        if block is not None
        else list(enumerate(v.source_text.splitlines(), start=1))
    )
    review = flows.review(session=session, version_id=v.id, actor=user, policies=_ps(request))
    authors = service._authors(v)
    ctx = {
        "v": v,
        "programmes": programmes,
        "programme": programme,
        "text": text,
        "quoted": quoted,
        "review": review,
        "is_author": user.id in authors,
        "can_edit": v.state == "draft" and access.role_may(user.role, "policy.edit"),
        "can_publish": v.state == "proposed"
        and access.role_may(user.role, "policy.publish")
        and user.id not in authors,
        "examples": flows.examples(),
        "flash": pop_flash(request),
    }
    return render(request, "workbench_version.html", ctx)


def _problems_html(request: Request, problems: list) -> Response:
    return render(request, "_workbench_problems.html", {"problems": problems})


@router.post("/office/workbench/{version_id}/check", dependencies=[Depends(check_csrf_form)])
async def workbench_check(
    request: Request, version_id: str, user: Any = Depends(WORKBENCH), session: Any = DB
) -> Response:
    """Live validation (htmx): the text in the editor, checked as it would be saved."""
    v = service.get(session=session, version_id=version_id, actor=user)
    access.authorize(user, "policy.read")
    f = await request.form()
    text = str(f.get("yaml_text") or "")
    programme = str(f.get("programme") or "") or None
    try:
        full = service.replace_block(v.yaml_text, programme, text) if programme else text
    except InvalidInput as exc:
        return _problems_html(
            request, [{"field": exc.field, "message_zh": exc.message_zh, "message_en": exc.message_en, "line": None}]
        )
    _doc, problems = service.check(
        full, policies=_ps(request), district=v.district, source_text=v.source_text, file=f"version {v.id}"
    )
    return _problems_html(request, [p.to_dict() for p in problems])


@router.post("/office/workbench/{version_id}/save", dependencies=[Depends(check_csrf_form)])
async def workbench_save(
    request: Request, version_id: str, user: Any = Depends(WORKBENCH), session: Any = DB
) -> Response:
    f = await request.form()
    programme = str(f.get("programme") or "") or None
    back = f"/office/workbench/{version_id}" + (f"?programme={programme}" if programme else "")
    return run_action(
        request,
        session,
        lambda: service.edit(
            session=session,
            version_id=version_id,
            actor=user,
            yaml_text=str(f.get("yaml_text") or ""),
            programme=programme,
        ),
        back=back,
        ok=("已保存", "saved"),
    )


@router.post("/office/workbench/{version_id}/tests", dependencies=[Depends(check_csrf_form)])
async def workbench_tests(
    request: Request, version_id: str, user: Any = Depends(WORKBENCH), session: Any = DB
) -> Response:
    f = await request.form()
    programme = str(f.get("programme") or "") or None
    result = flows.run_tests(
        session=session, version_id=version_id, actor=user, policies=_ps(request), programme=programme
    )
    return render(request, "_workbench_tests.html", {"r": result})


@router.post("/office/workbench/{version_id}/preview", dependencies=[Depends(check_csrf_form)])
async def workbench_preview(
    request: Request, version_id: str, user: Any = Depends(WORKBENCH), session: Any = DB
) -> Response:
    f = await request.form()
    programme = str(f.get("programme") or "") or None
    example = str(f.get("example") or "")
    profile = flows.examples().get(example) if example else str(f.get("profile") or "")
    try:
        out = flows.preview(
            session=session,
            version_id=version_id,
            actor=user,
            policies=_ps(request),
            profile=profile or "",
            on=str(f.get("on") or "") or None,
            programme=programme,
        )
    except InvalidInput as exc:
        return render(request, "_workbench_preview.html", {"error": exc, "out": None})
    return render(request, "_workbench_preview.html", {"error": None, "out": out})


@router.post("/office/workbench/{version_id}/propose", dependencies=[Depends(check_csrf_form)])
def workbench_propose(
    request: Request, version_id: str, user: Any = Depends(WORKBENCH), session: Any = DB
) -> Response:
    return run_action(
        request,
        session,
        lambda: service.propose(session=session, version_id=version_id, actor=user, policies=_ps(request)),
        back=f"/office/workbench/{version_id}",
        ok=("已提交复核：须由本区另一位经办人发布", "proposed: another officer of the district publishes it"),
    )


@router.post("/office/workbench/{version_id}/return", dependencies=[Depends(check_csrf_form)])
def workbench_return(
    request: Request, version_id: str, note: str = Form(""), user: Any = Depends(WORKBENCH), session: Any = DB
) -> Response:
    return run_action(
        request,
        session,
        lambda: service.return_to_draft(session=session, version_id=version_id, actor=user, note=note),
        back=f"/office/workbench/{version_id}",
        ok=("已退回草稿", "returned to draft"),
    )


@router.post("/office/workbench/{version_id}/publish", dependencies=[Depends(check_csrf_form)])
def workbench_publish(
    request: Request, version_id: str, note: str = Form(""), user: Any = Depends(WORKBENCH), session: Any = DB
) -> Response:
    def go() -> Any:
        v = service.publish(
            session=session, version_id=version_id, actor=user, policies=_ps(request), note=note or None
        )
        _reload(request, session)
        return v

    return run_action(
        request,
        session,
        go,
        back=f"/office/workbench/{version_id}",
        ok=(
            "已发布：新的申报按此版本测算；已提交的申报仍按其冻结的版本",
            "published: new applications are judged by it; those already submitted keep their frozen version",
        ),
    )
