"""The match JSON's steps and schedule (docs/match-json.md): the keys a client reads, with values
worked out from the fixture's sentences — written to kill mutants scripts/mutation found surviving
in rules/amounts.py (a renamed key in Step.to_dict / ScheduleItem.to_dict failed no test).

Fixture T-staged restates 金科〔2025〕25号 line 1426: 对新认定的区级孵化器，给予最高 20 万元一次性奖励，
实际运营满一年后再给予最高 10 万元一次性奖励.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from huiqi.rules import evaluate, load_policies, parse_profile

FIXTURE = Path(__file__).parent / "fixture_policies"
POLICIES = load_policies(FIXTURE)


def _result(claims, programme, claim):
    profile = parse_profile(
        {"enterprise": {"district": "测试区", "town": "亭林镇", "debt_ratio": "0.5"}, "claims": claims},
        POLICIES.vocabulary,
    )
    data = evaluate(POLICIES, profile, on=dt.date(2026, 6, 30)).to_dict()
    return next(r for r in data["results"] if r["programme"] == programme and r["claim"] == claim)


def test_a_staged_award_lists_its_schedule_in_the_json():
    r = _result([{"id": "i", "kind": "incubator", "recognised": True}], "T-staged", "i")
    assert r["ceiling"] == "300000.00"
    assert [set(s) for s in r["schedule"]] == [{"zh", "en", "after_months", "amount"}] * 2
    assert [(s["after_months"], s["amount"]) for s in r["schedule"]] == [(0, "200000.00"), (12, "100000.00")]
    assert [s["zh"] for s in r["schedule"]] == ["认定后", "运营满一年后"]
    assert [s["en"] for s in r["schedule"]] == ["on recognition", "after a year"]


def test_each_step_has_words_a_formula_and_a_value():
    # 7 × 500,000 = 3,500,000 → the per_unit cap 3,000,000 (单个主体每年最高 300 万元)
    r = _result([{"id": "s", "kind": "specialty", "count": 7}], "T-unit", "s")
    assert r["steps"] and all(set(s) == {"zh", "en", "formula", "value"} for s in r["steps"])
    assert all(s["zh"] and s["en"] and s["formula"] for s in r["steps"])
    values = [s["value"] for s in r["steps"]]
    assert "3500000" in values and "3000000" in values
    assert r["ceiling_before_caps"] == "3000000.00"


NEGATIVE = """\
document:
  id: neg-doc
  number: 测试〔2026〕3号
  issuer: 测试区科委
  title: 金额不为负
  district: 测试区
  issued: 2025-12-25
  in_force: {from: 2026-01-24, until: 2027-12-31}
programmes:
  - id: N1
    title: 差额补助
    department: 区科委
    mode: online
    subject: enterprise
    support: {discretionary: false, clause: 按差额给予补助, amount: {fixed: enterprise.revenue - 1000000}}
"""


def test_an_amount_that_works_out_negative_is_zero_and_says_so(tmp_path):
    (tmp_path / "facts.yaml").write_text((FIXTURE / "facts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "neg-doc.yaml").write_text(NEGATIVE, encoding="utf-8")
    ps = load_policies(tmp_path)
    profile = parse_profile({"enterprise": {"revenue": 400000}}, ps.vocabulary)
    r = evaluate(ps, profile, on=dt.date(2026, 6, 30)).results[0]
    assert r.status == "eligible" and r.ceiling == 0
    assert r.steps[-1].value == 0 and r.steps[-1].en == "an amount is never negative: 0"
    assert "600" in r.steps[-1].formula  # 400,000 − 1,000,000 = −600,000 shown before it is set to 0
