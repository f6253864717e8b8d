"""Uploaded materials: content-addressed files attached to an application's checklist item."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin


class MaterialFile(IdMixin, Base):
    __tablename__ = "material_files"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), nullable=False)
    material_id: Mapped[str] = mapped_column(String(50), nullable=False)  # the programme's checklist id
    name: Mapped[str] = mapped_column(String(300), nullable=False)  # the checklist item's name
    required_form: Mapped[str] = mapped_column(String(30), nullable=False)  # copy / original / original_for_check / electronic
    form: Mapped[str] = mapped_column(String(30), nullable=False)  # how this upload is marked
    stamped: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    original_checked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 原件核验 by an officer
    filename: Mapped[str] = mapped_column(String(300), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
