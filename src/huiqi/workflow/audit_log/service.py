"""Reading the audit log (``huiqi.audit``) as an actor: a district's officers and auditors read
its entries (``audit.read``), the administrator every entry, including system-wide ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access
from huiqi.workflow.users.models import User


def entries(
    *,
    session: Session,
    actor: User,
    entity: str | None = None,
    entity_id: Any = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[audit.AuditEntry]:
    """The entries the actor may read, oldest first (``newest_first``: the latest ``limit``)."""
    access.authorize(actor, "audit.read")
    E = audit.AuditEntry
    q = select(E).where(access.visible(actor, E)).order_by(E.seq.desc() if newest_first else E.seq)
    if entity:
        q = q.where(E.entity == entity)
    if entity_id is not None:
        q = q.where(E.entity_id == str(entity_id))
    if limit:
        q = q.limit(limit)
    return list(session.execute(q).scalars())


def verify(*, session: Session, actor: User) -> audit.VerifyResult:
    """Check the whole hash chain (``huiqi.audit.verify``): it says whether the log is intact and
    where it breaks, not what another district's entries contain."""
    access.authorize(actor, "audit.verify")
    return audit.verify(session)
