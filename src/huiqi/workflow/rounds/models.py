"""Application rounds (申报批次): one yearly call for one or more programmes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base, Money
from huiqi.workflow.common import IdMixin


class Round(IdMixin, Base):
    __tablename__ = "rounds"

    code: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # the district of the programmes' document (all programmes of a round come from one district);
    # every record of the round belongs to it. None only for rows the migration could not place.
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    programmes: Mapped[list] = mapped_column(JSON, nullable=False)  # programme ids
    year: Mapped[int] = mapped_column(Integer, nullable=False)  # the application year (caps are per year)
    opens_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    closes_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    period_start: Mapped[dt.date | None] = mapped_column(Date)  # 限定期间
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    budget: Mapped[Decimal | None] = mapped_column(Money)
    # the notice length the yearly call sets (公示期限) where the policy says only “向社会公示”, and
    # where it is written (e.g. the call's document number): the notice names it as its source
    notice_working_days: Mapped[int | None] = mapped_column(Integer)
    notice_basis: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
