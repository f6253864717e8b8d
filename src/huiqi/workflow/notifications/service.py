"""Notifications as their readers see them: one's inbox, an enterprise's preferences, a district's
deliveries (officers: what was sent, what failed and why), deadlines officers set.

The dispatcher that makes notifications from the audit log, the reminders and the e-mail sender
are in ``notifications.flows``.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access
from huiqi.workflow.applications.models import Application
from huiqi.workflow.changes.models import ChangeRequest
from huiqi.workflow.common import parse_day, plain, row_dict, utcnow
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.notifications.models import CHANNELS, KINDS, Deadline, Notification, NotificationPref
from huiqi.workflow.users.models import User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEADLINE_KINDS = {
    "progress_report": ("进展报告报送", "progress report due"),
    "change_decision": ("变更申请书面答复", "change decision due"),
}


def view(n: Notification) -> dict:
    d = row_dict(n)
    d["kind_zh"], d["kind_en"] = KINDS.get(n.kind, (n.kind, n.kind))
    return d


# ------------------------------------------------------------------ the inbox


def inbox(*, session: Session, actor: User, unread_only: bool = False, limit: int = 200) -> list[Notification]:
    """The actor's own in-app notifications, newest first (everyone's inbox is its own)."""
    access.authorize(actor, "notify.inbox")
    q = select(Notification).where(
        Notification.user_id == actor.id, Notification.channel == "inbox", access.visible(actor, Notification)
    )
    if unread_only:
        q = q.where(Notification.state == "unread")
    return list(session.execute(q.order_by(Notification.id.desc()).limit(limit)).scalars())


def unread_count(*, session: Session, actor: User) -> int:
    if actor is None or not access.has_scope(actor):
        return 0
    q = select(func.count(Notification.id)).where(
        Notification.user_id == actor.id, Notification.channel == "inbox", Notification.state == "unread"
    )
    return int(session.execute(q).scalar() or 0)


def mark_read(*, session: Session, notification_id: int, actor: User) -> Notification:
    """Mark one of one's own notifications read (another's: not found)."""
    access.authorize(actor, "notify.inbox")
    n = access.get(session, actor, Notification, notification_id, field="notification")
    if n.user_id != actor.id or n.channel != "inbox":
        raise access.not_found(Notification, notification_id, field="notification")
    if n.state == "unread":
        n.state, n.done_at = "read", utcnow()
        session.flush()
    return n


# ------------------------------------------------------------------ what an enterprise receives


def prefs(*, session: Session, actor: User, enterprise_id: int | None = None) -> dict:
    """An enterprise's choices: its e-mail address and, per kind and channel, on or off (default: on)."""
    eid = enterprise_id if enterprise_id is not None else actor.enterprise_id
    ent = access.get(session, actor, Enterprise, eid, field="enterprise")
    access.authorize(actor, "record.read")
    p = session.execute(select(NotificationPref).where(NotificationPref.enterprise_id == ent.id)).scalar_one_or_none()
    muted = set(p.muted) if p else set()
    return {
        "enterprise_id": ent.id,
        "email": p.email if p else None,
        "kinds": [
            {"kind": k, "zh": zh, "en": en, **{c: f"{k}:{c}" not in muted for c in CHANNELS}}
            for k, (zh, en) in KINDS.items()
            if k != "office"
        ],
    }


def set_prefs(*, session: Session, actor: User, email: str | None, muted: list[str]) -> NotificationPref:
    """An enterprise user sets what its enterprise receives: the e-mail address (empty: none) and
    the kinds switched off, as ``<kind>:<channel>`` (e.g. ``stage:email``). Audited."""
    access.authorize(actor, "notify.prefs")
    ent = access.get(session, actor, Enterprise, actor.enterprise_id, field="enterprise")
    email = (email or "").strip() or None
    if email is not None and (len(email) > 200 or not EMAIL.match(email)):
        raise InvalidInput(
            f"不是有效的电子邮件地址：{email!r}", f"not a valid e-mail address: {email!r}", field="email"
        )
    good = {f"{k}:{c}" for k in KINDS for c in CHANNELS}
    bad = [m for m in muted if m not in good]
    if bad:
        raise InvalidInput(
            f"未知的通知类别：{'、'.join(bad)}（应为 类别:渠道，如 stage:email）",
            f"unknown notification kind(s): {', '.join(bad)} (kind:channel, e.g. stage:email)",
            field="muted",
        )
    p = session.execute(select(NotificationPref).where(NotificationPref.enterprise_id == ent.id)).scalar_one_or_none()
    before = {"email": p.email, "muted": list(p.muted)} if p else None
    if p is None:
        p = NotificationPref(enterprise_id=ent.id, district=ent.district, email=email, muted=sorted(set(muted)))
        session.add(p)
    else:
        p.email, p.muted = email, sorted(set(muted))
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="notify.prefs",
        entity="enterprise",
        entity_id=ent.id,
        district=ent.district,
        data={"before": before, "after": {"email": email, "muted": p.muted}},
    )
    return p


# ------------------------------------------------------------------ deliveries (officers)


def deliveries(
    *, session: Session, actor: User, state: str | None = None, channel: str | None = "email", limit: int = 500
) -> list[Notification]:
    """The district's notifications (``notify.delivery``: its officers and auditors; the admin all):
    e-mails pending, sent or failed — with the attempts and the last error."""
    access.authorize(actor, "notify.delivery")
    q = select(Notification).where(access.visible(actor, Notification))
    if actor.role != access.ADMIN:
        q = q.where(Notification.district == actor.district)
    if channel:
        q = q.where(Notification.channel == channel)
    if state:
        q = q.where(Notification.state == state)
    return list(session.execute(q.order_by(Notification.id.desc()).limit(limit)).scalars())


def retry_now(*, session: Session, notification_id: int, actor: User) -> Notification:
    """An officer asks for a failed (or pending) e-mail of its district to be tried at the next dispatch."""
    access.authorize(actor, "notify.retry")
    n = access.get(session, actor, Notification, notification_id, field="notification")
    if n.district != actor.district or n.channel != "email":
        raise access.not_found(Notification, notification_id, field="notification")
    if n.state == "sent":
        raise InvalidInput("该邮件已发送", "this e-mail was sent already", field="notification")
    n.next_attempt_at = None
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="notify.retry",
        entity="notification",
        entity_id=n.id,
        district=n.district,
        data={"attempts": n.attempts, "last_error": n.last_error},
    )
    return n


# ------------------------------------------------------------------ deadlines


def set_deadline(
    *,
    session: Session,
    application_id: int,
    kind: str,
    due_on: dt.date | str,
    actor: User,
    change_id: int | None = None,
    note: str | None = None,
) -> Deadline:
    """An officer sets when a progress report (定期报送: the document states no period) or the
    written answer to a change request is due; reminders come before it in working days."""
    app = access.get(session, actor, Application, application_id, field="application")
    access.authorize(actor, "deadline.set")
    if kind not in DEADLINE_KINDS:
        raise InvalidInput(
            f"未知的期限类别：{kind}（progress_report、change_decision）",
            f"unknown deadline kind: {kind} (progress_report, change_decision)",
            field="kind",
        )
    day = parse_day(due_on, field="due_on")
    if kind == "change_decision":
        ch = access.get(session, actor, ChangeRequest, change_id, field="change")
        if ch.application_id != app.id:
            raise InvalidInput(
                f"变更申请 {ch.id} 不属于申报 {app.id}",
                f"change request {ch.id} is not of application {app.id}",
                field="change",
            )
        if ch.state != "pending":
            raise InvalidInput(
                "该变更申请无需书面答复或已答复", "this change request awaits no written decision", field="change"
            )
    elif app.state != "approved":
        raise InvalidInput(
            "进展报告只适用于已立项的项目", "progress reports are for approved projects", field="application"
        )
    d = Deadline(
        district=app.district,
        kind=kind,
        application_id=app.id,
        change_id=change_id if kind == "change_decision" else None,
        due_on=day,
        note=(note or "").strip() or None,
        done=False,
        actor_id=actor.id,
    )
    session.add(d)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="deadline.set",
        entity="deadline",
        entity_id=d.id,
        district=d.district,
        data={"kind": kind, "application": app.id, "change": d.change_id, "due_on": day},
    )
    return d


def deadlines(*, session: Session, actor: User, application_id: int | None = None) -> list[Deadline]:
    access.authorize(actor, "deadline.read")
    q = select(Deadline).where(access.visible(actor, Deadline))
    if application_id is not None:
        q = q.where(Deadline.application_id == access.as_id(application_id))
    return list(session.execute(q.order_by(Deadline.due_on)).scalars())


def plain_view(d: Deadline) -> dict:
    out = row_dict(d)
    out["kind_zh"], out["kind_en"] = DEADLINE_KINDS.get(d.kind, (d.kind, d.kind))
    return plain(out)
