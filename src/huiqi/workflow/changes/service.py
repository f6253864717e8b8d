"""After approval: progress reports (项目进展), change requests (项目变更), revocation (项目撤销)
with claw-back (收回). Thresholds and grounds are read from the document's ``management`` data
(金科〔2025〕25号 关于项目管理有关要求 三、四), never from code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.workflow import states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import check_can_act_for, get
from huiqi.workflow.changes.models import ChangeRequest, ProgressReport, Revocation
from huiqi.workflow.common import get_or_404, id_in_range, money, parse_day, require_id
from huiqi.workflow.decisions.service import release_caps
from huiqi.workflow.errors import IllegalTransition, InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.payments.models import Instalment, Receivable
from huiqi.workflow.payments.service import paid_total
from huiqi.workflow.policy import default_policies, management, programme
from huiqi.workflow.users.models import User
from huiqi.workflow.users.service import require_role


def _ratio(value, *, field: str) -> Decimal:  # noqa: ANN001
    text = str(value).strip()
    try:
        ratio = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except Exception:  # noqa: BLE001
        raise InvalidInput(f"比例无法读取：{value!r}", f"cannot read the ratio {value!r}", field=field) from None
    if not ratio.is_finite() or ratio < 0:  # NaN / Infinity would break every comparison below
        raise InvalidInput(f"比例应为非负的有限数：{value!r}", f"the ratio must be a finite number ≥ 0: {value!r}", field=field)
    return ratio


def _approved(session: Session, application_id: int):  # noqa: ANN202
    app = get(session=session, application_id=application_id, lock=True)
    if app.state != "approved":
        st = states.APPLICATION.state(app.state)
        raise IllegalTransition(f"项目{st.zh}，不是已立项项目", f"the project is {st.en}, not an approved project", field="state")
    return app


def report_progress(*, session: Session, application_id: int, period: str, progress: str, actor: User, funds_used: Decimal | str | None = None, on: dt.date | None = None) -> ProgressReport:
    """The enterprise reports progress and use of funds on an approved project."""
    require_role(actor, states.ENTERPRISE, states.OFFICER)
    app = _approved(session, application_id)
    check_can_act_for(actor, app.enterprise_id)
    if not (progress or "").strip():
        raise InvalidInput("请填写项目进展", "describe the progress", field="progress")
    rep = ProgressReport(application_id=app.id, period=period, reported_on=on or dt.date.today(), progress=progress.strip(), funds_used=money(funds_used, field="funds_used") if funds_used is not None else None, actor_id=actor.id)
    session.add(rep)
    session.flush()
    audit.record(session, actor=actor.username, action="progress.report", entity="application", entity_id=app.id, data={"period": period, "funds_used": rep.funds_used})
    return rep


def request_change(*, session: Session, application_id: int, kind: str, description: str, actor: User, before: Decimal | str | None = None, after: Decimal | str | None = None, structure_change: Decimal | str | None = None, policies: PolicySet | None = None) -> ChangeRequest:
    """Report a change; major changes (the document's kinds and thresholds) await written approval.

    ``investment``: give ``before`` and ``after`` total investment; major when the change is at
    least ``management.changes.investment_change_ratio`` of ``before``. ``investment_structure``:
    give ``structure_change`` (the share of the investment moved); major from
    ``structure_change_ratio``. Every other kind the document lists is always major.
    """
    require_role(actor, states.ENTERPRISE, states.OFFICER)
    app = _approved(session, application_id)
    check_can_act_for(actor, app.enterprise_id)
    _prog, doc = programme(policies or default_policies(), app.programme_id)
    rules = management(doc, "changes")
    kinds = {k["id"]: k for k in rules.get("kinds") or []}
    if kind not in kinds:
        raise InvalidInput(f"未知的变更类型 {kind}；可选：{'、'.join(kinds)}", f"unknown change kind {kind!r}; one of {', '.join(kinds)}", field="kind")
    inclusive = bool(rules.get("ratios_inclusive", True))
    details: dict = {}
    basis: dict = {"clause": (rules.get("clause") or {}).get("text"), "kind_zh": kinds[kind].get("zh")}

    def reaches(ratio: Decimal, threshold: Decimal) -> bool:
        return ratio >= threshold if inclusive else ratio > threshold

    if kind == "investment":
        if before is None or after is None:
            raise InvalidInput("投资变动须给出变更前后的总投资", "give the total investment before and after", field="before")
        b, a = money(before, field="before"), money(after, field="after")
        if b <= 0:
            raise InvalidInput("变更前总投资须大于零", "the investment before must be positive", field="before")
        if "investment_change_ratio" not in rules:
            management(doc, "changes.investment_change_ratio")
        threshold = _ratio(rules["investment_change_ratio"], field="management.changes.investment_change_ratio")
        ratio = abs(a - b) / b
        major = reaches(ratio, threshold)
        details = {"before": str(b), "after": str(a), "ratio": str(ratio.quantize(Decimal("0.0001")))}
        basis["threshold"] = str(threshold)
    elif kind == "investment_structure":
        if structure_change is None:
            raise InvalidInput("投资结构变动须给出变动比例（如 0.5）", "give the share of the investment restructured (e.g. 0.5)", field="structure_change")
        if "structure_change_ratio" not in rules:
            management(doc, "changes.structure_change_ratio")
        threshold = _ratio(rules["structure_change_ratio"], field="management.changes.structure_change_ratio")
        ratio = _ratio(structure_change, field="structure_change")
        major = reaches(ratio, threshold)
        details = {"ratio": str(ratio)}
        basis["threshold"] = str(threshold)
    else:
        major = True
    cr = ChangeRequest(application_id=app.id, kind=kind, description=(description or "").strip(), details=details, major=major, basis=basis, state="pending" if major else "noted", actor_id=actor.id)
    session.add(cr)
    session.flush()
    audit.record(session, actor=actor.username, action="change.request", entity="change", entity_id=cr.id, data={"application": app.id, "kind": kind, "major": major, **details, **basis})
    return cr


def decide_change(*, session: Session, change_id: int, approve: bool, reason: str, actor: User) -> ChangeRequest:
    """Approve (书面同意) or refuse a major change."""
    cr = get_or_404(session, ChangeRequest, change_id, zh="变更申请", en="change request", lock=True)
    fire(session, machine=states.CHANGE, obj=cr, name="approve" if approve else "refuse", actor=actor, reason=reason)
    cr.decision_reason = reason
    return cr


def revoke(*, session: Session, application_id: int, ground: str, reason: str, actor: User, on: dt.date | None = None, planned_investment: Decimal | str | None = None, audited_investment: Decimal | str | None = None, claw_back: bool = True, policies: PolicySet | None = None) -> Revocation:
    """Revoke an approved project on one of the document's grounds: unpaid instalments are cancelled
    and, unless the officer decides otherwise (视情收回), sums already paid become a receivable."""
    require_role(actor, states.OFFICER)
    from huiqi.workflow.decisions.service import lock_round

    key = require_id(session, Application, application_id, zh="申报", en="application", field="application")
    round_id = session.execute(select(Application.round_id).where(Application.id == key)).scalar()
    lock_round(session, round_id)  # the round's commitments change: the same lock order as approval
    app = get(session=session, application_id=application_id, lock=True)
    states.check_transition(states.APPLICATION, app.state, "revoke", actor.role, reason=reason)
    _prog, doc = programme(policies or default_policies(), app.programme_id)
    rules = management(doc, "revocation")
    grounds = {g["id"]: g for g in rules.get("grounds") or []}
    if ground not in grounds:
        raise InvalidInput(f"未知的撤销情形 {ground}；可选：{'、'.join(grounds)}", f"unknown revocation ground {ground!r}; one of {', '.join(grounds)}", field="ground")
    g = grounds[ground]
    data: dict = {"ground": ground, "ground_zh": g.get("zh")}
    if "investment_deviation_ratio" in g:
        if planned_investment is None or audited_investment is None:
            raise InvalidInput("须给出计划投资额与审计后实际完成投资额", "give the planned and the audited investment", field="audited_investment")
        p, a = money(planned_investment, field="planned_investment"), money(audited_investment, field="audited_investment")
        threshold = _ratio(g["investment_deviation_ratio"], field=f"management.revocation.grounds[{ground}].investment_deviation_ratio")
        ratio = abs(a - p) / p if p else Decimal(0)
        reached = ratio >= threshold if g.get("inclusive", True) else ratio > threshold
        data.update(planned=str(p), audited=str(a), deviation=str(ratio.quantize(Decimal("0.0001"))), threshold=str(threshold))
        if not reached:
            raise IllegalTransition(f"投资变动 {ratio:.2%} 未达到撤销标准 {threshold:.0%}", f"the investment deviates by {ratio:.2%}, below the {threshold:.0%} ground for revocation", field="audited_investment")
    day = on or dt.date.today()
    paid = paid_total(session=session, application_id=app.id)
    cancelled = Decimal("0.00")
    for inst in session.execute(select(Instalment).where(Instalment.application_id == app.id, Instalment.state == "scheduled").with_for_update()).scalars():
        fire(session, machine=states.INSTALMENT, obj=inst, name="cancel", actor=actor, reason=f"项目撤销 / project revoked: {ground}")
        cancelled += inst.amount
    fire(session, machine=states.APPLICATION, obj=app, name="revoke", actor=actor, reason=reason, data={**data, "paid": paid, "cancelled": cancelled, "claw_back": claw_back})
    # the annual caps give back what will never be paid; what was paid stays charged until it is
    # recovered (record_recovery) — or for good when the officer decides not to claw it back
    release_caps(session=session, app=app, amount=max((app.approved_amount or Decimal(0)) - paid, Decimal(0)), actor=actor, why=f"项目撤销，未拨付部分释放 / project revoked: the unpaid part is released ({ground})")
    rev = Revocation(application_id=app.id, ground=ground, reason=reason, revoked_on=day, paid_total=paid, cancelled_total=cancelled, actor_id=actor.id)
    session.add(rev)
    if claw_back and paid > 0:
        rec = Receivable(application_id=app.id, amount=paid, ground=ground, reason=reason, state="open")
        session.add(rec)
        session.flush()
        audit.record(session, actor=actor.username, action="receivable.create", entity="receivable", entity_id=rec.id, reason=reason, data={"application": app.id, "amount": paid})
    session.flush()
    return rev


def receivables(*, session: Session, application_id: int | None = None) -> list[Receivable]:
    """Claw-back receivables."""
    q = select(Receivable).order_by(Receivable.id)
    if application_id is not None and id_in_range(session, Receivable, application_id) is None:
        return []
    if application_id is not None:
        q = q.where(Receivable.application_id == application_id)
    return list(session.execute(q).scalars())
