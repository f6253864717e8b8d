"""Public notice batches (公示) and the objections raised during them (异议)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin


class NoticeBatch(IdMixin, Base):
    __tablename__ = "notice_batches"

    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # its applications' district
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    published_on: Mapped[dt.date] = mapped_column(Date, nullable=False)  # not counted (民法典第二百零一条)
    working_days: Mapped[int] = mapped_column(Integer, nullable=False)
    # where the length comes from: {"source": "policy" | "round", "zh": …, "en": …} (None: older rows, the policy)
    days_basis: Mapped[dict | None] = mapped_column(JSON)
    ends_on: Mapped[dt.date] = mapped_column(Date, nullable=False)  # the last day objections are received
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="open")  # open / closed


class Objection(IdMixin, Base):
    __tablename__ = "objections"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    batch_id: Mapped[int] = mapped_column(ForeignKey("notice_batches.id"), nullable=False)
    received_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    objector: Mapped[str] = mapped_column(String(200), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    finding: Mapped[str | None] = mapped_column(Text)
