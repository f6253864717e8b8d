"""Demo data for ``huiqi serve --demo``: a system administrator, and for each district (Jinshan,
Huangpu) its officer, town/park reviewers, expert pool, auditor, enterprises and their users
(password ``DEMO_PASSWORD``), an open round and applications at several stages.

The programmes and facts come from the real policy files; the enterprises are invented (their
USCCs are made with ``make_uscc`` and are valid, but belong to nobody).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.uscc import make_uscc
from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.materials import service as materials
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.rounds import service as rounds
from huiqi.workflow.users import service as users

DEMO_PASSWORD = "huiqi-demo-2026"
_PDF = b"%PDF-1.4\n% huiqi demo material\n"


def _jinshan_profile(town: str) -> dict:
    return {"enterprise": {"registered_district": "金山区", "town": town, "independent_legal_person": True, "biomed_business": True, "sales_settled_in_district": True, "sound_financial_system": True}}


def seed_demo(session: Session, policies: PolicySet, *, today: dt.date | None = None) -> dict:
    """Create the demo data in ``session`` (the caller commits); return the users and their password."""
    today = today or dt.date.today()
    year = today.year
    u = {"admin": users.bootstrap_admin(session=session, username="admin", password=DEMO_PASSWORD, display_name="系统管理员", policies=policies)}
    for name, district, dept in (("officer-js", "金山区", "金山区科委"), ("officer-hp", "黄浦区", "黄浦区科委")):
        u[name] = users.create(session=session, username=name, password=DEMO_PASSWORD, role=states.OFFICER, district=district, department=dept, actor=u["admin"], policies=policies)
    # each district's officer registers its enterprises and creates its district's users
    e_js1 = enterprises.create(session=session, uscc=make_uscc("91310116MA1DEM001"), name="金山示范生物医药有限公司", district="金山区", town="亭林镇", actor=u["officer-js"])
    e_js2 = enterprises.create(session=session, uscc=make_uscc("91310116MA1DEM002"), name="山阳示范医疗器械有限公司", district="金山区", town="山阳镇", actor=u["officer-js"])
    e_hp = enterprises.create(session=session, uscc=make_uscc("91310101MA1DEM003"), name="黄浦示范转化医学有限公司", district="黄浦区", town="外滩街道", actor=u["officer-hp"])
    for name, role, extra, by in (
        ("reviewer-tinglin", states.REVIEWER, {"town": "亭林镇"}, "officer-js"),
        ("reviewer-shanyang", states.REVIEWER, {"town": "山阳镇"}, "officer-js"),
        ("expert-js1", states.EXPERT, {}, "officer-js"),
        ("expert-js2", states.EXPERT, {}, "officer-js"),
        ("expert-js3", states.EXPERT, {}, "officer-js"),
        ("auditor-js", states.AUDITOR, {}, "officer-js"),
        ("ent-js1", states.ENTERPRISE, {"enterprise_id": e_js1.id}, "officer-js"),
        ("ent-js2", states.ENTERPRISE, {"enterprise_id": e_js2.id}, "officer-js"),
        ("reviewer-waitan", states.REVIEWER, {"town": "外滩街道"}, "officer-hp"),
        ("expert-hp1", states.EXPERT, {}, "officer-hp"),
        ("expert-hp2", states.EXPERT, {}, "officer-hp"),
        ("auditor-hp", states.AUDITOR, {}, "officer-hp"),
        ("ent-hp", states.ENTERPRISE, {"enterprise_id": e_hp.id}, "officer-hp"),
    ):
        u[name] = users.create(session=session, username=name, password=DEMO_PASSWORD, role=role, actor=u[by], policies=policies, **extra)
    users.declare_tie(session=session, expert_id=u["expert-js3"].id, enterprise_id=e_js1.id, reason="演示：曾任该企业顾问 / demo: former adviser", actor=u["expert-js3"])
    opens, closes = today - dt.timedelta(days=14), today + dt.timedelta(days=60)
    period = (dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31))
    js_progs = [p for p in ("J2.3", "J2.5", "J1.1") if policies.programme(p)]
    hp_progs = [p for p in ("H1", "H5") if policies.programme(p)]
    r_js = rounds.create(session=session, code=f"JS-{year}-BIO", name=f"{year} 年度金山区生物医药产业项目申报", programmes=js_progs, year=year, opens_on=opens, closes_on=closes, period_start=period[0], period_end=period[1], budget="20000000", actor=u["officer-js"], policies=policies)
    rounds.open_round(session=session, round_id=r_js.id, actor=u["officer-js"])
    r_hp = rounds.create(session=session, code=f"HP-{year}-MED", name=f"{year} 年度黄浦区产医融合项目申报", programmes=hp_progs, year=year, opens_on=opens, closes_on=closes, budget="10000000", actor=u["officer-hp"], policies=policies)
    rounds.open_round(session=session, round_id=r_hp.id, actor=u["officer-hp"])

    made = {}
    if "J2.3" in js_progs:
        # 专题三: 实际研发费用 1,500 万元 × 10% = 150 万元 (择优最高 200 万元)
        prof = _jinshan_profile("亭林镇")
        prof["claims"] = [{"id": "drug-1", "kind": "drug", "variety": "示范片", "category": "化学药", "first_registration_in_district": True, "sold_in_district": True, "registration_date": f"{year - 1}-06-18", "rd_cost": "15000000"}]
        a = applications.create_draft(session=session, round_id=r_js.id, enterprise_id=e_js1.id, programme_id="J2.3", profile=prof, actor=u["ent-js1"], policies=policies)
        for item in materials.checklist(session=session, application_id=a.id, actor=u["ent-js1"], policies=policies):
            if item["required"] and not item.get("when"):
                materials.upload(session=session, application_id=a.id, material_id=item["id"], filename=f"{item['id']}.pdf", content=_PDF + item["id"].encode(), stamped=item["stamped"], actor=u["ent-js1"], policies=policies)
        applications.submit(session=session, application_id=a.id, actor=u["ent-js1"], on=today, policies=policies)
        reviews.town_confirm(session=session, application_id=a.id, actor=u["reviewer-tinglin"], confirmed=True, opinion="辖区企业，信息属实")
        reviews.district_check(session=session, application_id=a.id, actor=u["officer-js"], passed=True, opinion="材料齐全")
        made["in_review"] = a.id
    if "J2.5" in js_progs:
        prof = _jinshan_profile("山阳镇")
        prof["enterprise"]["device_business"] = True
        prof["claims"] = [{"id": "device-1", "kind": "device", "device_class": "III", "newly_registered": True, "sold_in_district": True, "registration_date": f"{year - 1}-09-01", "rd_cost": "8000000"}]
        made["draft"] = applications.create_draft(session=session, round_id=r_js.id, enterprise_id=e_js2.id, programme_id="J2.5", profile=prof, actor=u["ent-js2"], policies=policies).id
    if "H1" in hp_progs:
        made["huangpu_draft"] = applications.create_draft(session=session, round_id=r_hp.id, enterprise_id=e_hp.id, programme_id="H1", profile={"enterprise": {"registered_district": "黄浦区"}, "claims": [{"id": "proj-1", "kind": "frontier_project"}]}, actor=u["ent-hp"], policies=policies).id
    from huiqi.workflow.records.demo import seed_register  # issue 19: the register's records (imported lists)

    seed_register(session, policies, officer_js=u["officer-js"], officer_hp=u["officer-hp"], today=today)
    session.flush()
    # the mark that this database is a demo one (``huiqi serve --demo`` runs on no other), naming the
    # users it made — the only ones ever shown beside the demo password
    audit.record(session, actor="system", action="demo.seed", entity="demo", entity_id="1", district=None,
                 data={"users": sorted(u), "rounds": [r_js.code, r_hp.code]})
    return {"password": DEMO_PASSWORD, "users": {k: v.role for k, v in u.items()}, "rounds": [r_js.code, r_hp.code], "applications": made}


DEMO_USERNAMES = (
    "admin", "officer-js", "officer-hp", "reviewer-tinglin", "reviewer-shanyang", "expert-js1", "expert-js2", "expert-js3",
    "auditor-js", "ent-js1", "ent-js2", "reviewer-waitan", "expert-hp1", "expert-hp2", "auditor-hp", "ent-hp",
)
DEMO_USCC_STEMS = ("91310116MA1DEM001", "91310116MA1DEM002", "91310101MA1DEM003")


def demo_users(session: Session) -> list[str] | None:
    """The users ``seed_demo`` made in this database, or None if it never ran here. A database seeded
    before the ``demo.seed`` mark existed counts as a demo one when it holds the three demo
    enterprises and no user but the demo's."""
    from sqlalchemy import select

    from huiqi.audit import AuditEntry
    from huiqi.workflow.enterprises.models import Enterprise
    from huiqi.workflow.users.models import User

    q = select(AuditEntry).where(AuditEntry.action == "demo.seed").order_by(AuditEntry.seq).limit(1)
    entry = session.execute(q).scalar_one_or_none()
    if entry is not None:
        return list((entry.data or {}).get("users") or [])
    names = set(session.execute(select(User.username)).scalars())
    usccs = set(session.execute(select(Enterprise.uscc)).scalars())
    if names and names <= set(DEMO_USERNAMES) and {make_uscc(x) for x in DEMO_USCC_STEMS} <= usccs:
        return sorted(names)
    return None
