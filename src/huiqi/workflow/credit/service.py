"""Credit checks (信用审查): serious-dishonesty records (严重失信) of an applicant.

What a record does is read from the policy data, never assumed:

* a **hard** rule — a programme criterion on the credit fact that is not ``soft`` (黄科委规〔2025〕2号
  一、适用范围 “信用记录良好”), or ``management.credit.soft: false`` — refuses support: the engine
  finds the application ineligible and it cannot be submitted or approved;
* a **soft** rule (原则上) — a ``soft`` criterion on the fact, or ``management.credit.soft: true``
  (金科〔2025〕25号 关于项目管理有关要求 一、信用管理: “对过去三年内有严重失信行为或违法行为的申报主体，
  原则上不予支持”) — **holds** the application: it goes on through review, flagged with the records,
  and cannot be approved until a district officer records an override with a written reason
  (:func:`override`, audited: who, when, why, which records). Never silently passed;
* no rule — the document says nothing about credit: the records are frozen with the evaluation
  for information and decide nothing.

The rule found at submission is frozen with the evaluation (``evaluation["credit"]``). Records
count from ``lookback_years`` (3) before the evaluation date; a record imported after submission
flags the application again, and approval checks the records live.

Records belong to the district whose officer imported them, and only that district's applications
consult them (a Huangpu officer's import never holds a Jinshan application). A record from before
districts were recorded (``district`` None, migration 0003) counts for every district.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import access, states
from huiqi.workflow.credit.models import CreditOverride, CreditRecord
from huiqi.workflow.errors import IllegalTransition, InvalidInput

LOOKBACK_YEARS = 3  # 金科〔2025〕25号 关于项目管理有关要求 一、信用管理: “过去三年内有严重失信行为”
DEFAULT_FACT = "enterprise.serious_dishonesty_last_3_years"
SOFT, HARD = "soft", "hard"


def years_before(on: dt.date, years: int = LOOKBACK_YEARS) -> dt.date:
    """The same calendar day ``years`` earlier (29 Feb → 28 Feb); records after it count."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def of_district(district: str | None) -> Any:
    """The records a district's applications consult: its own imports, and records from before
    districts were recorded (never silently dropped)."""
    return or_(CreditRecord.district == district, CreditRecord.district.is_(None))


def records_in_window(*, session: Session, uscc: str, district: str | None, on: dt.date, years: int = LOOKBACK_YEARS) -> list[CreditRecord]:
    """Serious-dishonesty records of ``uscc`` that ``district`` imported, dated within the ``years``
    (3) years up to ``on``."""
    since = years_before(on, years)
    q = (select(CreditRecord).where(CreditRecord.uscc == uscc, of_district(district), CreditRecord.record_date > since, CreditRecord.record_date <= on)
         .order_by(CreditRecord.record_date, CreditRecord.id))
    return list(session.execute(q).scalars())


def describe(records: list[Any]) -> tuple[str, str]:
    """The records (rows or their frozen dicts) as a short reason in Chinese and English."""
    rows = [record_dict(r) if isinstance(r, CreditRecord) else r for r in records]
    zh = "；".join(f"{r['date']} {r['authority']}：{r['description']}" for r in rows)
    en = "; ".join(f"{r['date']} {r['authority']}: {r['description']}" for r in rows)
    return zh, en


def record_dict(r: CreditRecord) -> dict:
    return {"id": r.id, "date": r.record_date.isoformat(), "authority": r.authority, "description": r.description}


# ------------------------------------------------------------------ the rule, from the policy data


def rule(prog: Any, doc: Any) -> dict:
    """The credit rule of a programme, frozen at submission: ``mode`` (soft / hard / None), the
    fact, the look-back, the criteria on the fact and the clause."""
    from huiqi.rules import expr as E

    data = (doc.management or {}).get("credit") or {}
    fact = str(data.get("fact") or DEFAULT_FACT)
    lookback = int(data.get("lookback_years") or LOOKBACK_YEARS)
    crits = [c for c in prog.criteria if fact in E.names_in(c.test)]
    hard = [c for c in crits if not c.soft]
    soft = [c for c in crits if c.soft]
    clause = (data.get("clause") or {}) if isinstance(data.get("clause"), dict) else {}
    if hard:
        mode, basis = HARD, hard[0]
    elif soft:
        mode, basis = SOFT, soft[0]
    elif data:
        mode, basis = (SOFT if data.get("soft") else HARD), None
    else:
        mode, basis = None, None
    if basis is not None:
        clause = {"text": basis.clause.text, "ref": basis.clause.ref}
    return {
        "mode": mode,
        "fact": fact,
        "lookback_years": lookback,
        "criteria": [c.id for c in crits],
        "clause": {"text": clause.get("text"), "ref": clause.get("ref")} if clause else None,
        "document": doc.number,
    }


def set_fact(*, rule: dict, records: list[Any], profile: dict, vocabulary: Any) -> None:
    """Write the credit fact the rule names (e.g. ``enterprise.serious_dishonesty_last_3_years``)
    into ``profile`` from the records found, when the vocabulary declares it."""
    subject, _, fact = rule["fact"].partition(".")
    if subject == "enterprise" and fact in vocabulary.facts_of("enterprise"):
        profile.setdefault("enterprise", {})[fact] = bool(records)


def frozen_rule(app: Any) -> dict:
    """The rule frozen with the application; an evaluation from before rules were frozen is read
    as soft (an officer decides), so that no record is ever silently passed."""
    data = (app.evaluation or {}).get("credit")
    if isinstance(data, dict) and "mode" in data:
        return data
    return {"mode": SOFT, "fact": DEFAULT_FACT, "lookback_years": LOOKBACK_YEARS, "criteria": [], "clause": None, "document": None}


# ------------------------------------------------------------------ the state of one application


def records_for(*, session: Session, app: Any) -> list[CreditRecord]:
    """Records of the applicant that count for this application: dated after ``lookback_years``
    before the evaluation date (those frozen at submission, and any imported since)."""
    from huiqi.workflow.enterprises.models import Enterprise

    if app.evaluated_on is None:
        return []
    ent = session.get(Enterprise, app.enterprise_id)
    since = years_before(app.evaluated_on, int(frozen_rule(app).get("lookback_years") or LOOKBACK_YEARS))
    q = select(CreditRecord).where(CreditRecord.uscc == ent.uscc, of_district(app.district), CreditRecord.record_date > since).order_by(CreditRecord.record_date, CreditRecord.id)
    return list(session.execute(q).scalars())


def overrides(*, session: Session, application_id: int) -> list[CreditOverride]:
    from huiqi.workflow.common import id_in_range

    if id_in_range(session, CreditOverride, application_id) is None:
        return []
    return list(session.execute(select(CreditOverride).where(CreditOverride.application_id == application_id).order_by(CreditOverride.id)).scalars())


def status(*, session: Session, app: Any) -> dict:
    """The credit check of an application: the rule, the records, the overrides, what is uncovered,
    and whether it is held (soft rule, records not covered by an override) or barred (hard rule)."""
    r = frozen_rule(app)
    records = records_for(session=session, app=app)
    ovs = overrides(session=session, application_id=app.id)
    covered = {x["id"] for o in ovs for x in o.records}
    uncovered = [x for x in records if x.id not in covered]
    return {
        "mode": r["mode"],
        "rule": r,
        "records": [record_dict(x) for x in records],
        "uncovered": [record_dict(x) for x in uncovered],
        "overrides": ovs,
        "held": r["mode"] == SOFT and bool(uncovered),
        "barred": r["mode"] == HARD and bool(records),
    }


HOLD_ZH = "信用审查中：过去三年内有严重失信记录，原则上不予支持，须区级主管部门审查决定"
HOLD_EN = "held for a credit check: serious-dishonesty record(s) in the last three years; in principle not supported unless the district department decides otherwise"


def check_cleared(*, session: Session, app: Any) -> dict:
    """Raise unless the credit check allows approval (called by approve)."""
    st = status(session=session, app=app)
    if st["barred"]:
        zh, en = describe(st["records"])
        raise IllegalTransition(f"不予支持：过去三年内有严重失信记录（{zh}）", f"not supported: serious-dishonesty record(s) in the last three years ({en})", field="credit", details=st["records"])
    if st["held"]:
        zh, en = describe(st["uncovered"])
        raise IllegalTransition(
            f"不能立项：{HOLD_ZH}（{zh}）。请先由区级经办人登记信用审查意见（同意支持的书面理由）",
            f"cannot approve: {HOLD_EN} ({en}). A district officer must first record a credit override with a written reason",
            field="credit", details=st["uncovered"],
        )
    return st


def override(*, session: Session, application_id: int, actor: Any, reason: str, on: dt.date | None = None) -> CreditOverride:
    """A district officer decides to support the applicant despite its records (原则上 allows it),
    with a written reason. Covers every record found now; audited."""
    from huiqi.workflow.applications.service import get

    app = get(session=session, application_id=application_id, actor=actor, lock=True)
    access.authorize(actor, "application.credit_override")
    st_app = states.APPLICATION.state(app.state)
    if app.state == "draft" or st_app.final or app.state == "approved":
        raise IllegalTransition(f"申报{st_app.zh}，不能登记信用审查意见", f"the application is {st_app.en}: no credit decision can be recorded", field="state")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("须写明不适用“原则上不予支持”、同意继续支持的理由", "a written reason is required to support an applicant with serious-dishonesty records", field="reason")
    st = status(session=session, app=app)
    if st["mode"] == HARD:
        raise IllegalTransition("该项目的信用条件不是“原则上”条件，不能以书面理由替代", "this programme's credit condition is not an 'in principle' one: it cannot be overridden", field="credit")
    if not st["uncovered"]:
        raise IllegalTransition("没有待审查的严重失信记录", "there is no serious-dishonesty record awaiting a decision", field="credit")
    o = CreditOverride(application_id=app.id, actor_id=actor.id, reason=reason, decided_on=on or dt.date.today(), records=st["uncovered"])
    session.add(o)
    app.credit_hold = False
    session.flush()
    audit.record(session, actor=actor.username, action="application.credit_override", entity="application", entity_id=app.id, district=app.district, reason=reason,
                 data={"records": st["uncovered"], "decided_on": o.decided_on, "rule": st["rule"].get("clause"), "override": o.id})
    return o


def flag_after_import(*, session: Session, usccs: set[str], district: str | None, actor: Any) -> list[int]:
    """After ``district``'s credit import: hold every open application of these enterprises in that
    district whose soft rule now has an uncovered record (audited). Returns the ids held."""
    from huiqi.workflow.applications.models import Application
    from huiqi.workflow.enterprises.models import Enterprise

    if not usccs:
        return []
    open_states = [s.name for s in states.APPLICATION.states if not s.final and s.name not in ("draft", "approved")]
    q = (select(Application).join(Enterprise, Enterprise.id == Application.enterprise_id)
         .where(Enterprise.uscc.in_(sorted(usccs)), Application.district == district, Application.state.in_(open_states), Application.credit_hold.is_(False)).order_by(Application.id))
    held = []
    for app in session.execute(q).scalars():
        st = status(session=session, app=app)
        if st["held"]:
            app.credit_hold = True
            audit.record(session, actor=actor.username, action="application.credit_hold", entity="application", entity_id=app.id, district=app.district, data={"records": st["uncovered"], "by": "import"})
            held.append(app.id)
    session.flush()
    return held


def view(*, session: Session, app: Any, actor: Any) -> dict:
    """What the actor sees of the credit check of an application it may see: officers and auditors
    everything (records, what is uncovered, the overrides: who, when, why — ``credit.decisions``);
    everyone else who may see the application (the enterprise, its town reviewer, its experts —
    the frozen evaluation shows the records anyway) the hold and the records, not the officers'
    decisions."""
    st = status(session=session, app=app)
    out: dict = {"held": st["held"], "barred": st["barred"], "mode": st["mode"], "records": st["records"]}
    if st["held"]:
        out.update(message_zh=HOLD_ZH, message_en=HOLD_EN)
    if access.role_may(actor.role, "credit.decisions"):
        from huiqi.workflow.users.models import User

        out["uncovered"] = st["uncovered"]
        out["rule"] = st["rule"]
        out["overrides"] = [
            {"id": o.id, "actor": getattr(session.get(User, o.actor_id), "username", None), "at": o.created_at.isoformat(), "decided_on": o.decided_on.isoformat(), "reason": o.reason, "records": o.records}
            for o in st["overrides"]
        ]
    return out
