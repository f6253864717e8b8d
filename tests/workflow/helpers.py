"""Builders shared by the workflow tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from huiqi.uscc import make_uscc
from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.materials import service as materials
from huiqi.workflow.rounds import service as rounds
from huiqi.workflow.users import service as users

PDF = b"%PDF-1.4\n% test\n"
OPEN = dt.date(2026, 3, 2)
SUBMIT_DAY = dt.date(2026, 3, 10)


@dataclass
class World:
    policies: object
    admin: object
    officer: object
    reviewer: object
    experts: list
    auditor: object
    ent: list = field(default_factory=list)
    ent_users: list = field(default_factory=list)
    round: object = None


def uscc(n: int) -> str:
    return make_uscc(f"91310116MA1{n:06d}")


def base_profile(**enterprise) -> dict:
    e = {"registered_district": "金山区", "town": "亭林镇", "independent_legal_person": True, "debt_to_asset_ratio": "0.5"}
    e.update(enterprise)
    return {"enterprise": e}


def build_world(session, policies, *, budget="3000000") -> World:
    """The administrator (bootstrap), then Jinshan's officer, who creates its district's reviewer
    (亭林镇), three experts, auditor, three enterprises of 亭林镇 and their users."""
    admin = users.bootstrap_admin(session=session, username="admin", password="admin-pass", policies=policies)
    officer = users.create(session=session, username="officer", password="officer-pass", role=states.OFFICER, district="金山区", actor=admin, policies=policies)

    def staff(name, role, password, **scope):
        return users.create(session=session, username=name, password=password, role=role, actor=officer, policies=policies, **scope)

    w = World(
        policies=policies,
        admin=admin,
        officer=officer,
        reviewer=staff("tinglin", states.REVIEWER, "reviewer-pass", town="亭林镇"),
        experts=[staff(f"expert{i}", states.EXPERT, "expert-pass") for i in range(3)],
        auditor=staff("auditor", states.AUDITOR, "auditor-pass"),
    )
    for i in range(3):
        e = enterprises.create(session=session, uscc=uscc(i + 1), name=f"测试企业{i + 1}", district="金山区", town="亭林镇", actor=officer)
        w.ent.append(e)
        w.ent_users.append(staff(f"ent{i + 1}", states.ENTERPRISE, "enterprise-pass", enterprise_id=e.id))
    r = rounds.create(session=session, code="JS-2026-1", name="2026 年度第一批", programmes=["WF-RENT", "WF-INCUBATOR", "WF-PROJECT", "WF-STATION", "WF-AWARD"], year=2026, opens_on=OPEN, closes_on=dt.date(2026, 4, 30), period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), budget=budget, actor=officer, policies=policies)
    rounds.open_round(session=session, round_id=r.id, actor=officer)
    w.round = r
    session.commit()
    return w


def draft(session, w: World, i: int, programme: str, claims: list, *, requested=None, profile_extra=None, actor=None):
    prof = base_profile(**(profile_extra or {}))
    prof["claims"] = claims
    return applications.create_draft(session=session, round_id=w.round.id, enterprise_id=w.ent[i].id, programme_id=programme, profile=prof, actor=actor or w.ent_users[i], requested_amount=requested, policies=w.policies)


def upload_all(session, w: World, app, actor=None):
    for item in materials.checklist(session=session, application_id=app.id, actor=w.officer, policies=w.policies):
        if item["required"]:
            materials.upload(session=session, application_id=app.id, material_id=item["id"], filename=f"{item['id']}.pdf", content=PDF + item["id"].encode(), actor=actor or _owner(session, w, app), stamped=item["stamped"], policies=w.policies)


def _owner(session, w, app):
    return next(u for u in w.ent_users if u.enterprise_id == app.enterprise_id)


def submitted(session, w: World, i: int, programme: str, claims: list, *, requested=None, on=SUBMIT_DAY, profile_extra=None):
    app = draft(session, w, i, programme, claims, requested=requested, profile_extra=profile_extra)
    upload_all(session, w, app)
    applications.submit(session=session, application_id=app.id, actor=w.ent_users[i], on=on, policies=w.policies)
    return app


def rent(annual="1000000"):
    return [{"id": "lease-1", "kind": "lease", "annual_rent": annual, "start_date": "2025-06-01"}]


def project(total="5000000", pid="p1"):
    return [{"id": pid, "kind": "project", "total_investment": total}]


def credit_csv(tmp_path, rows, name="credit.csv"):
    """A credit-record import file (uscc, name, record_date, authority, description)."""
    p = tmp_path / name
    lines = [["uscc", "name", "record_date", "authority", "description"], *rows]
    p.write_text("\n".join(",".join(r) for r in lines) + "\n", encoding="utf-8-sig")
    return p


def checked_project(session, w, i, total):
    """WF-PROJECT (application → district check → approval): submitted and district-checked."""
    from huiqi.workflow.reviews import service as reviews

    # each project of one enterprise is a claim of its own (p1, p2 …): one live application per
    # enterprise × programme × claim × round (issue 14)
    seq = w.__dict__.setdefault("_projects", {})
    seq[i] = seq.get(i, 0) + 1
    app = submitted(session, w, i, "WF-PROJECT", project(total, f"p{seq[i]}"))
    reviews.district_check(session=session, application_id=app.id, actor=w.officer, passed=True)
    return app


@dataclass
class Huangpu:
    ent: object
    user: object
    round: object
    officer: object


def huangpu_officer(session, w: World):
    """Huangpu's district officer (created once, by the administrator)."""
    from sqlalchemy import select

    from huiqi.workflow.users.models import User

    found = session.execute(select(User).where(User.username == "officer-hp")).scalar_one_or_none()
    return found or users.create(session=session, username="officer-hp", password="officer-pass", role=states.OFFICER, district="黄浦区", actor=w.admin, policies=w.policies)


def huangpu(session, w: World, *, n: int = 1) -> Huangpu:
    """A Huangpu enterprise with its user, and an open 2026 round for the Huangpu-shaped fixture
    programme WF-HP-FRONTIER (tests/workflow/policies/wf-hp-fixture.yaml), set up by Huangpu's officer."""
    officer = huangpu_officer(session, w)
    e = enterprises.create(session=session, uscc=make_uscc(f"91310101MA1{n:06d}"), name=f"黄浦测试企业{n}", district="黄浦区", actor=officer)
    u = users.create(session=session, username=f"hp{n}", password="enterprise-pass", role=states.ENTERPRISE, enterprise_id=e.id, actor=officer, policies=w.policies)
    r = rounds.create(session=session, code=f"HP-2026-{n}", name="2026 年度前沿技术攻关", programmes=["WF-HP-FRONTIER"], year=2026, opens_on=OPEN, closes_on=dt.date(2026, 4, 30), budget=None, actor=officer, policies=w.policies)
    rounds.open_round(session=session, round_id=r.id, actor=officer)
    return Huangpu(e, u, r, officer)


def frontier(session, w: World, hp: Huangpu, approval_date: str, *, pid: str = "fp1", on=SUBMIT_DAY):
    """A submitted WF-HP-FRONTIER application for a national project approved on ``approval_date``."""
    prof = {"enterprise": {"registered_district": "黄浦区"}, "claims": [{"id": pid, "kind": "frontier_project", "approval_date": approval_date, "national_major_project": True}]}
    app = applications.create_draft(session=session, round_id=hp.round.id, enterprise_id=hp.ent.id, programme_id="WF-HP-FRONTIER", profile=prof, actor=hp.user, policies=w.policies)
    applications.submit(session=session, application_id=app.id, actor=hp.user, on=on, policies=w.policies)
    return app
