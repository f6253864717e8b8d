"""Enterprise records (企业档案): what is known about a registered enterprise, fact by fact.

Each row is one version of one fact (a profile field path such as ``enterprise.hnte_recognition``
or ``claims.<id>.<fact>``) with its source and date; a change adds a row, the latest row of a
fact wins (``records.service.current``). Nothing is updated in place: the history is the table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.store import Base
from huiqi.workflow.common import IdMixin

# where a fact came from: an application's profile, an officer's import of a named list, the
# enterprise's self-check, a correction the enterprise declared itself, an officer's entry
SOURCES = {
    "application": ("申报材料", "application"),
    "import": ("区级部门导入名单", "officer's import of a list"),
    "selfcheck": ("企业自测", "self-check"),
    "self_declared": ("企业自行更正（自述）", "self-declared correction"),
    "officer": ("经办人录入", "entered by an officer"),
}


class EnterpriseFact(IdMixin, Base):
    __tablename__ = "enterprise_facts"
    __table_args__ = (Index("ix_enterprise_facts_enterprise_fact", "enterprise_id", "fact"),)

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), nullable=False)
    district: Mapped[str | None] = mapped_column(String(50), index=True)  # the enterprise's registered district
    fact: Mapped[str] = mapped_column(String(150), nullable=False)  # profile field path
    value: Mapped[dict] = mapped_column(JSON, nullable=False)  # {"v": value}; {"v": null}: withdrawn (unknown)
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # SOURCES
    source_ref: Mapped[str | None] = mapped_column(String(200))  # the list's name, the application id, …
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)  # the date the source states the fact
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
