"""Import runs: which file, by whom, how many rows (the rows themselves land in their own tables)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin


class ImportRun(IdMixin, Base):
    __tablename__ = "import_runs"

    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # automatic / credit
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # the importing officer's
    filename: Mapped[str] = mapped_column(String(300), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # an import of a file already imported is refused
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    programme_id: Mapped[str | None] = mapped_column(String(50))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
