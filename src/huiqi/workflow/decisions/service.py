"""Decisions (立项) and the cap ledger: the per-enterprise annual caps, enforced in the database so
that concurrent approvals can never together pass a cap. The approval itself — ceiling, caps,
the round's budget, credit, instalments — spans domains: ``decisions.flows``.

Each cap is a ledger row per (enterprise, cap year, cap). Approval inserts the row if needed, then
locks it (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers with ``BEGIN
IMMEDIATE``), checks ``used + amount <= limit`` and adds the amount, in the approval's transaction;
a ``cap_charges`` row records what was charged. Revocation releases the unpaid part, a recovered
claw-back the part recovered (:func:`release_caps`).

The round's budget: approval locks the round row first (the same order as shortlisting: round →
applications → ledgers) and checks ``committed + amount <= budget`` (:func:`round_commitments`).

Credit: an application held for a credit check (原则上不予支持) is not approved until an officer has
recorded an override (``credit.service.override``); a hard credit rule refuses approval.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import get, stages_of
from huiqi.workflow.decisions.models import CapCharge, CapLedger, Decision
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import CapExceeded
from huiqi.workflow.machine import fire
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User


def _ledger_row(session: Session, *, enterprise_id: int, year: int, cap_id: str, limit: Decimal) -> CapLedger:
    dialect = session.get_bind().dialect.name
    values = {"enterprise_id": enterprise_id, "year": year, "cap_id": cap_id, "limit": limit, "used": Decimal(0)}
    table = CapLedger.__table__
    from huiqi.workflow.common import utcnow

    values["created_at"] = utcnow()
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=["enterprise_id", "year", "cap_id"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=["enterprise_id", "year", "cap_id"])
    else:  # pragma: no cover - other databases: plain insert when absent
        stmt = None
        if session.execute(select(CapLedger.id).where(CapLedger.enterprise_id == enterprise_id, CapLedger.year == year, CapLedger.cap_id == cap_id)).first() is None:
            stmt = table.insert().values(**values)
    if stmt is not None:
        session.execute(stmt)
    return session.execute(
        select(CapLedger).where(CapLedger.enterprise_id == enterprise_id, CapLedger.year == year, CapLedger.cap_id == cap_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


LIFETIME_YEAR = 0  # the cap ledger row of a ceiling over the policy's life (``over: policy``): one per enterprise and cap


def cap_year(app: Application) -> int:
    """The year the application's caps count in (the event's year where the document says so)."""
    return app.cap_year if app.cap_year is not None else app.year


def charge_caps(*, session: Session, app: Application, amount: Decimal) -> list[dict]:
    """Add ``amount`` to each of the application's cap ledgers, or raise CapExceeded (nothing charged)."""
    out = []
    for cap in sorted(app.cap_limits or [], key=lambda c: c["cap"]):  # a fixed order: no deadlocks
        limit = Decimal(cap["limit"])
        year = LIFETIME_YEAR if cap.get("over") == "policy" else cap_year(app)
        row = _ledger_row(session, enterprise_id=app.enterprise_id, year=year, cap_id=cap["cap"], limit=limit)
        if row.used + amount > row.limit:
            room = max(row.limit - row.used, Decimal(0))
            if year == LIFETIME_YEAR:
                raise CapExceeded(
                    f"超过单位累计上限“{cap.get('label_zh') or cap['cap']}”：历年已核定 {row.used} 元，上限 {row.limit} 元，本项最多 {room} 元",
                    f"above the per-entity lifetime cap {cap['cap']}: {row.used} already approved in earlier years and rounds, limit {row.limit}, at most {room} here",
                    field="amount", details={"cap": cap["cap"], "over": "policy", "limit": str(row.limit), "used": str(row.used), "room": str(room)},
                )
            raise CapExceeded(
                f"超过单位年度上限“{cap.get('label_zh') or cap['cap']}”：{year} 年已核定 {row.used} 元，上限 {row.limit} 元，本项最多 {room} 元",
                f"above the per-entity annual cap {cap['cap']}: {row.used} already approved for {year}, limit {row.limit}, at most {room} here",
                field="amount", details={"cap": cap["cap"], "year": year, "limit": str(row.limit), "used": str(row.used), "room": str(room)},
            )
        row.used = row.used + amount
        charge = CapCharge(application_id=app.id, ledger_id=row.id, amount=amount, released=Decimal(0))
        session.add(charge)
        session.flush()
        # charge id and amount: what ``huiqi audit verify`` reconciles the cap_charges row against
        out.append({"cap": cap["cap"], "year": year, "limit": row.limit, "used": row.used, "ledger": row.id, "charge": charge.id, "amount": amount})
    session.flush()
    return out


def release_caps(*, session: Session, app: Application, amount: Decimal, actor: User, why: str) -> list[dict]:
    """Give back ``amount`` of what the application's approval charged on each cap ledger (locked
    in the same order as charging), never more than is still charged; audited. Revocation
    releases the unpaid part; a recovered claw-back the part recovered."""
    out = []
    if amount <= 0:
        return out
    charges = list(session.execute(
        select(CapCharge).join(CapLedger, CapLedger.id == CapCharge.ledger_id).where(CapCharge.application_id == app.id).order_by(CapLedger.cap_id)
    ).scalars())
    for ch in charges:
        row = session.execute(select(CapLedger).where(CapLedger.id == ch.ledger_id).with_for_update().execution_options(populate_existing=True)).scalar_one()
        give = min(amount, ch.amount - ch.released)
        if give <= 0:
            continue
        ch.released = ch.released + give
        row.used = row.used - give
        out.append({"cap": row.cap_id, "year": row.year, "released": give, "used": row.used, "limit": row.limit, "ledger": row.id, "charge": ch.id, "charge_released": ch.released})
    session.flush()
    if out:
        audit.record(session, actor=actor.username, action="cap.release", entity="application", entity_id=app.id, district=app.district, reason=why, data={"amount": amount, "caps": out})
    return out


def lock_round(session: Session, round_id: int | None) -> Round | None:
    """The round row, locked FOR UPDATE (None for grants without a round)."""
    if round_id is None:
        return None
    return session.execute(select(Round).where(Round.id == round_id).with_for_update().execution_options(populate_existing=True)).scalar_one()


def decline(*, session: Session, application_id: int, actor: User, reason: str) -> Decision:
    """Decline (不予立项), with the written reason."""
    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    states.check_transition(states.APPLICATION, app.state, "decline", actor.role, stages=stages_of(app), reason=reason)
    d = Decision(application_id=app.id, outcome="declined", amount=None, ceiling=app.ceiling, reason=reason, overrides=[], actor_id=actor.id)
    session.add(d)
    session.flush()
    # the decision is in the entry: ``huiqi audit verify`` reconciles it
    fire(session, machine=states.APPLICATION, obj=app, name="decline", actor=actor, reason=reason, stages=stages_of(app), data={"decision": d.id, "ceiling": app.ceiling})
    return d


def cap_usage(*, session: Session, enterprise_id: int, year: int, actor: User) -> list[CapLedger]:
    """The cap ledger rows of an enterprise the actor may see, for a year."""
    access.get(session, actor, Enterprise, enterprise_id, field="enterprise")
    return list(session.execute(select(CapLedger).where(CapLedger.enterprise_id == enterprise_id, CapLedger.year == year).order_by(CapLedger.cap_id)).scalars())
