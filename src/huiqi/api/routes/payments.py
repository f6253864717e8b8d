"""Payments (拨付): the ledger, batches of a district's due instalments, paying a batch."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel, Field

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, SessionDep
from huiqi.api.routes.common import DATE_PATTERN, Date, LIST, R401, R422, WRITE
from huiqi.workflow.common import row_dict
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.payments import service as payments

router = APIRouter(tags=["payments 拨付"])


class BatchIn(BaseModel):
    pay_on: Date = Field(None, pattern=DATE_PATTERN)
    code: Optional[str] = Field(None, max_length=50)


@router.get(
    "/payments", summary="拨付记录 / disbursements", response_model=list[schemas.Payment], responses={**R401, **R422}
)
def list_payments(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [row_dict(p) for p in payments.ledger(session=session, actor=user)]


@router.get(
    "/payment-batches", summary="拨付批次 / payment batches", response_model=list[schemas.PaymentBatch], responses=LIST
)
def list_batches(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [row_dict(b) for b in payments.batches(session=session, actor=user)]


@router.post(
    "/payment-batches",
    summary="生成拨付批次 / gather a payment batch",
    status_code=201,
    response_model=schemas.PaymentBatch,
    responses=WRITE,
)
def create_batch(body: BatchIn, session: SessionDep, user: CurrentUser) -> dict:
    return row_dict(payments.create_batch(session=session, pay_on=body.pay_on, actor=user, code=body.code or None))


@router.post(
    "/payment-batches/{batch_id}/run",
    summary="拨付 / pay a batch",
    response_model=list[schemas.Payment],
    responses=WRITE,
)
def run_batch(batch_id: int, session: SessionDep, user: CurrentUser) -> list[dict]:
    return [row_dict(p) for p in payment_flows.run_batch(session=session, batch_id=batch_id, actor=user)]
