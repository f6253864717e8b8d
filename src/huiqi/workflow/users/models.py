"""Users, their roles, and the ties experts declare (conflict of interest)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin


class User(IdMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)  # states.ROLES
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    # the scope each role needs (workflow/access.py SCOPES): an enterprise user its enterprise, a
    # reviewer a district and a town/park, an officer, expert or auditor a district; an admin none
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    town: Mapped[str | None] = mapped_column(String(50))
    district: Mapped[str | None] = mapped_column(String(50))
    department: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class ExpertTie(IdMixin, Base):
    """An expert's declared tie with an enterprise: the expert never scores its applications."""

    __tablename__ = "expert_ties"
    __table_args__ = (UniqueConstraint("expert_id", "enterprise_id"),)

    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), nullable=False)
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # the expert's
    reason: Mapped[str] = mapped_column(Text, nullable=False)
