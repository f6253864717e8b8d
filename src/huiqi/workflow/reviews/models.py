"""Reviews: town/park confirmation, district check, expert scores, consultation opinions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin


class ReviewOpinion(IdMixin, Base):
    """A town/park confirmation, a district check or a department's consultation opinion."""

    __tablename__ = "review_opinions"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # town_confirmation / district_check / consultation
    passed: Mapped[bool | None] = mapped_column()
    department: Mapped[str | None] = mapped_column(String(100))
    opinion: Mapped[str] = mapped_column(Text, nullable=False, default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)


class ExpertAssignment(IdMixin, Base):
    __tablename__ = "expert_assignments"
    __table_args__ = (UniqueConstraint("application_id", "expert_id"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    comment: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the expert declared a tie with the enterprise after scoring: the score is void (回避) and
    # counts for no ranking; kept, with when and why, for the record
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text)
    # the score per criterion of the round ({criterion id: score 0–100}); ``score`` is their weighted total
    criterion_scores: Mapped[dict | None] = mapped_column(JSON)
    # when the expert declared no conflict of interest with the enterprise (before the content opens)
    declared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
