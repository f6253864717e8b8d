"""Every workflow action of the web layer: access check, then the workflow service. The API routers
and the pages both call these, so a page can never do what the API refuses (and vice versa)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.api import access
from huiqi.api.errors import ApiError, forbidden
from huiqi.api.serialize import plain, row_dict
from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.applications.models import Application
from huiqi.workflow.enterprises.models import Enterprise

O, R, E, X, A = states.OFFICER, states.REVIEWER, states.ENTERPRISE, states.EXPERT, states.AUDITOR


def need(user: Any, *roles: str) -> None:
    if user.role not in roles:
        zh = "、".join(states.ROLES[r][0] for r in roles)
        en = ", ".join(states.ROLES[r][1] for r in roles)
        raise forbidden(f"只有{zh}可以进行此操作", f"only {en} may do this", field="role")


def parse_date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ApiError(422, f"不是有效日期（应为 YYYY-MM-DD）：{value!r}", f"not a real date (YYYY-MM-DD): {value!r}", field=field) from None


# ------------------------------------------------------------------ reading


def application_detail(session: Session, user: Any, app: Application, policies: Any = None) -> dict:
    from huiqi import audit
    from huiqi.workflow.materials import service as materials
    from huiqi.workflow.payments import service as payments
    from huiqi.workflow.reviews import service as reviews

    ent = session.get(Enterprise, app.enterprise_id)
    out = applications.summary(app)
    out["enterprise"] = {"id": ent.id, "name": ent.name, "uscc": ent.uscc, "town": ent.town, "district": ent.district}
    out["submitted_at"] = plain(app.submitted_at)
    out["evaluated_on"] = plain(app.evaluated_on)
    out["evaluation"] = app.evaluation
    out["profile"] = app.profile
    out["stages"] = list(applications.stages_of(app))
    out["materials"] = [row_dict(f, exclude=("sha256",)) | {"sha256": f.sha256} for f in materials.files(session=session, application_id=app.id)]
    out["checklist"] = materials.checklist(session=session, application_id=app.id, policies=policies)
    out["materials_missing"] = materials.missing(session=session, application_id=app.id, policies=policies) if app.state == "draft" else []
    ops = reviews.opinions(session=session, application_id=app.id)
    asg = reviews.assignments(session=session, application_id=app.id)
    if user.role == X:  # an expert sees its own assignment only
        asg = [a for a in asg if a.expert_id == user.id]
    out["opinions"] = [row_dict(o) for o in ops] if user.role != E else [row_dict(o, exclude=("actor_id",)) for o in ops if o.kind != "consultation"]
    out["assignments"] = [row_dict(a) for a in asg] if user.role != E else []
    out["instalments"] = [row_dict(i) for i in payments.instalments(session=session, application_id=app.id)]
    out["payments"] = [row_dict(p) for p in payments.ledger(session=session, application_id=app.id)]
    out["paid_total"] = str(payments.paid_total(session=session, application_id=app.id))
    out["history"] = [
        {"seq": e.seq, "at": plain(e.at), "actor": e.actor, "action": e.action, "reason": e.reason, "data": plain(e.data)}
        for e in audit.entries(session, entity="application", entity_id=app.id)
    ]
    from huiqi.workflow.notices.models import NoticeBatch, Objection

    out["notice"] = row_dict(session.get(NoticeBatch, app.notice_batch_id)) if app.notice_batch_id else None
    out["objections"] = [row_dict(o, exclude=("objector",) if user.role == E else ()) for o in session.execute(select(Objection).where(Objection.application_id == app.id).order_by(Objection.id)).scalars()]
    if user.role in (O, A, E):
        from huiqi.workflow.changes.models import ChangeRequest, ProgressReport, Revocation

        out["changes"] = [row_dict(c) for c in session.execute(select(ChangeRequest).where(ChangeRequest.application_id == app.id).order_by(ChangeRequest.id)).scalars()]
        out["progress"] = [row_dict(c) for c in session.execute(select(ProgressReport).where(ProgressReport.application_id == app.id).order_by(ProgressReport.id)).scalars()]
        out["revocations"] = [row_dict(c) for c in session.execute(select(Revocation).where(Revocation.application_id == app.id).order_by(Revocation.id)).scalars()]
    from huiqi.workflow.credit import service as credit

    out["credit"] = plain(credit.view(session=session, app=app, role=user.role))
    if user.role in (O, A) and policies is not None:
        from huiqi.workflow.policy import programme

        try:
            _prog, doc = programme(policies, app.programme_id)
            out["revocation_grounds"] = [{"id": g["id"], "zh": g.get("zh"), "en": g.get("en")} for g in ((doc.management or {}).get("revocation") or {}).get("grounds") or []]
        except Exception:  # noqa: BLE001 - a programme no longer in the policies: no grounds to offer
            out["revocation_grounds"] = []
    st = states.APPLICATION.state(app.state)
    out["next_steps"] = [{"name": t.name, "zh": t.zh, "en": t.en, "needs_reason": t.needs_reason} for t in states.APPLICATION.available(app.state, user.role)]
    out["state_stage"] = st.stage
    return out


def list_applications(session: Session, user: Any, *, state: str | None = None, town: str | None = None, round_id: int | None = None, programme: str | None = None, stage: str | None = None, limit: int = 500) -> list[tuple[Application, Enterprise]]:
    q = access.application_query(user).add_columns(Enterprise)
    if state:
        q = q.where(Application.state == state)
    if stage:
        names = [s.name for s in states.APPLICATION.states if s.stage == stage]
        q = q.where(Application.state.in_(names or ["\x00"]))
    if town:
        q = q.where(Enterprise.town == town)
    if round_id is not None:
        q = q.where(Application.round_id == round_id)
    if programme:
        q = q.where(Application.programme_id == programme)
    q = q.order_by(Application.id.desc()).limit(max(1, min(limit, 1000)))
    return [(a, e) for a, e in session.execute(q).all()]


def queue_counts(session: Session, user: Any) -> dict:
    """How many visible applications wait in each state, and per town/park."""
    sub = access.application_query(user).subquery()
    by_state = dict(session.execute(select(sub.c.state, func.count()).group_by(sub.c.state)).all())
    q = access.application_query(user).with_only_columns(Enterprise.town, func.count()).group_by(Enterprise.town)
    by_town = {t or "—": n for t, n in session.execute(q).all()}
    return {"by_state": by_state, "by_town": by_town}


# ------------------------------------------------------------------ enterprise


def create_draft(session: Session, user: Any, policies: Any, *, round_id: int, programme: str, profile: dict, claim: str | None = None, requested_amount: Any = None, enterprise_id: int | None = None) -> Application:
    need(user, E, O)
    if user.role == E:
        enterprise_id = user.enterprise_id
    if enterprise_id is None:
        raise ApiError(422, "须指定企业", "an enterprise is required", field="enterprise_id")
    access.enterprise_visible(session, user, enterprise_id)
    return applications.create_draft(session=session, round_id=round_id, enterprise_id=enterprise_id, programme_id=programme, profile=profile, actor=user, claim_id=claim or None, requested_amount=requested_amount, policies=policies)


def upload(session: Session, user: Any, policies: Any, settings: Any, *, application_id: int, material_id: str, filename: str, content: bytes, stamped: bool = False) -> Any:
    from huiqi.workflow.materials import service as materials

    need(user, E, O)
    app = access.application_for(session, user, application_id)
    if len(content) > settings.max_upload_bytes:
        raise ApiError(413, f"文件过大：{len(content)} 字节，上限 {settings.max_upload_bytes} 字节", f"file too large: {len(content)} bytes, the limit is {settings.max_upload_bytes}", field="file")
    if not content:
        raise ApiError(422, "文件为空", "the file is empty", field="file")
    return materials.upload(session=session, application_id=app.id, material_id=material_id, filename=filename, content=content, actor=user, stamped=stamped, policies=policies, root=settings.upload_dir)


def material_file(session: Session, user: Any, settings: Any, *, application_id: int, file_id: int) -> tuple[Any, bytes]:
    from huiqi.workflow.materials import service as materials
    from huiqi.workflow.materials.models import MaterialFile

    app = access.application_for(session, user, application_id)
    f = session.get(MaterialFile, file_id)
    if f is None or f.application_id != app.id:
        raise ApiError(404, "文件不存在", "no such file", field="file_id")
    return f, materials.read(sha256=f.sha256, root=settings.upload_dir)


def submit(session: Session, user: Any, policies: Any, *, application_id: int, on: Any = None) -> Application:
    need(user, E, O)
    app = access.application_for(session, user, application_id)
    return applications.submit(session=session, application_id=app.id, actor=user, on=parse_date(on, "on"), policies=policies)


def withdraw(session: Session, user: Any, *, application_id: int, reason: str | None = None) -> Application:
    need(user, E)
    app = access.application_for(session, user, application_id)
    return applications.withdraw(session=session, application_id=app.id, actor=user, reason=reason)


# ------------------------------------------------------------------ reviews


def town_confirm(session: Session, user: Any, *, application_id: int, confirmed: bool, opinion: str = "") -> Application:
    from huiqi.workflow.reviews import service as reviews

    need(user, R)
    app = access.application_for(session, user, application_id)
    return reviews.town_confirm(session=session, application_id=app.id, actor=user, confirmed=confirmed, opinion=opinion)


def district_check(session: Session, user: Any, *, application_id: int, passed: bool, opinion: str = "", originals_checked: bool = False) -> Application:
    from huiqi.workflow.reviews import service as reviews

    need(user, O)
    app = access.application_for(session, user, application_id)
    return reviews.district_check(session=session, application_id=app.id, actor=user, passed=passed, opinion=opinion, originals_checked=originals_checked)


def assign_experts(session: Session, user: Any, *, application_id: int, expert_ids: list[int]) -> list:
    from huiqi.workflow.reviews import service as reviews

    need(user, O)
    app = access.application_for(session, user, application_id)
    return reviews.assign_experts(session=session, application_id=app.id, expert_ids=expert_ids, actor=user)


def score(session: Session, user: Any, *, application_id: int, score: Any, comment: str = "") -> Any:
    from huiqi.workflow.reviews import service as reviews

    need(user, X)
    app = access.application_for(session, user, application_id)
    return reviews.score(session=session, application_id=app.id, actor=user, score=score, comment=comment)


def consult(session: Session, user: Any, *, application_id: int, department: str, opinion: str) -> Any:
    from huiqi.workflow.reviews import service as reviews

    need(user, O)
    app = access.application_for(session, user, application_id)
    return reviews.consult(session=session, application_id=app.id, actor=user, department=department, opinion=opinion)


def shortlist(session: Session, user: Any, *, round_id: int, min_score: Any = None) -> list[Application]:
    from huiqi.workflow.reviews import service as reviews

    need(user, O)
    return reviews.shortlist(session=session, round_id=round_id, actor=user, min_score=min_score)


def declare_tie(session: Session, user: Any, *, enterprise_id: int, reason: str) -> Any:
    from huiqi.workflow.users import service as users

    need(user, X)
    return users.declare_tie(session=session, expert_id=user.id, enterprise_id=enterprise_id, reason=reason, actor=user)


# ------------------------------------------------------------------ notices, decisions


def publish(session: Session, user: Any, *, application_ids: list[int], published_on: Any, title: str | None = None) -> Any:
    from huiqi.workflow.notices import service as notices

    need(user, O)
    return notices.publish(session=session, application_ids=application_ids, published_on=parse_date(published_on, "published_on") or dt.date.today(), actor=user, title=title or None)


def object_to(session: Session, user: Any, *, application_id: int, objector: str, content: str, received_on: Any) -> Any:
    from huiqi.workflow.notices import service as notices

    need(user, O)
    app = access.application_for(session, user, application_id)
    return notices.object_to(session=session, application_id=app.id, objector=objector, content=content, received_on=parse_date(received_on, "received_on") or dt.date.today(), actor=user)


def resolve_objection(session: Session, user: Any, *, objection_id: int, upheld: bool, finding: str) -> Any:
    from huiqi.workflow.notices import service as notices

    need(user, O)
    return notices.resolve(session=session, objection_id=objection_id, upheld=upheld, finding=finding, actor=user)


def close_notice(session: Session, user: Any, *, batch_id: int, on: Any = None) -> Any:
    from huiqi.workflow.notices import service as notices

    need(user, O)
    return notices.close(session=session, batch_id=batch_id, on=parse_date(on, "on") or dt.date.today(), actor=user)


def approve(session: Session, user: Any, *, application_id: int, amount: Any, reason: str | None = None, on: Any = None) -> Any:
    from huiqi.workflow.decisions import service as decisions

    need(user, O)
    app = access.application_for(session, user, application_id)
    return decisions.approve(session=session, application_id=app.id, amount=amount, actor=user, reason=reason, on=parse_date(on, "on"))


def credit_override(session: Session, user: Any, *, application_id: int, reason: str, on: Any = None) -> Any:
    from huiqi.workflow.credit import service as credit

    need(user, O)
    app = access.application_for(session, user, application_id)
    return credit.override(session=session, application_id=app.id, actor=user, reason=reason, on=parse_date(on, "on"))


def decline(session: Session, user: Any, *, application_id: int, reason: str) -> Any:
    from huiqi.workflow.decisions import service as decisions

    need(user, O)
    app = access.application_for(session, user, application_id)
    return decisions.decline(session=session, application_id=app.id, actor=user, reason=reason)


def confirm_automatic(session: Session, user: Any, *, application_id: int, amount: Any = None, reason: str | None = None) -> Any:
    from huiqi.workflow.imports import service as imports

    need(user, O)
    app = access.application_for(session, user, application_id)
    return imports.confirm(session=session, application_id=app.id, actor=user, amount=amount, reason=reason)


# ------------------------------------------------------------------ payments, changes


def create_payment_batch(session: Session, user: Any, *, pay_on: Any, code: str | None = None) -> Any:
    from huiqi.workflow.payments import service as payments

    need(user, O)
    return payments.create_batch(session=session, pay_on=parse_date(pay_on, "pay_on") or dt.date.today(), actor=user, code=code or None)


def run_payment_batch(session: Session, user: Any, *, batch_id: int) -> list:
    from huiqi.workflow.payments import service as payments

    need(user, O)
    return payments.run_batch(session=session, batch_id=batch_id, actor=user)


def report_progress(session: Session, user: Any, *, application_id: int, period: str, progress: str, funds_used: Any = None) -> Any:
    from huiqi.workflow.changes import service as changes

    need(user, E, O)
    app = access.application_for(session, user, application_id)
    return changes.report_progress(session=session, application_id=app.id, period=period, progress=progress, actor=user, funds_used=funds_used)


def request_change(session: Session, user: Any, policies: Any, *, application_id: int, kind: str, description: str, before: Any = None, after: Any = None, structure_change: Any = None) -> Any:
    from huiqi.workflow.changes import service as changes

    need(user, E, O)
    app = access.application_for(session, user, application_id)
    return changes.request_change(session=session, application_id=app.id, kind=kind, description=description, actor=user, before=before, after=after, structure_change=structure_change, policies=policies)


def decide_change(session: Session, user: Any, *, change_id: int, approve: bool, reason: str) -> Any:
    from huiqi.workflow.changes import service as changes

    need(user, O)
    return changes.decide_change(session=session, change_id=change_id, approve=approve, reason=reason, actor=user)


def revoke(session: Session, user: Any, policies: Any, *, application_id: int, ground: str, reason: str, planned_investment: Any = None, audited_investment: Any = None, claw_back: bool = True) -> Any:
    from huiqi.workflow.changes import service as changes

    need(user, O)
    app = access.application_for(session, user, application_id)
    return changes.revoke(session=session, application_id=app.id, ground=ground, reason=reason, actor=user, planned_investment=planned_investment, audited_investment=audited_investment, claw_back=claw_back, policies=policies)


def record_recovery(session: Session, user: Any, *, receivable_id: int, on: Any = None) -> Any:
    from huiqi.workflow.payments import service as payments

    need(user, O)
    return payments.record_recovery(session=session, receivable_id=receivable_id, actor=user, on=parse_date(on, "on") or dt.date.today())


# ------------------------------------------------------------------ imports, exports, rounds


def import_credit(session: Session, user: Any, *, filename: str, content: bytes) -> Any:
    from huiqi.workflow.imports import service as imports

    need(user, O)
    return imports.import_credit(session=session, path=filename, content=content, actor=user)


def import_automatic(session: Session, user: Any, policies: Any, *, filename: str, content: bytes, programme: str, year: int) -> list:
    from huiqi.workflow.imports import service as imports

    need(user, O)
    return imports.import_automatic(session=session, path=filename, content=content, programme_id=programme, year=year, actor=user, policies=policies)


def export(session: Session, user: Any, *, kind: str, batch_id: int, directory: Any) -> Any:
    from huiqi.workflow.exports import service as exports

    need(user, O, A)
    path = directory / f"{kind}-{batch_id}.xlsx"
    if kind == "notice":
        return exports.notice_list(session=session, batch_id=batch_id, path=path, actor=user)
    if kind == "payment":
        return exports.payment_list(session=session, batch_id=batch_id, path=path, actor=user)
    raise ApiError(404, "没有这种导出", "no such export", field="kind")


def create_round(session: Session, user: Any, policies: Any, **kw: Any) -> Any:
    from huiqi.workflow.rounds import service as rounds

    need(user, O)
    return rounds.create(session=session, actor=user, policies=policies, **kw)


def open_round(session: Session, user: Any, *, round_id: int) -> Any:
    from huiqi.workflow.rounds import service as rounds

    need(user, O)
    return rounds.open_round(session=session, round_id=round_id, actor=user)


def set_budget(session: Session, user: Any, *, round_id: int, budget: Any, reason: str) -> Any:
    from huiqi.workflow.rounds import service as rounds

    need(user, O)
    return rounds.set_budget(session=session, round_id=round_id, budget=budget, actor=user, reason=reason)


def close_round(session: Session, user: Any, *, round_id: int) -> Any:
    from huiqi.workflow.rounds import service as rounds

    need(user, O)
    return rounds.close_round(session=session, round_id=round_id, actor=user)


def amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    from huiqi.money import parse_money

    return parse_money(str(value), field="amount")
