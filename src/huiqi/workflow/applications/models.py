"""Applications: the profile and claim as submitted, and the engine's result frozen at submission."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, false
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base, Money
from huiqi.workflow.common import IdMixin


class Application(IdMixin, Base):
    __tablename__ = "applications"

    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))  # None: 免申即享 grants
    # the tenant: the round's district (a grant without a round: its programme's document's district)
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), nullable=False)
    programme_id: Mapped[str] = mapped_column(String(50), nullable=False)
    claim_id: Mapped[str | None] = mapped_column(String(100))
    # the project's identity (同一项目): an approval checks the awards ledger for the same project
    project: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20), nullable=False)  # online / offline / automatic
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    # the year the per-entity annual caps count this application in: the event's year where the
    # document dates support by event (window_basis: event_date), else ``year``; set at submission
    cap_year: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(30), nullable=False, default="draft")
    profile: Mapped[dict] = mapped_column(JSON, nullable=False)  # as submitted
    requested_amount: Mapped[Decimal | None] = mapped_column(Money)
    # the evaluation frozen at submission
    evaluation: Mapped[dict | None] = mapped_column(JSON)  # one result of report.to_dict()
    cap_limits: Mapped[list | None] = mapped_column(JSON)  # [{cap, limit}] evaluated at submission
    policy_version: Mapped[str | None] = mapped_column(String(64))
    evaluated_on: Mapped[dt.date | None] = mapped_column(Date)
    ceiling: Mapped[Decimal | None] = mapped_column(Money)
    eval_status: Mapped[str | None] = mapped_column(String(20))
    # 原则上不予支持: serious-dishonesty records found and no officer's override covers them yet
    credit_hold: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # review outcome
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    rank: Mapped[int | None] = mapped_column(Integer)
    proposed_amount: Mapped[Decimal | None] = mapped_column(Money)
    notice_batch_id: Mapped[int | None] = mapped_column(ForeignKey("notice_batches.id"))
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))  # 免申即享: the officer's list
