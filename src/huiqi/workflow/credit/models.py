"""Serious-dishonesty records (严重失信), imported from the credit authority's lists."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin


class CreditRecord(IdMixin, Base):
    __tablename__ = "credit_records"
    __table_args__ = (UniqueConstraint("district", "uscc", "record_date", "authority"),)

    # the district whose officer imported the record: only that district's approvals consult it.
    # None: a record imported before districts were recorded (migration 0003): it counts everywhere.
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    record_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    authority: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))


class CreditOverride(IdMixin, Base):
    """A district officer's written decision to support an applicant despite serious-dishonesty
    records (原则上不予支持 — "in principle", so an officer may decide otherwise). It covers the
    records listed in ``records`` (ids and what they said when decided); a record imported later
    needs a new decision."""

    __tablename__ = "credit_overrides"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    decided_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    records: Mapped[list] = mapped_column(JSON, nullable=False)  # [{id, date, authority, description}]
