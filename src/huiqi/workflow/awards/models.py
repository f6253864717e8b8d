"""The awards ledger (已享受支持台账): one row per approved award, kept across rounds and years, so
that what the texts limit in time or in count — one award per variety (“每个品种…一次性”), per
centre and review cycle, per enterprise and year; a lifetime ceiling (“三年内…”); the same project
not funded twice by the same level (“同一项目不可重复享受同级财政资金资助”) — is checked against
what earlier rounds granted. Revoked and clawed-back awards are marked, never deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base, Money
from huiqi.workflow.common import IdMixin


class Award(IdMixin, Base):
    __tablename__ = "awards"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True, nullable=False)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # the application's (the tenant)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), nullable=False, index=True)
    document: Mapped[str] = mapped_column(String(100), nullable=False)  # the policy document's id
    programme: Mapped[str] = mapped_column(String(50), nullable=False)
    claim_id: Mapped[str | None] = mapped_column(String(100))
    round_code: Mapped[str | None] = mapped_column(String(50))  # None: 免申即享 grants
    year: Mapped[int] = mapped_column(Integer, nullable=False)  # the support year (the caps' year)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)  # approved
    key: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # count-once key: {fact: value}
    project: Mapped[str | None] = mapped_column(String(200), index=True)  # the project's identity
    decided_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    # active / revoked (项目撤销) / clawed_back (已收回)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    released: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))  # never paid, or recovered
    # the approved completion date (批准的完成期限) and, after approved extensions (延期), the current one
    completion_due: Mapped[dt.date | None] = mapped_column(Date)
    extended_due: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)


class AwardExtension(IdMixin, Base):
    """One approved extension (延期) of an award's completion date: from the change request that
    approved it (项目实施期限发生变更, 书面同意)."""

    __tablename__ = "award_extensions"

    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), nullable=False, index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("change_requests.id"))
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    previous_due: Mapped[dt.date] = mapped_column(Date, nullable=False)
    new_due: Mapped[dt.date] = mapped_column(Date, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
