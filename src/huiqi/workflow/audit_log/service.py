"""Reading the audit log (``huiqi.audit``) as an actor: a district's officers and auditors read
its entries (``audit.read``), the administrator every entry, including system-wide ones."""

from __future__ import annotations

from collections.abc import Iterable
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


def verify(*, session: Session, actor: User, checkpoints: Iterable[tuple[str, dict]] = ()) -> audit.VerifyResult:
    """Check the whole keyed chain, reconcile the money tables against it and compare checkpoints
    (:func:`huiqi.workflow.reconcile.verify_all`): it says whether the books are intact and where
    they break first, not what another district's entries contain."""
    from huiqi.workflow.reconcile import verify_all

    access.authorize(actor, "audit.verify")
    return verify_all(session, checkpoints=checkpoints)


def checkpoint(*, session: Session, actor: User) -> tuple[audit.VerifyResult, dict | None]:
    """Verify, then sign a checkpoint of the chain's head and the money tables' totals (every
    district's: a checkpoint is the whole database's, so only the administrator signs one)."""
    from huiqi.audit import checkpoint as cp
    from huiqi.workflow.reconcile import money_totals, verify_all

    access.authorize(actor, "audit.checkpoint")
    result = verify_all(session)
    if not result.ok:
        return result, None
    return result, cp.make(session, tables=money_totals(session))
