"""After approval: progress reports (项目进展) and change requests (项目变更). Thresholds are read
from the document's ``management`` data (金科〔2025〕25号 关于项目管理有关要求 三), never from code.
Revocation (项目撤销) with claw-back (收回) spans domains: ``changes.flows``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.applications.service import get
from huiqi.workflow.changes.models import ChangeRequest, ProgressReport, Revocation
from huiqi.workflow.common import money
from huiqi.workflow.errors import IllegalTransition, InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.policy import default_policies, management, programme
from huiqi.workflow.users.models import User


def parse_ratio(value, *, field: str) -> Decimal:  # noqa: ANN001
    text = str(value).strip()
    try:
        ratio = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except Exception:  # noqa: BLE001
        raise InvalidInput(f"比例无法读取：{value!r}", f"cannot read the ratio {value!r}", field=field) from None
    if not ratio.is_finite() or ratio < 0:  # NaN / Infinity would break every comparison below
        raise InvalidInput(f"比例应为非负的有限数：{value!r}", f"the ratio must be a finite number ≥ 0: {value!r}", field=field)
    return ratio


def _approved(session: Session, application_id: int, actor: User, action: str) -> Application:
    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    access.authorize(actor, action)
    if app.state != "approved":
        st = states.APPLICATION.state(app.state)
        raise IllegalTransition(f"项目{st.zh}，不是已立项项目", f"the project is {st.en}, not an approved project", field="state")
    return app


def report_progress(*, session: Session, application_id: int, period: str, progress: str, actor: User, funds_used: Decimal | str | None = None, on: dt.date | None = None) -> ProgressReport:
    """The enterprise reports progress and use of funds on an approved project."""
    app = _approved(session, application_id, actor, "application.progress")
    if not (progress or "").strip():
        raise InvalidInput("请填写项目进展", "describe the progress", field="progress")
    rep = ProgressReport(application_id=app.id, period=period, reported_on=on or dt.date.today(), progress=progress.strip(), funds_used=money(funds_used, field="funds_used") if funds_used is not None else None, actor_id=actor.id)
    session.add(rep)
    session.flush()
    audit.record(session, actor=actor.username, action="progress.report", entity="application", entity_id=app.id, district=app.district, data={"period": period, "funds_used": rep.funds_used})
    return rep


def request_change(*, session: Session, application_id: int, kind: str, description: str, actor: User, before: Decimal | str | None = None, after: Decimal | str | None = None, structure_change: Decimal | str | None = None, policies: PolicySet | None = None, new_due: dt.date | str | None = None) -> ChangeRequest:
    """Report a change; major changes (the document's kinds and thresholds) await written approval.

    ``investment``: give ``before`` and ``after`` total investment; major when the change is at
    least ``management.changes.investment_change_ratio`` of ``before``. ``investment_structure``:
    give ``structure_change`` (the share of the investment moved); major from
    ``structure_change_ratio``. Every other kind the document lists is always major.

    ``new_due``: the completion date asked for (延期, e.g. with kind ``period``, 项目实施期限发生变更,
    关于项目管理有关要求 三（二）, line 1640); once the change is approved in writing it becomes the
    award's completion date in force (``awards.service.extend``).
    """
    app = _approved(session, application_id, actor, "application.request_change")
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
        threshold = parse_ratio(rules["investment_change_ratio"], field="management.changes.investment_change_ratio")
        ratio = abs(a - b) / b
        major = reaches(ratio, threshold)
        details = {"before": str(b), "after": str(a), "ratio": str(ratio.quantize(Decimal("0.0001")))}
        basis["threshold"] = str(threshold)
    elif kind == "investment_structure":
        if structure_change is None:
            raise InvalidInput("投资结构变动须给出变动比例（如 0.5）", "give the share of the investment restructured (e.g. 0.5)", field="structure_change")
        if "structure_change_ratio" not in rules:
            management(doc, "changes.structure_change_ratio")
        threshold = parse_ratio(rules["structure_change_ratio"], field="management.changes.structure_change_ratio")
        ratio = parse_ratio(structure_change, field="structure_change")
        major = reaches(ratio, threshold)
        details = {"ratio": str(ratio)}
        basis["threshold"] = str(threshold)
    else:
        major = True
    if new_due not in (None, ""):
        from huiqi.workflow.awards import service as awards
        from huiqi.workflow.common import parse_day

        day = parse_day(new_due, field="new_due")
        award = awards.of_application(session, app.id)
        current = awards.due(award) if award is not None else None
        if current is None:
            raise IllegalTransition("尚未登记批准的完成期限，不能申请延期", "no approved completion date is recorded: an extension cannot be asked for", field="new_due")
        if day <= current:
            raise InvalidInput(f"延期后的完成期限 {day} 须晚于现行期限 {current}", f"the extended date {day} must be after the current one {current}", field="new_due")
        details = {**details, "new_due": day.isoformat(), "current_due": current.isoformat()}
        major = True  # a change of the implementation period (实施期限) needs written approval
    cr = ChangeRequest(application_id=app.id, district=app.district, kind=kind, description=(description or "").strip(), details=details, major=major, basis=basis, state="pending" if major else "noted", actor_id=actor.id)
    session.add(cr)
    session.flush()
    audit.record(session, actor=actor.username, action="change.request", entity="change", entity_id=cr.id, district=cr.district, data={"application": app.id, "kind": kind, "major": major, **details, **basis})
    return cr


def decide_change(*, session: Session, change_id: int, approve: bool, reason: str, actor: User) -> ChangeRequest:
    """Approve (书面同意) or refuse a major change."""
    cr = access.get(session, actor, ChangeRequest, change_id, field="change", lock=True)
    fire(session, machine=states.CHANGE, obj=cr, name="approve" if approve else "refuse", actor=actor, reason=reason)
    cr.decision_reason = reason
    if approve and (cr.details or {}).get("new_due"):  # an approved extension sets the new completion date
        from huiqi.workflow.awards import service as awards

        awards.extend(session=session, application_id=cr.application_id, new_due=dt.date.fromisoformat(cr.details["new_due"]), actor=actor, change_id=cr.id, reason=reason)
    return cr


def changes(*, session: Session, actor: User, application_id: int | None = None) -> list[ChangeRequest]:
    """Change requests the actor may see (its district's: ``change.read``), newest first."""
    access.authorize(actor, "change.read")
    q = select(ChangeRequest).where(access.visible(actor, ChangeRequest)).order_by(ChangeRequest.id.desc())
    if application_id is not None:
        q = q.where(ChangeRequest.application_id == application_id)
    return list(session.execute(q).scalars())


def of_application(*, session: Session, application_id: int, actor: User) -> dict:
    """The change requests, progress reports and revocations of an application the actor may see
    (for those who read them: ``application.read_changes``)."""
    app = get(session=session, application_id=application_id, actor=actor)
    if not access.role_may(actor.role, "application.read_changes"):
        return {"changes": [], "progress": [], "revocations": []}
    rows = {}
    for key, model in (("changes", ChangeRequest), ("progress", ProgressReport), ("revocations", Revocation)):
        rows[key] = list(session.execute(select(model).where(model.application_id == app.id).order_by(model.id)).scalars())
    return rows


def revocations(*, session: Session, actor: User) -> list[Revocation]:
    """Revocations the actor may see (its district's: ``change.read``), newest first."""
    access.authorize(actor, "change.read")
    return list(session.execute(select(Revocation).where(access.visible(actor, Revocation)).order_by(Revocation.id.desc())).scalars())
