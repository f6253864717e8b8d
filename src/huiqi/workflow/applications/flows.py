"""Reading one application across domains: its frozen evaluation, materials, reviews, notice and
objections, payments, changes, credit check and history — each part as the actor may read it
(``access``). The API's ``GET /applications/{id}``, the pages and the CLI's ``application show``
all use :func:`detail`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.workflow import access, states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.common import plain, row_dict
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.users.models import User


def detail(*, session: Session, application_id: int, actor: User, policies: PolicySet | None = None) -> dict:
    """Everything the actor may read of an application it may see (else NotFound)."""
    from huiqi.workflow.changes import service as changes
    from huiqi.workflow.credit import service as credit
    from huiqi.workflow.materials import service as materials
    from huiqi.workflow.notices import service as notices
    from huiqi.workflow.notices.models import NoticeBatch
    from huiqi.workflow.payments import service as payments
    from huiqi.workflow.reviews import service as reviews

    app = applications.get(session=session, application_id=application_id, actor=actor)
    ent = session.get(Enterprise, app.enterprise_id)
    out = applications.summary(app)
    out["enterprise"] = {"id": ent.id, "name": ent.name, "uscc": ent.uscc, "town": ent.town, "district": ent.district}
    out["submitted_at"] = plain(app.submitted_at)
    out["evaluated_on"] = plain(app.evaluated_on)
    out["evaluation"] = app.evaluation
    out["profile"] = app.profile
    out["stages"] = list(applications.stages_of(app))
    out["materials"] = [row_dict(f) for f in materials.files_for(session=session, app=app)]
    out["checklist"] = materials.checklist_for(app=app, policies=policies)
    out["materials_missing"] = (
        materials.missing_for(session=session, app=app, policies=policies) if app.state == "draft" else []
    )
    out["opinions"] = [
        row_dict(o, exclude=() if access.role_may(actor.role, "application.read_consultation") else ("actor_id",))
        for o in reviews.opinions(session=session, application_id=app.id, actor=actor)
    ]
    out["assignments"] = [row_dict(a) for a in reviews.assignments(session=session, application_id=app.id, actor=actor)]
    out["instalments"] = [row_dict(i) for i in payments.instalments_for(session=session, application_id=app.id)]
    out["payments"] = [row_dict(p) for p in payments.ledger(session=session, actor=actor, application_id=app.id)]
    out["paid_total"] = str(payments.paid_total(session=session, application_id=app.id))
    out["history"] = [
        {
            "seq": e.seq,
            "at": plain(e.at),
            "actor": e.actor,
            "action": e.action,
            "reason": e.reason,
            "data": plain(e.data),
        }
        for e in audit.entries(session, entity="application", entity_id=app.id)
    ]
    out["notice"] = row_dict(session.get(NoticeBatch, app.notice_batch_id)) if app.notice_batch_id else None
    hide = () if access.role_may(actor.role, "application.read_objectors") else ("objector",)
    out["objections"] = [
        row_dict(o, exclude=hide)
        for o in reversed(notices.objections(session=session, actor=actor, application_id=app.id))
    ]
    if access.role_may(actor.role, "application.read_changes"):
        rows = changes.of_application(session=session, application_id=app.id, actor=actor)
        out.update({k: [row_dict(x) for x in v] for k, v in rows.items()})
    out["credit"] = plain(credit.view(session=session, app=app, actor=actor))
    out["award"] = None
    if access.role_may(actor.role, "award.read"):  # the awards ledger's row: completion date, extensions
        from huiqi.workflow.awards import service as awards

        a = awards.of_application(session, app.id)
        if a is not None and access.may(session, actor, "award.read", a):
            out["award"] = {**awards.describe(a), "extensions": [row_dict(x) for x in awards.extensions(session=session, award_id=a.id, actor=actor)]}
    if access.role_may(actor.role, "credit.decisions") and policies is not None:
        from huiqi.workflow.policy import programme

        try:
            _prog, doc = programme(policies, app.programme_id)
            out["revocation_grounds"] = [
                {"id": g["id"], "zh": g.get("zh"), "en": g.get("en")}
                for g in ((doc.management or {}).get("revocation") or {}).get("grounds") or []
            ]
        except Exception:  # noqa: BLE001 - a programme no longer in the policies: no grounds to offer
            out["revocation_grounds"] = []
    st = states.APPLICATION.state(app.state)
    out["next_steps"] = [
        {"name": t.name, "zh": t.zh, "en": t.en, "needs_reason": t.needs_reason}
        for t in states.APPLICATION.available(app.state, actor.role)
    ]
    out["state_stage"] = st.stage
    return out
