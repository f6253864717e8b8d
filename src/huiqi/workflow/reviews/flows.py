"""Review operations that span domains: ranking a round within its budget (择优: rounds, decisions'
commitments, applications) and voiding an expert's score when it declares a tie after scoring
(users' ties, reviews, audit)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import stages_of
from huiqi.workflow.common import utcnow
from huiqi.workflow.decisions.flows import round_commitments
from huiqi.workflow.decisions.service import lock_round
from huiqi.workflow.errors import IllegalTransition, InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.reviews.models import ExpertAssignment, ReviewOpinion
from huiqi.workflow.reviews.service import valid_scores
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User


def _ready_for_ranking(session: Session, app: Application) -> tuple[bool, Decimal | None]:
    stages = stages_of(app)
    if "expert_review" in stages:
        if app.state != "expert_review":
            return False, None
        scores = valid_scores(session=session, app=app)
        if not scores or any(s is None for s in scores):
            raise IllegalTransition(
                f"申报 {app.id} 尚有专家未评分（或评分专家已回避，须另行分配专家）",
                f"application {app.id}: not every assigned expert has scored (or a scoring expert stood aside: assign another)",
                field="scores",
            )
        return True, (sum(scores) / len(scores)).quantize(Decimal("0.01"))  # type: ignore[arg-type]
    pre = [s for s in stages if states.stage_index(s) < states.stage_index("shortlist") and s != "consultation"]
    done = states.APPLICATION.state(app.state).stage
    return (app.state not in ("draft",) and done == pre[-1] and not states.APPLICATION.state(app.state).final), None


def _score(value: Decimal | int | str) -> Decimal:
    from decimal import InvalidOperation

    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        d = Decimal("NaN")
    if not d.is_finite() or not (Decimal(0) <= d <= Decimal(100)):
        raise InvalidInput(
            f"最低分应为 0–100 的数：{value!r}",
            f"the minimum score must be a number 0–100: {value!r}",
            field="min_score",
        )
    return d


def shortlist(
    *, session: Session, round_id: int, actor: User, min_score: Decimal | int | str | None = None
) -> list[Application]:
    """Rank a round's reviewed applications by score and shortlist them in order within the budget.

    Reading of 择优 (encoded here): in descending score (ties: earlier submission first), each
    application is proposed at its requested amount (never above the frozen ceiling) while what
    the round has already committed plus the running total stays within the round's budget; the
    first that does not fit, and every one below it, is not selected. Applications below
    ``min_score`` are not selected. A score voided by a tie declared after scoring does not count.

    Already committed = :func:`huiqi.workflow.decisions.service.round_commitments` ``committed``,
    the figure the approval's budget check uses: approved sums of projects still approved, plus
    what revoked projects were paid and have not repaid. The round row is locked first (the order
    approval uses), so no approval can slip in between the reading and the proposals.
    """
    access.get(session, actor, Round, round_id, field="round")
    access.authorize(actor, "application.shortlist")
    floor = _score(min_score) if min_score not in (None, "") else None
    r = lock_round(session, round_id)
    apps = list(
        session.execute(
            select(Application).where(Application.round_id == r.id).order_by(Application.id).with_for_update()
        ).scalars()
    )
    ranked = []
    for app in apps:
        stages = stages_of(app)
        if "shortlist" not in stages:
            continue
        ok, avg = _ready_for_ranking(session, app)
        if not ok:
            continue
        if (
            "consultation" in stages
            and not session.execute(
                select(ReviewOpinion.id).where(
                    ReviewOpinion.application_id == app.id, ReviewOpinion.kind == "consultation"
                )
            ).first()
        ):
            raise IllegalTransition(
                f"申报 {app.id} 尚未征求相关部门意见",
                f"application {app.id}: no department has been consulted yet",
                field="consultation",
            )
        app.score = avg
        ranked.append(app)
    ranked.sort(key=lambda a: (-(a.score if a.score is not None else Decimal(-1)), a.submitted_at, a.id))
    # what earlier approvals already hold (0 without a budget: nothing to fit within)
    committed = round_commitments(session=session, round_id=r.id)["committed"] if r.budget is not None else Decimal(0)
    total, full = Decimal(0), False
    for rank, app in enumerate(ranked, start=1):
        app.rank = rank
        amount = (
            min(x for x in (app.requested_amount, app.ceiling) if x is not None)
            if (app.requested_amount is not None or app.ceiling is not None)
            else Decimal(0)
        )
        over = r.budget is not None and committed + total + amount > r.budget
        fits = not full and (floor is None or (app.score is not None and app.score >= floor)) and not over
        if fits:
            total += amount
            app.proposed_amount = amount
            fire(
                session,
                machine=states.APPLICATION,
                obj=app,
                name="shortlist",
                actor=actor,
                stages=stages_of(app),
                data={
                    "rank": rank,
                    "score": app.score,
                    "proposed_amount": amount,
                    "running_total": total,
                    "committed": committed,
                    "budget": r.budget,
                },
            )
        else:
            if over:
                full = True
            fire(
                session,
                machine=states.APPLICATION,
                obj=app,
                name="not_select",
                actor=actor,
                stages=stages_of(app),
                data={
                    "rank": rank,
                    "score": app.score,
                    "amount": amount,
                    "budget": r.budget,
                    "committed": committed,
                    "running_total": total,
                },
            )
    return ranked


def void_tied_scores(
    *, session: Session, expert: User, enterprise_id: int, actor: User, reason: str
) -> list[ExpertAssignment]:
    """An expert declared a tie with an enterprise after scoring its applications (回避): each such
    score is void — kept with when and why, audited, and no longer counted in any ranking
    (:func:`shortlist`). An application already ranked keeps its rank (an officer decides what to
    do; the audit entry says ``ranked: true``)."""
    rows = list(
        session.execute(
            select(ExpertAssignment, Application)
            .join(Application, Application.id == ExpertAssignment.application_id)
            .where(
                ExpertAssignment.expert_id == expert.id,
                Application.enterprise_id == enterprise_id,
                ExpertAssignment.voided_at.is_(None),
            )
            .order_by(ExpertAssignment.id)
            .with_for_update(of=ExpertAssignment)
        ).all()
    )
    out = []
    for a, app in rows:
        voided = a.score
        a.voided_at, a.void_reason = utcnow(), reason
        out.append(a)
        audit.record(
            session,
            actor=actor.username,
            action="review.score_void",
            entity="application",
            entity_id=app.id,
            district=app.district,
            reason=reason,
            data={"expert": expert.username, "score": voided, "ranked": app.score is not None, "state": app.state},
        )
    session.flush()
    return out
