"""Public notice (公示): batches whose end is counted in working days, and objections (异议).

The period starts the day after publication (民法典第二百零一条: the first day is not
counted) and runs for the programme's ``notice_working_days`` working days under the State
Council's holiday arrangements (``huiqi.calendar``). Objections received in that window hold
the application until they are resolved: upheld → rejected; dismissed → it proceeds.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.calendar import CalendarYearMissing, WorkCalendar
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import get, stages_of
from huiqi.workflow.common import day_or_today
from huiqi.workflow.errors import IllegalTransition, InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.notices.models import NoticeBatch, Objection
from huiqi.workflow.users.models import User


def notice_end(published_on: dt.date, working_days: int, *, calendar: WorkCalendar | None = None) -> dt.date:
    """The last day of a notice of ``working_days`` working days published on ``published_on``."""
    cal = calendar or WorkCalendar.default()
    try:
        return cal.add_workdays(published_on, working_days)
    except CalendarYearMissing as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, field="calendar") from None


def notice_days(*, session: Session, app: Application) -> tuple[int, dict]:
    """The notice length of an application and where it comes from: the policy file's (frozen
    with the evaluation), else — where the text says only “向社会公示” — the one its round (the
    yearly call) sets (``rounds.service.set_notice_days``); neither: refused, saying to set it on
    the round."""
    from huiqi.workflow.rounds.models import Round

    proc = (app.evaluation or {}).get("process") or {}
    nd = proc.get("notice_working_days")
    if nd is not None:
        return int(nd), {"source": "policy", "zh": f"由政策文件规定：{nd}个工作日", "en": f"set by the policy document: {nd} working days"}
    r = session.get(Round, app.round_id) if app.round_id else None
    if r is not None and r.notice_working_days is not None:
        n = int(r.notice_working_days)
        where = f"（{r.notice_basis}）" if r.notice_basis else ""
        return n, {
            "source": "round", "round": r.code, "basis": r.notice_basis,
            "zh": f"由年度申报通知规定：{n}个工作日（批次 {r.code}{where}）",
            "en": f"set by the year's call: {n} working days (round {r.code}{' — ' + r.notice_basis if r.notice_basis else ''})",
        }
    code = r.code if r is not None else "—"
    raise InvalidInput(
        f"申报 {app.id}（{app.programme_id}）的政策文件只写“向社会公示”，未规定公示期限，申报批次 {code} 也未设定："
        f"请先在申报批次上设定公示天数（huiqi round notice-days {code} --days N --basis 年度申报通知文号）",
        f"application {app.id} ({app.programme_id}): the policy gives no notice period and round {code} sets none: "
        f"set the notice length on the round first (huiqi round notice-days {code} --days N --basis <the call's reference>)",
        field="notice_working_days", details={"application": app.id, "programme": app.programme_id, "round": code},
    )


def publish(*, session: Session, application_ids: list[int], published_on: dt.date | str | None, actor: User, title: str | None = None, calendar: WorkCalendar | None = None) -> NoticeBatch:
    """Publish shortlisted applications of the actor's district in one notice batch; its end date
    is computed in working days."""
    if not application_ids:
        raise InvalidInput("公示名单为空", "the notice list is empty", field="applications")
    apps = [get(session=session, application_id=i, actor=actor, lock=True) for i in dict.fromkeys(application_ids)]
    access.authorize(actor, "application.publish")
    day = day_or_today(published_on, field="published_on")
    districts = {a.district for a in apps}
    if len(districts) != 1:
        raise InvalidInput("同一批公示的申报须属于同一区", "one notice batch holds applications of one district", field="applications")
    # every application named must be one that can be published (not a draft, not decided …) and
    # have a notice period: checked before the period is counted (a draft has none: it was a 500)
    sources = states.APPLICATION.transition("publish").sources
    unfit = [a for a in apps if a.state not in sources]
    if unfit:
        zh = "、".join(f"申报 {a.id}（{states.APPLICATION.state(a.state).zh}）" for a in unfit)
        en = ", ".join(f"application {a.id} ({states.APPLICATION.state(a.state).en})" for a in unfit)
        raise InvalidInput(f"以下申报不能公示：{zh}", f"these applications cannot be published: {en}", field="applications",
                           details=[{"application": a.id, "state": a.state} for a in unfit])
    days, bases = set(), {}
    for app in apps:
        if "public_notice" not in stages_of(app):
            raise InvalidInput(f"申报 {app.id}（{app.programme_id}）的流程没有公示环节", f"application {app.id} ({app.programme_id}): its process has no public notice", field="applications")
        nd, basis = notice_days(session=session, app=app)
        days.add(nd)
        bases.setdefault(nd, basis)
    if len(days) > 1:
        raise InvalidInput(f"同一批公示的期限须相同（有：{sorted(d for d in days if d)} 个工作日）", f"one batch must share its notice period (got {sorted(d for d in days if d)} working days)", field="applications")
    n = days.pop()
    basis = bases[n]
    ends = notice_end(day, n, calendar=calendar)
    rounds = {a.round_id for a in apps}
    batch = NoticeBatch(round_id=rounds.pop() if len(rounds) == 1 else None, district=districts.pop(), title=title or f"拟立项项目公示 {day.isoformat()}", published_on=day, working_days=n, days_basis=basis, ends_on=ends, state="open")
    session.add(batch)
    session.flush()
    audit.record(session, actor=actor.username, action="notice.publish", entity="notice", entity_id=batch.id, district=batch.district, data={"published_on": day, "working_days": n, "days_basis": basis, "ends_on": ends, "applications": [a.id for a in apps]})
    for app in apps:
        fire(session, machine=states.APPLICATION, obj=app, name="publish", actor=actor, stages=stages_of(app), data={"batch": batch.id, "ends_on": ends})
        app.notice_batch_id = batch.id
    return batch


def object_to(*, session: Session, application_id: int, objector: str, content: str, received_on: dt.date | str | None, actor: User) -> Objection:
    """Record an objection received during the notice; the application is held until it is resolved."""
    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    access.authorize(actor, "application.object")
    day = day_or_today(received_on, field="received_on")
    batch = session.get(NoticeBatch, app.notice_batch_id) if app.notice_batch_id else None
    if batch is None or app.state not in ("in_notice", "objection_held"):
        st = states.APPLICATION.state(app.state)
        raise IllegalTransition(f"申报{st.zh}，不在公示中", f"the application is {st.en}, not in public notice", field="state")
    if not (batch.published_on <= day <= batch.ends_on):
        raise IllegalTransition(f"异议须在公示期内（{batch.published_on} 至 {batch.ends_on}）提出，{day} 不在其内", f"objections are received during the notice ({batch.published_on} – {batch.ends_on}), not on {day}", field="received_on")
    if not (content or "").strip():
        raise InvalidInput("异议内容不能为空", "the objection needs its content", field="content")
    if app.state == "in_notice":
        fire(session, machine=states.APPLICATION, obj=app, name="object", actor=actor, data={"objector": objector, "received_on": day})
    obj = Objection(application_id=app.id, batch_id=batch.id, received_on=day, objector=objector or "匿名", content=content.strip(), state="open")
    session.add(obj)
    session.flush()
    audit.record(session, actor=actor.username, action="objection.create", entity="objection", entity_id=obj.id, district=app.district, data={"application": app.id, "objector": obj.objector, "content": obj.content, "received_on": day})
    return obj


def resolve(*, session: Session, objection_id: int, upheld: bool, finding: str, actor: User) -> Objection:
    """Resolve an objection after investigation (调查核实): upheld rejects the application."""
    obj = access.get(session, actor, Objection, objection_id, field="objection", lock=True)
    app = get(session=session, application_id=obj.application_id, actor=actor, lock=True)
    fire(session, machine=states.OBJECTION, obj=obj, name="uphold" if upheld else "dismiss", actor=actor, reason=finding, district=app.district)
    obj.finding = finding
    if app.state != "objection_held":
        return obj
    if upheld:
        for other in session.execute(select(Objection).where(Objection.application_id == app.id, Objection.state == "open")).scalars():
            other.state, other.finding = "dismissed", "随同案异议成立一并终结 / closed with the upheld objection"
        fire(session, machine=states.APPLICATION, obj=app, name="uphold_objection", actor=actor, reason=finding, data={"objection": obj.id})
        return obj
    still_open = session.execute(select(Objection.id).where(Objection.application_id == app.id, Objection.state == "open")).first()
    if still_open:
        return obj
    batch = session.get(NoticeBatch, app.notice_batch_id)
    name = "dismiss_objection_after_notice" if batch.state == "closed" else "dismiss_objection"
    fire(session, machine=states.APPLICATION, obj=app, name=name, actor=actor, reason=finding, data={"objection": obj.id})
    return obj


def close(*, session: Session, batch_id: int, on: dt.date | str | None, actor: User) -> NoticeBatch:
    """Close a notice after its last day: applications without open objections pass (公示无异议)."""
    batch = access.get(session, actor, NoticeBatch, batch_id, field="batch", lock=True)
    access.authorize(actor, "application.clear_notice")
    day = day_or_today(on, field="on")
    if batch.state != "open":
        raise IllegalTransition("公示已结束", "the notice is already closed", field="state")
    if day <= batch.ends_on:
        raise IllegalTransition(f"公示期至 {batch.ends_on} 届满，{day} 尚不能结束公示", f"the notice runs until {batch.ends_on}: it cannot close on {day}", field="on")
    batch.state = "closed"
    cleared = []
    for app in session.execute(select(Application).where(Application.notice_batch_id == batch.id).order_by(Application.id).with_for_update()).scalars():
        if app.state == "in_notice":
            fire(session, machine=states.APPLICATION, obj=app, name="clear_notice", actor=actor, data={"batch": batch.id})
            cleared.append(app.id)
    audit.record(session, actor=actor.username, action="notice.close", entity="notice", entity_id=batch.id, district=batch.district, data={"on": day, "cleared": cleared})
    return batch


def get_batch(*, session: Session, batch_id: int, actor: User) -> NoticeBatch:
    """A notice batch the actor may see, else NotFound."""
    return access.get(session, actor, NoticeBatch, batch_id, field="batch")


def batch_applications(*, session: Session, batch_id: int, actor: User) -> list[Application]:
    """The applications of a batch the actor may see that the actor may see (a public notice is
    public, but an enterprise's or a town's page lists what concerns it)."""
    batch = get_batch(session=session, batch_id=batch_id, actor=actor)
    q = select(Application).where(Application.notice_batch_id == batch.id, access.visible(actor, Application)).order_by(Application.rank, Application.id)
    return list(session.execute(q).scalars())


def batches(*, session: Session, actor: User) -> list[NoticeBatch]:
    """The notice batches the actor may see, newest first (its district's; a reviewer, expert or
    enterprise user: those listing an application it may see)."""
    return list(session.execute(select(NoticeBatch).where(access.visible(actor, NoticeBatch)).order_by(NoticeBatch.id.desc())).scalars())


def objections(*, session: Session, actor: User, application_id: int | None = None) -> list[Objection]:
    """Objections to applications the actor may see, newest first."""
    q = select(Objection).where(access.visible(actor, Objection)).order_by(Objection.id.desc())
    if application_id is not None:
        q = q.where(Objection.application_id == application_id)
    return list(session.execute(q).scalars())
