"""Reviews: town/park confirmation (初审·镇园区), district check (初审·区), expert scoring with
conflict-of-interest exclusion, consultation of departments, merit ranking within the budget (择优)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import get, stages_of
from huiqi.workflow.common import get_or_404, id_in_range, utcnow
from huiqi.workflow.decisions.service import round_commitments
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import IllegalTransition, InvalidInput, PermissionDenied
from huiqi.workflow.machine import fire
from huiqi.workflow.reviews.models import ExpertAssignment, ReviewOpinion
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User
from huiqi.workflow.users.service import has_tie, require_role


def town_confirm(*, session: Session, application_id: int, actor: User, confirmed: bool, opinion: str = "") -> Application:
    """The town/park confirms (or does not) the application of an enterprise in its area."""
    app = get(session=session, application_id=application_id, lock=True)
    ent = session.get(Enterprise, app.enterprise_id)
    if actor.role == states.REVIEWER and (ent.town or "") != (actor.town or ""):
        raise PermissionDenied(f"{ent.name} 不在 {actor.town} 辖区", f"{ent.name} is not in {actor.town}'s area", field="town")
    fire(session, machine=states.APPLICATION, obj=app, name="town_confirm" if confirmed else "town_reject", actor=actor, reason=opinion or None, stages=stages_of(app))
    session.add(ReviewOpinion(application_id=app.id, kind="town_confirmation", passed=confirmed, opinion=opinion, actor_id=actor.id, department=actor.town))
    return app


def district_check(*, session: Session, application_id: int, actor: User, passed: bool, opinion: str = "", originals_checked: bool = False) -> Application:
    """The district checks the form and materials (形式审查); originals shown may be marked checked."""
    from huiqi.workflow.materials.models import MaterialFile

    app = get(session=session, application_id=application_id, lock=True)
    fire(session, machine=states.APPLICATION, obj=app, name="district_pass" if passed else "district_fail", actor=actor, reason=opinion or None, stages=stages_of(app))
    if originals_checked:
        for f in session.execute(select(MaterialFile).where(MaterialFile.application_id == app.id, MaterialFile.required_form == "original_for_check")).scalars():
            f.original_checked = True
    session.add(ReviewOpinion(application_id=app.id, kind="district_check", passed=passed, opinion=opinion, actor_id=actor.id, department=actor.department))
    return app


def assign_experts(*, session: Session, application_id: int, expert_ids: list[int], actor: User) -> list[ExpertAssignment]:
    """Assign experts to an application; an expert with a declared tie to the enterprise is refused."""
    app = get(session=session, application_id=application_id, lock=True)
    if not expert_ids:
        raise InvalidInput("至少分配一位专家", "assign at least one expert", field="experts")
    ent = session.get(Enterprise, app.enterprise_id)
    experts = []
    for eid in dict.fromkeys(expert_ids):
        ex = get_or_404(session, User, eid, zh="专家", en="expert", field="experts")
        if ex.role != states.EXPERT or not ex.active:
            raise InvalidInput(f"{ex.username} 不是评审专家", f"{ex.username} is not an expert", field="experts")
        if has_tie(session=session, expert_id=ex.id, enterprise_id=ent.id):
            raise PermissionDenied(f"专家 {ex.display_name} 已申报与 {ent.name} 存在关联关系，须回避", f"expert {ex.username} declared a tie with {ent.name} and must stand aside", field="experts")
        experts.append(ex)
    fire(session, machine=states.APPLICATION, obj=app, name="assign_experts", actor=actor, stages=stages_of(app), data={"experts": [e.username for e in experts]})
    out = []
    for ex in experts:
        a = ExpertAssignment(application_id=app.id, expert_id=ex.id)
        session.add(a)
        out.append(a)
    session.flush()
    return out


def score(*, session: Session, application_id: int, actor: User, score: Decimal | int | str, comment: str = "") -> ExpertAssignment:
    """An assigned expert scores the application (0–100)."""
    require_role(actor, states.EXPERT)
    app = get(session=session, application_id=application_id)
    if app.state != "expert_review":
        st = states.APPLICATION.state(app.state)
        raise IllegalTransition(f"申报{st.zh}，不在专家评审中", f"the application is {st.en}, not in expert review", field="state")
    a = session.execute(select(ExpertAssignment).where(ExpertAssignment.application_id == app.id, ExpertAssignment.expert_id == actor.id).with_for_update()).scalar_one_or_none()
    if a is None:
        raise PermissionDenied("您未被分配评审此申报", "you are not assigned to this application", field="expert")
    if has_tie(session=session, expert_id=actor.id, enterprise_id=app.enterprise_id):
        raise PermissionDenied("您已申报与该企业存在关联关系，须回避", "you declared a tie with this enterprise and must stand aside", field="expert")
    value = _score(score, field="score")
    if not (Decimal(0) <= value <= Decimal(100)):
        raise InvalidInput(f"评分应在 0–100 之间：{value}", f"the score must be within 0–100: {value}", field="score")
    a.score, a.comment, a.scored_at = value.quantize(Decimal("0.01")), comment, utcnow()
    session.flush()
    audit.record(session, actor=actor.username, action="review.score", entity="application", entity_id=app.id, data={"score": a.score, "comment": comment})
    return a


def _score(value: Decimal | int | str, *, field: str) -> Decimal:
    """A score as a finite Decimal: NaN, Infinity and anything not a number are bilingual errors."""
    try:
        d = Decimal(str(value).strip())
    except Exception:  # noqa: BLE001
        raise InvalidInput(f"评分应为 0–100 的数：{value!r}", f"the score must be a number 0–100: {value!r}", field=field) from None
    if not d.is_finite():
        raise InvalidInput(f"评分应为 0–100 的有限数，不能是 {value!r}", f"the score must be a finite number 0–100, not {value!r}", field=field)
    return d


def consult(*, session: Session, application_id: int, actor: User, department: str, opinion: str) -> ReviewOpinion:
    """Record a department's opinion (征求意见) on an application under review."""
    require_role(actor, states.OFFICER)
    app = get(session=session, application_id=application_id)
    if app.state not in ("submitted", "town_confirmed", "district_checked", "expert_review"):
        st = states.APPLICATION.state(app.state)
        raise IllegalTransition(f"申报{st.zh}，不能再征求意见", f"the application is {st.en}: consultation is over", field="state")
    if not (department or "").strip() or not (opinion or "").strip():
        raise InvalidInput("须写明部门与意见", "give the department and its opinion", field="opinion")
    op = ReviewOpinion(application_id=app.id, kind="consultation", department=department.strip(), opinion=opinion.strip(), actor_id=actor.id)
    session.add(op)
    session.flush()
    audit.record(session, actor=actor.username, action="review.consult", entity="application", entity_id=app.id, data={"department": department, "opinion": opinion})
    return op


def _ready_for_ranking(session: Session, app: Application) -> tuple[bool, Decimal | None]:
    stages = stages_of(app)
    if "expert_review" in stages:
        if app.state != "expert_review":
            return False, None
        scores = [a.score for a in session.execute(select(ExpertAssignment).where(ExpertAssignment.application_id == app.id)).scalars()]
        if not scores or any(s is None for s in scores):
            raise IllegalTransition(f"申报 {app.id} 尚有专家未评分", f"application {app.id}: not every assigned expert has scored", field="scores")
        return True, (sum(scores) / len(scores)).quantize(Decimal("0.01"))
    pre = [s for s in stages if states.stage_index(s) < states.stage_index("shortlist") and s != "consultation"]
    done = states.APPLICATION.state(app.state).stage
    return (app.state not in ("draft",) and done == pre[-1] and not states.APPLICATION.state(app.state).final), None


def shortlist(*, session: Session, round_id: int, actor: User, min_score: Decimal | int | str | None = None) -> list[Application]:
    """Rank a round's reviewed applications by score and shortlist them in order within the budget.

    Reading of 择优 (encoded here): in descending score (ties: earlier submission first), each
    application is proposed at its requested amount (never above the frozen ceiling) while what
    the round has already committed plus the running total stays within the round's budget; the
    first that does not fit, and every one below it, is not selected. Applications below
    ``min_score`` are not selected.

    Already committed = :func:`huiqi.workflow.decisions.service.round_commitments` ``committed``,
    the figure the approval's budget check uses: approved sums of projects still approved, plus
    what revoked projects were paid and have not repaid. The round row is locked first (the order
    approval uses), so no approval can slip in between the reading and the proposals.
    """
    require_role(actor, states.OFFICER)
    r = get_or_404(session, Round, round_id, zh="申报批次", en="round", field="round", lock=True)
    apps = list(session.execute(select(Application).where(Application.round_id == r.id).order_by(Application.id).with_for_update()).scalars())
    ranked = []
    for app in apps:
        stages = stages_of(app)
        if "shortlist" not in stages:
            continue
        ok, avg = _ready_for_ranking(session, app)
        if not ok:
            continue
        if "consultation" in stages and not session.execute(select(ReviewOpinion.id).where(ReviewOpinion.application_id == app.id, ReviewOpinion.kind == "consultation")).first():
            raise IllegalTransition(f"申报 {app.id} 尚未征求相关部门意见", f"application {app.id}: no department has been consulted yet", field="consultation")
        app.score = avg
        ranked.append(app)
    ranked.sort(key=lambda a: (-(a.score if a.score is not None else Decimal(-1)), a.submitted_at, a.id))
    floor = _score(min_score, field="min_score") if min_score is not None else None
    if floor is not None and not (Decimal(0) <= floor <= Decimal(100)):
        raise InvalidInput(f"最低分应在 0–100 之间：{floor}", f"the minimum score must be within 0–100: {floor}", field="min_score")
    # what earlier approvals already hold (0 without a budget: nothing to fit within)
    committed = round_commitments(session=session, round_id=r.id)["committed"] if r.budget is not None else Decimal(0)
    total, full = Decimal(0), False
    for rank, app in enumerate(ranked, start=1):
        app.rank = rank
        amount = min(x for x in (app.requested_amount, app.ceiling) if x is not None) if (app.requested_amount is not None or app.ceiling is not None) else Decimal(0)
        over = r.budget is not None and committed + total + amount > r.budget
        fits = not full and (floor is None or (app.score is not None and app.score >= floor)) and not over
        if fits:
            total += amount
            app.proposed_amount = amount
            fire(session, machine=states.APPLICATION, obj=app, name="shortlist", actor=actor, stages=stages_of(app), data={"rank": rank, "score": app.score, "proposed_amount": amount, "running_total": total, "committed": committed, "budget": r.budget})
        else:
            if over:
                full = True
            fire(session, machine=states.APPLICATION, obj=app, name="not_select", actor=actor, stages=stages_of(app), data={"rank": rank, "score": app.score, "amount": amount, "budget": r.budget, "committed": committed, "running_total": total})
    return ranked


def opinions(*, session: Session, application_id: int) -> list[ReviewOpinion]:
    """Every opinion recorded on an application, oldest first."""
    if id_in_range(session, ReviewOpinion, application_id) is None:
        return []
    return list(session.execute(select(ReviewOpinion).where(ReviewOpinion.application_id == application_id).order_by(ReviewOpinion.id)).scalars())


def assignments(*, session: Session, application_id: int) -> list[ExpertAssignment]:
    """The experts assigned to an application and their scores."""
    if id_in_range(session, ExpertAssignment, application_id) is None:
        return []
    return list(session.execute(select(ExpertAssignment).where(ExpertAssignment.application_id == application_id).order_by(ExpertAssignment.id)).scalars())
