"""The approval (立项) and what it spans: the frozen ceiling, the credit check, the round's budget
(approvals and payments, net of revocations and recoveries), the per-enterprise annual caps
(``decisions.service``) and the payment instalments (``payments``).

The round's budget: approval locks the round row first (the same order as shortlisting: round →
applications → ledgers) and checks ``committed + amount <= budget`` (:func:`round_commitments`).

Credit: an application held for a credit check (原则上不予支持) is not approved until an officer has
recorded an override (``credit.service.override``); a hard credit rule refuses approval.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.calendar import add_period
from huiqi.money import to_fen
from huiqi.rules import PolicySet
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import get, stages_of
from huiqi.workflow.common import day_or_today, money
from huiqi.workflow.decisions.models import Decision
from huiqi.workflow.decisions.service import charge_caps, lock_round
from huiqi.workflow.errors import CapExceeded, IllegalTransition, InvalidInput, NotFound
from huiqi.workflow.machine import fire
from huiqi.workflow.payments.models import Instalment, Payment, Receivable
from huiqi.workflow.policy import default_policies
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User


def round_commitments(*, session: Session, round_id: int) -> dict:
    """What a round's budget has committed: approved sums of projects still approved, plus — for
    revoked projects — what was paid and not recovered (our reading: money the enterprise still
    holds stays committed; unpaid and recovered sums are free again). Also what has been paid, net
    of recoveries."""
    approved = session.execute(
        select(func.coalesce(func.sum(Application.approved_amount), 0)).where(
            Application.round_id == round_id, Application.state == "approved"
        )
    ).scalar_one()
    paid_all = session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .join(Application, Application.id == Payment.application_id)
        .where(Application.round_id == round_id)
    ).scalar_one()
    paid_revoked = session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .join(Application, Application.id == Payment.application_id)
        .where(Application.round_id == round_id, Application.state == "revoked")
    ).scalar_one()
    recovered = session.execute(
        select(func.coalesce(func.sum(Receivable.amount), 0))
        .join(Application, Application.id == Receivable.application_id)
        .where(Application.round_id == round_id, Receivable.state == "recovered")
    ).scalar_one()
    return {"approved": approved, "committed": approved + paid_revoked - recovered, "paid": paid_all - recovered}


def check_budget(*, session: Session, r: Round | None, amount: Decimal) -> dict | None:
    """Raise CapExceeded if approving ``amount`` would take the round past its budget."""
    if r is None or r.budget is None:
        return None
    c = round_commitments(session=session, round_id=r.id)
    if c["committed"] + amount > r.budget:
        room = max(r.budget - c["committed"], Decimal(0))
        raise CapExceeded(
            f"超出批次“{r.code} {r.name}”的预算：预算 {r.budget} 元，已立项（含已拨付未收回）{c['committed']} 元，本次核定 {amount} 元，尚余 {room} 元",
            f"over the budget of round {r.code} ({r.name}): budget {r.budget}, already committed {c['committed']}, this approval {amount}, room left {room}",
            field="amount",
            details={
                "round": r.code,
                "budget": str(r.budget),
                "committed": str(c["committed"]),
                "requested": str(amount),
                "room": str(room),
            },
        )
    return {"round": r.code, "budget": r.budget, "committed": c["committed"] + amount}


def approve(
    *,
    session: Session,
    application_id: int,
    amount: Decimal | str,
    actor: User,
    reason: str | None = None,
    on: dt.date | str | None = None,
    policies: PolicySet | None = None,
) -> Decision:
    """Approve (立项) at ``amount``: at most the frozen ceiling, within the round's budget and the
    annual caps, with no credit hold left (an officer's credit override decides a failed credit
    criterion); other soft criteria failed at evaluation (原则上) and sums other than a fixed
    standard need a written ``reason``.

    What earlier rounds and years granted is checked again here, under the enterprise's row lock
    (``awards``): the frozen profile is re-evaluated with the awards ledger as it stands now (a
    repeat of a count-once subject, a lifetime ceiling already used), a repeat is refused naming
    the earlier award, the same project funded again is held for a written reason; the award is
    written to the ledger in this transaction."""
    from huiqi.workflow.awards import service as awards
    from huiqi.workflow.credit import service as credit

    seen = get(session=session, application_id=application_id, actor=actor)  # out of scope: NotFound
    access.authorize(actor, "application.approve")
    r = lock_round(session, seen.round_id)  # round first, then the application: the order shortlisting uses
    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    states.check_transition(states.APPLICATION, app.state, "approve", actor.role, stages=stages_of(app))
    amount = money(amount, field="amount")
    on = day_or_today(on, field="on")
    result = (app.evaluation or {}).get("result") or {}
    if result.get("status") != "eligible":
        raise IllegalTransition(
            f"冻结的评估结果为“{result.get('status_zh', '无')}”，不能立项",
            f"the frozen evaluation is {result.get('status_en', 'missing')!r}: cannot approve",
            field="evaluation",
        )
    if app.ceiling is None:
        raise IllegalTransition(
            "评估结果没有可核定的金额上限", "the evaluation gives no ceiling to approve against", field="ceiling"
        )
    if amount <= 0:
        raise InvalidInput(
            "核定金额须大于零（不予支持请用 decline）",
            "the amount must be positive (use decline to refuse)",
            field="amount",
        )
    if amount > app.ceiling:
        raise CapExceeded(
            f"核定金额 {amount} 元超过政策上限 {app.ceiling} 元",
            f"{amount} is above the engine's ceiling {app.ceiling}",
            field="amount",
        )
    cst = credit.check_cleared(session=session, app=app)
    overrides = [s.get("criterion") for s in result.get("soft_failed") or []]
    credit_criteria = set(cst["rule"].get("criteria") or [])
    # a failed soft credit criterion is decided by the credit override (its own written reason)
    undecided = [
        s for s in result.get("soft_failed") or [] if not (s.get("criterion") in credit_criteria and cst["overrides"])
    ]
    reason = (reason or "").strip() or None
    if undecided and not reason:
        names = "、".join(s.get("label_zh") or s.get("criterion") for s in undecided)
        raise InvalidInput(
            f"未满足“原则上”条件（{names}），须写明同意立项的理由",
            f"soft criteria (原则上) not met ({', '.join(s.get('criterion') for s in undecided)}): a written reason is required to approve",
            field="reason",
        )
    if not result.get("discretionary", True) and amount != app.ceiling and not reason:
        raise InvalidInput(
            f"该项目按标准给予 {app.ceiling} 元，核定其他金额须写明理由",
            f"this programme pays a set {app.ceiling}: another sum needs a written reason",
            field="reason",
        )
    policies = policies or default_policies()
    rules = awards.rules_for(app, policies)
    awards.lock_enterprise(session, app.enterprise_id)  # after the round and the application: serialises one enterprise's approvals
    held = awards.check_at_approval(session=session, app=app, rules=rules, reason=reason)
    recheck = recheck_with_awards(session=session, app=app, policies=policies, amount=amount)
    budget = check_budget(session=session, r=r, amount=amount)
    charged = charge_caps(session=session, app=app, amount=amount)
    credit_data = {"credit_overrides": [o.id for o in cst["overrides"]]} if cst["overrides"] else {}
    app.approved_amount, app.approved_on = amount, on
    d = Decision(
        application_id=app.id,
        outcome="approved",
        amount=amount,
        ceiling=app.ceiling,
        reason=reason,
        overrides=overrides,
        actor_id=actor.id,
    )
    session.add(d)
    session.flush()
    award = awards.record(session=session, app=app, rules=rules, decision_id=d.id, amount=amount, on=on, actor=actor)
    plan = schedule_instalments(session=session, app=app, amount=amount, start=on)
    # the decision, its instalments and cap charges are in the entry: ``huiqi audit verify`` reconciles them
    instalments = [{"id": i.id, "seq": i.seq, "amount": i.amount, "due_on": i.due_on} for i in plan]
    fire(
        session,
        machine=states.APPLICATION,
        obj=app,
        name="approve",
        actor=actor,
        reason=reason,
        stages=stages_of(app),
        data={
            "amount": amount,
            "ceiling": app.ceiling,
            "overrides": overrides,
            "caps": charged,
            "budget": budget,
            "policy_version": app.policy_version,
            "decision": d.id,
            "approved_on": on,
            "instalments": instalments,
            "award": award.id,
            **({"awards_recheck": recheck} if recheck else {}),
            **held,
            **credit_data,
        },
    )
    session.flush()
    return d


def recheck_with_awards(*, session: Session, app: Application, policies: PolicySet, amount: Decimal) -> dict | None:
    """Evaluate the frozen profile again, on the frozen day, with the awards ledger as it stands now
    (awards approved since submission count): no longer eligible → refused with the engine's
    reasons (which name the earlier award); a ceiling now below ``amount`` → CapExceeded. Only when
    the rules engine reads ``awards`` and the policy version is the one frozen (a changed policy
    is not re-applied to a submitted application). Returns what was checked, for the audit entry."""
    from huiqi.workflow.applications.service import evaluate_frozen, explain_block

    try:
        out = evaluate_frozen(session=session, app=app, policies=policies)
    except NotFound:  # the programme is not in the loaded policies: the frozen result stands
        return None
    if out is None:
        return None
    result, used = out["result"], out["awards"]
    if result.get("status") != "eligible":
        zh, en = explain_block(result)
        raise IllegalTransition(
            f"按已核定的支持重新评估，不能立项：{zh}", f"re-evaluated with the awards already granted, it cannot be approved: {en}",
            field="awards", details={"result": result, "awards": used},
        )
    ceiling = Decimal(result["ceiling"]) if result.get("ceiling") is not None else None
    if ceiling is not None and amount > ceiling:
        raise CapExceeded(
            f"按已核定的支持重新评估，上限为 {ceiling} 元，核定金额 {amount} 元超出",
            f"re-evaluated with the awards already granted, the ceiling is {ceiling}: {amount} is above it",
            field="amount", details={"ceiling": str(ceiling), "awards": used},
        )
    return {"ceiling": None if ceiling is None else str(ceiling), "awards": len(used)}


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
        inst = Instalment(
            application_id=app.id,
            seq=seq,
            label_zh=s.get("zh") or f"第{seq}期",
            label_en=s.get("en") or f"instalment {seq}",
            after_months=months,
            due_on=due,
            amount=part,
            state="scheduled",
        )
        session.add(inst)
        out.append(inst)
    session.flush()
    return out
