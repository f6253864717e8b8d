"""Notifications (通知): one's inbox, an enterprise's choices, a district's deliveries and failures,
deadlines, the dispatcher (a system job), and the funnel per programme."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep, SettingsDep
from huiqi.api.routes.common import DATE_PATTERN, LIST, READ, WRITE
from huiqi.workflow.common import parse_day, row_dict
from huiqi.workflow.notifications import flows as notify
from huiqi.workflow.notifications import service as inbox

router = APIRouter(tags=["notifications 通知"])


class PrefsIn(BaseModel):
    email: Optional[str] = Field(None, max_length=200)
    muted: list[str] = Field(
        default_factory=list, max_length=50, description="kind:channel switched off, e.g. stage:email"
    )


class DeadlineIn(BaseModel):
    application_id: int = Field(..., ge=1, le=2**31 - 1)
    kind: str = Field(..., max_length=30, description="progress_report / change_decision")
    due_on: str = Field(..., pattern=DATE_PATTERN)
    change_id: Optional[int] = Field(None, ge=1, le=2**31 - 1)
    note: Optional[str] = Field(None, max_length=1000)


class DispatchIn(BaseModel):
    on: Optional[str] = Field(None, pattern=DATE_PATTERN)


def _item(n) -> dict:  # noqa: ANN001
    return inbox.view(n)


@router.get(
    "/notifications", summary="我的通知 / my inbox", response_model=list[schemas.NotificationItem], responses=LIST
)
def my_inbox(session: SessionDep, user: CurrentUser, unread: bool = False) -> list[dict]:
    return [_item(n) for n in inbox.inbox(session=session, actor=user, unread_only=unread)]


@router.post(
    "/notifications/{notification_id}/read",
    summary="标为已读 / mark read",
    response_model=schemas.NotificationItem,
    responses=WRITE,
)
def mark_read(notification_id: int, session: SessionDep, user: CurrentUser) -> dict:
    return _item(inbox.mark_read(session=session, notification_id=notification_id, actor=user))


@router.get(
    "/notifications/prefs",
    summary="通知设置（企业）/ what my enterprise receives",
    response_model=schemas.Prefs,
    responses=READ,
)
def get_prefs(session: SessionDep, user: CurrentUser) -> dict:
    return inbox.prefs(session=session, actor=user)


@router.put(
    "/notifications/prefs",
    summary="设置接收的通知 / choose what to receive",
    response_model=schemas.Prefs,
    responses=WRITE,
)
def put_prefs(body: PrefsIn, session: SessionDep, user: CurrentUser) -> dict:
    inbox.set_prefs(session=session, actor=user, email=body.email, muted=body.muted)
    return inbox.prefs(session=session, actor=user)


@router.get(
    "/notifications/deliveries",
    summary="本区通知发送情况（含失败）/ the district's deliveries",
    response_model=list[schemas.NotificationItem],
    responses=LIST,
)
def deliveries(session: SessionDep, user: CurrentUser, state: Optional[str] = None) -> list[dict]:
    return [_item(n) for n in inbox.deliveries(session=session, actor=user, state=state)]


@router.post(
    "/notifications/{notification_id}/retry",
    summary="立即重试发送 / retry now",
    response_model=schemas.NotificationItem,
    responses=WRITE,
)
def retry(notification_id: int, session: SessionDep, user: CurrentUser) -> dict:
    return _item(inbox.retry_now(session=session, notification_id=notification_id, actor=user))


@router.post(
    "/notifications/dispatch",
    summary="运行通知分发、提醒与邮件发送 / run the dispatcher once",
    response_model=schemas.DispatchResult,
    responses=WRITE,
)
def dispatch(body: DispatchIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep, settings: SettingsDep) -> dict:
    on = parse_day(body.on, field="on") if body.on else None
    d = notify.dispatch(session=session, actor=user, on=on, policies=ps, settings=settings)
    r = notify.remind(session=session, actor=user, on=on, policies=ps, settings=settings)
    s = notify.deliver(session=session, actor=user, settings=settings)
    return {"dispatched": d, "reminders": r, "delivered": s}


@router.post(
    "/deadlines",
    summary="设定进展报告或变更答复期限 / set a deadline",
    status_code=201,
    response_model=schemas.DeadlineRecord,
    responses=WRITE,
)
def set_deadline(body: DeadlineIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(inbox.set_deadline(session=session, actor=user, **body.model_dump()))


@router.get("/deadlines", summary="期限 / deadlines", response_model=list[schemas.DeadlineRecord], responses=LIST)
def list_deadlines(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [row_dict(d) for d in inbox.deadlines(session=session, actor=user)]


@router.get(
    "/dashboard/funnel",
    summary="各项目漏斗：匹配、通知、开始、提交、立项 / the funnel per programme",
    response_model=list[schemas.FunnelRow],
    responses=LIST,
)
def funnel(session: SessionDep, user: CurrentUser, ps: PoliciesDep, year: Optional[int] = None) -> list[dict]:
    return notify.funnel(session=session, actor=user, year=year, policies=ps)
