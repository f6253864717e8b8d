"""Decisions (立项): the approved sum is bounded by the frozen ceiling and by the per-enterprise
annual caps, enforced in the database so that concurrent approvals can never together pass a cap.

Each cap is a ledger row per (enterprise, year, cap). Approval inserts the row if needed, then
locks it (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers with ``BEGIN
IMMEDIATE``), checks ``used + amount <= limit`` and adds the amount, in the approval's transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi.calendar import add_period
from huiqi.money import to_fen
from huiqi.workflow import states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import get, stages_of
from huiqi.workflow.common import money
from huiqi.workflow.decisions.models import CapLedger, Decision
from huiqi.workflow.errors import CapExceeded, IllegalTransition, InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.payments.models import Instalment
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


def charge_caps(*, session: Session, app: Application, amount: Decimal) -> list[dict]:
    """Add ``amount`` to each of the application's cap ledgers, or raise CapExceeded (nothing charged)."""
    out = []
    for cap in sorted(app.cap_limits or [], key=lambda c: c["cap"]):  # a fixed order: no deadlocks
        limit = Decimal(cap["limit"])
        row = _ledger_row(session, enterprise_id=app.enterprise_id, year=app.year, cap_id=cap["cap"], limit=limit)
        if row.used + amount > row.limit:
            room = max(row.limit - row.used, Decimal(0))
            raise CapExceeded(
                f"超过单位年度上限“{cap.get('label_zh') or cap['cap']}”：{app.year} 年已核定 {row.used} 元，上限 {row.limit} 元，本项最多 {room} 元",
                f"above the per-entity annual cap {cap['cap']}: {row.used} already approved in {app.year}, limit {row.limit}, at most {room} here",
                field="amount", details={"cap": cap["cap"], "limit": str(row.limit), "used": str(row.used), "room": str(room)},
            )
        row.used = row.used + amount
        out.append({"cap": cap["cap"], "limit": row.limit, "used": row.used})
    session.flush()
    return out


def approve(*, session: Session, application_id: int, amount: Decimal | str, actor: User, reason: str | None = None, on: dt.date | None = None) -> Decision:
    """Approve (立项) at ``amount``: at most the frozen ceiling, within the annual caps; soft criteria
    failed at evaluation (原则上) and sums other than a fixed standard need a written ``reason``."""
    app = get(session=session, application_id=application_id, lock=True)
    states.check_transition(states.APPLICATION, app.state, "approve", actor.role, stages=stages_of(app))
    amount = money(amount, field="amount")
    on = on or dt.date.today()
    result = (app.evaluation or {}).get("result") or {}
    if result.get("status") != "eligible":
        raise IllegalTransition(f"冻结的评估结果为“{result.get('status_zh', '无')}”，不能立项", f"the frozen evaluation is {result.get('status_en', 'missing')!r}: cannot approve", field="evaluation")
    if app.ceiling is None:
        raise IllegalTransition("评估结果没有可核定的金额上限", "the evaluation gives no ceiling to approve against", field="ceiling")
    if amount <= 0:
        raise InvalidInput("核定金额须大于零（不予支持请用 decline）", "the amount must be positive (use decline to refuse)", field="amount")
    if amount > app.ceiling:
        raise CapExceeded(f"核定金额 {amount} 元超过政策上限 {app.ceiling} 元", f"{amount} is above the engine's ceiling {app.ceiling}", field="amount")
    overrides = [s.get("criterion") for s in result.get("soft_failed") or []]
    reason = (reason or "").strip() or None
    if overrides and not reason:
        names = "、".join(s.get("label_zh") or s.get("criterion") for s in result["soft_failed"])
        raise InvalidInput(f"未满足“原则上”条件（{names}），须写明同意立项的理由", f"soft criteria (原则上) not met ({', '.join(overrides)}): a written reason is required to approve", field="reason")
    if not result.get("discretionary", True) and amount != app.ceiling and not reason:
        raise InvalidInput(f"该项目按标准给予 {app.ceiling} 元，核定其他金额须写明理由", f"this programme pays a set {app.ceiling}: another sum needs a written reason", field="reason")
    charged = charge_caps(session=session, app=app, amount=amount)
    fire(session, machine=states.APPLICATION, obj=app, name="approve", actor=actor, reason=reason, stages=stages_of(app), data={"amount": amount, "ceiling": app.ceiling, "overrides": overrides, "caps": charged, "policy_version": app.policy_version})
    app.approved_amount, app.approved_on = amount, on
    d = Decision(application_id=app.id, outcome="approved", amount=amount, ceiling=app.ceiling, reason=reason, overrides=overrides, actor_id=actor.id)
    session.add(d)
    schedule_instalments(session=session, app=app, amount=amount, start=on)
    session.flush()
    return d


def decline(*, session: Session, application_id: int, actor: User, reason: str) -> Decision:
    """Decline (不予立项), with the written reason."""
    app = get(session=session, application_id=application_id, lock=True)
    fire(session, machine=states.APPLICATION, obj=app, name="decline", actor=actor, reason=reason, stages=stages_of(app))
    d = Decision(application_id=app.id, outcome="declined", amount=None, ceiling=app.ceiling, reason=reason, overrides=[], actor_id=actor.id)
    session.add(d)
    session.flush()
    return d


def schedule_instalments(*, session: Session, app: Application, amount: Decimal, start: dt.date) -> list[Instalment]:
    """Instalments from the frozen schedule (multi-year, staged), scaled to the approved sum.

    Reading: when less than the ceiling is approved, every instalment is scaled in proportion
    (rounded to the fen; the last takes the remainder). No schedule → one payment now.
    """
    sched = ((app.evaluation or {}).get("result") or {}).get("schedule") or []
    if not sched:
        sched = [{"zh": "一次性拨付", "en": "single payment", "after_months": 0, "amount": str(amount)}]
    total = sum(Decimal(s["amount"]) for s in sched)
    out, paid = [], Decimal(0)
    for seq, s in enumerate(sched, start=1):
        if seq == len(sched):
            part = amount - paid
        else:
            part = to_fen(Decimal(s["amount"]) * amount / total) if total else Decimal(0)
        paid += part
        months = int(s.get("after_months") or 0)
        due = add_period(start, months=months) if months else start
        inst = Instalment(application_id=app.id, seq=seq, label_zh=s.get("zh") or f"第{seq}期", label_en=s.get("en") or f"instalment {seq}", after_months=months, due_on=due, amount=part, state="scheduled")
        session.add(inst)
        out.append(inst)
    session.flush()
    return out


def cap_usage(*, session: Session, enterprise_id: int, year: int) -> list[CapLedger]:
    """The cap ledger rows of an enterprise for a year."""
    return list(session.execute(select(CapLedger).where(CapLedger.enterprise_id == enterprise_id, CapLedger.year == year).order_by(CapLedger.cap_id)).scalars())
