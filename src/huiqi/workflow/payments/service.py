"""Payments (拨付): batches of due instalments, paid idempotently and atomically.

A batch is paid in one transaction: every instalment is locked, skipped if already paid, and
recorded in the ledger (``payments``, one row per instalment at most — a unique key). A
failure part-way rolls the whole batch back: nothing is half-paid; running it again pays
only what is still unpaid.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.common import get_or_404, id_in_range, parse_day, require_id
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.payments.models import Instalment, Payment, PaymentBatch, PaymentBatchItem, Receivable
from huiqi.workflow.users.models import User
from huiqi.workflow.users.service import require_role


def create_batch(*, session: Session, pay_on: dt.date | str, actor: User, code: str | None = None) -> PaymentBatch:
    """Gather every scheduled instalment due by ``pay_on`` of an approved project into a batch."""
    require_role(actor, states.OFFICER)
    day = parse_day(pay_on, field="pay_on")
    in_open = select(PaymentBatchItem.instalment_id).join(PaymentBatch, PaymentBatch.id == PaymentBatchItem.batch_id).where(PaymentBatch.state == "open")
    due = list(session.execute(
        select(Instalment).join(Application, Application.id == Instalment.application_id)
        .where(Instalment.state == "scheduled", Instalment.due_on <= day, Application.state == "approved", Instalment.id.not_in(in_open))
        .order_by(Instalment.application_id, Instalment.seq)
    ).scalars())
    if not due:
        raise InvalidInput(f"截至 {day} 没有待拨付的款项", f"nothing is due for payment by {day}", field="pay_on")
    n = session.execute(select(func.count(PaymentBatch.id))).scalar_one() + 1
    batch = PaymentBatch(code=code or f"PAY-{day.isoformat()}-{n}", pay_on=day, state="open")
    session.add(batch)
    session.flush()
    for inst in due:
        session.add(PaymentBatchItem(batch_id=batch.id, instalment_id=inst.id))
    session.flush()
    audit.record(session, actor=actor.username, action="payment.batch", entity="payment_batch", entity_id=batch.id, data={"pay_on": day, "instalments": [i.id for i in due], "total": sum((i.amount for i in due), Decimal(0))})
    return batch


def _disburse(session: Session, inst: Instalment, batch: PaymentBatch, actor: User) -> Payment:
    """Record one disbursement (the place a bank transfer would be made)."""
    p = Payment(instalment_id=inst.id, application_id=inst.application_id, batch_id=batch.id, amount=inst.amount, paid_on=batch.pay_on, reference=f"{batch.code}/{inst.id}")
    session.add(p)
    session.flush()
    # every column of the payment is in the entry: ``huiqi audit verify`` reconciles the row against it
    fire(session, machine=states.INSTALMENT, obj=inst, name="pay", actor=actor, data={"amount": inst.amount, "batch": batch.code, "application": inst.application_id, "payment": p.id, "batch_id": batch.id, "paid_on": p.paid_on, "reference": p.reference})
    session.flush()
    return p


def run_batch(*, session: Session, batch_id: int, actor: User) -> list[Payment]:
    """Pay a batch; already-paid instalments are skipped, so running it again pays nothing twice."""
    require_role(actor, states.OFFICER)
    from huiqi.workflow.decisions.service import lock_round

    batch = get_or_404(session, PaymentBatch, batch_id, zh="拨付批次", en="payment batch", lock=True)
    round_ids = sorted({rid for rid in session.execute(
        select(Application.round_id).join(Instalment, Instalment.application_id == Application.id).join(PaymentBatchItem, PaymentBatchItem.instalment_id == Instalment.id)
        .where(PaymentBatchItem.batch_id == batch.id, Application.round_id.is_not(None))
    ).scalars()})
    rounds = {rid: lock_round(session, rid) for rid in round_ids}  # rounds before instalments, as approval does
    items = list(session.execute(select(Instalment).join(PaymentBatchItem, PaymentBatchItem.instalment_id == Instalment.id).where(PaymentBatchItem.batch_id == batch.id).order_by(Instalment.id).with_for_update()).scalars())
    due = []
    for inst in items:
        if inst.state != "scheduled":
            continue  # paid already (this batch before, or another) or cancelled by a revocation
        app = session.get(Application, inst.application_id)
        if app.state != "approved":
            continue
        due.append((inst, app))
    check_budgets(session=session, rounds=rounds, due=due)
    paid = [_disburse(session, inst, batch, actor) for inst, _app in due]
    batch.state = "done"
    session.flush()
    audit.record(session, actor=actor.username, action="payment.run", entity="payment_batch", entity_id=batch.id, data={"paid": [p.instalment_id for p in paid], "total": sum((p.amount for p in paid), Decimal(0))})
    return paid


def check_budgets(*, session: Session, rounds: dict, due: list) -> None:
    """Refuse the whole batch (nothing paid) if it would take a round's payments past its budget."""
    from huiqi.workflow.decisions.service import round_commitments
    from huiqi.workflow.errors import CapExceeded

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
                field="budget", details={"round": r.code, "budget": str(r.budget), "paid": str(done), "requested": str(here), "room": str(room)},
            )


def ledger(*, session: Session, application_id: int | None = None, batch_id: int | None = None) -> list[Payment]:
    """Disbursements, oldest first."""
    if any(v is not None and id_in_range(session, Payment, v) is None for v in (application_id, batch_id)):
        return []  # an id no row can have: nothing, not a database error
    q = select(Payment).order_by(Payment.id)
    if application_id is not None:
        q = q.where(Payment.application_id == application_id)
    if batch_id is not None:
        q = q.where(Payment.batch_id == batch_id)
    return list(session.execute(q).scalars())


def instalments(*, session: Session, application_id: int) -> list[Instalment]:
    """An application's payment schedule."""
    if id_in_range(session, Instalment, application_id) is None:
        return []
    return list(session.execute(select(Instalment).where(Instalment.application_id == application_id).order_by(Instalment.seq)).scalars())


def paid_total(*, session: Session, application_id: int) -> Decimal:
    """The sum disbursed on an application."""
    return sum((p.amount for p in ledger(session=session, application_id=application_id)), Decimal("0.00"))


def record_recovery(*, session: Session, receivable_id: int, actor: User, on: dt.date | str) -> Receivable:
    """Mark a claw-back receivable as recovered: the sum no longer counts against the enterprise's
    annual caps nor the round's budget."""
    from huiqi.workflow.decisions.service import lock_round, release_caps

    day = parse_day(on, field="on")
    key = require_id(session, Receivable, receivable_id, zh="应收回款项", en="receivable")
    app_id = session.execute(select(Receivable.application_id).where(Receivable.id == key)).scalar()
    if app_id is not None:
        lock_round(session, session.execute(select(Application.round_id).where(Application.id == app_id)).scalar())
    rec = get_or_404(session, Receivable, receivable_id, zh="应收回款项", en="receivable", lock=True)
    fire(session, machine=states.RECEIVABLE, obj=rec, name="recover", actor=actor, data={"amount": rec.amount, "on": day})
    rec.recovered_on = day
    release_caps(session=session, app=session.get(Application, rec.application_id), amount=rec.amount, actor=actor, why=f"已收回 {rec.amount} 元 / {rec.amount} recovered")
    return rec
