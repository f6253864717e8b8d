"""Policy versions in the workbench: draft → proposed → published (or returned to draft)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin

STATES = {
    "draft": ("草稿", "draft"),
    "proposed": ("待复核", "proposed for review"),
    "published": ("已发布", "published"),
    "withdrawn": ("已撤回", "withdrawn"),
}


class PolicyVersion(IdMixin, Base):
    __tablename__ = "policy_versions"

    district: Mapped[str] = mapped_column(String(50), nullable=False, index=True)  # the authoring officer's
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    # the YAML's document.id / supersedes once it parses (a draft may not yet)
    document_id: Mapped[str | None] = mapped_column(String(100), index=True)
    supersedes: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    source_name: Mapped[str] = mapped_column(String(300), nullable=False)
    source_text: Mapped[str] = mapped_column(Text, nullable=False)  # the document's text, as uploaded
    yaml_text: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    editors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # every user who saved a change
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    proposed_sha256: Mapped[str | None] = mapped_column(String(64))  # the YAML reviewed: publishing needs the same
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
