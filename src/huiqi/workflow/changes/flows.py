"""Revocation (项目撤销) with claw-back (收回), which spans domains: the application's state, its
unpaid instalments (cancelled), the caps and round budget it held (released: ``decisions``), and a
receivable for what was paid (``payments``). Grounds are read from the document's
``management.revocation`` data (金科〔2025〕25号 关于项目管理有关要求 四), never from code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.workflow import access, states
from huiqi.workflow.applications.service import get
from huiqi.workflow.awards import service as awards
from huiqi.workflow.changes.models import Revocation
from huiqi.workflow.changes.service import parse_ratio
from huiqi.workflow.common import day_or_today, money, plain
from huiqi.workflow.decisions.service import lock_round, release_caps
from huiqi.workflow.errors import IllegalTransition, InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.payments.models import Instalment, Receivable
from huiqi.workflow.payments.service import paid_total
from huiqi.workflow.policy import default_policies, management, programme
from huiqi.workflow.users.models import User


def revoke(
    *,
    session: Session,
    application_id: int,
    ground: str,
    reason: str,
    actor: User,
    on: dt.date | str | None = None,
    planned_investment: Decimal | str | None = None,
    audited_investment: Decimal | str | None = None,
    claw_back: bool = True,
    policies: PolicySet | None = None,
) -> Revocation:
    """Revoke an approved project on one of the document's grounds: unpaid instalments are cancelled
    and, unless the officer decides otherwise (视情收回), sums already paid become a receivable."""
    seen = get(session=session, application_id=application_id, actor=actor)  # out of scope: NotFound
    access.authorize(actor, "application.revoke")
    lock_round(session, seen.round_id)  # the round's commitments change: the same lock order as approval
    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    states.check_transition(states.APPLICATION, app.state, "revoke", actor.role, reason=reason)
    _prog, doc = programme(policies or default_policies(), app.programme_id)
    rules = management(doc, "revocation")
    grounds = {g["id"]: g for g in rules.get("grounds") or []}
    if ground not in grounds:
        raise InvalidInput(
            f"未知的撤销情形 {ground}；可选：{'、'.join(grounds)}",
            f"unknown revocation ground {ground!r}; one of {', '.join(grounds)}",
            field="ground",
        )
    g = grounds[ground]
    data: dict = {"ground": ground, "ground_zh": g.get("zh")}
    if "investment_deviation_ratio" in g:
        if planned_investment is None or audited_investment is None:
            raise InvalidInput(
                "须给出计划投资额与审计后实际完成投资额",
                "give the planned and the audited investment",
                field="audited_investment",
            )
        p, a = (
            money(planned_investment, field="planned_investment"),
            money(audited_investment, field="audited_investment"),
        )
        threshold = parse_ratio(
            g["investment_deviation_ratio"], field=f"management.revocation.grounds[{ground}].investment_deviation_ratio"
        )
        ratio = abs(a - p) / p if p else Decimal(0)
        reached = ratio >= threshold if g.get("inclusive", True) else ratio > threshold
        data.update(
            planned=str(p), audited=str(a), deviation=str(ratio.quantize(Decimal("0.0001"))), threshold=str(threshold)
        )
        if not reached:
            raise IllegalTransition(
                f"投资变动 {ratio:.2%} 未达到撤销标准 {threshold:.0%}",
                f"the investment deviates by {ratio:.2%}, below the {threshold:.0%} ground for revocation",
                field="audited_investment",
            )
    day = day_or_today(on, field="on")
    if "years_after_extension" in g:  # 在延期 N 年后仍不能按时完成: not before the extended date has passed
        data.update({k: plain(v) for k, v in awards.check_late_after_extension(session=session, app=app, ground=g, day=day).items()})
    paid = paid_total(session=session, application_id=app.id)
    cancelled = Decimal("0.00")
    for inst in session.execute(
        select(Instalment).where(Instalment.application_id == app.id, Instalment.state == "scheduled").with_for_update()
    ).scalars():
        fire(
            session,
            machine=states.INSTALMENT,
            obj=inst,
            name="cancel",
            actor=actor,
            district=app.district,
            reason=f"项目撤销 / project revoked: {ground}",
        )
        cancelled += inst.amount
    fire(
        session,
        machine=states.APPLICATION,
        obj=app,
        name="revoke",
        actor=actor,
        reason=reason,
        data={**data, "paid": paid, "cancelled": cancelled, "claw_back": claw_back},
    )
    # the annual caps give back what will never be paid; what was paid stays charged until it is
    # recovered (record_recovery) — or for good when the officer decides not to claw it back
    unpaid = max((app.approved_amount or Decimal(0)) - paid, Decimal(0))
    awards.mark_revoked(session=session, app=app, on=day, released=unpaid, actor=actor, ground=ground)
    release_caps(
        session=session,
        app=app,
        amount=unpaid,
        actor=actor,
        why=f"项目撤销，未拨付部分释放 / project revoked: the unpaid part is released ({ground})",
    )
    rev = Revocation(
        application_id=app.id,
        district=app.district,
        ground=ground,
        reason=reason,
        revoked_on=day,
        paid_total=paid,
        cancelled_total=cancelled,
        actor_id=actor.id,
    )
    session.add(rev)
    if claw_back and paid > 0:
        rec = Receivable(
            application_id=app.id, district=app.district, amount=paid, ground=ground, reason=reason, state="open"
        )
        session.add(rec)
        session.flush()
        audit.record(
            session,
            actor=actor.username,
            action="receivable.create",
            entity="receivable",
            entity_id=rec.id,
            district=rec.district,
            reason=reason,
            data={"application": app.id, "amount": paid},
        )
    session.flush()
    return rev
