"""Dashboard figures across domains: approved sums by programme, by town/park and by month; budget
used per round — of the applications and rounds the actor may see (``access``)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.workflow import access
from huiqi.workflow.applications.models import Application
from huiqi.workflow.decisions.flows import round_commitments
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.payments.models import Payment
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User

ZERO = Decimal("0.00")


def dashboard(*, session: Session, actor: User) -> dict:
    """The figures of the applications the actor may see; each round's budget use (its district's
    officers and auditors: what approval checks, ``round_commitments``; a town/park reviewer: the
    approved sums of its own area only)."""
    access.authorize(actor, "dashboard.read")
    rows = session.execute(
        select(Application, Enterprise.town)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(access.visible(actor, Application))
    ).all()
    by_programme: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_town: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_round: dict[int, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[str, int] = defaultdict(int)
    for app, town in rows:
        counts[app.state] += 1
        if app.approved_amount is None or app.state not in ("approved", "revoked"):
            continue
        amt = app.approved_amount
        by_programme[app.programme_id] += amt
        by_town[town or "—"] += amt
        if app.approved_on:
            by_month[app.approved_on.strftime("%Y-%m")] += amt
        if app.round_id:
            by_round[app.round_id] += amt
    paid = session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(access.visible(actor, Payment))
    ).scalar_one()
    whole = access.role_may(actor.role, "round.commitments")
    budgets = []
    for r in session.execute(select(Round).where(access.visible(actor, Round)).order_by(Round.id)).scalars():
        if whole:  # used = committed, as approval checks it: approved, plus paid-and-not-repaid on revoked projects
            c = round_commitments(session=session, round_id=r.id)
            used, paid_r = c["committed"], str(c["paid"])
        else:
            used, paid_r = by_round.get(r.id, ZERO), None
        budgets.append(
            {
                "round_id": r.id,
                "code": r.code,
                "name": r.name,
                "district": r.district,
                "budget": None if r.budget is None else str(r.budget),
                "used": str(used),
                "paid": paid_r,
            }
        )

    def items(d: dict) -> list[dict]:
        return [{"key": k, "amount": str(v)} for k, v in sorted(d.items())]

    return {
        "by_programme": items(by_programme),
        "by_town": items(by_town),
        "by_month": items(by_month),
        "budgets": budgets,
        "counts": dict(sorted(counts.items())),
        "approved_total": str(sum(by_programme.values(), ZERO)),
        "paid_total": str(Decimal(paid).quantize(Decimal("0.01"))),
    }


def queue_counts(*, session: Session, actor: User) -> dict:
    """How many applications the actor may see wait in each state, and per town/park."""
    vis = access.visible(actor, Application)
    by_state = dict(
        session.execute(select(Application.state, func.count()).where(vis).group_by(Application.state)).all()
    )
    q = (
        select(Enterprise.town, func.count())
        .select_from(Application)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(vis)
        .group_by(Enterprise.town)
    )
    by_town = {t or "—": n for t, n in session.execute(q).all()}
    return {"by_state": by_state, "by_town": by_town}
