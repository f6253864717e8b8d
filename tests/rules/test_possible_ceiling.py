"""“补充信息后可能的上限”: the most a needs-info result can reach once the missing facts are given.

Issue 16 found 0 万元 for programmes worth 20–30 万: a needs-info result whose amount depends on a
missing fact had no ceiling, so it added nothing. The values below are worked out from the text
of 金科〔2025〕25号 (seed jinshan-2025-25.txt) for a Jinshan enterprise that has answered nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi.rules import evaluate, load_policies, parse_profile

ON = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def policies():
    return load_policies("policies")


def _run(policies, enterprise=None, claims=()):
    prof = {"enterprise": {"registered_district": "金山区", **(enterprise or {})}, "claims": list(claims)}
    return evaluate(policies, parse_profile(prof, policies.vocabulary), on=ON)


def _result(report, programme):
    return next(r for r in report.results if r.programme.id == programme)


def test_high_tech_enterprise_award_is_at_most_200000_while_the_kind_of_recognition_is_unknown(policies):
    # 专题二 3.支持标准 (line 941–943): “（1）首次认定的‘高新技术企业’，给予 20 万元奖励；（2）有效期满重新认定的
    # ‘高新技术企业’，给予 5 万元奖励。” — until we know which, the most is 20 万元.
    r = _result(_run(policies), "J5.2")
    assert r.status == "needs_info" and r.ceiling is None
    assert r.possible_ceiling == Decimal("200000.00")
    # once it is known to be a renewal, the possible ceiling is the computed 5 万元
    r = _result(_run(policies, {"hnte_recognition": "重新认定"}), "J5.2")
    assert r.possible_ceiling == r.ceiling == Decimal("50000.00")


def test_sme_fund_top_up_is_at_most_300000_while_the_municipal_grant_is_unknown(policies):
    # 专题一 3.支持标准 (line 920): “市、区两级给予最高 30 万元资金支持。” — encoded as
    # max(300000 − municipal grant, 0); a grant is never negative, so the most is 30 万元.
    r = _result(_run(policies), "J5.1")
    assert r.status == "needs_info" and r.ceiling is None
    assert r.possible_ceiling == Decimal("300000.00")
    r = _result(_run(policies, {"sme_fund_municipal_grant": "120000"}), "J5.1")
    assert r.possible_ceiling == Decimal("180000.00")


def test_potential_counts_possible_ceilings_but_not_subjects_never_described(policies):
    report = _run(policies)
    enterprise_level = [r for r in report.results if r.status == "needs_info" and not r.missing_claim]
    assert report.potential_ceiling == sum(r.possible_ceiling or Decimal(0) for r in enterprise_level)
    assert report.potential_ceiling >= Decimal("500000")  # at least J5.1 + J5.2, never 0 as the issue saw
    # 专题一（用房）3.支持标准: 租金的 30%，单年度最高 50 万元，三年 → a lease described but without its rent
    # may reach 150 万元 and is counted; an undescribed lease is not.
    with_lease = _run(policies, claims=[{"id": "lease-1", "kind": "lease"}])
    lease = next(r for r in with_lease.results if r.programme.id == "J1.1")
    assert lease.possible_ceiling == Decimal("1500000.00")
    assert with_lease.potential_ceiling == report.potential_ceiling + Decimal("1500000.00")


def test_a_rate_without_a_ceiling_has_no_possible_ceiling(policies):
    # 专题七（张江）: “按照市级扶持资金的 100%给予配套” names no upper limit: nothing to promise.
    r = _result(_run(policies, claims=[{"id": "zj-1", "kind": "zj_project"}]), "J5.7")
    assert r.status == "needs_info" and r.possible_ceiling is None
