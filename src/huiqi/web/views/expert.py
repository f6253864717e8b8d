"""Expert pages: only the applications assigned to me; a scoring form; conflict declarations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from huiqi.api import access, actions
from huiqi.api.security import check_csrf_form, db
from huiqi.web.render import render
from huiqi.web.views.common import page_user, pop_flash, run_action
from huiqi.workflow import states

router = APIRouter(include_in_schema=False)
EXPERT = page_user(states.EXPERT)


@router.get("/expert")
def expert_home(request: Request, user: Any = Depends(EXPERT), session: Any = Depends(db)) -> Response:
    from huiqi.workflow.enterprises.models import Enterprise
    from huiqi.workflow.reviews.models import ExpertAssignment
    from huiqi.workflow.users.models import ExpertTie

    rows = actions.list_applications(session, user)
    mine = {a.application_id: a for a in session.execute(select(ExpertAssignment).where(ExpertAssignment.expert_id == user.id)).scalars()}
    ties = list(session.execute(select(ExpertTie, Enterprise).join(Enterprise, Enterprise.id == ExpertTie.enterprise_id).where(ExpertTie.expert_id == user.id)).all())
    enterprises = list(session.execute(select(Enterprise).order_by(Enterprise.name)).scalars())
    return render(request, "expert.html", {"rows": rows, "mine": mine, "ties": ties, "enterprises": enterprises, "flash": pop_flash(request)})


@router.get("/expert/applications/{application_id}")
def expert_application(request: Request, application_id: int, user: Any = Depends(EXPERT), session: Any = Depends(db)) -> Response:
    app = access.application_for(session, user, application_id)
    return render(request, "application.html", {"a": actions.application_detail(session, user, app, request.app.state.huiqi.policies), "flash": pop_flash(request), "base": "/expert/applications"})


@router.post("/expert/applications/{application_id}/score", dependencies=[Depends(check_csrf_form)])
async def expert_score(request: Request, application_id: int, user: Any = Depends(EXPERT), session: Any = Depends(db)) -> Response:
    f = await request.form()
    return run_action(request, session, lambda: actions.score(session, user, application_id=application_id, score=str(f.get("score") or ""), comment=str(f.get("comment") or "")), back=f"/expert/applications/{application_id}", ok=("评分已保存", "score saved"))


@router.post("/expert/ties", dependencies=[Depends(check_csrf_form)])
async def expert_tie(request: Request, user: Any = Depends(EXPERT), session: Any = Depends(db)) -> Response:
    f = await request.form()
    eid = str(f.get("enterprise_id") or "")
    return run_action(request, session, lambda: actions.declare_tie(session, user, enterprise_id=int(eid) if eid.isdigit() else 0, reason=str(f.get("reason") or "")), back="/expert", ok=("已声明关联关系，将回避该企业的评审", "tie declared: you will stand aside from this enterprise's applications"))
