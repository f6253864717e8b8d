"""Applications: drafts, submission with the engine's result frozen, and look-ups.

At submission the profile is completed with the round's qualifying period (限定期间) and the
credit check (``enterprise.serious_dishonesty_last_3_years`` from the imported records), the
rules engine evaluates it, and the result — ceiling, steps, schedule, soft criteria, the
programme's materials and process, with the policy version — is stored and never recomputed.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet, ProfileError, evaluate, parse_profile
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.common import money, utcnow
from huiqi.workflow.credit import service as credit
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import CapExceeded, DuplicateApplication, IllegalTransition, InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.policy import default_policies, programme
from huiqi.workflow.rounds import service as rounds
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User

LIFETIME = ("policy", "lifetime")  # a cap's ``over``: counted over the policy's life
BLOCKING = {"ineligible", "not_in_force", "out_of_scope"}
# facts of a profile that the enterprise record decides (the record's column): a profile may repeat
# them but never contradict them — the tenant and the town/park reviewer follow the record
RECORD_FACTS = {"registered_district": ("district", "注册登记所在区", "registered district"), "town": ("town", "所在镇（园区）", "town/park")}


def get(*, session: Session, application_id: int, actor: User, lock: bool = False) -> Application:
    """The application if the actor may see it (``access``), else NotFound; ``lock``: FOR UPDATE."""
    return access.get(session, actor, Application, application_id, field="application", lock=lock)


def stages_of(app: Application) -> tuple[str, ...]:
    """The process stages frozen with the application's evaluation."""
    proc = (app.evaluation or {}).get("process") or {}
    return tuple(proc.get("stages") or states.DEFAULT_STAGES)


def create_draft(*, session: Session, round_id: int, enterprise_id: int, programme_id: str, profile: dict, actor: User, claim_id: str | None = None, requested_amount: Decimal | str | None = None, policies: PolicySet | None = None, project: str | None = None) -> Application:
    """Start an application in a round: the profile (facts and claims) and the amount asked for;
    ``project``: the project's identity (同一项目), checked against the awards ledger at approval.
    An enterprise user applies for its own enterprise, to any published round; an officer records
    paper submissions in its district's rounds. The application belongs to the round's district."""
    policies = policies or default_policies()
    r = rounds.get(session=session, round_id=round_id, actor=actor)
    ent = access.get(session, actor, Enterprise, enterprise_id, field="enterprise")
    access.authorize(actor, "application.create")
    if programme_id not in r.programmes:
        raise InvalidInput(f"批次 {r.code} 不受理项目 {programme_id}（受理：{'、'.join(r.programmes)}）", f"round {r.code} does not take {programme_id} (it takes {', '.join(r.programmes)})", field="programme")
    prog, _doc = programme(policies, programme_id)
    if prog.mode == "offline":
        access.require_channel(actor, prog.mode, programme_id)
    prof = _profile_for(profile, ent)
    try:
        parsed = parse_profile(prof, policies.vocabulary)
    except ProfileError as exc:
        p = exc.problems[0]
        raise InvalidInput(p.message_zh, p.message_en, field=f"profile.{p.field}", details=[x.to_dict() for x in exc.problems]) from None
    if prog.subject != "enterprise":
        ids = [c.id for c in parsed.claims if c.kind == prog.subject]
        if claim_id is None and len(ids) == 1:
            claim_id = ids[0]
        if claim_id not in ids:
            raise InvalidInput(f"请指定申报的{prog.subject}（画像中有：{'、'.join(ids) or '无'}）", f"name the {prog.subject} claim applied for (profile has: {', '.join(ids) or 'none'})", field="claim")
    req = money(requested_amount, field="requested_amount") if requested_amount is not None else None
    # one live application per enterprise × programme × claim × round: the enterprise row is locked
    # (FOR UPDATE; SQLite's writes are serialised anyway) so two at once cannot both pass the check
    access.get(session, actor, Enterprise, ent.id, field="enterprise", lock=True)
    check_not_duplicate(session=session, round_=r, enterprise=ent, programme_id=programme_id, claim_id=claim_id)
    project = _project(project)
    app = Application(round_id=r.id, district=r.district, enterprise_id=ent.id, programme_id=programme_id, claim_id=claim_id, channel=prog.mode, year=r.year, state="draft", profile=prof, requested_amount=req, project=project)
    session.add(app)
    session.flush()
    audit.record(session, actor=actor.username, action="application.create", entity="application", entity_id=app.id, district=app.district, data={"round": r.code, "enterprise": ent.uscc, "programme": programme_id, "claim": claim_id, "requested_amount": req, "project": project})
    return app


# an application in one of these states no longer stands: the enterprise may apply again in the round
NOT_LIVE = ("withdrawn", "rejected", "not_selected")


def check_not_duplicate(*, session: Session, round_: Round, enterprise: Enterprise, programme_id: str, claim_id: str | None) -> None:
    """Refuse a second live application of an enterprise for the same programme, claim (the lease,
    the drug … named by its id in the profile) and round, naming the one that exists. Withdrawn,
    rejected and not-selected applications do not count (one may apply again); a revoked one does."""
    same_claim = Application.claim_id.is_(None) if claim_id is None else Application.claim_id == claim_id
    existing = session.execute(
        select(Application)
        .where(Application.enterprise_id == enterprise.id, Application.programme_id == programme_id,
               Application.round_id == round_.id, same_claim, Application.state.not_in(NOT_LIVE))
        .order_by(Application.id).limit(1)
    ).scalar_one_or_none()
    if existing is None:
        return
    szh, sen = states.APPLICATION.state(existing.state).zh, states.APPLICATION.state(existing.state).en
    what_zh = f"（申报对象 {claim_id}）" if claim_id else ""
    what_en = f" (claim {claim_id})" if claim_id else ""
    raise DuplicateApplication(
        f"{enterprise.name} 在批次 {round_.code} 已有项目 {programme_id}{what_zh}的申报：第 {existing.id} 号（{szh}），不能重复申报；请查看已有申报",
        f"{enterprise.name} already has an application for {programme_id}{what_en} in round {round_.code}: "
        f"no. {existing.id} ({sen}); a second is refused — see the existing one",
        field="programme", details={"existing_id": existing.id, "state": existing.state, "round": round_.code,
                                    "programme": programme_id, "claim": claim_id},
    )


def _project(value: Any) -> str | None:
    """A project identity: trimmed text of at most 200 characters, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("项目标识应为文字", "the project identity must be text", field="project")
    text = value.strip()
    if len(text) > 200:
        raise InvalidInput("项目标识不能超过 200 个字符", "the project identity is at most 200 characters", field="project")
    return text or None


def live_for(*, session: Session, actor: User, round_id: int, programme_id: str, enterprise_id: int, claim_id: str | None = None, profile: dict | None = None) -> Application | None:
    """The enterprise's live application (not withdrawn, rejected or not selected: NOT_LIVE) for this
    programme in this round — and, for a programme claimed per item, for the same claim — among
    those the actor may see; None if there is none. The pages offer "查看已有申报" instead of
    starting a second one. A claim is the same if its id matches, or (from a self-check profile) if
    the profile's claim of that id is the one an application already holds."""
    if access.as_id(round_id) is None or access.as_id(enterprise_id) is None:
        return None
    q = select(Application).where(
        access.visible(actor, Application),
        Application.round_id == round_id,
        Application.enterprise_id == enterprise_id,
        Application.programme_id == programme_id,
        Application.state.not_in(NOT_LIVE),  # the same states check_not_duplicate ignores (a revoked one stands)
    ).order_by(Application.id)
    for app in session.execute(q).scalars():
        if app.claim_id is None or claim_id is None and not _claims_of(profile):
            return app
        if claim_id is not None and app.claim_id == claim_id:
            return app
        if claim_id is None and app.claim_id in _claims_of(profile):
            return app
    return None


def _claims_of(profile: dict | None) -> set[str]:
    claims = (profile or {}).get("claims") if isinstance(profile, dict) else None
    return {str(c.get("id")) for c in claims if isinstance(c, dict) and c.get("id")} if isinstance(claims, list) else set()


def _profile_for(profile: dict, ent: Enterprise) -> dict:
    """The profile with the enterprise record's identity: its USCC and name, and the facts the
    record decides (:data:`RECORD_FACTS`). A profile that contradicts the record — e.g. claims
    ``registered_district: 黄浦区`` for an enterprise registered in 金山区 — is refused, naming both."""
    prof = copy.deepcopy(profile or {})
    e = prof.setdefault("enterprise", {})
    if not isinstance(e, dict):
        raise InvalidInput("画像的 enterprise 应为对象", "the profile's enterprise must be an object", field="profile.enterprise")
    if e.get("uscc") and str(e["uscc"]).strip().upper() != ent.uscc:
        raise InvalidInput(f"画像中的统一社会信用代码 {e['uscc']} 与申报企业 {ent.uscc} 不符", f"the profile's USCC {e['uscc']} is not the applicant's {ent.uscc}", field="profile.enterprise.uscc")
    e["uscc"] = ent.uscc
    e.setdefault("name", ent.name)
    for fact, (column, zh, en) in RECORD_FACTS.items():
        recorded = getattr(ent, column)
        claimed = e.get(fact)
        if claimed not in (None, "") and str(claimed).strip() != (recorded or ""):
            shown = recorded or "（未登记）"
            raise InvalidInput(
                f"画像中的{zh}“{claimed}”与企业登记信息（{shown}）不符：以企业登记为准",
                f"the profile's {en} {claimed!r} contradicts the enterprise record ({recorded or 'not recorded'}): the record decides",
                field=f"profile.enterprise.{fact}", details={"profile": claimed, "record": recorded},
            )
        if recorded:
            e[fact] = recorded
    return prof


def freeze(*, session: Session, app: Application, policies: PolicySet, on: dt.date) -> dict:
    """Evaluate the application's profile on ``on`` and store the result (called at submission)."""
    prog, doc = programme(policies, app.programme_id)
    ent = session.get(Enterprise, app.enterprise_id)
    data = _profile_for(app.profile, ent)
    r = session.get(Round, app.round_id) if app.round_id else None
    if r is not None:
        call = data.setdefault("call", {})
        if r.period_start:
            call["period_start"] = r.period_start.isoformat()
        if r.period_end:
            call["period_end"] = r.period_end.isoformat()
    credit_rule = credit.rule(prog, doc)
    records = credit.records_in_window(session=session, uscc=ent.uscc, district=app.district, on=on, years=credit_rule["lookback_years"])
    credit.set_fact(rule=credit_rule, records=records, profile=data, vocabulary=policies.vocabulary)
    data["awards"] = _awards_for(session, app)
    try:
        parsed = parse_profile(_for_engine(data, policies), policies.vocabulary)
    except ProfileError as exc:
        p = exc.problems[0]
        raise InvalidInput(p.message_zh, p.message_en, field=f"profile.{p.field}", details=[x.to_dict() for x in exc.problems]) from None
    report = evaluate(policies, parsed, on=on, programmes=[app.programme_id])
    results = report.to_dict()["results"]
    index = next((i for i, x in enumerate(results) if x["claim"] == app.claim_id), 0)
    result = results[index]
    # the version of the document in force for the claim's event judged it (rules/versions.py):
    # its caps and cap year are the ones frozen; the result's ``version`` says which it was
    prog, doc = report.results[index].programme, report.results[index].document
    cap_limits = _cap_limits(parsed, prog, doc, on, app.claim_id)
    from huiqi.workflow.awards import service as awards

    awards_rules = awards.rules_of(prog, doc)  # what the awards ledger checks at approval (count once, same project)
    proc = prog.process
    frozen = {
        "result": result,
        "policy_version": report.policy_version,
        "on": on.isoformat(),
        "process": {"stages": list(proc.stages) if proc else list(states.DEFAULT_STAGES), "notice_working_days": proc.notice_working_days if proc else None, "defaulted": proc is None},
        "credit_records": [credit.record_dict(x) for x in records],
        "credit": credit_rule,
        "profile": data,
        "awards_rules": awards_rules,
    }
    app.evaluation = frozen
    app.cap_limits = cap_limits
    app.cap_year = cap_year_of(doc, prog, report.results[index], app.year)
    app.credit_hold = credit_rule["mode"] == credit.SOFT and bool(records)
    app.policy_version = report.policy_version
    app.evaluated_on = on
    app.eval_status = result["status"]
    app.ceiling = Decimal(result["ceiling"]) if result["ceiling"] is not None else None
    session.flush()
    audit.record(session, actor="system", action="application.freeze", entity="application", entity_id=app.id, district=app.district, data={"policy_version": report.policy_version, "status": result["status"], "ceiling": result["ceiling"], "on": on, "caps": cap_limits, "cap_year": app.cap_year, "credit_records": len(records), "credit_mode": credit_rule["mode"], "credit_hold": app.credit_hold})
    return frozen


def _awards_for(session: Session, app: Application) -> list[dict]:
    """The profile's ``awards:`` — what the awards ledger holds for the enterprise in the
    application's district (``awards.service.for_profile``), this application's own excepted."""
    from huiqi.workflow.awards import service as awards

    return awards.for_profile(session=session, enterprise_id=app.enterprise_id, district=app.district, exclude_application=app.id)


_READS_AWARDS: dict[int, tuple[Any, bool]] = {}


def _engine_reads_awards(vocabulary: Any) -> bool:
    """Whether the rules engine's profile takes a top-level ``awards:`` list (older engines refuse
    an unknown top-level field: the workflow then keeps the list in the frozen profile for the
    officer, and checks the ledger itself at approval)."""
    seen = _READS_AWARDS.get(id(vocabulary))
    if seen is not None and seen[0] is vocabulary:
        return seen[1]
    try:
        parse_profile({"enterprise": {}, "claims": [], "awards": []}, vocabulary)
        reads = True
    except ProfileError as exc:
        reads = not any(p.field == "awards" for p in exc.problems)
    _READS_AWARDS[id(vocabulary)] = (vocabulary, reads)
    return reads


def _for_engine(data: dict, policies: PolicySet) -> dict:
    if "awards" in data and not _engine_reads_awards(policies.vocabulary):
        return {k: v for k, v in data.items() if k != "awards"}
    return data


def evaluate_frozen(*, session: Session, app: Application, policies: PolicySet) -> dict | None:
    """The application's frozen profile evaluated again on its frozen day, with the awards ledger
    as it stands now (``{"result", "awards"}``), or None when the engine does not read awards or
    the policy version is no longer the one frozen."""
    frozen = app.evaluation or {}
    if not frozen.get("profile") or not _engine_reads_awards(policies.vocabulary):
        return None
    programme(policies, app.programme_id)  # NotFound when the loaded policies no longer hold it
    data = copy.deepcopy(frozen["profile"])
    data["awards"] = _awards_for(session, app)
    on = dt.date.fromisoformat(frozen.get("on")) if frozen.get("on") else app.evaluated_on
    try:
        parsed = parse_profile(data, policies.vocabulary)
    except ProfileError:
        return None
    report = evaluate(policies, parsed, on=on, programmes=[app.programme_id])
    if report.policy_version != app.policy_version:
        return None
    results = report.to_dict()["results"]
    result = next((x for x in results if x["claim"] == app.claim_id), results[0] if results else None)
    return None if result is None else {"result": result, "awards": data["awards"]}


def cap_year_of(doc: Any, prog: Any, result: Any, year: int) -> int:
    """The year the per-entity annual caps count an application in, as the rules engine counts it:
    the event's year where the document dates support by event (``window_basis: event_date`` and
    the programme has an ``event_date``, e.g. 黄科委规〔2025〕2号, whose 2025 events are supported
    retroactively), else the application (round) year."""
    if doc.window_basis == "event_date" and prog.event_date is not None and getattr(result, "cap_year", 0):
        return int(result.cap_year)
    return int(year)


def _cap_limits(parsed: Any, prog: Any, doc: Any, on: dt.date, claim_id: str | None) -> list[dict]:
    from huiqi.rules import expr as E
    from huiqi.rules.engine import _Lookup

    claim = next((c for c in parsed.claims if c.id == claim_id), None)
    out = []
    for cap in doc.caps:
        if prog.id not in cap.programmes:
            continue
        limit = E.evaluate(cap.amount, _Lookup(parsed, claim, prog, doc, on))
        if isinstance(limit, (int, Decimal)) and not isinstance(limit, bool):
            item = {"cap": f"{doc.id}/{cap.id}", "limit": str(Decimal(limit)), "label_zh": cap.label_zh, "label_en": cap.label_en, "clause": cap.clause.text}
            over = getattr(cap, "over", None)
            if over in LIFETIME:  # a ceiling over the policy's life (across application years), not per year
                item["over"] = "policy"
            out.append(item)
    return out


def explain_block(result: dict) -> tuple[str, str]:
    """Why the frozen result blocks submission, in Chinese and English."""
    status = result["status"]
    if status == "needs_info":
        zh = "、".join(m["zh"] for m in result["missing"])
        en = ", ".join(m["en"] for m in result["missing"])
        return f"信息不全，请补充：{zh}", f"information missing: {en}"
    if result.get("failed"):
        zh = "；".join(f"{f.get('label_zh') or f.get('criterion')}（{f['clause'].get('ref', '')}）" for f in result["failed"])
        en = "; ".join(f"{f.get('label_en') or f.get('criterion')}" for f in result["failed"])
        return f"不符合条件：{zh}", f"not eligible: {en}"
    return result.get("reason_zh") or result["status_zh"], result.get("reason_en") or result["status_en"]


def submit(*, session: Session, application_id: int, actor: User, on: dt.date | None = None, policies: PolicySet | None = None) -> Application:
    """Submit: the round must be open, the materials complete, the engine's result not blocking."""
    from huiqi.workflow.materials import service as materials

    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    access.authorize(actor, "application.submit")
    on = on or dt.date.today()
    policies = policies or default_policies()
    if app.state != "draft":
        states.check_transition(states.APPLICATION, app.state, "submit", actor.role)
    r = session.get(Round, app.round_id) if app.round_id is not None else None
    if r is None:
        raise IllegalTransition("该申报不属于任何申报批次，不能提交", "this application belongs to no round: it cannot be submitted", field="round")
    rounds.check_accepting(r, on)
    prog, _doc = programme(policies, app.programme_id)
    access.require_channel(actor, prog.mode, app.programme_id)
    missing = materials.missing_for(session=session, app=app, policies=policies)
    if missing:
        names = "、".join(m["name"] + (f"（{m['problem_zh']}）" if m.get("problem_zh") else "") for m in missing)
        raise _materials_missing(names, missing)
    frozen = freeze(session=session, app=app, policies=policies, on=on)
    result = frozen["result"]
    records = frozen["credit_records"]
    if records and frozen["credit"]["mode"] == credit.HARD:
        # a hard credit condition (e.g. 信用记录良好): not supported, whatever else the result says
        czh, cen = credit.describe(records)
        raise IllegalTransition(f"不能提交：过去三年内有严重失信记录（{czh}），不予支持", f"cannot submit: serious-dishonesty record(s) in the last three years ({cen}): not supported", field="credit", details=records)
    if result["status"] in BLOCKING or result["status"] == "needs_info":
        zh, en = explain_block(result)
        raise IllegalTransition(f"不能提交：{zh}", f"cannot submit: {en}", field="eligibility", details=result)
    ceiling = app.ceiling
    if app.requested_amount is None:
        app.requested_amount = ceiling
    elif ceiling is not None and app.requested_amount > ceiling:
        raise CapExceeded(f"申请金额 {app.requested_amount} 元超过政策上限 {ceiling} 元", f"requested {app.requested_amount} is above the ceiling {ceiling}", field="requested_amount")
    app.submitted_at = utcnow()
    app.submitted_by = actor.id
    fire(session, machine=states.APPLICATION, obj=app, name="submit", actor=actor, stages=stages_of(app), data={"requested_amount": app.requested_amount, "ceiling": ceiling, "channel": app.channel})
    if app.credit_hold:  # 原则上不予支持: goes on through review, flagged; approval waits for an officer's decision
        audit.record(session, actor="system", action="application.credit_hold", entity="application", entity_id=app.id, district=app.district, data={"records": records, "rule": frozen["credit"].get("clause"), "by": "submission"})
    return app


def _materials_missing(names: str, missing: list[dict]) -> Exception:
    from huiqi.workflow.errors import MaterialsMissing

    return MaterialsMissing(f"缺少申报材料：{names}", f"required materials missing: {', '.join(m['id'] for m in missing)}", field="materials", details=missing)


def withdraw(*, session: Session, application_id: int, actor: User, reason: str | None = None) -> Application:
    """The enterprise withdraws its draft or submitted application."""
    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    fire(session, machine=states.APPLICATION, obj=app, name="withdraw", actor=actor, reason=reason)
    return app


def list_for(*, session: Session, actor: User, round_id: int | None = None, enterprise_id: int | None = None, state: str | None = None,
             stage: str | None = None, town: str | None = None, programme_id: str | None = None, newest_first: bool = False, limit: int | None = None) -> list[Application]:
    """The applications the actor may see (``access``), filtered by round, enterprise, state, the
    process stage their state completes, the enterprise's town/park and programme; by id."""
    q = select(Application).where(access.visible(actor, Application))
    if round_id is not None:
        q = q.where(Application.round_id == round_id)
    if enterprise_id is not None:
        q = q.where(Application.enterprise_id == enterprise_id)
    if state:
        q = q.where(Application.state == state)
    if stage:
        names = [s.name for s in states.APPLICATION.states if s.stage == stage]
        q = q.where(Application.state.in_(names) if names else false())
    if town:
        q = q.where(Application.enterprise_id.in_(select(Enterprise.id).where(Enterprise.town == town)))
    if programme_id:
        q = q.where(Application.programme_id == programme_id)
    q = q.order_by(Application.id.desc() if newest_first else Application.id)
    if limit:
        q = q.limit(max(1, min(limit, 1000)))
    return list(session.execute(q).scalars())


def summary(app: Application) -> dict:
    """A JSON-able summary of an application (for the CLI and the API)."""
    st = states.APPLICATION.state(app.state)
    return {
        "id": app.id, "round_id": app.round_id, "district": app.district, "enterprise_id": app.enterprise_id, "programme": app.programme_id, "claim": app.claim_id,
        "channel": app.channel, "year": app.year, "state": app.state, "state_zh": st.zh, "state_en": st.en,
        "requested_amount": None if app.requested_amount is None else str(app.requested_amount),
        "ceiling": None if app.ceiling is None else str(app.ceiling), "eval_status": app.eval_status, "policy_version": app.policy_version,
        "score": None if app.score is None else str(app.score), "rank": app.rank,
        "proposed_amount": None if app.proposed_amount is None else str(app.proposed_amount),
        "approved_amount": None if app.approved_amount is None else str(app.approved_amount),
        "cap_year": app.cap_year, "credit_hold": bool(app.credit_hold), "project": app.project,
    }
