"""Decisions (立项) and the per-enterprise, per-year cap ledger that bounds them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base, Money
from huiqi.workflow.common import IdMixin


class Decision(IdMixin, Base):
    __tablename__ = "decisions"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)  # approved / declined
    amount: Mapped[Decimal | None] = mapped_column(Money)
    ceiling: Mapped[Decimal | None] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(Text)
    overrides: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # soft criteria overridden
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)


class CapLedger(IdMixin, Base):
    """Approved sums of one enterprise in one year under one cap; locked row by row on approval."""

    __tablename__ = "cap_ledger"
    __table_args__ = (UniqueConstraint("enterprise_id", "year", "cap_id"),)

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    cap_id: Mapped[str] = mapped_column(String(100), nullable=False)  # "<document>/<cap>"
    limit: Mapped[Decimal] = mapped_column(Money, nullable=False)
    used: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))


class CapCharge(IdMixin, Base):
    """What one approval charged on one cap ledger row, and how much of it was released again
    (revocation: the unpaid part; claw-back: the part recovered)."""

    __tablename__ = "cap_charges"
    __table_args__ = (UniqueConstraint("application_id", "ledger_id"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("cap_ledger.id"), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    released: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
