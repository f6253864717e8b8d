"""Dashboard figures: approved sums by programme, by town/park and by month; budget used per round."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.api import access
from huiqi.workflow.enterprises.models import Enterprise

ZERO = Decimal("0.00")


def dashboard_data(session: Session, user: Any) -> dict:
    from huiqi.workflow.payments.models import Payment
    from huiqi.workflow.rounds.models import Round

    rows = session.execute(access.application_query(user).add_columns(Enterprise.town)).all()
    by_programme: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_town: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_round: dict[int, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[str, int] = defaultdict(int)
    ids = []
    for app, town in rows:
        counts[app.state] += 1
        ids.append(app.id)
        if app.approved_amount is None or app.state not in ("approved", "revoked"):
            continue
        amt = app.approved_amount
        by_programme[app.programme_id] += amt
        by_town[town or "—"] += amt
        if app.approved_on:
            by_month[app.approved_on.strftime("%Y-%m")] += amt
        if app.round_id:
            by_round[app.round_id] += amt
    paid = sum((p.amount for p in session.execute(select(Payment).where(Payment.application_id.in_(ids or [-1]))).scalars()), ZERO)
    budgets = []
    from huiqi.workflow.decisions.service import round_commitments

    for r in session.execute(select(Round).order_by(Round.id)).scalars():
        if user.role in access.READERS_OF_ALL:
            # used = committed, as approval checks it: approved sums, plus what revoked projects were paid and have not repaid
            c = round_commitments(session=session, round_id=r.id)
            used, paid_r = c["committed"], str(c["paid"])
        else:  # a town/park reviewer: the approved sums of its own area only
            used, paid_r = by_round.get(r.id, ZERO), None
        budgets.append({"round_id": r.id, "code": r.code, "name": r.name, "budget": None if r.budget is None else str(r.budget), "used": str(used), "paid": paid_r})

    def items(d: dict) -> list[dict]:
        return [{"key": k, "amount": str(v)} for k, v in sorted(d.items())]

    return {
        "by_programme": items(by_programme),
        "by_town": items(by_town),
        "by_month": items(by_month),
        "budgets": budgets,
        "counts": dict(sorted(counts.items())),
        "approved_total": str(sum(by_programme.values(), ZERO)),
        "paid_total": str(paid),
    }
