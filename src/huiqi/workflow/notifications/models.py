"""Notifications: an in-app inbox per user and e-mail, made from the audit log by the dispatcher.

One row per (event, recipient, channel) — the unique key makes a notification impossible to
create twice for one event, whatever runs the dispatcher. An e-mail row is ``pending`` until sent;
a failed send stays (``failed``, with the error and the next attempt's time) and is retried with
back-off — never dropped. ``NotificationPref``: what an enterprise chooses to receive.
``Deadline``: a due date an officer sets (the policy says only 定期 / 书面同意, no period), reminded
in working days. ``DispatchCursor``: the last audit entry the dispatcher has read.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin

# what a notification is about (an enterprise may switch each off, per channel)
KINDS = {
    "round_open": ("有适合您的项目开放申报", "a round opened for a programme that fits you"),
    "materials": ("申报材料不全", "materials missing"),
    "stage": ("申报进入新环节", "application moved stage"),
    "notice": ("公示发布", "notice published"),
    "payment": ("资金已拨付", "payment made"),
    "change": ("变更申请已决定", "change decided"),
    "deadline": ("截止日期提醒", "deadline reminder"),
    "office": ("待办事项（经办人）", "work for officers"),
}
CHANNELS = ("inbox", "email")


class Notification(IdMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_key", "user_id", "channel"),)

    event_key: Mapped[str] = mapped_column(String(150), nullable=False)  # "audit:<seq>" or "remind:…"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)  # inbox / email
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # KINDS
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # the event's
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    programme_id: Mapped[str | None] = mapped_column(String(50))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    title_zh: Mapped[str] = mapped_column(String(300), nullable=False)
    title_en: Mapped[str] = mapped_column(String(300), nullable=False)
    body_zh: Mapped[str] = mapped_column(Text, nullable=False)
    body_en: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(200))  # e-mail: where to
    state: Mapped[str] = mapped_column(String(10), nullable=False)  # inbox: unread/read; email: pending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # read / sent


class NotificationPref(IdMixin, Base):
    __tablename__ = "notification_prefs"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), unique=True, nullable=False)
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    email: Mapped[str | None] = mapped_column(String(200))  # None: no e-mail
    muted: Mapped[list] = mapped_column(JSON, nullable=False)  # ["<kind>:<channel>", …] switched off


class Deadline(IdMixin, Base):
    __tablename__ = "deadlines"

    district: Mapped[str | None] = mapped_column(String(50), index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # progress_report / change_decision
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("change_requests.id"))
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(nullable=False, default=False)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)


class DispatchCursor(Base):
    __tablename__ = "dispatch_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # one row: 1
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # the last audit seq read
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
