"""Expert pages: only the applications assigned to me (never an enterprise I declared a tie with); a
scoring form; conflict declarations for my district's enterprises."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from huiqi.api.security import check_csrf_form, DB
from huiqi.web.render import render
from huiqi.web.views.common import page_user, pop_flash, run_action
from huiqi.workflow.applications import flows as application_flows
from huiqi.workflow.applications import service as applications
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.users import service as users

router = APIRouter(include_in_schema=False)
EXPERT = page_user("page.expert")


@router.get("/expert")
def expert_home(request: Request, user: Any = Depends(EXPERT), session: Any = DB) -> Response:
    apps = applications.list_for(session=session, actor=user, newest_first=True)
    rows = [(a, session.get(Enterprise, a.enterprise_id)) for a in apps]
    mine = {a.application_id: a for a in reviews.my_assignments(session=session, actor=user)}
    ties = [(t, session.get(Enterprise, t.enterprise_id)) for t in users.ties(session=session, actor=user)]
    ents = sorted(enterprises.list_all(session=session, actor=user), key=lambda e: e.name)
    return render(request, "expert.html", {"rows": rows, "mine": mine, "ties": ties, "enterprises": ents, "flash": pop_flash(request)})


@router.get("/expert/applications/{application_id}")
def expert_application(request: Request, application_id: int, user: Any = Depends(EXPERT), session: Any = DB) -> Response:
    a = application_flows.detail(session=session, application_id=application_id, actor=user, policies=request.app.state.huiqi.policies)
    return render(request, "application.html", {"a": a, "flash": pop_flash(request), "base": "/expert/applications"})


@router.post("/expert/applications/{application_id}/score", dependencies=[Depends(check_csrf_form)])
async def expert_score(request: Request, application_id: int, user: Any = Depends(EXPERT), session: Any = DB) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: reviews.score(session=session, application_id=application_id, actor=user, score=str(f.get("score") or ""), comment=str(f.get("comment") or "")),
                      back=f"/expert/applications/{application_id}", ok=("评分已保存", "score saved"))


@router.post("/expert/ties", dependencies=[Depends(check_csrf_form)])
async def expert_tie(request: Request, user: Any = Depends(EXPERT), session: Any = DB) -> Response:
    f = await request.form()
    eid = str(f.get("enterprise_id") or "")
    return run_action(request, session, lambda: users.declare_tie(session=session, expert_id=user.id, enterprise_id=int(eid) if eid.isdigit() else 0, reason=str(f.get("reason") or ""), actor=user),
                      back="/expert", ok=("已声明关联关系，将回避该企业的评审", "tie declared: you will stand aside from this enterprise's applications"))
