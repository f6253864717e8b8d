"""Serious-dishonesty records (严重失信), imported from the credit authority's lists."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin


class CreditRecord(IdMixin, Base):
    __tablename__ = "credit_records"
    __table_args__ = (UniqueConstraint("uscc", "record_date", "authority"),)

    uscc: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    record_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    authority: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
