"""Proactive matching (政策找企业): per programme, the enterprises the engine finds eligible or one or
two facts away, from their records. One row per (enterprise, programme, claim): the latest run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base, Money
from huiqi.workflow.common import IdMixin


class MatchResult(IdMixin, Base):
    __tablename__ = "match_results"
    __table_args__ = (UniqueConstraint("enterprise_id", "programme_id", "claim_key"),)

    district: Mapped[str] = mapped_column(String(50), nullable=False, index=True)  # the programme's document's
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), nullable=False)
    programme_id: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    claim_key: Mapped[str] = mapped_column(String(100), nullable=False)  # the claim id, "" for the enterprise
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # eligible / near
    ceiling: Mapped[Decimal | None] = mapped_column(Money)  # eligible: the ceiling
    possible_ceiling: Mapped[Decimal | None] = mapped_column(Money)  # near: the most it could be
    missing: Mapped[list] = mapped_column(JSON, nullable=False)  # the facts to ask ([] when eligible)
    result: Mapped[dict] = mapped_column(JSON, nullable=False)  # the engine's result (report JSON)
    trigger: Mapped[str] = mapped_column(String(50), nullable=False)  # round.open / record / policy / register
    policy_version: Mapped[str] = mapped_column(String(64), nullable=False)
    evaluated_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
