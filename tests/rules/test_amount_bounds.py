"""What an amount can still reach while facts are missing (``possible_ceiling``, docs/match-json.md):
interval arithmetic over the amount's expression. Written to kill mutants scripts/mutation found
surviving in rules/amounts.py. An unknown money or count fact lies in [0, ∞) (the profile refuses
negatives); ``staff`` is a count, ``revenue`` and ``award_received`` are money (fixture facts.yaml).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.rules import evaluate, load_policies, parse_profile

FIXTURE = Path(__file__).parent / "fixture_policies"

DOC = """\
document:
  id: bounds-doc
  number: 测试〔2026〕4号
  issuer: 测试区科委
  title: 可能上限
  district: 测试区
  issued: 2025-12-25
  in_force: {from: 2026-01-24, until: 2027-12-31}
programmes:
  - id: B-minus
    title: 差额（上限 30 万，扣除已获奖励与 10 万）
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: true, clause: 差额, amount: {fixed: "min(300000, enterprise.revenue) - (enterprise.award_received + 100000)"}}
  - id: B-times
    title: 按人数（每人 5 万，最高 30 万）
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: true, clause: 每人 5 万元，最高 30 万元, amount: {fixed: "min(enterprise.staff * 50000, 300000)"}}
  - id: B-if
    title: 按规模分档（10 人以上 50 万，否则 20 万）
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: true, clause: 分档, amount: {fixed: "if(enterprise.staff >= 10, 500000, 200000)"}}
  - id: B-if-known
    title: 外区 90 万，否则按人数（最高 30 万）
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: true, clause: 分档, amount: {fixed: 'if(enterprise.district == "外区", 900000, min(enterprise.staff * 50000, 300000))'}}
  - id: B-product
    title: 人数 × 营收（最高 40 万）
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: true, clause: 最高 40 万元, amount: {fixed: "min(enterprise.staff * enterprise.revenue, 400000)"}}
  - id: B-double
    title: 两倍（每倍最高 30 万）
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: true, clause: 两倍, amount: {fixed: "min(300000, enterprise.revenue) * 2"}}
  - id: B-staged
    title: 两期（20 万 + 营收的 1%）
    department: 区科委
    mode: online
    subject: enterprise
    support:
      discretionary: true
      clause: 先给予 20 万元，满一年后按营收 1%
      amount:
        staged:
          - {label: {zh: 第一期, en: first}, amount: {fixed: 200000}}
          - {label: {zh: 第二期, en: second}, amount: {rate: {base: enterprise.revenue, rate: 1%, cap: 100000}}, after_months: 12}
"""


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    d = tmp_path_factory.mktemp("bounds")
    (d / "facts.yaml").write_text((FIXTURE / "facts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (d / "bounds-doc.yaml").write_text(DOC, encoding="utf-8")
    return load_policies(d)


def _results(policies, **enterprise):
    report = evaluate(policies, parse_profile({"enterprise": enterprise}, policies.vocabulary), on=dt.date(2026, 6, 30))
    return {r.programme.id: r for r in report.results}


def test_possible_ceilings_while_the_facts_are_missing(policies):
    r = _results(policies)
    assert {p: x.status for p, x in r.items()} == dict.fromkeys(
        ("B-minus", "B-times", "B-if", "B-if-known", "B-product", "B-double", "B-staged"), "needs_info"
    )
    # at most 300,000 − (0 + 100,000): the award already received is at least 0
    assert r["B-minus"].possible_ceiling == Decimal("200000.00")
    # 50,000 per person, at most 300,000
    assert r["B-times"].possible_ceiling == Decimal("300000.00")
    # the staff count unknown: the higher of the two sums
    assert r["B-if"].possible_ceiling == Decimal("500000.00")
    # 0 × ∞ counts as 0 at the interval's low end; the 400,000 ceiling bounds the top
    assert r["B-product"].possible_ceiling == Decimal("400000.00")
    # [0, 300,000] × 2
    assert r["B-double"].possible_ceiling == Decimal("600000.00")
    # 200,000 now, at most 100,000 later
    assert r["B-staged"].possible_ceiling == Decimal("300000.00")


def test_a_condition_already_known_picks_its_branch(policies):
    # the district is known (测试区, not 外区): only the per-person branch, at most 300,000, is possible
    r = _results(policies, district="测试区")["B-if-known"]
    assert r.status == "needs_info" and r.possible_ceiling == Decimal("300000.00")
    assert _results(policies, district="外区")["B-if-known"].ceiling == Decimal("900000.00")


def test_a_stage_waiting_for_a_fact_leaves_the_whole_unknown(policies):
    r = _results(policies)["B-staged"]
    assert r.ceiling is None and r.missing == {"enterprise.revenue"}
    assert [(s.after_months, s.amount) for s in r.schedule] == [(0, Decimal(200000)), (12, None)]
    known = _results(policies, revenue=5000000)["B-staged"]
    assert known.status == "eligible" and known.ceiling == Decimal("250000.00")  # 200,000 + 1% × 5,000,000
