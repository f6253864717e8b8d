"""The dispatcher: notifications made from the audit log, reminders in working days, e-mail.

:func:`dispatch` reads every audit entry after its cursor (``dispatch_cursor``, locked: one
dispatcher at a time), in order, and for each:

* runs the hooks the event calls for — a round opened → proactive matching of the district's
  register against its programmes (``matching.flows.on_round_open``); an application submitted →
  its facts kept in the enterprise's record (``records.service.absorb_application``); a record
  changed (an import, a correction, a self-check, an absorbed application) → those enterprises
  matched again; a change decided or a progress report made → its deadline done;
* makes the notifications the event means, one per (event, recipient, channel) — the table's
  unique key, so running the dispatcher twice, or two at once, never makes one twice: "a programme
  that fits you is open" (the match run of a round opening: eligible or one or two facts away;
  keyed by the round and programme, so a round matched again notifies no-one twice),
  "your application moved stage", "notice published", "payment made", "change decided"; and for
  the district's officers, "an application was submitted", "a change was requested".

An enterprise's preferences (``NotificationPref``) decide, per kind, inbox and e-mail; an e-mail
needs its address. Then the cursor moves to the last entry read — in the same transaction as the
notifications, so nothing is missed (a failed run leaves the cursor where it was).

:func:`remind` makes the deadline reminders for a day: a round closing within
``remind_working_days`` working days (to enterprises with a draft in it — with "materials missing"
when its required materials are not all uploaded — and to those matched for its programmes that
have not started), a progress report or a change decision due (``Deadline``). Working days follow
the loaded State Council notices (``huiqi.calendar``); a year not loaded is an error.

:func:`deliver` sends the e-mails due through the settings' SMTP server. A failed send stays in
the table (``failed``: the error, the attempts) and is tried again after a back-off (1, 2, 4 …
minutes, at most 6 hours) — never dropped; officers see their district's failures
(``service.deliveries``). Each sent e-mail is committed at once (``commit_each``), so a crash
resends at most the one message being sent.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from typing import Any, Callable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.calendar import CalendarYearMissing, WorkCalendar
from huiqi.config import Settings, get_settings
from huiqi.rules import PolicySet
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.changes.models import ChangeRequest
from huiqi.workflow.common import utcnow
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.matching.models import MatchResult
from huiqi.workflow.notifications.models import Deadline, DispatchCursor, Notification, NotificationPref
from huiqi.workflow.payments.models import Instalment
from huiqi.workflow.policy import default_policies, programme
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User

RECORD_ACTIONS = ("record.import", "record.correct", "record.selfcheck", "record.absorb")
NOT_STAGES = {"create", "freeze", "credit_hold", "credit_override", "publish", "submit"}  # publish: the notice says it
MAX_BACKOFF = dt.timedelta(hours=6)


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next try after ``attempts`` failed sends: 1, 2, 4 … minutes, ≤ 6 hours."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# ------------------------------------------------------------------ recipients


def _enterprise_users(session: Session, enterprise_id: int) -> list[User]:
    q = select(User).where(User.enterprise_id == enterprise_id, User.role == states.ENTERPRISE, User.active.is_(True))
    return list(session.execute(q.order_by(User.id)).scalars())


def _officers(session: Session, district: str | None) -> list[User]:
    if not district:
        return []
    q = select(User).where(User.district == district, User.role == states.OFFICER, User.active.is_(True))
    return list(session.execute(q.order_by(User.id)).scalars())


class _Maker:
    """Adds notifications, each once: a (event, recipient, channel) already present is skipped."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.made = 0
        self._prefs: dict[int, NotificationPref | None] = {}

    def pref(self, enterprise_id: int) -> NotificationPref | None:
        if enterprise_id not in self._prefs:
            q = select(NotificationPref).where(NotificationPref.enterprise_id == enterprise_id)
            self._prefs[enterprise_id] = self.session.execute(q).scalar_one_or_none()
        return self._prefs[enterprise_id]

    def _add(self, **kw: Any) -> None:
        s = self.session
        q = select(Notification.id).where(
            Notification.event_key == kw["event_key"],
            Notification.user_id == kw["user_id"],
            Notification.channel == kw["channel"],
        )
        if s.execute(q).first() is not None:
            return
        try:
            with s.begin_nested():
                s.add(Notification(**kw))
                s.flush()
        except IntegrityError:  # another dispatcher made it in between: one is enough
            return
        self.made += 1

    def to_enterprise(
        self,
        enterprise_id: int,
        *,
        key: str,
        kind: str,
        district: str | None,
        title: tuple[str, str],
        body: tuple[str, str],
        programme_id: str | None = None,
        application_id: int | None = None,
        link: str | None = None,
    ) -> None:
        pref = self.pref(enterprise_id)
        muted = set(pref.muted) if pref else set()
        for u in _enterprise_users(self.session, enterprise_id):
            common = dict(
                event_key=key,
                user_id=u.id,
                kind=kind,
                district=district,
                enterprise_id=enterprise_id,
                programme_id=programme_id,
                application_id=application_id,
                title_zh=title[0][:300],
                title_en=title[1][:300],
                body_zh=body[0],
                body_en=body[1],
                link=link,
                attempts=0,
            )
            if f"{kind}:inbox" not in muted:
                self._add(channel="inbox", state="unread", **common)
            if pref is not None and pref.email and f"{kind}:email" not in muted:
                self._add(channel="email", state="pending", address=pref.email, **common)

    def to_officers(
        self,
        district: str | None,
        *,
        key: str,
        title: tuple[str, str],
        body: tuple[str, str],
        application_id: int | None = None,
        programme_id: str | None = None,
        link: str | None = None,
    ) -> None:
        for u in _officers(self.session, district):
            self._add(
                event_key=key,
                user_id=u.id,
                channel="inbox",
                state="unread",
                kind="office",
                district=district,
                programme_id=programme_id,
                application_id=application_id,
                title_zh=title[0][:300],
                title_en=title[1][:300],
                body_zh=body[0],
                body_en=body[1],
                link=link,
                attempts=0,
            )


def _title(policies: PolicySet, pid: str) -> str:
    try:
        p, _d = programme(policies, pid)
        return f"{pid} {p.title}"
    except Exception:  # noqa: BLE001 - a programme no longer loaded: its id
        return pid


# ------------------------------------------------------------------ events → notifications


def _on_entry(session: Session, e: audit.AuditEntry, mk: _Maker, policies: PolicySet, on: dt.date) -> None:
    from huiqi.workflow.matching import flows as matching
    from huiqi.workflow.records import service as records

    key = f"audit:{e.seq}"
    action, data = e.action, e.data or {}
    machine, _, step = action.partition(".")
    if action == "round.open":
        matching.on_round_open(session, round_id=int(e.entity_id), on=on, policies=policies)
        return
    if action == "match.run":
        _fits_open_rounds(session, e, data, mk, policies, on)
        return
    if action in RECORD_ACTIONS:
        if action == "record.import":
            ids = data.get("changed") or []
        else:
            ids = [int(e.entity_id)]
        if ids:
            matching.on_record_change(session, enterprise_ids=ids, on=on, policies=policies)
        return
    if machine == "application":
        app = session.get(Application, int(e.entity_id)) if e.entity_id.isdigit() else None
        if app is None:
            return
        if step == "submit":
            records.absorb_application(session, application_id=app.id, policies=policies)
            ent = session.get(Enterprise, app.enterprise_id)
            mk.to_officers(
                app.district,
                key=key,
                application_id=app.id,
                programme_id=app.programme_id,
                link=f"/office/applications/{app.id}",
                title=(
                    f"新提交的申报：{ent.name} · {app.programme_id}",
                    f"New application: {ent.name} · {app.programme_id}",
                ),
                body=(f"申报 {app.id} 已提交，待审核。", f"Application {app.id} was submitted and awaits review."),
            )
        if step in NOT_STAGES and step != "submit":
            return
        to = data.get("to") or app.state
        try:
            st = states.APPLICATION.state(to)
            zh_s, en_s = st.zh, st.en
        except KeyError:
            zh_s, en_s = to, to
        why = f"（理由：{e.reason}）" if e.reason else ""
        mk.to_enterprise(
            app.enterprise_id,
            key=key,
            kind="stage",
            district=app.district,
            programme_id=app.programme_id,
            application_id=app.id,
            link=f"/my/applications/{app.id}",
            title=(
                f"申报 {app.id}（{app.programme_id}）：{zh_s}",
                f"Application {app.id} ({app.programme_id}): {en_s}",
            ),
            body=(
                f"您的申报 {app.id} 现为“{zh_s}”{why}。",
                f"Your application {app.id} is now {en_s!r}" + (f" (reason: {e.reason})" if e.reason else "") + ".",
            ),
        )
        return
    if action == "notice.publish":
        for aid in data.get("applications") or []:
            app = session.get(Application, aid)
            if app is None:
                continue
            mk.to_enterprise(
                app.enterprise_id,
                key=key,
                kind="notice",
                district=app.district,
                programme_id=app.programme_id,
                application_id=app.id,
                link=f"/my/applications/{app.id}",
                title=(
                    f"公示发布：申报 {app.id} 列入拟立项公示",
                    f"Notice published: application {app.id} is in the public notice",
                ),
                body=(
                    f"公示自 {data.get('published_on')} 起，至 {data.get('ends_on')} 止（{data.get('working_days')} 个工作日）。",
                    f"The notice runs from {data.get('published_on')} to {data.get('ends_on')} ({data.get('working_days')} working days).",
                ),
            )
        return
    if action == "instalment.pay":
        app = session.get(Application, data.get("application")) if data.get("application") else None
        if app is None:
            inst = session.get(Instalment, int(e.entity_id))
            app = session.get(Application, inst.application_id) if inst else None
        if app is None:
            return
        mk.to_enterprise(
            app.enterprise_id,
            key=key,
            kind="payment",
            district=app.district,
            programme_id=app.programme_id,
            application_id=app.id,
            link=f"/my/applications/{app.id}",
            title=(f"资金已拨付：{data.get('amount')} 元", f"Payment made: {data.get('amount')} yuan"),
            body=(
                f"申报 {app.id}（{app.programme_id}）拨付 {data.get('amount')} 元，拨付日 {data.get('paid_on')}，凭证 {data.get('reference')}。",
                f"Application {app.id} ({app.programme_id}): {data.get('amount')} yuan paid on {data.get('paid_on')}, reference {data.get('reference')}.",
            ),
        )
        return
    if machine == "change" and step in ("approve", "refuse", "request"):
        cr = session.get(ChangeRequest, int(e.entity_id)) if e.entity_id.isdigit() else None
        if cr is None:
            return
        app = session.get(Application, cr.application_id)
        if step == "request":
            if cr.state == "pending":
                mk.to_officers(
                    app.district,
                    key=key,
                    application_id=app.id,
                    programme_id=app.programme_id,
                    link="/office/changes",
                    title=(
                        f"变更申请待书面答复：申报 {app.id}",
                        f"Change request awaiting a written decision: application {app.id}",
                    ),
                    body=(cr.description, cr.description),
                )
            return
        for d in session.execute(
            select(Deadline).where(Deadline.change_id == cr.id, Deadline.done.is_(False))
        ).scalars():
            d.done = True
        zh, en = ("已书面同意", "approved in writing") if step == "approve" else ("不同意", "refused")
        mk.to_enterprise(
            app.enterprise_id,
            key=key,
            kind="change",
            district=app.district,
            programme_id=app.programme_id,
            application_id=app.id,
            link=f"/my/applications/{app.id}",
            title=(f"变更申请已决定：{zh}", f"Change request decided: {en}"),
            body=(
                f"申报 {app.id} 的变更申请“{cr.description}”：{zh}。理由：{e.reason or '—'}",
                f"The change request of application {app.id} ({cr.description}): {en}. Reason: {e.reason or '—'}",
            ),
        )
        return
    if action == "progress.report":
        aid = int(e.entity_id) if e.entity_id.isdigit() else None
        if aid is None:
            return
        due = (
            session.execute(
                select(Deadline)
                .where(Deadline.application_id == aid, Deadline.kind == "progress_report", Deadline.done.is_(False))
                .order_by(Deadline.due_on)
            )
            .scalars()
            .first()
        )
        if due is not None:
            due.done = True


def _fits_open_rounds(
    session: Session, e: audit.AuditEntry, data: dict, mk: _Maker, policies: PolicySet, on: dt.date
) -> None:
    """A match run found enterprises: tell each, once per round and programme ("a programme that
    fits you is open"), about the open rounds of the district taking the programme — the round that
    just opened (trigger ``round.open:<id>``), or for any other run (a record changed, an officer's
    run) every round open on ``on``. An enterprise that has applied in the round for the programme
    is not told."""
    trigger = str(data.get("trigger", ""))
    if trigger.startswith("round.open:"):
        r0 = session.get(Round, int(trigger.split(":", 1)[1]))
        open_rounds = [r0] if r0 is not None else []
    else:
        q = select(Round).where(
            Round.district == e.district, Round.state == "open", Round.opens_on <= on, Round.closes_on >= on
        )
        open_rounds = list(session.execute(q.order_by(Round.id)).scalars())
    for r in open_rounds:
        applied = {
            (a_eid, a_pid)
            for a_eid, a_pid in session.execute(
                select(Application.enterprise_id, Application.programme_id).where(Application.round_id == r.id)
            ).all()
        }
        for pid, found in (data.get("found") or {}).items():
            if pid not in (r.programmes or []):
                continue
            name = _title(policies, pid)
            for status in ("eligible", "near"):
                for eid in found.get(status) or []:
                    if (eid, pid) in applied:
                        continue
                    row = (
                        session.execute(
                            select(MatchResult).where(MatchResult.enterprise_id == eid, MatchResult.programme_id == pid)
                        )
                        .scalars()
                        .first()
                    )
                    if status == "eligible":
                        zh = (
                            f"根据贵企业档案，您符合“{name}”的条件"
                            + (f"，政策上限 {row.ceiling} 元" if row and row.ceiling else "")
                            + "（最终以审核为准）。"
                        )
                        en = (
                            f"From your record you meet the conditions of {pid}"
                            + (f"; ceiling {row.ceiling} yuan" if row and row.ceiling else "")
                            + " (subject to review)."
                        )
                    else:
                        need = "、".join(m["zh"] for m in (row.missing if row else []))
                        needen = ", ".join(m["en"] for m in (row.missing if row else []))
                        zh, en = (
                            f"“{name}”可能适合贵企业，尚需补充：{need}。",
                            f"{pid} may fit you; still needed: {needen}.",
                        )
                    zh += f"申报期 {r.opens_on} 至 {r.closes_on}（批次 {r.code}）。"
                    en += f" Applications {r.opens_on} – {r.closes_on} (round {r.code})."
                    mk.to_enterprise(
                        eid,
                        key=f"round-open:{r.id}:{pid}",
                        kind="round_open",
                        district=e.district,
                        programme_id=pid,
                        title=(f"有适合您的项目开放申报：{name}", f"A programme that fits you is open: {pid}"),
                        body=(zh, en),
                        link="/my",
                    )


def _cursor(session: Session) -> DispatchCursor:
    c = session.execute(select(DispatchCursor).where(DispatchCursor.id == 1).with_for_update()).scalar_one_or_none()
    if c is None:
        c = DispatchCursor(id=1, seq=0, data={})
        session.add(c)
        session.flush()
        c = session.execute(select(DispatchCursor).where(DispatchCursor.id == 1).with_for_update()).scalar_one()
    return c


def dispatch(
    *,
    session: Session,
    actor: User,
    on: dt.date | None = None,
    policies: PolicySet | None = None,
    settings: Settings | None = None,
    batch: int = 500,
) -> dict:
    """Read the audit log after the cursor, run the hooks, make the notifications (see the module
    docstring); returns what was read and made. A system job (``notify.dispatch``)."""
    access.authorize(actor, "notify.dispatch")
    policies = policies or default_policies()
    settings = settings or get_settings()
    on = on or dt.date.today()
    cur = _cursor(session)
    start = cur.seq
    mk = _Maker(session, settings)
    read = 0
    while True:
        E = audit.AuditEntry
        entries = list(session.execute(select(E).where(E.seq > cur.seq).order_by(E.seq).limit(batch)).scalars())
        if not entries:
            break
        for e in entries:
            if e.action == "notify.dispatch":
                cur.seq = e.seq
                continue
            _on_entry(session, e, mk, policies, on)
            cur.seq = e.seq
            read += 1
        session.flush()
    if read or mk.made:
        audit.record(
            session,
            actor=actor.username,
            action="notify.dispatch",
            entity="dispatch",
            entity_id=1,
            data={"from": start, "to": cur.seq, "read": read, "made": mk.made},
        )
        cur.seq = session.execute(select(func.max(audit.AuditEntry.seq))).scalar() or cur.seq
    session.flush()
    return {"from": start, "to": cur.seq, "read": read, "made": mk.made}


# ------------------------------------------------------------------ reminders


def _calendar(calendar: WorkCalendar | None) -> WorkCalendar:
    return calendar or WorkCalendar.default()


def working_days_left(on: dt.date, due: dt.date, *, calendar: WorkCalendar | None = None) -> int:
    """Working days after ``on`` up to and including ``due`` (0 on the day itself)."""
    try:
        return _calendar(calendar).workdays_between(on, due)
    except CalendarYearMissing as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, field="calendar") from None


def remind(
    *,
    session: Session,
    actor: User,
    on: dt.date | None = None,
    days: int | None = None,
    calendar: WorkCalendar | None = None,
    policies: PolicySet | None = None,
    settings: Settings | None = None,
) -> dict:
    """The reminders due on ``on`` (see the module docstring): each deadline is reminded once per
    recipient and channel (its key holds the deadline's date: a moved deadline is reminded again)."""
    from huiqi.workflow.materials import service as materials

    access.authorize(actor, "notify.dispatch")
    settings = settings or get_settings()
    policies = policies or default_policies()
    on = on or dt.date.today()
    n = settings.remind_working_days if days is None else int(days)
    if n < 0:
        raise InvalidInput("提前天数不能为负", "the number of working days cannot be negative", field="days")
    cal = _calendar(calendar)
    mk = _Maker(session, settings)
    rounds_reminded, deadlines_reminded = [], []
    for r in session.execute(
        select(Round).where(Round.state == "open", Round.closes_on >= on).order_by(Round.id)
    ).scalars():
        left = working_days_left(on, r.closes_on, calendar=cal)
        if left > n:
            continue
        rounds_reminded.append(r.id)
        key = f"remind:round:{r.id}:{r.closes_on.isoformat()}"
        when_zh = "今天截止" if left == 0 else f"还剩 {left} 个工作日"
        when_en = "closes today" if left == 0 else f"{left} working day(s) left"
        started = set()
        for app in session.execute(
            select(Application).where(Application.round_id == r.id, Application.state == "draft")
        ).scalars():
            started.add(app.enterprise_id)
            mk.to_enterprise(
                app.enterprise_id,
                key=key,
                kind="deadline",
                district=r.district,
                programme_id=app.programme_id,
                application_id=app.id,
                link=f"/my/applications/{app.id}",
                title=(
                    f"申报截止提醒：批次 {r.code} 于 {r.closes_on} 截止（{when_zh}）",
                    f"Deadline: round {r.code} closes on {r.closes_on} ({when_en})",
                ),
                body=(
                    f"您的申报 {app.id}（{app.programme_id}）尚未提交。",
                    f"Your application {app.id} ({app.programme_id}) is not submitted yet.",
                ),
            )
            missing = materials.missing_for(session=session, app=app, policies=policies)
            if missing:
                names = "、".join(m["name"] for m in missing)
                mk.to_enterprise(
                    app.enterprise_id,
                    key=f"remind:materials:{app.id}:{r.closes_on.isoformat()}",
                    kind="materials",
                    district=r.district,
                    programme_id=app.programme_id,
                    application_id=app.id,
                    link=f"/my/applications/{app.id}",
                    title=(f"申报 {app.id} 材料不全", f"Application {app.id}: materials missing"),
                    body=(
                        f"尚缺：{names}。批次 {r.code} 于 {r.closes_on} 截止。",
                        f"Missing: {', '.join(m['id'] for m in missing)}. Round {r.code} closes on {r.closes_on}.",
                    ),
                )
        for app in session.execute(select(Application).where(Application.round_id == r.id)).scalars():
            started.add(app.enterprise_id)
        matched = session.execute(
            select(MatchResult)
            .where(MatchResult.programme_id.in_(list(r.programmes)), MatchResult.district == r.district)
            .order_by(MatchResult.id)
        ).scalars()
        for m in matched:
            if m.enterprise_id in started:
                continue
            mk.to_enterprise(
                m.enterprise_id,
                key=key,
                kind="deadline",
                district=r.district,
                programme_id=m.programme_id,
                link="/my",
                title=(
                    f"适合您的项目即将截止：批次 {r.code} 于 {r.closes_on} 截止（{when_zh}）",
                    f"A programme that fits you closes on {r.closes_on} ({when_en})",
                ),
                body=(
                    f"“{_title(policies, m.programme_id)}”尚未申报。",
                    f"You have not applied for {m.programme_id} yet.",
                ),
            )
    for d in session.execute(
        select(Deadline).where(Deadline.done.is_(False), Deadline.due_on >= on).order_by(Deadline.id)
    ).scalars():
        left = working_days_left(on, d.due_on, calendar=cal)
        if left > n:
            continue
        deadlines_reminded.append(d.id)
        app = session.get(Application, d.application_id)
        key = f"remind:deadline:{d.id}:{d.due_on.isoformat()}"
        when_zh = "今天到期" if left == 0 else f"还剩 {left} 个工作日"
        when_en = "due today" if left == 0 else f"{left} working day(s) left"
        if d.kind == "progress_report":
            mk.to_enterprise(
                app.enterprise_id,
                key=key,
                kind="deadline",
                district=d.district,
                programme_id=app.programme_id,
                application_id=app.id,
                link=f"/my/applications/{app.id}",
                title=(f"进展报告将于 {d.due_on} 到期（{when_zh}）", f"Progress report due on {d.due_on} ({when_en})"),
                body=(
                    f"请报送申报 {app.id} 的项目进展和资金使用情况。{d.note or ''}",
                    f"Please report the progress and use of funds of application {app.id}. {d.note or ''}",
                ),
            )
        else:
            mk.to_officers(
                d.district,
                key=key,
                application_id=app.id,
                programme_id=app.programme_id,
                link="/office/changes",
                title=(
                    f"变更申请待书面答复，{d.due_on} 到期（{when_zh}）",
                    f"Change decision due on {d.due_on} ({when_en})",
                ),
                body=(
                    f"申报 {app.id} 的变更申请 {d.change_id} 待书面答复。{d.note or ''}",
                    f"Change request {d.change_id} of application {app.id} awaits a written decision. {d.note or ''}",
                ),
            )
    if mk.made:
        audit.record(
            session,
            actor=actor.username,
            action="notify.remind",
            entity="dispatch",
            entity_id=1,
            data={"on": on, "days": n, "rounds": rounds_reminded, "deadlines": deadlines_reminded, "made": mk.made},
        )
    session.flush()
    return {
        "on": on.isoformat(),
        "days": n,
        "rounds": rounds_reminded,
        "deadlines": deadlines_reminded,
        "made": mk.made,
    }


# ------------------------------------------------------------------ e-mail


def smtp_sender(settings: Settings) -> Callable[[EmailMessage], None]:
    """Send one message through the configured SMTP server (a connection per message)."""

    def send(msg: EmailMessage) -> None:
        cls = smtplib.SMTP_SSL if settings.smtp_ssl else smtplib.SMTP
        with cls(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as s:
            if settings.smtp_starttls and not settings.smtp_ssl:
                s.starttls()
            if settings.smtp_user:
                s.login(settings.smtp_user, settings.smtp_password or "")
            s.send_message(msg)

    return send


def message(n: Notification, settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = n.address
    msg["Subject"] = f"{n.title_zh} / {n.title_en}"
    msg["Message-ID"] = f"<huiqi-{n.id}-{n.event_key.replace(':', '-')}@huiqi>"
    link = f"\n\n{(settings.public_url or '').rstrip('/')}{n.link}" if n.link else ""
    msg.set_content(f"{n.body_zh}\n\n{n.body_en}{link}\n\n—— 惠企 huiqi")
    return msg


def deliver(
    *,
    session: Session,
    actor: User,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
    sender: Callable[[EmailMessage], None] | None = None,
    commit_each: bool = False,
    limit: int = 200,
) -> dict:
    """Send the e-mails due (pending, or failed whose back-off has passed). Without an SMTP server
    configured nothing is tried: the e-mails wait (pending)."""
    access.authorize(actor, "notify.dispatch")
    settings = settings or get_settings()
    now = now or utcnow()
    if sender is None and not settings.smtp_host:
        waiting = session.execute(
            select(func.count(Notification.id)).where(Notification.channel == "email", Notification.state != "sent")
        ).scalar()
        return {"sent": 0, "failed": 0, "waiting": int(waiting or 0), "smtp": False}
    send = sender or smtp_sender(settings)
    q = (
        select(Notification)
        .where(
            Notification.channel == "email",
            Notification.state.in_(("pending", "failed")),
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    sent = failed = 0
    for n in list(session.execute(q).scalars()):
        try:
            send(message(n, settings))
        except Exception as exc:  # noqa: BLE001 - any failure of the server or the network: kept, retried
            n.attempts += 1
            n.state = "failed"
            n.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            n.next_attempt_at = now + backoff(n.attempts)
            failed += 1
        else:
            n.attempts += 1
            n.state, n.done_at, n.last_error, n.next_attempt_at = "sent", now, None, None
            sent += 1
        session.flush()
        if commit_each:
            session.commit()
    return {"sent": sent, "failed": failed, "smtp": True}


# ------------------------------------------------------------------ the funnel


def funnel(*, session: Session, actor: User, year: int | None = None, policies: PolicySet | None = None) -> list[dict]:
    """Per programme of the actor's district: enterprises matched (eligible / near), notified
    ("a programme that fits you"), started (any application), submitted, approved."""
    access.authorize(actor, "dashboard.read")
    if actor.role == access.ADMIN or not actor.district:
        raise InvalidInput(
            "漏斗按区统计：请以区级用户查看",
            "the funnel is per district: view it as a district's user",
            field="district",
        )
    from huiqi.workflow.matching.flows import district_programmes

    policies = policies or default_policies()
    district = actor.district
    out = []
    A = Application
    for pid in district_programmes(policies, district):

        def count(q: Any) -> int:
            return int(session.execute(q).scalar() or 0)

        apps = and_(A.district == district, A.programme_id == pid, access.visible(actor, A))
        if year is not None:
            apps = and_(apps, A.year == int(year))
        row = {
            "programme_id": pid,
            "title": _title(policies, pid),
            "eligible": count(
                select(func.count(func.distinct(MatchResult.enterprise_id))).where(
                    MatchResult.district == district, MatchResult.programme_id == pid, MatchResult.status == "eligible"
                )
            ),
            "near": count(
                select(func.count(func.distinct(MatchResult.enterprise_id))).where(
                    MatchResult.district == district, MatchResult.programme_id == pid, MatchResult.status == "near"
                )
            ),
            "notified": count(
                select(func.count(func.distinct(Notification.enterprise_id))).where(
                    Notification.district == district,
                    Notification.programme_id == pid,
                    Notification.kind == "round_open",
                )
            ),
            "started": count(select(func.count(func.distinct(A.enterprise_id))).where(apps)),
            "submitted": count(
                select(func.count(func.distinct(A.enterprise_id))).where(
                    apps, or_(A.submitted_at.is_not(None), A.channel == "automatic")
                )
            ),
            "approved": count(
                select(func.count(func.distinct(A.enterprise_id))).where(apps, A.approved_on.is_not(None))
            ),
        }
        out.append(row)
    return out
