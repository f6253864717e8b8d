"""Solver witnesses for every programme of both shipped documents, run through the engine.

For each programme z3 finds a profile that makes it eligible (every criterion, the scope, the
validity window and the support standard) and the smallest change of one fact after which it is
not; both are run through the engine here. A programme nobody can be eligible for, or whose
eligibility no single fact decides, fails. ``huiqi policies witnesses --out DIR`` writes the same
cases as policy tests; the last test runs a written file through ``policies/conftest.py``'s runner.
Solver time per check: HUIQI_Z3_TIMEOUT_MS (default 2000).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from huiqi.rules import load_policies
from huiqi.rules.policytests import read_cases, run_case
from huiqi.rules.solver import part_maximum, stated_ceilings, witness_case, witness_files

ROOT = Path(__file__).resolve().parents[2]
POLICIES = load_policies(ROOT / "policies")
PROGRAMMES = [(d, p) for d in POLICIES.documents for p in d.programmes]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, list]:
    """`huiqi policies witnesses` for both documents, read back as policy tests, by programme."""
    out = tmp_path_factory.mktemp("witnesses")
    for doc_id, data in witness_files(POLICIES).items():
        (out / f"{doc_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cases: dict[str, list] = {}
    for path in sorted(out.glob("*.yaml")):
        for case in read_cases(path):
            cases.setdefault(case.expect[0]["programme"], []).append(case)
    return cases


@pytest.mark.parametrize("document, programme", PROGRAMMES, ids=[p.id for _, p in PROGRAMMES])
def test_every_programme_has_a_witness_and_a_flip_the_engine_agrees_with(document, programme, written):
    cases = written.get(programme.id, [])
    if len(cases) != 2:  # say why: no witness, or the engine disagrees with the solver
        pytest.fail(f"{programme.id}: {witness_case(POLICIES, programme, document).problem or 'no cases written'}")
    witness, flip = cases
    assert witness.expect[0]["status"] == "eligible"
    assert flip.expect[0]["status"] in ("ineligible", "out_of_scope", "not_in_force")
    for case in cases:  # run as policy tests: the engine gives what the case expects
        assert run_case(case, POLICIES) == [], case.name


def test_a_revenue_threshold_flips_at_one_yuan_below():
    # 金科〔2025〕25号 专题一 (工程技术研究中心, line 1188ff): 近三年平均主营业务收入不低于 5000 万元 —
    # the smallest change that ends eligibility is one yuan less on a revenue figure.
    d = POLICIES.document("jinshan-2025-25")
    wc = witness_case(POLICIES, d.programme("J8.1"), d)
    flip = wc.witness.flip
    assert flip.fact.startswith("enterprise.") and isinstance(flip.before, int)
    assert abs(flip.after - flip.before) == 1 and wc.flip_status == "ineligible"


def test_the_event_window_flip_is_the_day_before_the_retroactive_window():
    # 黄科委规〔2025〕2号 line 91: 2025 年 1 月 1 日至本措施实施前……参照本措施执行 — an event on
    # 2024-12-31 is outside; the witness's event is inside and not after the evaluation day.
    d = POLICIES.document("huangpu-2025-2")
    wc = witness_case(POLICIES, d.programme("H7a"), d)
    assert wc.witness.flip.after == dt.date(2024, 12, 31) and wc.flip_status == "not_in_force"
    event = wc.witness.facts["municipal_grant.grant_date"]
    assert dt.date(2025, 1, 1) <= event <= wc.on


def test_the_most_an_amount_reaches_is_its_stated_ceiling():
    # 金科〔2025〕25号 line 771: 按照中标金额的 1%给予补贴，每家企业单年度最高可支持 300 万元.
    d = POLICIES.document("jinshan-2025-25")
    p = d.programme("J4.1")
    assert max(c for c, _ in stated_ceilings(p)) == 3_000_000
    most = part_maximum(p, d, POLICIES.vocabulary, p.support.amount)
    assert most.status == "bounded" and most.value == 3_000_000
    assert part_maximum(p, d, POLICIES.vocabulary, p.support.amount, caps=False).status == "unbounded"


def test_witness_files_are_readable_policy_tests(written):
    # the flip's name says which fact changed and how, in the fact's own words
    j81 = written["J8.1"][1]
    assert j81.name.startswith("J8.1：只改一项 ") and "→" in j81.name
    assert j81.clause.startswith("金科〔2025〕25号 ")
    assert sum(len(v) for v in written.values()) == 2 * len(PROGRAMMES)
