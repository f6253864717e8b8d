"""Statistics (统计) of what the reader may see."""

from __future__ import annotations

from fastapi import APIRouter

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, SessionDep
from huiqi.api.routes.common import LIST
from huiqi.workflow.dashboard import flows as dashboard_flows

router = APIRouter(tags=["dashboard 统计"])


@router.get(
    "/dashboard",
    summary="统计：按项目、镇、月份的金额，预算使用 / statistics",
    response_model=schemas.Dashboard,
    responses=LIST,
)
def dashboard(session: SessionDep, user: CurrentUser) -> dict:
    return dashboard_flows.dashboard(session=session, actor=user)
