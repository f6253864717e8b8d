"""What the match keeps between answers and within one (issue 17) never changes an answer: tests
evaluated once per claim, compiled expressions, the match JSON's shared parts, the compact form
built directly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from huiqi.rules import evaluate, load_policies, parse_profile, read_profile_file
from huiqi.rules import expr as E
from huiqi.rules.report import compact, expand, report_summary
from tests.rules.versions_fixture import policy_dir

ROOT = Path(__file__).resolve().parents[2]
ON = dt.date(2025, 9, 1)
ENTERPRISE = {
    "name": "示例",
    "registered_district": "金山区",
    "org_type": "企业",
    "independent_legal_person": True,
    "biomed_business": True,
}


def _drug(cid: str, marketed: bool) -> dict:
    return {
        "id": cid,
        "kind": "drug",
        "innovative_drug": True,
        "new_drug_certificate": True,
        "marketed_in_district": marketed,
        "registration_date": "2025-03-01",
    }


def test_a_claim_fact_test_is_judged_for_each_claim():
    # J2.1's criterion `drug.marketed_in_district` (seed 001, 专题二 1.) is one expression object for
    # both drugs: the memo keys it by claim, so the drug not marketed in the district fails it alone
    ps = load_policies()
    prof = parse_profile({"enterprise": ENTERPRISE, "claims": [_drug("a", True), _drug("b", False)]}, ps.vocabulary)
    j21 = {r.claim.id: r for r in evaluate(ps, prof, on=ON, programmes=["J2.1"]).results if r.programme.id == "J2.1"}
    failed = {cid: [c.test for c in r.failed] for cid, r in j21.items()}
    assert "drug.marketed_in_district" not in failed["a"]
    assert failed["b"] == ["drug.marketed_in_district"] and j21["b"].status == "ineligible"
    # the enterprise-wide tests are shared: both claims miss the same enterprise facts
    assert j21["a"].status == "needs_info" and "enterprise.sales_settled_in_district" in j21["a"].missing


def test_a_compiled_expression_reads_each_lookup_afresh():
    node = E.parse("if(enterprise.employees > 10, enterprise.employees * 2, 0)")
    assert E.evaluate(node, {"enterprise.employees": E.coerce_literal(20)}.get) == 40
    assert E.evaluate(node, {"enterprise.employees": E.coerce_literal(5)}.get) == 0
    assert E.evaluate(node, {}.get) is None  # unknown condition, branches differ: unknown
    assert E.compiled(node) is E.compiled(node)


def test_the_compact_form_built_directly_is_compact_of_the_full_document():
    ps = load_policies()
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        report = evaluate(ps, read_profile_file(path, ps.vocabulary), on=dt.date(2025, 6, 30), future_events="ignore")
        full = report.to_dict()
        direct = report.to_dict("compact")
        assert orjson.dumps(direct) == orjson.dumps(compact(full)), path.name  # same keys, same order
        assert expand(direct) == full
        summary = report_summary(report)
        assert [s["status"] for s in summary["results"]] == [r["status"] for r in full["results"]]


def test_answers_share_the_fixed_parts_and_stay_equal():
    ps = load_policies()
    prof = parse_profile({"enterprise": ENTERPRISE, "claims": [_drug("a", True)]}, ps.vocabulary)
    one, two = evaluate(ps, prof, on=ON).to_dict(), evaluate(ps, prof, on=ON).to_dict()
    assert one == two
    assert one["results"][0]["citations"][0] is two["results"][0]["citations"][0]  # one dict per clause


def test_the_version_shown_follows_the_family_when_it_is_linked_again(tmp_path):
    ps = load_policies(policy_dir(tmp_path))
    prof = parse_profile({"enterprise": {"registered_district": "黄浦区"}}, ps.vocabulary)

    def h1_version() -> dict:
        results = evaluate(ps, prof, on=dt.date(2026, 6, 30)).to_dict()["results"]
        [r] = [r for r in results if r["programme"] == "H1" and r["document_id"] == "huangpu-2025-2"]
        return r["version"]

    assert (h1_version()["index"], h1_version()["of"]) == (1, 2)  # 黄科委规〔2025〕2号, then its revision
    for d in ps.documents:  # unlinked, as versions.link leaves documents before it links them again
        d.family = []
    assert (h1_version()["index"], h1_version()["of"]) == (1, 1)
