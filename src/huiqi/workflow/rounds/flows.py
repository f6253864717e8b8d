"""Round operations that span domains: a budget change is checked against what the round has
committed and paid (``decisions.flows.round_commitments``: applications, payments, recoveries)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access, states
from huiqi.workflow.common import money
from huiqi.workflow.decisions.flows import round_commitments
from huiqi.workflow.decisions.service import lock_round
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.rounds.service import get
from huiqi.workflow.users.models import User


def set_budget(*, session: Session, round_id: int, budget: Decimal | str | None, actor: User, reason: str) -> Round:
    """Change a round's budget (e.g. a budget cut), with a written reason; audited. A budget below
    what has already been paid is refused. Approvals and payments are checked against the new
    figure from now on (sums already approved stay approved)."""
    get(session=session, round_id=round_id, actor=actor)
    access.authorize(actor, "round.budget")
    r = lock_round(session, round_id)
    if not (reason or "").strip():
        raise InvalidInput("调整预算须写明理由", "a written reason is required to change the budget", field="reason")
    b = money(budget, field="budget") if budget not in (None, "") else None
    c = round_commitments(session=session, round_id=r.id)
    if b is not None and b < c["paid"]:
        raise InvalidInput(
            f"批次 {r.code} 已拨付 {c['paid']} 元，预算不能低于此数（{b} 元）",
            f"round {r.code} has already paid {c['paid']}: the budget cannot be set below it ({b})",
            field="budget",
        )
    before = r.budget
    r.budget = b
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="round.budget",
        entity="round",
        entity_id=r.id,
        district=r.district,
        reason=reason.strip(),
        data={"code": r.code, "before": before, "after": b, "committed": c["committed"], "paid": c["paid"]},
    )
    return r


def commitments(*, session: Session, round_id: int, actor: User) -> dict:
    """What a round the actor may see has committed and paid (:func:`round_commitments`); for its
    district's officers and auditors (``round.commitments``)."""
    get(session=session, round_id=round_id, actor=actor)
    access.authorize(actor, "round.commitments")
    return round_commitments(session=session, round_id=round_id)


def close_preview(*, session: Session, round_id: int, actor: User) -> dict:
    """What closing a round will do, before it is done (the confirmation page): how many drafts
    will be locked (they can no longer be submitted), how many applications were submitted."""
    from sqlalchemy import func, select

    from huiqi.workflow.applications.models import Application

    r = get(session=session, round_id=round_id, actor=actor)
    access.authorize(actor, "round.close")
    rows = session.execute(
        select(Application.state, func.count(Application.id))
        .where(Application.round_id == r.id, access.visible(actor, Application))
        .group_by(Application.state)
    ).all()
    by_state = {state: n for state, n in rows}
    return {
        "round": r,
        "drafts": by_state.get("draft", 0),
        "submitted": sum(n for st, n in by_state.items() if st != "draft"),
        "by_state": by_state,
        "can_close": r.state in states.ROUND.transition("close").sources,
    }
