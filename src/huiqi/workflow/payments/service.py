"""Payments (拨付): batches of due instalments, the ledger of disbursements, claw-back receivables.

A batch gathers the due instalments of one district's approved projects (the officer's). Paying a
batch — idempotent and atomic, within the rounds' budgets — and recording a recovery (which gives
cap and budget room back) span domains: ``payments.flows``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access
from huiqi.workflow.applications.models import Application
from huiqi.workflow.common import day_or_today
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.payments.models import Instalment, Payment, PaymentBatch, PaymentBatchItem, Receivable
from huiqi.workflow.users.models import User


def create_batch(*, session: Session, pay_on: dt.date | str | None, actor: User, code: str | None = None) -> PaymentBatch:
    """Gather every scheduled instalment due by ``pay_on`` of an approved project of the actor's
    district into a batch (another district's instalments are never in it)."""
    access.authorize(actor, "payment_batch.create")
    day = day_or_today(pay_on, field="pay_on")
    in_open = select(PaymentBatchItem.instalment_id).join(PaymentBatch, PaymentBatch.id == PaymentBatchItem.batch_id).where(PaymentBatch.state == "open")
    due = list(session.execute(
        select(Instalment).join(Application, Application.id == Instalment.application_id)
        .where(Instalment.state == "scheduled", Instalment.due_on <= day, Application.state == "approved", Application.district == actor.district, Instalment.id.not_in(in_open))
        .order_by(Instalment.application_id, Instalment.seq)
    ).scalars())
    if not due:
        raise InvalidInput(f"截至 {day} 没有待拨付的款项", f"nothing is due for payment by {day}", field="pay_on")
    if code and session.execute(select(PaymentBatch.id).where(PaymentBatch.code == code)).first():
        raise InvalidInput(f"拨付批次编号已存在：{code}", f"payment batch code already used: {code}", field="code")
    n = session.execute(select(func.count(PaymentBatch.id))).scalar_one() + 1
    batch = PaymentBatch(code=code or f"PAY-{day.isoformat()}-{n}", district=actor.district, pay_on=day, state="open")
    session.add(batch)
    session.flush()
    for inst in due:
        session.add(PaymentBatchItem(batch_id=batch.id, instalment_id=inst.id))
    session.flush()
    audit.record(session, actor=actor.username, action="payment.batch", entity="payment_batch", entity_id=batch.id, district=batch.district,
                 data={"pay_on": day, "instalments": [i.id for i in due], "total": sum((i.amount for i in due), Decimal(0))})
    return batch


def get_batch(*, session: Session, batch_id: int, actor: User, lock: bool = False) -> PaymentBatch:
    """A payment batch of the actor's district, else NotFound."""
    return access.get(session, actor, PaymentBatch, batch_id, field="batch", lock=lock)


def batches(*, session: Session, actor: User) -> list[PaymentBatch]:
    """The payment batches of the actor's district (``payment_batch.read``), newest first."""
    access.authorize(actor, "payment_batch.read")
    return list(session.execute(select(PaymentBatch).where(access.visible(actor, PaymentBatch)).order_by(PaymentBatch.id.desc())).scalars())


def ledger(*, session: Session, actor: User, application_id: int | None = None, batch_id: int | None = None) -> list[Payment]:
    """Disbursements on applications the actor may see, oldest first."""
    if any(v is not None and access.as_id(v) is None for v in (application_id, batch_id)):
        return []  # an id no row can have: nothing, not a database error
    q = select(Payment).where(access.visible(actor, Payment)).order_by(Payment.id)
    if application_id is not None:
        q = q.where(Payment.application_id == application_id)
    if batch_id is not None:
        q = q.where(Payment.batch_id == batch_id)
    return list(session.execute(q).scalars())


def instalments(*, session: Session, application_id: int, actor: User) -> list[Instalment]:
    """The payment schedule of an application the actor may see."""
    access.get(session, actor, Application, application_id, field="application")
    return instalments_for(session=session, application_id=application_id)


def instalments_for(*, session: Session, application_id: int) -> list[Instalment]:
    """The payment schedule of an application the caller holds."""
    return list(session.execute(select(Instalment).where(Instalment.application_id == application_id).order_by(Instalment.seq)).scalars())


def paid_total(*, session: Session, application_id: int) -> Decimal:
    """The sum disbursed on an application the caller holds."""
    if access.as_id(application_id) is None:
        return Decimal("0.00")
    total = session.execute(select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.application_id == application_id)).scalar_one()
    return Decimal(total).quantize(Decimal("0.01"))


def receivables(*, session: Session, actor: User, application_id: int | None = None) -> list[Receivable]:
    """Claw-back receivables the actor may see (its district's; an enterprise user its own), newest first."""
    if application_id is not None and access.as_id(application_id) is None:
        return []
    q = select(Receivable).where(access.visible(actor, Receivable)).order_by(Receivable.id.desc())
    if application_id is not None:
        q = q.where(Receivable.application_id == application_id)
    return list(session.execute(q).scalars())
