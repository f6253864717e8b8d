"""Users, their roles, and the ties experts declare (conflict of interest)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
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


class UserSession(IdMixin, Base):
    """A signed-in session, kept on the server (web cookie and API bearer token alike).

    The browser's cookie, or the API client's bearer token, is a random id; only its SHA-256 is
    stored here, so the table alone lets nobody act as a user. A session ends when it expires, on
    log-out, and — every session of the user — when the password changes (``revoked_at``)."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # web (cookie) / api (bearer token)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(20))  # logout / password / …
    address: Mapped[str | None] = mapped_column(String(64))  # the client address at log-in
    data: Mapped[dict | None] = mapped_column(JSON)  # the pages' one-time message (flash)


class LoginFailure(Base):
    """Failed log-ins, per account name (``user:<name>``, consecutive, with a growing lock) and per
    client address (``ip:<address>``, a count in a window) — shared by every server process."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
