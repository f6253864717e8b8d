"""Reviews: town/park confirmation (初审·镇园区), district check (初审·区), expert scoring with
conflict-of-interest exclusion, consultation of departments. Ranking within the budget (择优) and
voiding a score after a tie span domains: ``reviews.flows``."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import get, stages_of
from huiqi.workflow.common import utcnow
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import IllegalTransition, InvalidInput, PermissionDenied
from huiqi.workflow.machine import fire
from huiqi.workflow.reviews.models import ExpertAssignment, ReviewOpinion
from huiqi.workflow.users.models import User


def town_confirm(*, session: Session, application_id: int, actor: User, confirmed: bool, opinion: str = "") -> Application:
    """The town/park confirms (or does not) the application of an enterprise in its area (its
    scope: ``access`` shows a reviewer only those)."""
    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    fire(session, machine=states.APPLICATION, obj=app, name="town_confirm" if confirmed else "town_reject", actor=actor, reason=opinion or None, stages=stages_of(app))
    session.add(ReviewOpinion(application_id=app.id, kind="town_confirmation", passed=confirmed, opinion=opinion, actor_id=actor.id, department=actor.town))
    return app


def district_check(*, session: Session, application_id: int, actor: User, passed: bool, opinion: str = "", originals_checked: bool = False) -> Application:
    """The district checks the form and materials (形式审查); originals shown may be marked checked."""
    from huiqi.workflow.materials.models import MaterialFile

    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    fire(session, machine=states.APPLICATION, obj=app, name="district_pass" if passed else "district_fail", actor=actor, reason=opinion or None, stages=stages_of(app))
    if originals_checked:
        for f in session.execute(select(MaterialFile).where(MaterialFile.application_id == app.id, MaterialFile.required_form == "original_for_check")).scalars():
            f.original_checked = True
    session.add(ReviewOpinion(application_id=app.id, kind="district_check", passed=passed, opinion=opinion, actor_id=actor.id, department=actor.department))
    return app


def assign_experts(*, session: Session, application_id: int, expert_ids: list[int], actor: User) -> list[ExpertAssignment]:
    """Assign experts of the application's district (its expert pool) to an application; an
    expert with a declared tie to the enterprise is refused (回避). In expert review already (an
    expert stood aside), more experts may be added."""
    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    access.authorize(actor, "application.assign_experts")
    if not expert_ids:
        raise InvalidInput("至少分配一位专家", "assign at least one expert", field="experts")
    ent = session.get(Enterprise, app.enterprise_id)
    have = {a.expert_id for a in assignments_for(session=session, app=app)}
    experts = []
    for eid in dict.fromkeys(expert_ids):
        ex = access.get(session, actor, User, eid, field="experts")
        if ex.role != states.EXPERT or not ex.active or ex.district != app.district:
            raise InvalidInput(f"{ex.username} 不是本区评审专家", f"{ex.username} is not an expert of this district", field="experts")
        if access.is_tied(session, expert_id=ex.id, enterprise_id=ent.id):
            raise PermissionDenied(f"专家 {ex.display_name} 已申报与 {ent.name} 存在关联关系，须回避", f"expert {ex.username} declared a tie with {ent.name} and must stand aside", field="experts")
        if ex.id not in have:
            experts.append(ex)
    names = [e.username for e in experts]
    if app.state == "expert_review":
        if not experts:
            raise InvalidInput("这些专家已分配", "these experts are assigned already", field="experts")
        audit.record(session, actor=actor.username, action="review.assign_more", entity="application", entity_id=app.id, district=app.district, data={"experts": names})
    else:
        fire(session, machine=states.APPLICATION, obj=app, name="assign_experts", actor=actor, stages=stages_of(app), data={"experts": names})
    out = []
    for ex in experts:
        a = ExpertAssignment(application_id=app.id, expert_id=ex.id)
        session.add(a)
        out.append(a)
    session.flush()
    return out


def score(*, session: Session, application_id: int, actor: User, score: Decimal | int | str | None = None, comment: str = "", criteria: dict | None = None) -> ExpertAssignment:
    """An assigned expert scores the application. A round with criteria (``Round.criteria``) is
    scored per criterion (``criteria``: {criterion id: 0–100}); the score kept is their weighted
    total, Σ score × weight ÷ Σ weight, to 0.01. A round without criteria takes one 0–100 score.
    ``access`` shows an expert only the applications assigned to it, never those of an enterprise
    it declared a tie with. Scoring declares no conflict of interest if the expert has not yet done
    so (:func:`declare`; the pages ask for the declaration before the content opens)."""
    from huiqi.workflow.rounds.models import Round

    app = get(session=session, application_id=application_id, actor=actor)
    access.authorize(actor, "application.score")
    if app.state != "expert_review":
        st = states.APPLICATION.state(app.state)
        raise IllegalTransition(f"申报{st.zh}，不在专家评审中", f"the application is {st.en}, not in expert review", field="state")
    a = session.execute(select(ExpertAssignment).where(ExpertAssignment.application_id == app.id, ExpertAssignment.expert_id == actor.id).with_for_update()).scalar_one_or_none()
    if a is None or a.voided_at is not None:
        raise PermissionDenied("您未被分配评审此申报", "you are not assigned to this application", field="expert")
    r = session.get(Round, app.round_id) if app.round_id else None
    crit = (r.criteria if r is not None else None) or []
    parts: dict | None = None
    if crit:
        given = criteria or {}
        parts, missing = {}, []
        for c in crit:
            raw = given.get(c["id"])
            if raw in (None, ""):
                missing.append(c)
                continue
            v = _score(raw, field=f"criteria.{c['id']}", label=c["zh"])
            if not (Decimal(0) <= v <= Decimal(100)):
                raise InvalidInput(f"“{c['zh']}”的评分应在 0–100 之间：{v}", f"the score for {c['en']!r} must be within 0–100: {v}", field=f"criteria.{c['id']}")
            parts[c["id"]] = str(v.quantize(Decimal("0.01")))
        if missing:
            raise InvalidInput("请为每一项评审指标打分：" + "、".join(c["zh"] for c in missing), "score every criterion: " + ", ".join(c["en"] for c in missing), field=f"criteria.{missing[0]['id']}")
        weights = sum(Decimal(c["weight"]) for c in crit)
        value = sum(Decimal(parts[c["id"]]) * Decimal(c["weight"]) for c in crit) / weights
    else:
        if score in (None, ""):
            raise InvalidInput("请填写评分（0–100）", "give a score (0–100)", field="score")
        value = _score(score, field="score")
        if not (Decimal(0) <= value <= Decimal(100)):
            raise InvalidInput(f"评分应在 0–100 之间：{value}", f"the score must be within 0–100: {value}", field="score")
    now = utcnow()
    if a.declared_at is None:
        a.declared_at = now
        audit.record(session, actor=actor.username, action="review.declare", entity="application", entity_id=app.id, district=app.district, data={"conflict": False})
    a.score, a.comment, a.scored_at, a.criterion_scores = value.quantize(Decimal("0.01")), comment, now, parts
    session.flush()
    audit.record(session, actor=actor.username, action="review.score", entity="application", entity_id=app.id, district=app.district, data={"score": a.score, "comment": comment, **({"criteria": parts} if parts else {})})
    return a


def my_assignment(*, session: Session, application_id: int, actor: User) -> ExpertAssignment | None:
    """The actor's own assignment to an application it may see (an expert's), else None."""
    app = get(session=session, application_id=application_id, actor=actor)
    return session.execute(select(ExpertAssignment).where(ExpertAssignment.application_id == app.id, ExpertAssignment.expert_id == actor.id)).scalar_one_or_none()


def declare(*, session: Session, application_id: int, actor: User, conflict: bool, reason: str = "") -> ExpertAssignment | None:
    """The expert's conflict-of-interest declaration for an application assigned to it, made
    before its content opens. No conflict: recorded (``declared_at``), the content opens. A
    conflict: a tie with the enterprise (``users.declare_tie``) — the expert stands aside, the
    application disappears from its list, and any score it gave is void (issue 13's mechanism)."""
    from huiqi.workflow.users import service as users

    a = my_assignment(session=session, application_id=application_id, actor=actor)
    access.authorize(actor, "application.score")
    if a is None or a.voided_at is not None:
        raise PermissionDenied("您未被分配评审此申报", "you are not assigned to this application", field="expert")
    app = get(session=session, application_id=application_id, actor=actor)
    if conflict:
        if not (reason or "").strip():
            raise InvalidInput("请说明关联关系", "describe the tie", field="reason")
        users.declare_tie(session=session, expert_id=actor.id, enterprise_id=app.enterprise_id, reason=reason, actor=actor)
        return None
    if a.declared_at is None:
        a.declared_at = utcnow()
        session.flush()
        audit.record(session, actor=actor.username, action="review.declare", entity="application", entity_id=app.id, district=app.district, data={"conflict": False})
    return a


def _score(value: Decimal | int | str, *, field: str, label: str = "") -> Decimal:
    """A score as a finite Decimal: NaN, Infinity and anything not a number are bilingual errors."""
    what = f"“{label}”的评分" if label else "评分"
    try:
        d = Decimal(str(value).strip())
    except Exception:  # noqa: BLE001
        raise InvalidInput(f"{what}应为 0–100 的数：{value!r}", f"the score must be a number 0–100: {value!r}", field=field) from None
    if not d.is_finite():
        raise InvalidInput(f"{what}应为 0–100 的有限数，不能是 {value!r}", f"the score must be a finite number 0–100, not {value!r}", field=field)
    return d


CONSULT_STATES = ("submitted", "town_confirmed", "district_checked", "expert_review")


def consult(*, session: Session, application_id: int, actor: User, department: str, opinion: str) -> ReviewOpinion:
    """Record a department's opinion (征求意见) on an application under review."""
    app = get(session=session, application_id=application_id, actor=actor)
    access.authorize(actor, "application.consult")
    if app.state not in CONSULT_STATES:
        st = states.APPLICATION.state(app.state)
        raise IllegalTransition(f"申报{st.zh}，不能再征求意见", f"the application is {st.en}: consultation is over", field="state")
    if not (department or "").strip() or not (opinion or "").strip():
        raise InvalidInput("须写明部门与意见", "give the department and its opinion", field="opinion")
    op = ReviewOpinion(application_id=app.id, kind="consultation", department=department.strip(), opinion=opinion.strip(), actor_id=actor.id)
    session.add(op)
    session.flush()
    audit.record(session, actor=actor.username, action="review.consult", entity="application", entity_id=app.id, district=app.district, data={"department": department, "opinion": opinion})
    return op


def valid_scores(*, session: Session, app: Application) -> list[Decimal | None]:
    """The scores of the experts still assigned (a score voided by a later tie is not one)."""
    return [a.score for a in assignments_for(session=session, app=app) if a.voided_at is None]


def opinions(*, session: Session, application_id: int, actor: User) -> list[ReviewOpinion]:
    """Every opinion recorded on an application the actor may see, oldest first (an enterprise
    user: not the departments' consultation)."""
    app = get(session=session, application_id=application_id, actor=actor)
    q = select(ReviewOpinion).where(ReviewOpinion.application_id == app.id).order_by(ReviewOpinion.id)
    if not access.role_may(actor.role, "application.read_consultation"):
        q = q.where(ReviewOpinion.kind != "consultation")
    return list(session.execute(q).scalars())


def assignments(*, session: Session, application_id: int, actor: User) -> list[ExpertAssignment]:
    """The experts assigned to an application the actor may see, and their scores (an expert: its
    own assignment only; an enterprise user: none)."""
    app = get(session=session, application_id=application_id, actor=actor)
    if not access.role_may(actor.role, "application.read_assignments"):
        return []
    q = select(ExpertAssignment).where(ExpertAssignment.application_id == app.id, access.visible(actor, ExpertAssignment)).order_by(ExpertAssignment.id)
    return list(session.execute(q).scalars())


def assignments_for(*, session: Session, app: Application) -> list[ExpertAssignment]:
    """The assignments of an application the caller holds, oldest first."""
    return list(session.execute(select(ExpertAssignment).where(ExpertAssignment.application_id == app.id).order_by(ExpertAssignment.id)).scalars())


def my_assignments(*, session: Session, actor: User) -> list[ExpertAssignment]:
    """An expert's own assignments, on applications it may still see (not those it stood aside from)."""
    q = select(ExpertAssignment).where(ExpertAssignment.expert_id == actor.id, access.visible(actor, ExpertAssignment)).order_by(ExpertAssignment.id)
    return list(session.execute(q).scalars())
