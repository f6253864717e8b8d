"""``huiqi policies lint``: each check fires on a crafted bad policy file, with its file:line, and
stays silent once the file is right; the shipped documents give no error beyond the known list.

Each crafted file is a small document written into a temporary policy directory; the sums and
sentences are Jinshan's (金科〔2025〕25号) or Huangpu's (黄科委规〔2025〕2号), cited where used.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from huiqi.rules import evaluate, load_policies
from huiqi.rules.lint import ENFORCED_BY, ERROR, WARNING, lint, load_known, triage, unread_profile_facts
from huiqi.rules.profile import parse_profile

ROOT = Path(__file__).resolve().parents[2]

FACTS = """\
subjects:
  enterprise: {zh: 企业, en: enterprise}
  call: {zh: 申报批次, en: call}
  lease: {zh: 租赁, en: lease}
facts:
  enterprise:
    district: {type: text, zh: 注册地, en: district}
    revenue: {type: money, unit: 元, zh: 营业收入, en: revenue}
    employees: {type: int, zh: 员工人数, en: employees}
    prior_award: {type: bool, zh: 此前已获本项奖励, en: already awarded}
  call:
    date: {type: date, zh: 申报日, en: call date}
  lease:
    annual_rent: {type: money, unit: 元, zh: 年租金, en: annual rent}
    start_date: {type: date, zh: 租赁起始日, en: lease start date}
    address: {type: text, zh: 租赁地址, en: address}
"""

HEAD = """\
document:
  id: lint-doc
  number: 测试〔2025〕9号
  issuer: 测试区科委
  title: lint 测试
  district: 测试区
  issued: 2025-04-30
  window_basis: application_date
  in_force: {from: 2025-04-30, until: null}
  scope:
    - {id: in_district, test: enterprise.district == "测试区", clause: 申报单位需在本区注册}
"""


def _dir(tmp_path: Path, programmes: str, extra: str = "") -> Path:
    (tmp_path / "facts.yaml").write_text(FACTS, encoding="utf-8")
    text = HEAD + extra + "programmes:\n" + textwrap.indent(textwrap.dedent(programmes), "  ")
    (tmp_path / "lint-doc.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def _findings(tmp_path: Path, check: str | None = None):
    found = lint(load_policies(tmp_path))
    return [f for f in found if check is None or f.check == check]


RENT = """\
- id: R1
  title: 房租补贴
  department: 区科委
  mode: online
  subject: lease
  criteria:
    - {id: rent_known, test: lease.annual_rent > 0, clause: 租赁用房}
  support:
    discretionary: true
    clause: 三年内按照租金的 30%给予补贴，单年度最高补贴 50 万元。
    amount: {rate: {base: lease.annual_rent, rate: 30%, cap: 500000}}
"""


# ------------------------------------------------------------------ unread facts


def test_a_declared_fact_no_rule_reads_is_a_warning_at_its_declaration(tmp_path):
    # Issue 15 defect 1: lease.start_date was declared for the three years of rent and never read.
    d = _dir(tmp_path, RENT)
    found = _findings(d, "unread-fact")
    start = [f for f in found if f.key == "lease.start_date"]
    assert len(start) == 1 and start[0].level == WARNING
    assert start[0].file == str(d / "facts.yaml") and start[0].line == _line_of(d / "facts.yaml", "start_date:")
    # a name or address kept for the record is no finding; neither is a fact that is read
    assert not [f for f in found if f.key in ("lease.address", "lease.annual_rent", "enterprise.district")]


def test_a_profile_fact_no_rule_reads_is_listed_by_match(tmp_path):
    d = _dir(tmp_path, RENT)
    ps = load_policies(d)
    profile = parse_profile(
        {
            "enterprise": {"district": "测试区", "employees": 12},
            "claims": [
                {
                    "id": "l1",
                    "kind": "lease",
                    "annual_rent": 1000000,
                    "start_date": "2025-01-01",
                    "address": "某路 1 号",
                }
            ],
        },
        ps.vocabulary,
    )
    assert unread_profile_facts(ps, profile) == ["enterprise.employees", "lease.start_date"]
    data = evaluate(ps, profile, on=dt.date(2025, 9, 1)).to_dict()
    assert [(w["kind"], w["fact"]) for w in data["warnings"]] == [
        ("unread_fact", "enterprise.employees"),
        ("unread_fact", "lease.start_date"),
    ]
    assert "员工人数" in data["warnings"][0]["zh"] and "no rule reads it" in data["warnings"][0]["en"]


# ------------------------------------------------------------------ time / count limits


def test_a_time_limit_in_the_clause_with_nothing_enforcing_it_is_an_error_at_the_support(tmp_path):
    # 金科〔2025〕25号 line 32: "三年内按照租金的 30%给予补贴" encoded as a single year's rate.
    d = _dir(tmp_path, RENT)
    found = _findings(d, "unenforced-limit")
    assert [(f.level, f.programme, f.key) for f in found] == [(ERROR, "R1", "三年内")]
    assert found[0].line == _line_of(d / "lint-doc.yaml", "  support:") and found[0].file == str(d / "lint-doc.yaml")
    assert "三年内" in found[0].message_zh and "multi_year" in found[0].message_en


def test_a_multi_year_amount_enforces_three_years(tmp_path):
    fixed = RENT.replace(
        "amount: {rate: {base: lease.annual_rent, rate: 30%, cap: 500000}}",
        "amount: {multi_year: {years: 3, each_year: {rate: {base: lease.annual_rent, rate: 30%, cap: 500000}}}}",
    )
    assert _findings(_dir(tmp_path, fixed), "unenforced-limit") == []


def test_a_note_named_in_limits_explained_answers_the_words(tmp_path):
    explained = RENT + (
        "  limits_explained: {三年内: three-years-by-call}\n"
        "  notes:\n"
        "    - {id: three-years-by-call, zh: 每年的申报指南只受理三年内的租赁, en: the yearly call only admits leases within three years}\n"
    )
    assert _findings(_dir(tmp_path, explained), "unenforced-limit") == []


def test_limits_explained_must_name_a_real_note_and_a_real_limit_word(tmp_path):
    bad = RENT + "  limits_explained: {三年内: no-such-note, 永远: no-such-note}\n"
    d = _dir(tmp_path, bad)
    found = _findings(d, "limits-explained")
    assert {f.level for f in found} == {ERROR}
    assert any("no-such-note" in f.message_en for f in found) and any("永远" in f.message_en for f in found)
    assert all(f.line == _line_of(d / "lint-doc.yaml", "limits_explained") for f in found)


ONE_OFF = """\
- id: C1
  title: 新增工程技术研究中心
  department: 区科委
  mode: online
  subject: enterprise
  criteria:
    - {id: revenue, test: enterprise.revenue >= 50000000, clause: 近三年平均主营业务收入不低于 5000 万元}
  support:
    discretionary: false
    clause: 对新增的区级工程技术研究中心，给予一次性 15 万元支持。
    amount: {fixed: 150000}
"""


def test_one_off_support_without_a_first_time_check_is_an_error_for_each_word(tmp_path):
    # 金科〔2025〕25号 lines 1188, 1209 (issue 15 defect 4): 新增…一次性 15 万元 with no check.
    found = _findings(_dir(tmp_path, ONE_OFF), "unenforced-limit")
    assert sorted(f.key for f in found) == ["一次性", "新增"]


def test_a_criterion_reading_a_prior_award_fact_enforces_one_off_and_new(tmp_path):
    fixed = ONE_OFF.replace(
        "    - {id: revenue,",
        "    - {id: not_before, test: not enterprise.prior_award, clause: 对新增的区级工程技术研究中心}\n    - {id: revenue,",
    )
    assert _findings(_dir(tmp_path, fixed), "unenforced-limit") == []


def test_the_table_names_every_limit_word_of_the_issue():
    assert set(ENFORCED_BY) == {"三年内", "一次性", "每两年", "每年", "不重复", "就高", "新增", "首次"}
    assert (
        "once" in ENFORCED_BY["一次性"]
        and "cap_over_policy" in ENFORCED_BY["三年内"]
        and "multi_year_from" in ENFORCED_BY["三年内"]
    )


# ------------------------------------------------------------------ bands and tiers

BANDS = """\
- id: B1
  title: 技术合同
  department: 区科委
  mode: online
  subject: enterprise
  support:
    discretionary: true
    clause: 2000 万元（含）—5000 万元按 2‱，最高 1 万元；5000 万元（含）以上按 3‱，最高 5 万元。
    amount:
      bands:
        base: enterprise.revenue
        bands:
          - {from: 20000000, to: BAND_TO, rate: 2‱, cap: 10000}
          - {from: 50000000, rate: HIGH_RATE, cap: 50000}
"""


@pytest.mark.parametrize(
    "to, high_rate, words",
    [
        ("40000000", "3‱", "gap between 40000000 and 50000000"),
        ("60000000", "3‱", "overlap"),
        ("50000000", "1‱", "rate 0.0001 is below"),
    ],
    ids=["gap", "overlap", "falling-rate"],
)
def test_bands_must_be_contiguous_and_rise(tmp_path, to, high_rate, words):
    # 金科〔2025〕25号 line 1585: the two bands meet at 5000 万元 and the rate rises from 2‱ to 3‱.
    d = _dir(tmp_path, BANDS.replace("BAND_TO", to).replace("HIGH_RATE", high_rate))
    found = [f for f in _findings(d, "bands") if f.level == ERROR]
    assert found and any(words in f.message_en for f in found), [f.message_en for f in found]
    assert found[0].line == _line_of(d / "lint-doc.yaml", "  support:")


def test_the_texts_bands_are_right_but_a_ceiling_that_cannot_bind_is_a_warning(tmp_path):
    # 2000 万 — 5000 万 × 2‱ reaches 1 万 only at 5000 万, which is the next band: the 1 万 never binds.
    d = _dir(tmp_path, BANDS.replace("BAND_TO", "50000000").replace("HIGH_RATE", "3‱"))
    assert _findings(d, "bands") == []
    never = _findings(d, "cap-never-binds")
    assert [(f.level, f.programme) for f in never] == [(WARNING, "B1")] and "20000000" in never[0].message_en


TIERS = """\
- id: T1
  title: 做强做优
  department: 区科委
  mode: online
  subject: enterprise
  criteria:
    - {id: not_before, test: not enterprise.prior_award, clause: 首次突破}
  support:
    discretionary: false
    clause: 首次突破 5000 万元、1 亿元，分别给予 20、50 万元，就高（不重复）。
    amount:
      highest_tier:
        value: enterprise.revenue
        tiers:
          - {at_least: 50000000, amount: 200000}
          - {at_least: 100000000, amount: SECOND}
"""


def test_milestone_tiers_must_pay_more_for_a_higher_threshold(tmp_path):
    bad = _findings(_dir(tmp_path, TIERS.replace("SECOND", "150000")), "tiers")
    assert [(f.level, f.programme) for f in bad] == [(ERROR, "T1")] and "150000" in bad[0].message_en


def test_rising_tiers_are_silent(tmp_path):
    assert _findings(_dir(tmp_path, TIERS.replace("SECOND", "500000")), "tiers") == []


def test_a_document_cap_above_everything_its_programmes_can_pay_never_binds(tmp_path):
    caps = "caps:\n  - {id: per-year, amount: 1000000, programmes: [C1], clause: 单个主体每年最高 100 万元}\n"
    fixed = ONE_OFF.replace(
        "    - {id: revenue,",
        "    - {id: not_before, test: not enterprise.prior_award, clause: 新增}\n    - {id: revenue,",
    )
    d = _dir(tmp_path, fixed, extra=caps)
    found = _findings(d, "cap-never-binds")
    assert [(f.level, f.line) for f in found] == [(WARNING, _line_of(d / "lint-doc.yaml", "id: per-year"))]
    assert "150000" in found[0].message_en


# ------------------------------------------------------------------ the solver


def test_contradicting_criteria_leave_no_witness_and_are_named(tmp_path):
    bad = ONE_OFF.replace(
        "    - {id: revenue,",
        "    - {id: not_before, test: not enterprise.prior_award, clause: 新增}\n"
        "    - {id: small, test: enterprise.revenue < 20000000, clause: 小微企业}\n    - {id: revenue,",
    )
    d = _dir(tmp_path, bad)
    found = _findings(d, "no-witness")
    assert [(f.level, f.programme) for f in found] == [(ERROR, "C1")]
    assert (
        "small" in found[0].message_en and "revenue" in found[0].message_en and "not_before" not in found[0].message_en
    )
    assert found[0].line == _line_of(d / "lint-doc.yaml", "- id: C1")


def test_an_amount_above_the_ceiling_its_clause_states_is_an_error(tmp_path):
    # 最高补贴 50 万元 written as a rate without its cap: the amount is unbounded.
    uncapped = RENT.replace("rate: 30%, cap: 500000}}", "rate: 30%}}").replace("三年内", "每年")
    d = _dir(tmp_path, uncapped)
    found = _findings(d, "above-ceiling")
    assert (
        [(f.level, f.programme) for f in found] == [(ERROR, "R1")]
        and "500000" in found[0].message_en
        and "unbounded" in found[0].message_en
    )
    # a cap set above the text's ceiling: the maximum found by the solver is named
    high = RENT.replace("cap: 500000", "cap: 600000").replace("三年内", "每年")
    found = _findings(_dir(tmp_path, high), "above-ceiling")
    assert len(found) == 1 and "600000" in found[0].message_en


def test_a_multi_year_amount_is_checked_per_year(tmp_path):
    three = RENT.replace(
        "amount: {rate: {base: lease.annual_rent, rate: 30%, cap: 500000}}",
        "amount: {multi_year: {years: 3, each_year: {rate: {base: lease.annual_rent, rate: 30%, cap: 500000}}}}",
    )
    assert _findings(_dir(tmp_path, three), "above-ceiling") == []  # 3 × 50 万 is three years of 单年度最高 50 万


# ------------------------------------------------------------------ the shipped documents


SHIPPED = load_policies(ROOT / "policies")


def test_the_shipped_documents_give_no_error_beyond_the_known_list():
    findings = lint(SHIPPED)
    known_file, known = load_known(ROOT / "policies")
    new, listed, stale = triage(findings, known, known_file)
    assert new == [], "\n".join(f.render() for f in new)
    assert stale == [], "\n".join(f.render() for f in stale)  # a fixed finding must leave the known list
    assert all(k.reason for k in known)
    # what the known list holds today (each a real defect, see policies/lint.d/known.yaml)
    assert {(f.programme, f.key) for f in listed} <= {("J7.1", "每年")}


def test_the_shipped_documents_declare_few_facts_no_rule_reads():
    unread = {f.key for f in lint(SHIPPED, solver=False) if f.check == "unread-fact"}
    assert "lease.start_date" in unread or "lease.start_date" not in SHIPPED.vocabulary.facts or _start_date_read()
    assert len(unread) <= 12, sorted(unread)


def _start_date_read() -> bool:
    from huiqi.rules.lint import facts_read

    return "lease.start_date" in facts_read(SHIPPED)


# ------------------------------------------------------------------ the command


def _huiqi(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "huiqi.cli.main", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_lint_command_names_file_and_line_and_fails_on_errors(tmp_path):
    d = _dir(tmp_path, ONE_OFF)
    out = _huiqi("policies", "lint", "--no-solver", "--policies", str(d))
    assert out.returncode == 1, out.stdout + out.stderr
    line = _line_of(d / "lint-doc.yaml", "  support:")
    assert f"lint-doc.yaml:{line}: error [unenforced-limit] C1" in out.stdout
    data = json.loads(_huiqi("policies", "lint", "--json", "--no-solver", "--policies", str(d)).stdout)
    assert {(e["programme"], e["key"]) for e in data["errors"]} == {("C1", "一次性"), ("C1", "新增")}
    check = _huiqi("policies", "check", "--policies", str(d))
    assert check.returncode == 1 and "unenforced-limit" in check.stdout
