"""Enterprises (申报主体), identified by their unified social credit code."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin


class Enterprise(IdMixin, Base):
    __tablename__ = "enterprises"

    uscc: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    district: Mapped[str | None] = mapped_column(String(50))  # 注册登记所在区
    town: Mapped[str | None] = mapped_column(String(50))  # 所在镇（园区）
