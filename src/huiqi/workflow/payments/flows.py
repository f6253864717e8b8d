"""Payment operations that span domains.

Paying a batch (:func:`run_batch`): one transaction; every instalment is locked, skipped if already
paid, and recorded in the ledger (``payments``, one row per instalment at most — a unique key). A
failure part-way rolls the whole batch back: nothing is half-paid; running it again pays only
what is still unpaid. The rounds' budgets are checked first (``decisions.flows``). Recording a
recovery (:func:`record_recovery`) gives cap and budget room back (``decisions.service``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.common import day_or_today
from huiqi.workflow.decisions.flows import round_commitments
from huiqi.workflow.decisions.service import lock_round, release_caps
from huiqi.workflow.errors import CapExceeded
from huiqi.workflow.machine import fire
from huiqi.workflow.payments.models import Instalment, Payment, PaymentBatch, PaymentBatchItem, Receivable
from huiqi.workflow.payments.service import get_batch
from huiqi.workflow.users.models import User


def _disburse(session: Session, inst: Instalment, app: Application, batch: PaymentBatch, actor: User) -> Payment:
    """Record one disbursement (the place a bank transfer would be made)."""
    p = Payment(
        instalment_id=inst.id,
        application_id=inst.application_id,
        batch_id=batch.id,
        amount=inst.amount,
        paid_on=batch.pay_on,
        reference=f"{batch.code}/{inst.id}",
    )
    session.add(p)
    session.flush()
    # every column of the payment is in the entry: ``huiqi audit verify`` reconciles the row against it
    fire(
        session,
        machine=states.INSTALMENT,
        obj=inst,
        name="pay",
        actor=actor,
        district=app.district,
        data={
            "amount": inst.amount,
            "batch": batch.code,
            "application": inst.application_id,
            "payment": p.id,
            "batch_id": batch.id,
            "paid_on": p.paid_on,
            "reference": p.reference,
        },
    )
    session.flush()
    return p


def run_batch(*, session: Session, batch_id: int, actor: User) -> list[Payment]:
    """Pay a batch of the actor's district; already-paid instalments are skipped, so running it
    again pays nothing twice."""
    get_batch(session=session, batch_id=batch_id, actor=actor)  # another district's batch: NotFound
    access.authorize(actor, "instalment.pay")
    round_ids = sorted(
        {
            rid
            for rid in session.execute(
                select(Application.round_id)
                .join(Instalment, Instalment.application_id == Application.id)
                .join(PaymentBatchItem, PaymentBatchItem.instalment_id == Instalment.id)
                .where(PaymentBatchItem.batch_id == batch_id, Application.round_id.is_not(None))
            ).scalars()
        }
    )
    rounds = {rid: lock_round(session, rid) for rid in round_ids}  # rounds before instalments, as approval does
    batch = get_batch(session=session, batch_id=batch_id, actor=actor, lock=True)
    items = list(
        session.execute(
            select(Instalment)
            .join(PaymentBatchItem, PaymentBatchItem.instalment_id == Instalment.id)
            .where(PaymentBatchItem.batch_id == batch.id)
            .order_by(Instalment.id)
            .with_for_update()
        ).scalars()
    )
    due = []
    for inst in items:
        if inst.state != "scheduled":
            continue  # paid already (this batch before, or another) or cancelled by a revocation
        app = session.get(Application, inst.application_id)
        if app.state != "approved" or app.district != batch.district:
            continue
        due.append((inst, app))
    check_budgets(session=session, rounds=rounds, due=due)
    paid = [_disburse(session, inst, app, batch, actor) for inst, app in due]
    batch.state = "done"
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="payment.run",
        entity="payment_batch",
        entity_id=batch.id,
        district=batch.district,
        data={"paid": [p.instalment_id for p in paid], "total": sum((p.amount for p in paid), Decimal(0))},
    )
    return paid


def check_budgets(*, session: Session, rounds: dict, due: list) -> None:
    """Refuse the whole batch (nothing paid) if it would take a round's payments past its budget."""
    for rid, r in rounds.items():
        if r is None or r.budget is None:
            continue
        here = sum((inst.amount for inst, app in due if app.round_id == rid), Decimal(0))
        if not here:
            continue
        done = round_commitments(session=session, round_id=rid)["paid"]
        if done + here > r.budget:
            room = max(r.budget - done, Decimal(0))
            raise CapExceeded(
                f"拨付将超出批次“{r.code} {r.name}”的预算：预算 {r.budget} 元，已拨付（扣除已收回）{done} 元，本批拨付 {here} 元，尚余 {room} 元；本批未拨付任何款项",
                f"this payment batch would take round {r.code} ({r.name}) over its budget: budget {r.budget}, already paid (net of recoveries) {done}, this batch {here}, room left {room}; nothing was paid",
                field="budget",
                details={
                    "round": r.code,
                    "budget": str(r.budget),
                    "paid": str(done),
                    "requested": str(here),
                    "room": str(room),
                },
            )


def record_recovery(*, session: Session, receivable_id: int, actor: User, on: dt.date | str | None) -> Receivable:
    """Mark a claw-back receivable of the actor's district as recovered: the sum no longer counts
    against the enterprise's annual caps nor the round's budget."""
    seen = access.get(session, actor, Receivable, receivable_id, field="receivable")
    access.authorize(actor, "receivable.recover")
    day = day_or_today(on, field="on")
    app = session.get(Application, seen.application_id)
    lock_round(session, app.round_id)
    rec = access.get(session, actor, Receivable, receivable_id, field="receivable", lock=True)
    fire(
        session, machine=states.RECEIVABLE, obj=rec, name="recover", actor=actor, data={"amount": rec.amount, "on": day}
    )
    rec.recovered_on = day
    from huiqi.workflow.awards import service as awards

    awards.mark_recovered(session=session, app=app, amount=rec.amount, actor=actor)
    release_caps(
        session=session, app=app, amount=rec.amount, actor=actor, why=f"已收回 {rec.amount} 元 / {rec.amount} recovered"
    )
    return rec
