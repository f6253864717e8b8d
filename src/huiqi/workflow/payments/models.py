"""Payment instalments (拨付计划), batches and the ledger of disbursements, and claw-back receivables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base, Money
from huiqi.workflow.common import IdMixin


class Instalment(IdMixin, Base):
    __tablename__ = "instalments"
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    label_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    label_en: Mapped[str] = mapped_column(String(100), nullable=False)
    after_months: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")


class PaymentBatch(IdMixin, Base):
    __tablename__ = "payment_batches"

    code: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # gathers only this district's instalments
    pay_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="open")  # open / done


class PaymentBatchItem(IdMixin, Base):
    __tablename__ = "payment_batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "instalment_id"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batches.id"), nullable=False)
    instalment_id: Mapped[int] = mapped_column(ForeignKey("instalments.id"), nullable=False)


class Payment(IdMixin, Base):
    """One disbursement. At most one per instalment (the unique key makes paying idempotent)."""

    __tablename__ = "payments"

    instalment_id: Mapped[int] = mapped_column(ForeignKey("instalments.id"), unique=True, nullable=False)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payment_batches.id"))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    paid_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    reference: Mapped[str] = mapped_column(String(100), nullable=False)


class Receivable(IdMixin, Base):
    """A claw-back (收回): sums already paid on a revoked project."""

    __tablename__ = "receivables"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # the application's
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    ground: Mapped[str] = mapped_column(String(50), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    recovered_on: Mapped[dt.date | None] = mapped_column(Date)
