"""The awards ledger (``awards``): written in the approval's transaction, read back into the profile
the rules engine evaluates (its top-level ``awards:`` list), and checked again at approval under the
enterprise's row lock.

* **Count once across rounds** (金科〔2025〕25号 “同一药品不同规格视为同一品种”, 专题二 line 292;
  “按每个品种…”, 开拓市场 专题二 line 842): an award carries the claim's count-once key values
  (``{"drug.variety": "…"}``); a later approval of the same programme with the same key while the
  earlier award stands is refused, naming it (:func:`repeats`).
* **The same project** (黄科委规〔2025〕2号 三、保障措施（三）, line 85: “除有明确规定外，同一项目不可重复享受
  同级财政资金资助”): where a document declares it (``management.double_funding``), an approval of a
  project already awarded district-level funds in the same district — under another measure or
  round — is held: refused unless the officer writes the reason (the “明确规定” that allows it),
  naming the earlier award (:func:`same_project`).
* **Lifetime ceilings**: caps that count over the policy's life (``over: policy``) are charged on
  the cap ledger row of year 0 (``decisions.service.charge_caps``), whatever the application year.
* **Completion dates and extensions** (关于项目管理有关要求 三（二）“实施期限发生变更”, line 1640; 四（四）
  “项目在延期 2 年后仍不能按时完成”, line 1663): :func:`set_completion`, :func:`extend` (from an approved
  change request), :func:`check_late_after_extension`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.calendar import add_period
from huiqi.workflow import access
from huiqi.workflow.applications.models import Application
from huiqi.workflow.awards.models import Award, AwardExtension
from huiqi.workflow.common import day_or_today, plain
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import IllegalTransition, InvalidInput, NotFound
from huiqi.workflow.users.models import User

ACTIVE, REVOKED, CLAWED_BACK = "active", "revoked", "clawed_back"
STATE_LABELS = {ACTIVE: ("有效", "active"), REVOKED: ("已撤销", "revoked"), CLAWED_BACK: ("已撤销并收回", "revoked and recovered")}


# ------------------------------------------------------------------ reading the programme's count-once rule


def once_rule(prog: Any) -> dict | None:
    """The programme's count-once rule as ``{"facts": [...], "within": "policy" | "year" | {"years": N},
    "clause": text}``, or None. Reads the engine's ``once`` declaration where the policy model has
    one, else ``support.count_once_per`` (one award per value over the policy's life)."""
    once = getattr(prog, "once", None) or getattr(getattr(prog, "support", None), "once", None)
    if once:
        facts = getattr(once, "key", None) or getattr(once, "facts", None) or getattr(once, "per", None)
        if isinstance(facts, dict):
            facts = list(facts)
        if isinstance(facts, str):
            facts = [facts]
        within = getattr(once, "within", None) or "policy"
        years = getattr(once, "years", None)
        if years:
            within = {"years": int(years)}
        clause = getattr(getattr(once, "clause", None), "text", None)
        sharing = [str(p) for p in getattr(once, "programmes", None) or ()]
        if facts:
            return {"facts": list(facts), "within": within, "clause": clause, "programmes": sharing}
    fact = getattr(getattr(prog, "support", None), "count_once_per", None)
    if fact:
        c = prog.support.count_once_clause or prog.support.clause
        return {"facts": [fact], "within": "policy", "clause": c.text if c else None}
    return None


def rules_of(prog: Any, doc: Any) -> dict:
    """What the ledger checks for a programme, from the policy: its document, its count-once rule,
    the document's double-funding rule. Frozen with the evaluation at submission (an application is
    judged by the policy version it was evaluated under)."""
    return {"document": doc.id, "once": once_rule(prog), "double_funding": double_funding_rule(doc)}


def rules_for(app: Application, policies: Any = None) -> dict:
    """The application's frozen ledger rules; for one frozen before they were (or a programme no
    longer loaded): read from the loaded policies where the programme is found, else none."""
    frozen = (app.evaluation or {}).get("awards_rules")
    if frozen:
        return frozen
    from huiqi.workflow.policy import default_policies, programme

    try:
        prog, doc = programme(policies or default_policies(), app.programme_id)
    except NotFound:
        return {"document": "unknown", "once": None, "double_funding": None}
    return rules_of(prog, doc)


def _claim_raw(app: Application) -> dict:
    prof = (app.evaluation or {}).get("profile") or app.profile or {}
    for c in prof.get("claims") or []:
        if isinstance(c, dict) and c.get("id") == app.claim_id:
            return c
    return {}


def key_of(app: Any, rule: dict | None) -> dict | None:
    """The application's count-once key values (``{fact: value}``) from its frozen profile, under the
    programme's count-once ``rule`` (:func:`once_rule`): {} when there is no rule or the rule counts
    per enterprise only (``per: [enterprise]``: the award is the enterprise's own); None when a
    value is missing (nothing to compare)."""
    if not rule:
        return {}
    prof = (app.evaluation or {}).get("profile") or app.profile or {}
    claim = _claim_raw(app)
    out = {}
    for fact in rule["facts"]:
        if fact == "enterprise":  # one per enterprise: every award here is the enterprise's own
            continue
        subject, _, name = str(fact).partition(".")
        source = prof.get("enterprise") or {} if subject == "enterprise" else claim
        value = source.get(name) if isinstance(source, dict) else None
        if value in (None, ""):
            return None
        out[fact] = value if isinstance(value, (str, int, bool)) else str(value)
    return out


def project_of(app: Application) -> str | None:
    """The project identity the application claims (its own column, else its claim's ``project``)."""
    p = app.project or _claim_raw(app).get("project")
    return str(p).strip() or None if p not in (None, "") else None


# ------------------------------------------------------------------ the ledger


def _describe(a: Award) -> tuple[str, str]:
    where = f"批次 {a.round_code}" if a.round_code else "免申即享"
    zh = f"{a.year} 年度 {a.programme}（{where}，申报 {a.application_id}）已于 {a.decided_on} 核定 {a.amount} 元"
    en = f"{a.programme} for {a.year} ({'round ' + a.round_code if a.round_code else 'automatic grant'}, application {a.application_id}): {a.amount} approved on {a.decided_on}"
    return zh, en


def describe(a: Award) -> dict:
    """An award for people and the JSON views: the fields, and one sentence in each language."""
    zh, en = _describe(a)
    s = STATE_LABELS.get(a.state, (a.state, a.state))
    return {
        "id": a.id, "application_id": a.application_id, "district": a.district, "enterprise_id": a.enterprise_id,
        "document": a.document, "programme": a.programme, "claim": a.claim_id, "round": a.round_code, "year": a.year,
        "amount": str(a.amount), "released": str(a.released), "held": str(held(a)), "key": a.key, "project": a.project,
        "decided_on": plain(a.decided_on), "state": a.state, "state_zh": s[0], "state_en": s[1],
        "revoked_on": plain(a.revoked_on), "completion_due": plain(a.completion_due), "extended_due": plain(a.extended_due),
        "completed_on": plain(a.completed_on), "zh": zh, "en": en,
    }


def held(a: Award) -> Decimal:
    """What of the award still counts: the approved sum less what was never paid (revocation) or
    was recovered (claw-back)."""
    return max(a.amount - (a.released or Decimal(0)), Decimal(0))


def record(*, session: Session, app: Application, rules: dict, decision_id: int | None, amount: Decimal, on: dt.date, actor: User) -> Award:
    """Write the award of an approval (called by ``decisions.flows.approve``, in its transaction); audited."""
    from huiqi.workflow.decisions.service import cap_year
    from huiqi.workflow.rounds.models import Round

    r = session.get(Round, app.round_id) if app.round_id else None
    a = Award(
        application_id=app.id, decision_id=decision_id, district=app.district, enterprise_id=app.enterprise_id,
        document=rules["document"], programme=app.programme_id, claim_id=app.claim_id, round_code=r.code if r else None,
        year=cap_year(app), amount=amount, key=key_of(app, rules.get("once")) or {}, project=project_of(app), decided_on=on, state=ACTIVE,
        released=Decimal(0),
    )
    session.add(a)
    session.flush()
    audit.record(session, actor=actor.username, action="award.record", entity="award", entity_id=a.id, district=a.district,
                 data={"application": app.id, "decision": decision_id, "document": a.document, "programme": a.programme, "year": a.year,
                       "amount": amount, "key": a.key, "project": a.project, "decided_on": on})
    return a


def _standing(session: Session, *, enterprise_id: int, district: str | None, exclude: int | None = None) -> list[Award]:
    q = select(Award).where(Award.enterprise_id == enterprise_id, Award.district == district).order_by(Award.decided_on, Award.id)
    if exclude is not None:
        q = q.where(Award.application_id != exclude)
    return [a for a in session.execute(q).scalars() if held(a) > 0]


def for_profile(*, session: Session, enterprise_id: int, district: str | None, exclude_application: int | None = None) -> list[dict]:
    """The profile's ``awards:`` list: the enterprise's awards in the district that still count
    (active, or revoked with money still held), in the engine's shape — ``{programme, document,
    year, amount, key, project, decided_on}`` (amount: what is still held, yuan as a string).

    Reading: only the same district's awards — the documents' count-once and caps are within one
    document, and Huangpu's “同级财政资金” is district-level money; another district's awards are
    another tenant's records and are not shown to this one."""
    out = []
    for a in _standing(session, enterprise_id=enterprise_id, district=district, exclude=exclude_application):
        item = {"programme": a.programme, "document": a.document, "year": a.year, "amount": str(held(a)), "key": dict(a.key or {}), "decided_on": a.decided_on.isoformat()}
        if a.project:
            item["project"] = a.project
        out.append(item)
    return out


def lock_enterprise(session: Session, enterprise_id: int) -> Enterprise:
    """The enterprise row, locked FOR UPDATE: approvals of one enterprise's awards are serialised
    (the lock order: round → application → enterprise → cap ledger rows)."""
    return session.execute(select(Enterprise).where(Enterprise.id == enterprise_id).with_for_update().execution_options(populate_existing=True)).scalar_one()


def _in_window(a: Award, within: Any, year: int) -> bool:
    if within == "year":
        return a.year == year
    if isinstance(within, dict) and within.get("years"):
        return abs(a.year - year) < int(within["years"])
    return True  # over the policy's life


def repeats(*, session: Session, app: Application, rules: dict) -> list[Award]:
    """Standing awards of the same programme and document with the application's count-once key
    (within the rule's window: the policy's life, the year, or N years)."""
    from huiqi.workflow.decisions.service import cap_year

    rule = rules.get("once")
    key = key_of(app, rule)
    if not rule or key is None:
        return []
    year = cap_year(app)
    sharing = {app.programme_id, *(rule.get("programmes") or [])}
    return [
        a for a in _standing(session, enterprise_id=app.enterprise_id, district=app.district, exclude=app.id)
        if a.document == rules["document"] and a.programme in sharing and all((a.key or {}).get(k) == v for k, v in key.items())
        and _in_window(a, rule["within"], year)
    ]


def double_funding_rule(doc: Any) -> dict | None:
    """The document's rule against funding one project twice from the same level (``management.double_funding``)."""
    rule = (getattr(doc, "management", None) or {}).get("double_funding")
    return rule if isinstance(rule, dict) else None


def same_project(*, session: Session, app: Application, rules: dict) -> list[Award]:
    """Standing awards of the same district (the same level of public funds) for the same project,
    under any measure or round — where the document forbids double funding."""
    project = project_of(app)
    if not project or not rules.get("double_funding"):
        return []
    return [a for a in _standing(session, enterprise_id=app.enterprise_id, district=app.district, exclude=app.id) if a.project == project]


def check_at_approval(*, session: Session, app: Application, rules: dict, reason: str | None) -> dict:
    """Refuse a repeat award (count once) naming the earlier one; hold a same-project award for the
    officer's written reason. Returns what was found (for the audit entry)."""
    from huiqi.workflow.errors import CapExceeded

    rep = repeats(session=session, app=app, rules=rules)
    if rep:
        rule = rules["once"]
        zh, en = _describe(rep[0])
        keys = "、".join(f"{v}" for v in (rep[0].key or {}).values()) or "单位"
        span = {"year": ("同一支持年度内", "in the same support year")}.get(rule["within"]) if isinstance(rule["within"], str) else None
        if isinstance(rule["within"], dict):
            span = (f"{rule['within']['years']} 个支持年度内", f"within {rule['within']['years']} support years")
        span = span or ("政策有效期内", "over the policy's life")
        raise CapExceeded(
            f"同一{keys}{span[0]}已获支持，不能再次立项：{zh}（{rule.get('clause') or '只计一次'}）",
            f"{keys} has already been supported {span[1]}, it cannot be approved again: {en}",
            field="awards", details={"earlier": [describe(a) for a in rep], "clause": rule.get("clause")},
        )
    same = same_project(session=session, app=app, rules=rules)
    if same and not reason:
        rule = rules.get("double_funding") or {}
        zh, en = _describe(same[0])
        clause = (rule.get("clause") or {}).get("text") or ""
        raise IllegalTransition(
            f"项目“{project_of(app)}”已享受同级财政资金资助：{zh}。{clause} 如有明确规定允许，须写明理由后立项",
            f"project {project_of(app)!r} already has district-level funds: {en}. Approving it again needs a written reason naming the provision that allows it",
            field="reason", details={"earlier": [describe(a) for a in same], "clause": rule.get("clause")},
        )
    return {"same_project": [a.id for a in same]} if same else {}


# ------------------------------------------------------------------ after approval: revocation, recovery


def of_application(session: Session, application_id: int) -> Award | None:
    return session.execute(select(Award).where(Award.application_id == application_id)).scalar_one_or_none()


def mark_revoked(*, session: Session, app: Application, on: dt.date, released: Decimal, actor: User, ground: str) -> Award | None:
    """Mark the application's award revoked (the unpaid part released); audited. Never deleted."""
    a = of_application(session, app.id)
    if a is None:
        return None
    a.state = CLAWED_BACK if released >= a.amount else REVOKED
    a.revoked_on = on
    a.released = min(a.amount, (a.released or Decimal(0)) + released)
    session.flush()
    audit.record(session, actor=actor.username, action="award.revoke", entity="award", entity_id=a.id, district=a.district,
                 data={"application": app.id, "ground": ground, "released": released, "held": held(a), "state": a.state, "on": on})
    return a


def mark_recovered(*, session: Session, app: Application, amount: Decimal, actor: User) -> Award | None:
    """A claw-back recovered: that much of the award no longer counts; audited."""
    a = of_application(session, app.id)
    if a is None:
        return None
    a.released = min(a.amount, (a.released or Decimal(0)) + amount)
    if held(a) == 0:
        a.state = CLAWED_BACK
    session.flush()
    audit.record(session, actor=actor.username, action="award.recover", entity="award", entity_id=a.id, district=a.district,
                 data={"application": app.id, "recovered": amount, "held": held(a), "state": a.state})
    return a


# ------------------------------------------------------------------ reading the ledger


def get(*, session: Session, award_id: Any, actor: User, lock: bool = False) -> Award:
    """An award the actor may see, else NotFound."""
    return access.get(session, actor, Award, award_id, field="award", lock=lock)


def for_application(*, session: Session, application_id: int, actor: User) -> Award:
    """The award of an application the actor may see, else NotFound."""
    from huiqi.workflow.applications.service import get as get_app

    app = get_app(session=session, application_id=application_id, actor=actor)
    a = of_application(session, app.id)
    if a is None or not access.may(session, actor, "award.read", a):
        raise NotFound(f"申报 {app.id} 尚无核定的支持", f"application {app.id} has no award", field="application")
    return a


def list_for(*, session: Session, actor: User, enterprise_id: int | None = None, programme: str | None = None, state: str | None = None) -> list[Award]:
    """The awards the actor may see (a district's officers and auditors: the district's; an
    enterprise user: its own), oldest first."""
    access.authorize(actor, "award.read")
    q = select(Award).where(access.visible(actor, Award)).order_by(Award.decided_on, Award.id)
    if enterprise_id is not None:
        key = access.as_id(enterprise_id)
        if key is None:  # names no enterprise: nothing to list
            return []
        q = q.where(Award.enterprise_id == key)
    if programme:
        q = q.where(Award.programme == programme)
    if state:
        q = q.where(Award.state == state)
    return list(session.execute(q).scalars())


def extensions(*, session: Session, award_id: int, actor: User) -> list[AwardExtension]:
    a = get(session=session, award_id=award_id, actor=actor)
    access.authorize(actor, "award.read")
    return list(session.execute(select(AwardExtension).where(AwardExtension.award_id == a.id).order_by(AwardExtension.id)).scalars())


# ------------------------------------------------------------------ completion dates and extensions (item 15)


def due(a: Award) -> dt.date | None:
    """The completion date in force: the last approved extension's, else the approved one."""
    return a.extended_due or a.completion_due


def set_completion(*, session: Session, application_id: int, due_on: dt.date | str, actor: User, completed_on: dt.date | str | None = None) -> Award:
    """Record an award's approved completion date (批准的完成期限) — once; a later date is an
    extension (:func:`extend`, from an approved change request) — and/or its completion; audited."""
    a = for_application(session=session, application_id=application_id, actor=actor)
    access.authorize(actor, "award.completion")
    a = get(session=session, award_id=a.id, actor=actor, lock=True)
    day = day_or_today(due_on, field="due_on") if due_on not in (None, "") else None
    done = day_or_today(completed_on, field="completed_on") if completed_on not in (None, "") else None
    if day is None and done is None:
        raise InvalidInput("须给出完成期限或完成日期", "give the completion date or the day it was completed", field="due_on")
    if day is not None:
        if a.completion_due is not None and day != a.completion_due:
            raise IllegalTransition(
                f"已登记批准的完成期限 {a.completion_due}；改期须经项目变更（实施期限变更）批准",
                f"the approved completion date {a.completion_due} is recorded; changing it takes an approved change request (period)",
                field="due_on",
            )
        if day < a.decided_on:
            raise InvalidInput(f"完成期限 {day} 早于立项日 {a.decided_on}", f"the completion date {day} is before the approval {a.decided_on}", field="due_on")
        a.completion_due = day
    if done is not None:
        a.completed_on = done
    session.flush()
    audit.record(session, actor=actor.username, action="award.completion", entity="award", entity_id=a.id, district=a.district,
                 data={"application": a.application_id, "completion_due": a.completion_due, "completed_on": a.completed_on})
    return a


def extend(*, session: Session, application_id: int, new_due: dt.date, actor: User, change_id: int | None, reason: str | None) -> AwardExtension:
    """An approved extension (延期) sets a new completion date (later than the one in force); audited.
    Called by ``changes.service.decide_change`` when a period change carrying ``new_due`` is approved."""
    a = of_application(session, application_id)
    if a is None:
        raise IllegalTransition(f"申报 {application_id} 尚无核定的支持，不能延期", f"application {application_id} has no award to extend", field="application")
    current = due(a)
    if current is None:
        raise IllegalTransition(
            "尚未登记批准的完成期限，不能延期（请先登记：huiqi award completion）",
            "no approved completion date is recorded: record it first (huiqi award completion)", field="new_due",
        )
    if new_due <= current:
        raise InvalidInput(f"延期后的完成期限 {new_due} 须晚于现行期限 {current}", f"the extended date {new_due} must be after the current one {current}", field="new_due")
    ext = AwardExtension(award_id=a.id, application_id=a.application_id, change_id=change_id, district=a.district, previous_due=current, new_due=new_due, reason=reason, actor_id=actor.id)
    a.extended_due = new_due
    session.add(ext)
    session.flush()
    audit.record(session, actor=actor.username, action="award.extend", entity="award", entity_id=a.id, district=a.district, reason=reason,
                 data={"application": a.application_id, "change": change_id, "previous_due": current, "new_due": new_due, "extension": ext.id})
    return ext


def check_late_after_extension(*, session: Session, app: Application, ground: dict, day: dt.date) -> dict:
    """The ground “项目在延期 2 年后仍不能按时完成” (金科〔2025〕25号 关于项目管理有关要求 四（四）, line 1663):
    refused unless the award has an approved completion date, at least one approved extension, is
    not completed, and ``day`` is after the last day the ground allows revoking from.

    Reading (``years_after_extension``, the ground's note): the extensions give the project up to
    N years beyond its approved completion date; the ground applies once the extended date has
    passed *and* N years from the approved completion date have run (民法典第二百零一条) — with an
    extension of exactly N years, the day after the extended date."""
    a = of_application(session, app.id)
    if a is None or a.completion_due is None:
        raise IllegalTransition(
            "未登记该项目批准的完成期限，不能以“延期后仍不能按时完成”撤销（请先登记完成期限与延期批复）",
            "no approved completion date is recorded for this project: it cannot be revoked as late after an extension (record the date and the extensions first)",
            field="ground",
        )
    if a.extended_due is None:
        raise IllegalTransition(
            f"该项目未经批准延期（完成期限 {a.completion_due}），不适用“在延期后仍不能按时完成”",
            f"the project was never extended (due {a.completion_due}): the ground 'still late after an extension' does not apply",
            field="ground",
        )
    if a.completed_on is not None and a.completed_on <= a.extended_due:
        raise IllegalTransition(f"项目已于 {a.completed_on} 完成", f"the project was completed on {a.completed_on}", field="ground")
    years = int(ground.get("years_after_extension") or 0)
    from_years = add_period(a.completion_due, years=years) if years else a.completion_due
    last = max(a.extended_due, from_years)
    if day <= last:
        raise IllegalTransition(
            f"延期后的完成期限为 {a.extended_due}（批准的完成期限 {a.completion_due}，延期 {years} 年的期限至 {from_years}）；"
            f"{last} 届满之前（{day}）不能以“在延期 {years} 年后仍不能按时完成”撤销",
            f"the extended completion date is {a.extended_due} (approved {a.completion_due}; {years} years run to {from_years}): "
            f"the ground 'still late {years} years after an extension' cannot be used before {last} has passed (on {day})",
            field="on", details={"completion_due": str(a.completion_due), "extended_due": str(a.extended_due), "years_end": str(from_years), "earliest": str(last + dt.timedelta(days=1))},
        )
    return {"completion_due": a.completion_due, "extended_due": a.extended_due, "years_end": from_years}
