"""After approval: progress reports, change requests (项目变更) and revocations (项目撤销)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base, Money
from huiqi.workflow.common import IdMixin


class ProgressReport(IdMixin, Base):
    __tablename__ = "progress_reports"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    period: Mapped[str] = mapped_column(String(50), nullable=False)
    reported_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    progress: Mapped[str] = mapped_column(Text, nullable=False)
    funds_used: Mapped[Decimal | None] = mapped_column(Money)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)


class ChangeRequest(IdMixin, Base):
    __tablename__ = "change_requests"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # the application's
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # entity / place / period / content / investment / structure
    description: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    major: Mapped[bool] = mapped_column(nullable=False)  # needs written approval
    basis: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # the threshold and clause applied
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)


class Revocation(IdMixin, Base):
    __tablename__ = "revocations"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True, nullable=False)
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # the application's
    ground: Mapped[str] = mapped_column(String(50), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    revoked_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    paid_total: Mapped[Decimal] = mapped_column(Money, nullable=False)
    cancelled_total: Mapped[Decimal] = mapped_column(Money, nullable=False)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
