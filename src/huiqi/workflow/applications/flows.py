"""Reading one application across domains: its frozen evaluation, materials, reviews, notice and
objections, payments, changes, credit check and history — each part as the actor may read it
(``access``). The API's ``GET /applications/{id}``, the pages and the CLI's ``application show``
all use :func:`detail`."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.workflow import access, states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.applications.models import Application
from huiqi.workflow.errors import IllegalTransition, PermissionDenied
from huiqi.workflow.rounds.models import Round
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
        for t in allowed_steps(app, actor.role)
    ]
    out["state_stage"] = st.stage
    # payments belong to the application's record: each instalment's steps (拨付, 取消) in 办理记录
    inst_ids = [str(i["id"]) for i in out["instalments"]]
    if inst_ids:
        extra = [
            {"seq": e.seq, "at": plain(e.at), "actor": e.actor, "action": e.action, "reason": e.reason, "data": plain(e.data)}
            for e in audit.entries(session, entity="instalment")
            if e.entity_id in inst_ids
        ]
        out["history"] = sorted(out["history"] + extra, key=lambda h: h["seq"])
    consulted = any(o.get("kind") == "consultation" for o in out["opinions"])
    out["stage_bar"] = stage_bar(app, policies, paid=Decimal(out["paid_total"]), instalments=out["instalments"], consulted=consulted)
    out["consultation"] = {
        "needed": "consultation" in out["stages"],
        "open": app.state in reviews.CONSULT_STATES and access.role_may(actor.role, "application.consult"),
        "done": any(o.get("kind") == "consultation" for o in out["opinions"]),
    }
    r = session.get(Round, app.round_id) if app.round_id else None
    out["criteria"] = (r.criteria if r is not None else None) or []
    if not access.role_may(actor.role, "application.read_scores") and not (r is not None and r.scores_visible):
        out["score"] = out["rank"] = None  # scores are not disclosed to applicants unless the round says so
    out["declaration_needed"] = False
    if actor.role == states.EXPERT:
        mine = next((a for a in out["assignments"] if a["expert_id"] == actor.id), None)
        if mine is None or mine.get("declared_at") is None:
            # the conflict declaration comes before the content: until then the expert sees who
            # applied for what (to judge a tie), nothing of the application itself
            out["declaration_needed"] = True
            for k in ("evaluation", "profile"):
                out[k] = None if k == "evaluation" else {}
            for k in ("materials", "checklist", "opinions", "history", "objections", "instalments", "payments"):
                out[k] = []
            out["next_steps"] = []
    return out


def judge(*, session: Session, application_id: int, actor: User, policies: PolicySet | None = None) -> dict:
    """Judge a submitted application again, by the version of the policy frozen with it (whatever
    was published since: ``huiqi.rules.versions.pinned``), on its frozen date and frozen profile.
    Returns the version, the result and whether it is the frozen one (it should be: the engine is
    deterministic); nothing is stored. A draft has no frozen version: InvalidInput."""
    import datetime as dt

    from huiqi.rules import evaluate, parse_profile
    from huiqi.rules import versions
    from huiqi.workflow.errors import InvalidInput
    from huiqi.workflow.policy import default_policies

    app = applications.get(session=session, application_id=application_id, actor=actor)
    ev = app.evaluation or {}
    frozen = ev.get("result") or {}
    version = frozen.get("version") or {}
    if not frozen or not ev.get("profile"):
        raise InvalidInput("该申报尚未提交，没有冻结的政策版本", "this application has not been submitted: no policy version is frozen with it", field="application")
    policies = policies or default_policies()
    doc_id = version.get("document_id") or frozen.get("document_id")
    try:
        ps = versions.pinned(policies, doc_id, version.get("sha256"))
    except LookupError:
        raise InvalidInput(
            f"冻结时的政策版本 {doc_id} 已不在加载的政策中（或已被改动）：无法按原版本重新测算",
            f"the policy version frozen with the application ({doc_id}) is no longer loaded (or was changed): cannot judge it again",
            field="policy_version",
        ) from None
    on = dt.date.fromisoformat(ev["on"])
    report = evaluate(ps, parse_profile(ev["profile"], ps.vocabulary), on=on, programmes=[app.programme_id]).to_dict()
    result = next((r for r in report["results"] if r["claim"] == app.claim_id), report["results"][0])
    same = (result["status"], result["ceiling"]) == (frozen.get("status"), frozen.get("ceiling"))
    return {"application": app.id, "version": result["version"], "on": ev["on"], "result": result, "same_as_frozen": same}


def allowed_steps(app: Application, role: str) -> list:
    """The application's next steps ``role`` may take now: the state machine's transitions from the
    state (``states.MACHINES``) that its programme's process also allows from here — the same check
    ``fire`` makes (no stage skipped, no stage the process lacks), so a page never offers a step the
    service would refuse for the stage."""
    out = []
    for t in states.APPLICATION.available(app.state, role):
        try:
            states.check_transition(states.APPLICATION, app.state, t.name, role, stages=applications.stages_of(app), reason="-")
        except (IllegalTransition, PermissionDenied):
            continue
        out.append(t)
    return out


def stage_bar(app: Application, policies: PolicySet | None, *, paid: Decimal, instalments: list, consulted: bool = False) -> list[dict]:
    """The progress bar: one fixed set of stages per programme — its process stages from the policy
    file (the frozen ones once submitted; the same before), always ending with 拨付 — each done,
    now or to come; 专家评审 is "now" while the experts score; 征求意见 runs beside the checks and
    is done once a department has answered; 拨付 is "now" from approval until the last instalment
    is paid."""
    stages = list(applications.stages_of(app))
    if app.evaluation is None and policies is not None:
        p = policies.programme(app.programme_id)
        if p is not None and p.process is not None:
            stages = list(p.process.stages)
    if "payment" not in stages:
        stages.append("payment")
    st = states.APPLICATION.state(app.state)
    done_to = states.stage_index(st.stage)
    scheduled = [i for i in instalments if i.get("state") == "scheduled"]
    bar = []
    for name in stages:
        idx = states.stage_index(name)
        if name == "payment":
            status = "done" if paid > 0 and not scheduled else ("now" if paid > 0 or app.state == "approved" else "todo")
        elif name == "consultation" and idx > done_to:
            status = "done" if consulted else "todo"
        elif name == "expert_review" and app.state == "expert_review":
            status = "now"
        elif st.final and app.state not in ("approved",):
            status = "done" if idx <= done_to else "todo"
        elif idx <= done_to:
            status = "done"
        else:
            status = "todo"
        zh, en = states.STAGE_LABELS[name]
        bar.append({"stage": name, "zh": zh, "en": en, "status": status})
    if not any(b["status"] == "now" for b in bar) and not st.final:
        nxt = next((b for b in bar if b["status"] == "todo" and b["stage"] != "consultation"), None)
        if nxt is not None:
            nxt["status"] = "now"
    return bar
