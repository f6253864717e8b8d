"""The demo data loads against the real policy files, on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from huiqi.rules import load_policies
from huiqi.workflow.applications import service as applications
from huiqi.workflow.demo import DEMO_PASSWORD, seed_demo
from huiqi.workflow.users import service as users


def test_seed_demo(session):
    ps = load_policies()
    out = seed_demo(session, ps, today=dt.date(2026, 3, 16))
    session.commit()
    assert set(out["users"].values()) == {"admin", "officer", "reviewer", "expert", "auditor", "enterprise"}
    assert users.authenticate(session=session, username="ent-js1", password=DEMO_PASSWORD).role == "enterprise"
    assert users.authenticate(session=session, username="ent-js1", password="wrong") is None
    admin = users.by_username(session=session, username="admin")
    a = applications.get(session=session, application_id=out["applications"]["in_review"], actor=admin)
    # 金科〔2025〕25号 专题三: 按该产品实际研发费用的 10%，择优最高 200 万元 — 15,000,000 × 10%
    assert (a.state, a.ceiling) == ("district_checked", Decimal("1500000.00"))
