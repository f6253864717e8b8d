"""The engine on a small fixture policy that exercises every amount form, caps and windows.

The fixture (tests/rules/fixture_policies) restates real sentences of the two documents
(rent 30% ≤ 50万/年 × 3 years; technology-contract bands; revenue tiers 就高不重复; 50万 per GCP
specialty ≤ 300万; 1:0.5 matching; incubator 20万 + 10万; talent with no sum), so the expected
values below are worked out from those sentences.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.rules import evaluate, load_policies, parse_profile
from huiqi.rules.errors import PolicyError, ProfileError

FIXTURE = Path(__file__).parent / "fixture_policies"
D = Decimal
ON = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def policies():
    return load_policies(FIXTURE)


def run(policies, claims=(), on=ON, **enterprise):
    ent = {"district": "测试区", "town": "亭林镇", "debt_ratio": "0.5", **enterprise}
    profile = parse_profile({"enterprise": ent, "claims": list(claims)}, policies.vocabulary)
    return evaluate(policies, profile, on=on)


def result(report, programme, claim=None):
    return next(r for r in report.results if r.programme.id == programme and (r.claim.id if r.claim else None) == claim)


def test_multi_year_rent_is_three_years_of_capped_rate(policies):
    # 年租金 120 万 × 30% = 36 万 ≤ 50 万 → × 3 年 = 108 万
    r = result(run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 1200000, "signed": "2026-03-01"}]), "T-rent", "l1")
    assert r.status == "eligible" and r.ceiling == D("1080000.00")
    assert [s.amount for s in r.schedule] == [D("360000")] * 3
    assert [s.after_months for s in r.schedule] == [0, 12, 24]


def test_multi_year_rent_cap_per_year(policies):
    # 200 万 × 30% = 60 万 → 单年度最高 50 万 → 150 万
    r = result(run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 2000000, "signed": "2026-03-01"}]), "T-rent", "l1")
    assert r.ceiling == D("1500000.00")
    assert any("600,000 元 > 上限 500,000 元 → 500,000 元" in s.formula for s in r.steps)


def test_parameter_is_used_by_name(policies):
    r = result(run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 100, "signed": "2026-03-01"}]), "T-rent", "l1")
    assert r.ceiling == D("90.00")  # 100 × 30% × 3


@pytest.mark.parametrize(
    "turnover, status, ceiling",
    [
        ("19999999.99", "ineligible", None),  # below 2000 万: no band
        ("20000000", "eligible", "4000.00"),  # 2000 万（含）× 2‱
        ("40000000", "eligible", "8000.00"),
        ("49999999.99", "eligible", "10000.00"),  # 9,999.99… → cap 1 万
        ("50000000", "eligible", "15000.00"),  # 5000 万（含）起 3‱
        ("200000000", "eligible", "50000.00"),  # 6 万 → cap 5 万
    ],
)
def test_threshold_bands(policies, turnover, status, ceiling):
    r = result(run(policies, [{"id": "p", "kind": "portfolio", "turnover": turnover}]), "T-bands", "p")
    assert r.status == status
    assert r.ceiling == (None if ceiling is None else D(ceiling))


def test_band_of_49_999_999_99_is_exact_before_the_cap(policies):
    r = result(run(policies, [{"id": "p", "kind": "portfolio", "turnover": "49999999.99"}]), "T-bands", "p")
    assert "49,999,999.99 元 × 2‱ = 9,999.999998 元" in r.steps[0].formula


@pytest.mark.parametrize(
    "revenue, prior, expected",
    [
        ("49999999.99", "0", None),
        ("50000000", "0", "200000.00"),
        ("120000000", "0", "500000.00"),  # crossed 5000 万 and 1 亿 together: the higher only
        ("120000000", "200000", "300000.00"),  # earlier 20 万 award: the difference
        ("1000000000", "0", "2000000.00"),
        ("60000000", "500000", "0.00"),  # already received more than this tier
    ],
)
def test_highest_tier_not_cumulative(policies, revenue, prior, expected):
    r = result(run(policies, revenue=revenue, award_received=prior), "T-tier")
    assert r.ceiling == (None if expected is None else D(expected))


def test_per_unit_with_cap(policies):
    # 7 个新增专业 × 50 万 = 350 万 → 单个主体每年最高 300 万; then the fixture's shared 100 万 cap clips it
    r = result(run(policies, [{"id": "s", "kind": "specialty", "count": 7}]), "T-unit", "s")
    assert r.uncapped == D("3000000.00")
    assert r.ceiling == D("1000000.00") and r.caps[0].cap == "per_entity_year"


def test_count_once_per_variety(policies):
    rep = run(policies, [
        {"id": "v1", "kind": "variety", "variety": "甲", "grant": 400000},
        {"id": "v2", "kind": "variety", "variety": "甲", "grant": 600000},
    ])
    assert result(rep, "T-match", "v2").ceiling == D("300000.00")  # the larger one is kept
    assert result(rep, "T-match", "v1").status == "ineligible"


def test_per_entity_cap_shared_across_programmes_clips_in_order(policies):
    # T-unit 2 × 50 万 = 100 万 fills the 100 万 cap; the 1:0.5 matching (30 万) is clipped to 0.
    rep = run(policies, [{"id": "s", "kind": "specialty", "count": 2}, {"id": "v1", "kind": "variety", "variety": "甲", "grant": 600000}])
    unit, match = result(rep, "T-unit", "s"), result(rep, "T-match", "v1")
    assert unit.ceiling == D("1000000.00") and not unit.caps
    assert match.ceiling == D("0.00")
    assert match.caps[0].cap == "per_entity_year" and match.caps[0].before == D("300000.00")


def test_staged_sum_and_schedule(policies):
    r = result(run(policies, [{"id": "i", "kind": "incubator", "recognised": True}]), "T-staged", "i")
    assert r.ceiling == D("300000.00")
    assert [(s.after_months, s.amount) for s in r.schedule] == [(0, D(200000)), (12, D(100000))]


def test_no_amount_programme_is_eligible_without_a_ceiling(policies):
    r = result(run(policies), "T-talent")
    assert r.status == "eligible" and r.ceiling is None


def test_soft_criterion_failure_is_reported_not_hidden(policies):
    r = result(run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 100000, "signed": "2026-03-01"}], debt_ratio="0.7001"), "T-rent", "l1")
    assert r.status == "eligible" and [c.id for c in r.soft_failed] == ["debt"]
    r = result(run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 100000, "signed": "2026-03-01"}], debt_ratio="0.70"), "T-rent", "l1")
    assert r.soft_failed == []


@pytest.mark.parametrize(
    "signed, status",
    [("2024-12-31", "not_in_force"), ("2025-01-01", "eligible"), ("2026-01-24", "eligible"), ("2027-12-31", "eligible")],
)
def test_window_edges_on_the_event_date(policies, signed, status):
    rep = run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 100000, "signed": signed}], on=dt.date(2027, 12, 31))
    r = result(rep, "T-rent", "l1")
    assert r.status == status
    if status == "not_in_force":
        assert "2025-01-01" in r.reason_en and "2027-12-31" in r.reason_en


def test_application_after_the_end_is_not_in_force_naming_the_end_date(policies):
    # 有效期至 2027 年 12 月 31 日: an application on 2028-01-01 is refused even for an event inside the window
    rep = run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 100000, "signed": "2027-12-31"}], on=dt.date(2028, 1, 1))
    r = result(rep, "T-rent", "l1")
    assert r.status == "not_in_force" and "2027-12-31" in r.reason_zh and "2028-01-01" in r.reason_en


def test_an_event_after_the_application_date_is_an_input_error(policies):
    from huiqi.rules.errors import ProfileError

    with pytest.raises(ProfileError) as err:
        run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 100000, "signed": "2026-07-02"}], on=dt.date(2026, 7, 1))
    assert err.value.problems[0].field == "claims[0].signed"
    assert "2026-07-02" in err.value.problems[0].message_zh and "after the application" in err.value.problems[0].message_en
    # the same day is not in the future
    r = result(run(policies, [{"id": "l1", "kind": "lease", "annual_rent": 100000, "signed": "2026-07-01"}], on=dt.date(2026, 7, 1)), "T-rent", "l1")
    assert r.status == "eligible"


def test_evaluation_before_issue_is_not_in_force(policies):
    r = result(run(policies, on=dt.date(2025, 12, 24)), "T-talent")
    assert r.status == "not_in_force"


def test_unknown_is_not_false(policies):
    r = result(run(policies, [{"id": "p", "kind": "portfolio"}]), "T-bands", "p")
    assert r.status == "needs_info" and r.missing == {"portfolio.turnover"}


def test_missing_claim_subject_is_asked_for(policies):
    r = result(run(policies), "T-bands")
    assert r.status == "needs_info" and r.missing_claim == "portfolio"


def test_out_of_scope(policies):
    assert {r.status for r in run(policies, district="黄浦区").results} == {"out_of_scope"}


# ------------------------------------------------------------------ bad input


def test_profile_errors_name_each_field(policies):
    with pytest.raises(ProfileError) as info:
        parse_profile(
            {"enterprise": {"district": "测试区", "revenue": "-5", "founded": "2025-02-30", "staff": "many", "colour": "red", "uscc": "91310000MA1FL4LK6X"}, "claims": [{"kind": "spaceship"}]},
            policies.vocabulary,
        )
    fields = {p.field for p in info.value.problems}
    assert {"enterprise.revenue", "enterprise.founded", "enterprise.staff", "enterprise.colour", "enterprise.uscc", "claims[0].kind"} <= fields
    for p in info.value.problems:
        assert p.message_zh and p.message_en


def _write(tmp_path, doc_text):
    (tmp_path / "facts.yaml").write_text((FIXTURE / "facts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "d.yaml").write_text(doc_text, encoding="utf-8")


def test_undeclared_fact_fails_to_load_with_file_and_line(tmp_path):
    text = (FIXTURE / "test-doc.yaml").read_text(encoding="utf-8").replace("incubator.recognised, clause", "incubator.licensed, clause")
    _write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    p = info.value.problems[0]
    assert "incubator.licensed" in p.message_en and p.file.endswith("d.yaml")
    assert p.line == text.splitlines().index(next(l for l in text.splitlines() if "incubator.licensed" in l)) + 1


def test_malformed_yaml_reports_line(tmp_path):
    _write(tmp_path, "document:\n  id: x\n  bad: [unclosed\n")
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert info.value.problems[0].line is not None and "YAML" in info.value.problems[0].message_en


def test_clause_is_required(tmp_path):
    text = (FIXTURE / "test-doc.yaml").read_text(encoding="utf-8").replace("      clause: 按规定给予相应奖励。\n", "")
    _write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert any("clause" in p.message_en for p in info.value.problems)


# ------------------------------------------------------------------ properties

money = st.decimals(min_value=0, max_value=10**10, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(count=st.integers(0, 20), grants=st.lists(money, max_size=4), rent=money, turnover=money)
def test_caps_never_exceeded_and_amounts_never_negative(policies, count, grants, rent, turnover):
    claims = [{"id": "s", "kind": "specialty", "count": count}, {"id": "l", "kind": "lease", "annual_rent": str(rent), "signed": "2026-03-01"}, {"id": "p", "kind": "portfolio", "turnover": str(turnover)}]
    claims += [{"id": f"v{i}", "kind": "variety", "variety": f"品种{i}", "grant": str(g)} for i, g in enumerate(grants)]
    rep = run(policies, claims)
    capped = sum((r.ceiling for r in rep.results if r.programme.id in ("T-unit", "T-match") and r.ceiling is not None), D(0))
    assert capped <= D(1000000)
    for r in rep.results:
        assert r.ceiling is None or r.ceiling >= 0
        assert r.ceiling is None or r.ceiling == r.ceiling.quantize(D("0.01"))
    assert result(rep, "T-rent", "l").ceiling <= D(1500000)
    assert result(rep, "T-bands", "p").ceiling in (None,) or result(rep, "T-bands", "p").ceiling <= D(50000)


def test_enum_typo_in_a_rule_fails_to_load(tmp_path):
    text = (FIXTURE / "test-doc.yaml").read_text(encoding="utf-8").replace('enterprise.town in ["亭林镇", "山阳镇"]', 'enterprise.kind == "药"')
    _write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert any("enterprise.kind" in p.message_en and "药品" in p.message_en for p in info.value.problems)


def test_missing_claim_subject_gives_no_ceiling(policies):
    # a fixed-sum programme with no claim described: ask for the claim, promise nothing yet
    r = result(run(policies), "T-unit")
    assert r.status == "needs_info" and r.ceiling is None


def test_annual_cap_counts_per_event_year(policies, tmp_path):
    # the retroactive window spans 2025 and 2026: 每年 caps count each year separately
    text = (FIXTURE / "test-doc.yaml").read_text(encoding="utf-8").replace("    subject: variety\n", "    subject: variety\n    event_date: variety.granted\n")
    _write(tmp_path, text)
    facts = (tmp_path / "facts.yaml").read_text(encoding="utf-8").replace("    grant: {type: money", "    granted: {type: date, zh: 资助日, en: grant date}\n    grant: {type: money")
    (tmp_path / "facts.yaml").write_text(facts, encoding="utf-8")
    ps = load_policies(tmp_path)
    claims = [
        {"id": "a", "kind": "variety", "variety": "甲", "grant": 1600000, "granted": "2025-06-01"},
        {"id": "b", "kind": "variety", "variety": "乙", "grant": 1600000, "granted": "2026-03-01"},
    ]
    rep = run(ps, claims)
    # 1:0.5 → 80 万 each; in different years the 100 万 cap does not bite
    assert result(rep, "T-match", "a").ceiling == D("800000.00")
    assert result(rep, "T-match", "b").ceiling == D("800000.00")
    claims[1]["granted"] = "2025-09-01"
    rep = run(ps, claims)
    assert result(rep, "T-match", "b").ceiling == D("200000.00")


# ------------------------------------------------------------------ a programme's own scope
# Fixture tests/rules/fixture_policies/programme_scope restates 金科〔2025〕25号: the document's
# scope “申报单位需在金山区范围内进行注册登记” (line 204); 专题一 科技金融服务站 “为本区科技企业
# 提供履约贷……金融服务的科技金融机构” (line 1348), “贷款金额的 3‰予以资助，……最高不超过 100 万元”
# (line 1342); 人才奖 “在金山区工作并缴纳社保” (line 1095), “最高给予 5 万元” (line 1051).

SCOPE_FIXTURE = FIXTURE / "programme_scope"


@pytest.fixture(scope="module")
def scoped():
    return load_policies(SCOPE_FIXTURE)


def run_scoped(ps, claims=(), on=dt.date(2025, 9, 1), **enterprise):
    profile = parse_profile({"enterprise": {"district": "测试区", **enterprise}, "claims": list(claims)}, ps.vocabulary)
    return evaluate(ps, profile, on=on)


STATION = {"id": "s1", "kind": "station", "serves_district": True, "licensed": True, "loans": 200000000}


def test_programme_scope_is_loaded_as_a_tuple_of_criteria_and_absent_scope_is_none(scoped):
    station = scoped.programme("T-station")
    assert isinstance(station.scope, tuple) and [c.id for c in station.scope] == ["serves_district"]
    assert station.scope[0].clause.text.startswith("为本区科技企业提供履约贷")
    assert scoped.programme("T-doc-scope").scope is None
    doc = scoped.document("scope-doc")
    assert scoped.programme("T-doc-scope").scope_in(doc) == doc.scope
    assert station.scope_in(doc) == station.scope


def test_programme_scope_replaces_the_document_scope(scoped):
    # registered elsewhere: the document's scope fails for T-doc-scope, but T-station's own scope
    # (serves the district's firms) replaces it: 200,000,000 × 3‰ = 600,000 ≤ 1,000,000
    rep = run_scoped(scoped, [STATION], district="浦东新区")
    doc = result(rep, "T-doc-scope")
    assert doc.status == "out_of_scope" and [c.id for c in doc.failed] == ["in_district"]
    station = result(rep, "T-station", "s1")
    assert station.status == "eligible" and station.ceiling == D("600000.00")
    assert station.failed == [] and "in_district" not in {c.id for c in station.passed}


def test_failed_programme_scope_is_out_of_scope_with_its_clause_even_inside_the_district(scoped):
    # registered in the district, but the station does not serve the district's firms: the document's
    # scope would pass; the programme's own scope fails → out_of_scope, citing line 1348's sentence
    rep = run_scoped(scoped, [{**STATION, "serves_district": False, "licensed": False}])
    r = result(rep, "T-station", "s1")
    assert r.status == "out_of_scope" and r.ceiling is None and r.missing == set()
    assert [c.id for c in r.failed] == ["serves_district"]  # scope first: the failed licence is not reached
    assert r.failed[0].clause.text == "为本区科技企业提供履约贷、微贷通、小巨人信用贷等金融服务的科技金融机构"
    assert "T-station" in r.reason_en and "T-station" in r.reason_zh
    out = rep.to_dict()["results"]
    js = next(x for x in out if x["programme"] == "T-station")
    assert js["status"] == "out_of_scope"
    assert js["failed"][0]["criterion"] == "serves_district"
    assert js["failed"][0]["clause"] == {"document": "测试〔2025〕2号", "ref": "", "line": None, "text": r.failed[0].clause.text}
    assert any(c["text"] == r.failed[0].clause.text for c in js["citations"])


def test_programme_scope_comes_before_the_window(scoped):
    # evaluated before the document was issued (2025-04-30): out_of_scope still wins over not_in_force
    r = result(run_scoped(scoped, [{**STATION, "serves_district": False}], on=dt.date(2025, 4, 29)), "T-station", "s1")
    assert r.status == "out_of_scope"
    r = result(run_scoped(scoped, [STATION], on=dt.date(2025, 4, 29)), "T-station", "s1")
    assert r.status == "not_in_force"


def test_unknown_programme_scope_fact_needs_info_and_asks_for_it(scoped):
    claim = {k: v for k, v in STATION.items() if k != "serves_district"}
    rep = run_scoped(scoped, [claim], district="浦东新区")
    r = result(rep, "T-station", "s1")
    assert r.status == "needs_info" and r.missing == {"station.serves_district"}
    assert r.ceiling == D("600000.00")  # what it would be once the scope is confirmed
    js = next(x for x in rep.to_dict()["results"] if x["programme"] == "T-station")
    assert [m["fact"] for m in js["missing"]] == ["station.serves_district"]
    assert js["missing"][0]["zh"] == "为本区科技企业提供金融服务"


def test_person_scope_ignores_the_employers_registration(scoped):
    # 人才奖: a person working in the district, employer registered elsewhere → eligible, at most 50,000
    person = {"id": "p1", "kind": "person", "works_in_district": True, "social_insurance": True}
    r = result(run_scoped(scoped, [person], district="浦东新区"), "T-person", "p1")
    assert r.status == "eligible" and r.ceiling == D("50000.00") and r.discretionary
    # working elsewhere, employer in the district → out of this programme's scope
    r = result(run_scoped(scoped, [{**person, "works_in_district": False}]), "T-person", "p1")
    assert r.status == "out_of_scope" and [c.id for c in r.failed] == ["works_in_district"]
    # in scope, but no social insurance in the district → an ordinary failed criterion
    r = result(run_scoped(scoped, [{**person, "social_insurance": False}], district="浦东新区"), "T-person", "p1")
    assert r.status == "ineligible" and [c.id for c in r.failed] == ["social_insurance"]


def test_programme_with_scope_stays_picklable_and_comparable(scoped):
    import pickle

    p = scoped.programme("T-station")
    back = pickle.loads(pickle.dumps(p))
    assert back == p and back.scope == p.scope


def test_catalogue_shows_the_programmes_own_scope(scoped):
    from huiqi.rules.catalogue import programme_detail

    doc = scoped.document("scope-doc")
    assert [c["id"] for c in programme_detail(scoped.programme("T-station"), doc)["criteria"]] == ["serves_district", "licensed"]
    assert [c["id"] for c in programme_detail(scoped.programme("T-doc-scope"), doc)["criteria"]] == ["in_district"]


def _write_scoped(tmp_path, doc_text):
    (tmp_path / "facts.yaml").write_text((SCOPE_FIXTURE / "facts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "d.yaml").write_text(doc_text, encoding="utf-8")


def _line_of(text, needle):
    return next(i for i, l in enumerate(text.splitlines(), 1) if needle in l)


def test_undeclared_fact_in_a_programme_scope_fails_to_load_with_file_and_line(tmp_path):
    text = (SCOPE_FIXTURE / "scope-doc.yaml").read_text(encoding="utf-8").replace("test: station.serves_district", "test: station.in_district")
    _write_scoped(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    [p] = info.value.problems
    assert p.field == "programmes[T-station].scope[0].test"
    assert "station.in_district" in p.message_en and "station.in_district" in p.message_zh
    assert p.file.endswith("d.yaml") and p.line == _line_of(text, "test: station.in_district")


def test_programme_scope_gets_the_same_type_and_subject_checks(tmp_path):
    text = (SCOPE_FIXTURE / "scope-doc.yaml").read_text(encoding="utf-8").replace(
        "test: station.serves_district", 'test: station.serves_district and enterprise.kind == "公司"'
    ).replace("test: person.works_in_district,", "test: station.licensed,")
    _write_scoped(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    msgs = {p.field: p.message_en for p in info.value.problems}
    assert "公司" in msgs["programmes[T-station].scope[0].test"] and "企业" in msgs["programmes[T-station].scope[0].test"]
    assert "station.licensed" in msgs["programmes[T-person].scope[0].test"] and "person" in msgs["programmes[T-person].scope[0].test"]


@pytest.mark.parametrize(
    "old, new, field",
    [
        # an empty scope would silently drop the document's scope: refused
        ("    scope:\n      - {id: works_in_district, test: person.works_in_district, clause: 在本区工作并缴纳社保}\n", "    scope: []\n", "programmes[T-person].scope"),
        # 原则上 has no place in a scope: failing a scope criterion is out_of_scope
        ("test: person.works_in_district, clause", "test: person.works_in_district, soft: true, clause", "programmes[T-person].scope[0].soft"),
        # a scope criterion must quote its clause like any criterion
        ("test: person.works_in_district, clause: 在本区工作并缴纳社保}", "test: person.works_in_district}", "programmes[T-person].scope[0].clause"),
        # ids are unique across the programme's scope and criteria
        ("{id: social_insurance,", "{id: works_in_district,", "programmes[T-person].criteria"),
    ],
)
def test_malformed_programme_scope_is_refused(tmp_path, old, new, field):
    text = (SCOPE_FIXTURE / "scope-doc.yaml").read_text(encoding="utf-8")
    assert old in text
    _write_scoped(tmp_path, text.replace(old, new))
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert field in {p.field for p in info.value.problems}
    for p in info.value.problems:
        assert p.message_zh and p.message_en and p.line
