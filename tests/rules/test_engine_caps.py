"""Shared per-entity caps and the report's fields: tests written to kill the mutants scripts/mutation
found surviving in rules/engine.py (issue 15: "eligible results fill a shared cap first" could be
removed and no test failed).

The fixture restates Huangpu's 单个主体每年最高 5000 万元 (黄科委规〔2025〕2号 line 65) at a smaller
scale: one cap of 1,000,000 shared by two programmes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.rules import evaluate, load_policies, parse_profile

FIXTURE = Path(__file__).parent / "fixture_policies"
D = Decimal
ON = dt.date(2026, 6, 30)

DOC = """\
document:
  id: caps-doc
  number: 测试〔2026〕2号
  issuer: 测试区科委
  title: 共用上限测试
  district: 测试区
  issued: 2025-12-25
  in_force: {from: 2026-01-24, until: 2027-12-31}
  retroactive: {from: 2025-01-01, until: 2026-01-23}
  scope:
    - {id: in_district, test: enterprise.district == "测试区", clause: 在本区注册}
caps:
  - {id: shared, amount: 1000000, programmes: [P-first, P-second, P-bound], clause: 单个主体每年最高 100 万元, label: {zh: 单个主体每年最高 100 万元, en: "at most 1,000,000 per entity per year"}}
programmes:
  - id: P-first
    title: 先列出的项目（尚缺员工人数）
    department: 区科委
    mode: online
    subject: enterprise
    criteria:
      - {id: staff, test: enterprise.staff >= 10, clause: 职工不少于 10 人}
    support: {discretionary: false, clause: 给予 80 万元, amount: {fixed: 800000}}
  - id: P-second
    title: 后列出的项目（符合条件）
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: false, clause: 给予 50 万元, amount: {fixed: 500000}}
  - id: P-bound
    title: 按营收（尚缺营收）
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: true, clause: 按照营业收入的 10%给予支持，最高 90 万元, amount: {rate: {base: enterprise.revenue, rate: 10%, cap: 900000}}}
  - id: P-lease
    title: 租赁（按签约日计年）
    department: 区科委
    mode: online
    subject: lease
    event_date: lease.signed
    criteria:
      - {id: town, test: enterprise.town == "亭林镇", clause: 在亭林镇}
    support: {discretionary: false, clause: 按照租金的 30%给予补贴, amount: {rate: {base: lease.annual_rent, rate: 30%}}}
"""


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    d = tmp_path_factory.mktemp("caps")
    shutil.copy(FIXTURE / "facts.yaml", d / "facts.yaml")
    (d / "caps-doc.yaml").write_text(DOC, encoding="utf-8")
    return load_policies(d)


def run(policies, claims=(), on=ON, **enterprise):
    ent = {"district": "测试区", **enterprise}
    return evaluate(policies, parse_profile({"enterprise": ent, "claims": list(claims)}, policies.vocabulary), on=on)


def result(report, programme, claim=None):
    return next(r for r in report.results if r.programme.id == programme and (r.claim.id if r.claim else None) == claim)


def test_an_eligible_result_listed_later_fills_the_cap_first(policies):
    # P-first (800,000) still needs the staff count; P-second (500,000) is eligible. The eligible one
    # is counted first: 500,000 in full, and P-first can reach only the 500,000 left of the 1,000,000.
    # Counted in file order instead, P-first would take 800,000 and the eligible sum would fall to 200,000.
    rep = run(policies)
    first, second = result(rep, "P-first"), result(rep, "P-second")
    assert (first.status, second.status) == ("needs_info", "eligible")
    assert second.ceiling == D("500000.00") and not second.caps
    assert (
        first.ceiling == D("500000.00")
        and first.caps[0].before == D("800000.00")
        and first.caps[0].after == D("500000.00")
    )
    assert rep.total_ceiling == D("500000.00")
    # P-bound's revenue is unknown: at most 900,000 by its own ceiling, but the two computed ceilings
    # already fill the shared 1,000,000, so what it might still reach is 0
    bound = result(rep, "P-bound")
    assert bound.status == "needs_info" and bound.ceiling is None and bound.possible_ceiling == D("0.00")
    assert first.possible_ceiling == D("500000.00") and second.possible_ceiling == D("500000.00")
    assert rep.potential_ceiling == D("1000000.00")


def test_once_both_are_eligible_the_cap_clips_the_later_one(policies):
    rep = run(policies, staff=12)
    assert result(rep, "P-first").ceiling == D("800000.00")
    assert result(rep, "P-second").ceiling == D("200000.00")
    assert rep.total_ceiling == D("1000000.00")


def test_the_match_json_names_the_cap_and_its_numbers(policies):
    data = run(policies, staff=12).to_dict()
    second = next(r for r in data["results"] if r["programme"] == "P-second")
    assert second["caps"] == [
        {
            "cap": "shared",
            "label_zh": "单个主体每年最高 100 万元",
            "label_en": "at most 1,000,000 per entity per year",
            "limit": "1000000.00",
            "before": "500000.00",
            "after": "200000.00",
            "clipped": "300000.00",
            "clause": {"document": "测试〔2026〕2号", "ref": "", "line": None, "text": "单个主体每年最高 100 万元"},
        }
    ]
    assert second["ceiling"] == "200000.00" and second["ceiling_before_caps"] == "500000.00"


def test_results_that_are_not_eligible_have_no_possible_ceiling(policies):
    data = run(
        policies, town="山阳镇", claims=[{"id": "l1", "kind": "lease", "annual_rent": 100000, "signed": "2026-03-01"}]
    ).to_dict()
    lease = next(r for r in data["results"] if r["programme"] == "P-lease")
    assert lease["status"] == "ineligible" and lease["possible_ceiling"] is None and lease["ceiling"] is None
    assert [f["criterion"] for f in lease["failed"]] == ["town"] and "note" not in lease["failed"][0]


def test_an_unknown_event_date_adds_to_the_facts_asked_for(policies):
    # the town (a criterion) and the signing date (the window) are both unknown: both are asked for
    rep = run(policies, claims=[{"id": "l1", "kind": "lease", "annual_rent": 100000}])
    r = result(rep, "P-lease", "l1")
    assert r.status == "needs_info" and r.missing == {"lease.signed", "enterprise.town"}
    # the scope's unknown fact is kept too when the event date is unknown
    rep = evaluate(
        policies,
        parse_profile(
            {"enterprise": {"town": "亭林镇"}, "claims": [{"id": "l1", "kind": "lease", "annual_rent": 1}]},
            policies.vocabulary,
        ),
        on=ON,
    )
    assert result(rep, "P-lease", "l1").missing == {"enterprise.district", "lease.signed"}
