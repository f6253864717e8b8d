"""Memory across time and claims (issue 15): the profile's ``awards``, ``once``, caps ``over: policy``,
``multi_year`` from a start date, ``--programme`` computing shared caps over every sharing programme.

Values are worked out by hand from the texts: 金科〔2025〕25号 专题一 “三年内按照租金的 30%给予补贴，
单年度最高补贴 50 万元” (Jinshan line 56); the fixture's shared cap “单个主体每年最高 100 万元”.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.rules import evaluate, load_policies, parse_profile
from huiqi.rules.amounts import support_year
from huiqi.rules.errors import PolicyError, ProfileError
from huiqi.rules.loader import parse_document
from huiqi.rules.profile import profile_json_schema

D = Decimal
FIXTURE = Path(__file__).parent / "fixture_policies"

JINSHAN_ENTERPRISE = {
    "registered_district": "金山区", "town": "亭林镇", "org_type": "企业", "independent_legal_person": True,
    "pays_tax_in_district": True, "biomed_business": True, "sales_settled_in_district": True,
    "sound_financial_system": True, "serious_dishonesty_last_3_years": False, "newly_introduced": True,
    "industry_orientation_fit": True, "settled_date": "2025-03-01",
}
CALL = {"period_start": "2025-01-01", "period_end": "2025-12-31"}


@pytest.fixture(scope="module")
def real():
    return load_policies()


@pytest.fixture(scope="module")
def fixture():
    return load_policies(FIXTURE)


def j11(policies, start, on, rent=2000000, awards=None):
    data = {"enterprise": JINSHAN_ENTERPRISE, "call": CALL,
            "claims": [{"id": "l1", "kind": "lease", "self_use": True, "annual_rent": rent, "start_date": start}]}
    if awards is not None:
        data["awards"] = awards
    rep = evaluate(policies, parse_profile(data, policies.vocabulary), on=on, programmes=["J1.1"])
    return rep.results[0]


# ------------------------------------------------------------------ support years (Civil Code art. 201)


@pytest.mark.parametrize(
    "start, day, year",
    [
        ("2023-03-01", "2023-03-01", 1),  # the start day itself
        ("2023-03-01", "2024-03-01", 1),  # year 1 ends on the corresponding day (the start day not counted)
        ("2023-03-01", "2024-03-02", 2),
        ("2023-03-01", "2026-03-01", 3),  # exactly three years old: the last day of year 3
        ("2023-03-01", "2026-03-02", 4),  # the first day of the fourth year
        ("2024-02-29", "2025-02-28", 1),  # no 29 February in 2025: the month's last day (art. 202)
        ("2024-02-29", "2025-03-01", 2),
        ("2025-06-01", "2025-01-01", 1),  # before the start: year 1
    ],
)
def test_support_year(start, day, year):
    assert support_year(dt.date.fromisoformat(start), dt.date.fromisoformat(day)) == year


def test_j11_years_left_and_the_fourth_year(real):
    # 200 万/年 × 30% = 60 万 → 50 万 a year (line 56); a lease from 2024-10-01: year 1 until 2025-10-01
    r = j11(real, "2024-10-01", dt.date(2025, 9, 1), awards=[])
    assert (r.status, r.ceiling, r.this_year, len(r.schedule)) == ("eligible", D("1500000.00"), D("500000.00"), 3)
    r = j11(real, "2024-10-01", dt.date(2025, 10, 2), awards=[])
    assert (r.ceiling, [s.zh for s in r.schedule]) == (D("1000000.00"), ["第2年", "第3年"])
    r = j11(real, "2024-10-01", dt.date(2027, 10, 1), awards=[])  # exactly three years old
    assert (r.status, r.ceiling) == ("eligible", D("500000.00"))
    r = j11(real, "2024-10-01", dt.date(2027, 10, 2), awards=[])  # the first day of the fourth year
    assert r.status == "ineligible" and r.ceiling is None
    assert [f.id for f in r.failed] == ["support_standard"] and "2027-10-01" in r.failed[0].label_zh


def test_j11_lifetime_cap_counts_awards_of_earlier_years(real):
    # year 2 of a lease (2 years left × 50 万 = 100 万) after 80 万 + 50 万 granted: 150 万 − 130 万 = 20 万
    awards = [
        {"programme": "J1.1", "document": "jinshan-2025-25", "year": 2024, "amount": "800000"},
        {"programme": "J1.1", "document": "jinshan-2025-25", "year": 2023, "amount": "500000"},
    ]
    r = j11(real, "2024-06-01", dt.date(2025, 9, 1), awards=awards)
    assert (r.uncapped, r.ceiling) == (D("1000000.00"), D("200000.00"))
    assert r.caps[0].cap == "J1.1-per-enterprise" and r.caps[0].limit == D(1500000)
    assert "累计上限" in r.steps[-1].zh and "已获 1,300,000 元" in r.steps[-1].zh
    assert r.this_year == D("200000.00")  # this year's amount never exceeds what is left
    # awards absent: the same claim on the named assumption that nothing was granted
    r = j11(real, "2024-06-01", dt.date(2025, 9, 1))
    assert r.ceiling == D("1000000.00") and [n.id for n in r.extra_notes] == ["awards-unknown"]
    # everything used: 0, and the result says why
    r = j11(real, "2024-06-01", dt.date(2025, 9, 1), awards=[{"programme": "J1.1", "document": "jinshan-2025-25", "year": 2024, "amount": "1500000"}])
    assert r.ceiling == D("0.00") and r.reason_zh == "已达累计上限" and r.reason_en == "lifetime cap reached"


# ------------------------------------------------------------------ --programme and shared caps


def test_programme_filter_computes_shared_caps_over_every_sharing_programme(fixture):
    # T-unit 2 × 50 万 = 100 万 fills the shared 100 万 cap; T-match (1:0.5 of 60 万 = 30 万) is left 0
    data = {"enterprise": {"district": "测试区", "town": "亭林镇", "debt_ratio": "0.5"},
            "claims": [{"id": "s", "kind": "specialty", "count": 2}, {"id": "v1", "kind": "variety", "variety": "甲", "grant": 600000}]}
    profile = parse_profile(data, fixture.vocabulary)
    on = dt.date(2026, 6, 30)
    full = {r.programme.id: r.ceiling for r in evaluate(fixture, profile, on=on).results if r.claim}
    only = evaluate(fixture, profile, on=on, programmes=["T-match"])
    assert [r.programme.id for r in only.results] == ["T-match"]  # only what was asked is shown
    assert only.results[0].ceiling == full["T-match"] == D("0.00")
    assert only.results[0].reason_zh == "已达年度上限"


# ------------------------------------------------------------------ once within a span


ONCE_DOC = """
document:
  id: once-doc
  number: 测〔2026〕1号
  issuer: 测试
  title: 测试
  issued: 2025-01-01
  district: 测试区
  window_basis: application_date
  in_force: {from: 2025-01-01, until: null}
programmes:
  - id: P
    title: 复审优秀
    department: 区科委
    mode: online
    subject: variety
    support:
      clause: 两年为一个复审周期，给予 5 万元支持
      once: {per: [variety.variety], within: {years: 2}, clause: 两年为一个复审周期}
      amount: {fixed: 50000}
"""


def once_policies(fixture, text=ONCE_DOC):
    from huiqi.rules import model as M

    doc = parse_document(text, file="once.yaml", vocab=fixture.vocabulary)
    return M.PolicySet(fixture.vocabulary, [doc])


@pytest.mark.parametrize("award_year, status", [(2024, "ineligible"), (2025, "ineligible"), (2023, "eligible"), (2026, "ineligible")])
def test_once_within_years(fixture, award_year, status):
    ps = once_policies(fixture)
    data = {"enterprise": {}, "claims": [{"id": "v", "kind": "variety", "variety": "甲"}],
            "awards": [{"programme": "P", "document": "once-doc", "year": award_year, "amount": 50000, "key": {"variety.variety": "甲"}}]}
    r = evaluate(ps, parse_profile(data, ps.vocabulary), on=dt.date(2025, 6, 1)).results[0]
    assert r.status == status  # |2025 − year| < 2 is the same two-year span
    if status == "ineligible":
        assert r.failed[0].id == "once" and f"{award_year} 年度" in r.failed[0].label_zh and "50,000 元" in r.failed[0].label_zh


def test_once_other_key_or_programme_does_not_count(fixture):
    ps = once_policies(fixture)
    data = {"enterprise": {}, "claims": [{"id": "v", "kind": "variety", "variety": "甲"}],
            "awards": [{"programme": "P", "document": "once-doc", "year": 2025, "amount": 50000, "key": {"variety.variety": "乙"}},
                       {"programme": "Q", "document": "once-doc", "year": 2025, "amount": 50000, "key": {"variety.variety": "甲"}}]}
    r = evaluate(ps, parse_profile(data, ps.vocabulary), on=dt.date(2025, 6, 1)).results[0]
    assert r.status == "eligible" and r.ceiling == D("50000.00") and not r.extra_notes


@pytest.mark.parametrize(
    "once, message",
    [
        ("{per: [variety.nope], clause: x}", "undeclared fact"),
        ("{per: [variety.variety], within: month, clause: x}", "policy, year or {years: N}"),
        ("{per: [variety.variety], within: {years: 0}, clause: x}", "positive whole number"),
        ("{per: [variety.variety]}", "must quote the clause"),
        ("{within: year, clause: x}", "a list of fact names"),
    ],
)
def test_once_is_checked_by_the_loader(fixture, once, message):
    bad = ONCE_DOC.replace("once: {per: [variety.variety], within: {years: 2}, clause: 两年为一个复审周期}", f"once: {once}")
    with pytest.raises(PolicyError) as err:
        once_policies(fixture, bad)
    assert any(message in p.message_en for p in err.value.problems), [p.message_en for p in err.value.problems]


def test_cap_over_and_multi_year_from_are_checked_by_the_loader(fixture):
    bad = ONCE_DOC + "caps:\n  - {id: c, amount: 1, programmes: [P], clause: x, over: month}\n"
    with pytest.raises(PolicyError) as err:
        once_policies(fixture, bad)
    assert any(p.field == "caps[0].over" for p in err.value.problems)
    bad = ONCE_DOC.replace("amount: {fixed: 50000}", "amount: {multi_year: {years: 3, from: variety.variety, each_year: {fixed: 1}}}")
    with pytest.raises(PolicyError) as err:
        once_policies(fixture, bad)
    assert any("date fact" in p.message_en for p in err.value.problems)


# ------------------------------------------------------------------ the profile's awards


@pytest.mark.parametrize(
    "award, field",
    [
        ({"document": "d", "year": 2025, "amount": 1}, "awards[0].programme"),
        ({"programme": "P", "document": "d", "year": "二〇二五", "amount": 1}, "awards[0].year"),
        ({"programme": "P", "document": "d", "year": 2025, "amount": -1}, "awards[0].amount"),
        ({"programme": "P", "document": "d", "year": 2025}, "awards[0].amount"),
        ({"programme": "P", "document": "d", "year": 2025, "amount": 1, "key": {"nope.x": 1}}, "awards[0].key.nope.x"),
        ({"programme": "P", "document": "d", "year": 2025, "amount": 1, "decided_on": "2025-02-30"}, "awards[0].decided_on"),
        ({"programme": "P", "document": "d", "year": 2025, "amount": 1, "extra": 1}, "awards[0].extra"),
    ],
)
def test_bad_awards_are_bilingual_errors_naming_the_field(real, award, field):
    with pytest.raises(ProfileError) as err:
        parse_profile({"enterprise": {}, "awards": [award]}, real.vocabulary)
    problem = next(p for p in err.value.problems if p.field == field)
    assert problem.message_zh and problem.message_en and problem.message_zh != problem.message_en


def test_awards_round_trip_and_schema(real):
    data = {"enterprise": {}, "awards": [{"programme": "J1.1", "document": "jinshan-2025-25", "year": 2025, "amount": "50万",
                                          "key": {"lease.start_date": "2025-03-01"}, "project": "P-1", "decided_on": "2025-11-20"}]}
    p = parse_profile(data, real.vocabulary)
    assert p.awards[0].amount == D(500000) and p.awards[0].key == {"lease.start_date": dt.date(2025, 3, 1)}
    assert p.to_dict()["awards"][0] == {"programme": "J1.1", "document": "jinshan-2025-25", "year": 2025, "amount": "500000",
                                        "key": {"lease.start_date": "2025-03-01"}, "project": "P-1", "decided_on": "2025-11-20"}
    assert parse_profile({"enterprise": {}}, real.vocabulary).awards is None  # absent = not known
    assert parse_profile({"enterprise": {}, "awards": []}, real.vocabulary).awards == []  # known: none
    schema = profile_json_schema(real.vocabulary)["properties"]["awards"]
    assert schema["items"]["required"] == ["programme", "document", "year", "amount"]


# ------------------------------------------------------------------ notes: defined once, shown where they bear


def test_each_result_carries_only_the_notes_that_bear_on_it(real):
    data = {"enterprise": {"registered_district": "黄浦区", "org_type": "企业"},
            "claims": [{"id": "p", "kind": "talent_selection", "person": "甲", "programme_level": "国家", "selected": True, "selected_date": "2026-03-01"},
                       {"id": "f", "kind": "frontier_project", "support_year": 2026}]}
    rep = evaluate(real, parse_profile(data, real.vocabulary), on=dt.date(2026, 6, 30))
    doc = real.document("huangpu-2025-2")
    for r in (x for x in rep.results if x.document is doc):
        ids = [n.id for n in r.notes()]
        assert len(ids) == len(set(ids)) < len(doc.notes) + len(r.programme.notes)
        assert {"validity-start", "after-end", "event-date"} <= set(ids)  # when: always
        assert ("discretionary" in ids) == r.programme.support.discretionary
        assert ("per-entity-year" in ids) == any(r.programme.id in c.programmes for c in doc.caps)
    h1 = next(r for r in rep.results if r.programme.id == "H1")
    assert {"scope-registered", "good-credit", "no-double-funding", "h1-support-year"} <= {n.id for n in h1.notes()}


def test_shared_notes_are_defined_once(real):
    doc = real.document("jinshan-2025-25")
    assert [n.id for n in doc.notes].count("credit-soft") == 1 and [n.id for n in doc.notes].count("notice-days-unstated") == 1
    users = [p for p in doc.programmes if any(n.id == "credit-soft" for n in p.notes)]
    assert len(users) > 20 and all(next(n for n in p.notes if n.id == "credit-soft") is next(n for n in doc.notes if n.id == "credit-soft") for p in users)


def test_a_programme_note_refers_to_a_document_note_by_id(fixture):
    base = ONCE_DOC.replace("  in_force: {from: 2025-01-01, until: null}\n", "  in_force: {from: 2025-01-01, until: null}\n  notes:\n    - {id: shared, zh: 共用说明, en: shared note}\n")
    ps = once_policies(fixture, base.replace("    support:\n", "    notes: [shared]\n    support:\n"))
    assert [n.zh for n in ps.programmes()[0].notes] == ["共用说明"]
    with pytest.raises(PolicyError) as err:
        once_policies(fixture, base.replace("    support:\n", "    notes: [nope]\n    support:\n"))
    assert "undefined note 'nope'" in err.value.problems[0].message_en
    with pytest.raises(PolicyError) as err:
        once_policies(fixture, base.replace("    support:\n", "    notes: [{id: shared, zh: 再写一遍}]\n    support:\n"))
    assert "refer to it by id" in err.value.problems[0].message_en
