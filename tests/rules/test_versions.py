"""Successive versions of a document (rules/versions.py): the engine picks, per claim, the version
in force for its event date and says which; ``huiqi policies diff`` in words, with the cost.

The revision is crafted (tests/rules/versions_fixture.py) from 黄科委规〔2025〕2号, whose window ends
2027-12-31 (附则（二）“有效期至 2027 年 12 月 31 日”, seed 004 line 93): in force 2028-01-01 –
2029-12-31, measure 2 (H2) ceiling 200 万 → 300 万 (二、（一）2 “给予最高 200 万元支持”, line 47).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from huiqi.rules import PolicyError, evaluate, load_policies, parse_profile, versions
from tests.rules.versions_fixture import jinshan_revision_text, policy_dir, revision_text

ENT = {
    "name": "示例",
    "registered_district": "黄浦区",
    "org_type": "企业",
    "independent_legal_person": True,
    "biomed_business": True,
    "fits_huangpu_industry_orientation": True,
    "operating_normally": True,
    "sound_financial_system": True,
    "serious_dishonesty_last_3_years": False,
    "good_credit_record": True,
}


def _claim(day: str, investment: int = 10_000_000) -> dict:
    return {
        "id": "a1",
        "kind": "ai_project",
        "uses_ai": True,
        "biomed_stage": True,
        "total_investment": investment,
        "completion_date": day,
        "self_funded_results": True,
        "other_district_level_funding": False,
    }


def _h2(ps, day: str, on=dt.date(2028, 3, 31), claims=None):
    prof = parse_profile({"enterprise": ENT, "claims": claims or [_claim(day)]}, ps.vocabulary)
    return [r for r in evaluate(ps, prof, on=on, programmes=["H2"]).to_dict()["results"] if r["programme"] == "H2"]


@pytest.fixture(scope="module")
def revised(tmp_path_factory):
    return load_policies(policy_dir(tmp_path_factory.mktemp("v")))


def test_the_family_is_linked(revised):
    old, new = revised.document("huangpu-2025-2"), revised.document("huangpu-2028-1")
    assert [d.id for d in old.family] == [d.id for d in new.family] == ["huangpu-2025-2", "huangpu-2028-1"]
    assert new.supersedes == "huangpu-2025-2" and new.version_kind == "revision"


def test_an_event_on_each_side_of_the_version_boundary(revised):
    # 10,000,000 × 30% = 3,000,000: the old version caps it at 2,000,000, the revision at 3,000,000;
    # each applied for on the event's day (an application after a version's end is not_in_force: issue 15)
    [before] = _h2(revised, "2027-12-31", on=dt.date(2027, 12, 31))
    [after] = _h2(revised, "2028-01-01", on=dt.date(2028, 1, 1))
    assert (before["status"], before["ceiling"], before["version"]["document_id"]) == (
        "eligible",
        "2000000.00",
        "huangpu-2025-2",
    )
    assert (after["status"], after["ceiling"], after["version"]["document_id"]) == (
        "eligible",
        "3000000.00",
        "huangpu-2028-1",
    )
    assert (
        after["version"]["label"] == "2028 年修订（测试）"
        and after["version"]["index"] == 2
        and after["version"]["of"] == 2
    )
    assert before["version"]["index"] == 1 and before["version"]["supersedes"] is None


def test_two_claims_of_one_profile_are_judged_by_their_own_versions(revised):
    # applied for on 2028-07-01: the 2027 event is judged by the 2025 version, which ended on
    # 2027-12-31 (not in force, naming its end: issue 15 item 9); the 2028 event by the revision
    c1, c2 = _claim("2027-06-30"), _claim("2028-06-30")
    c2["id"] = "a2"
    results = _h2(revised, "", claims=[c1, c2], on=dt.date(2028, 7, 1))
    assert {r["claim"]: (r["version"]["document_id"], r["status"], r["ceiling"]) for r in results} == {
        "a1": ("huangpu-2025-2", "not_in_force", None),
        "a2": ("huangpu-2028-1", "eligible", "3000000.00"),
    }
    assert "2027-12-31" in next(r for r in results if r["claim"] == "a1")["reason_en"]


def test_an_event_after_the_evaluation_day_is_an_input_error_whatever_the_versions(revised):
    # evaluated on 2027-12-01 (before the revision is issued, 2027-12-20): an event of 2028-01-05 has
    # not happened — a clear input error naming the field, not a judgement by any version
    from huiqi.rules.errors import ProfileError

    with pytest.raises(ProfileError) as exc:
        _h2(revised, "2028-01-05", on=dt.date(2027, 12, 1))
    assert "completion_date" in str(exc.value)


def test_after_every_window_the_newest_version_answers(revised):
    [r] = _h2(revised, "2030-01-01", on=dt.date(2030, 1, 2))
    assert r["status"] == "not_in_force" and r["version"]["document_id"] == "huangpu-2028-1"
    assert "2029-12-31" in r["reason_en"]


def test_a_corrigendum_with_the_same_window_replaces_the_version_it_corrects(tmp_path):
    ps = load_policies(
        policy_dir(
            tmp_path, kind="corrigendum", start="2026-01-24", until="2027-12-31", issued="2026-03-01", criterion=False
        )
    )
    [r] = _h2(ps, "2026-06-30", on=dt.date(2026, 6, 30))
    assert (
        r["version"]["document_id"] == "huangpu-2028-1"
        and r["version"]["kind_en"] == "corrigendum"
        and r["ceiling"] == "3000000.00"
    )
    # evaluated before the corrigendum was issued: the original's 200 万 ceiling
    [r] = _h2(ps, "2026-02-10", on=dt.date(2026, 2, 20))
    assert r["version"]["document_id"] == "huangpu-2025-2" and r["ceiling"] == "2000000.00"


def test_pinned_judges_by_the_frozen_version(tmp_path):
    ps = load_policies(
        policy_dir(
            tmp_path, kind="corrigendum", start="2026-01-24", until="2027-12-31", issued="2026-03-01", criterion=False
        )
    )
    [now] = _h2(ps, "2026-06-30", on=dt.date(2026, 6, 30))
    [frozen] = _h2(versions.pinned(ps, "huangpu-2025-2"), "2026-06-30", on=dt.date(2026, 6, 30))
    assert now["ceiling"] == "3000000.00" and frozen["ceiling"] == "2000000.00"
    with pytest.raises(LookupError):
        versions.pinned(ps, "huangpu-2025-2", sha256="0" * 64)


def test_a_programme_id_outside_a_family_is_still_refused(tmp_path):
    d = policy_dir(tmp_path)
    text = (d / "huangpu-2028-1.yaml").read_text(encoding="utf-8").replace("  supersedes: huangpu-2025-2\n", "")
    (d / "huangpu-2028-1.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as exc:
        load_policies(d)
    assert "programme id used in more than one file: H2" in str(exc.value)


def test_supersedes_must_name_a_loaded_document_of_the_same_district(tmp_path):
    d = policy_dir(tmp_path)
    p = d / "huangpu-2028-1.yaml"
    p.write_text(
        p.read_text(encoding="utf-8").replace("supersedes: huangpu-2025-2", "supersedes: huangpu-2020-1"),
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as exc:
        load_policies(d)
    assert "no document 'huangpu-2020-1' to supersede" in str(exc.value)
    p.write_text(
        p.read_text(encoding="utf-8")
        .replace("supersedes: huangpu-2020-1", "supersedes: huangpu-2025-2")
        .replace("  district: 黄浦区\n", "  district: 金山区\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as exc:
        load_policies(d)
    assert "same district" in str(exc.value)


def test_a_bad_version_kind_is_named(tmp_path):
    with pytest.raises(PolicyError) as exc:
        load_policies(policy_dir(tmp_path, kind="rewrite"))
    assert "document.version_kind" in str(exc.value)


# ------------------------------------------------------------------ huiqi policies diff


def test_diff_in_words(tmp_path):
    from huiqi.cli.main import app

    new = tmp_path / "rev.yaml"
    new.write_text(revision_text(), encoding="utf-8")
    r = CliRunner().invoke(app, ["policies", "diff", "policies/huangpu-2025-2.yaml", str(new)])
    assert r.exit_code == 0, r.output
    out = r.output
    assert "H2 2、支持人工智能等技术赋能研发及应用 — 修改 / changed" in out
    assert "~ 上限 200 万元 → 300 万元" in out and "ceiling 200 万元 → 300 万元" in out
    assert "+ 新增申报条件：通过伦理审查" in out and "“通过伦理审查（测试条款）”（二、（一）2 第 47 行）" in out
    assert "有效期 2026-01-24 – 2027-12-31 → 2028-01-01 – 2029-12-31" in out
    assert "H3a" not in out  # unchanged programmes are not listed
    j = json.loads(
        CliRunner().invoke(app, ["policies", "diff", "policies/huangpu-2025-2.yaml", str(new), "--json"]).output
    )
    [h2] = j["programmes"]
    assert h2["programme"] == "H2" and {c["what"] for c in h2["changes"]} == {
        "criteria[ethics_review]",
        "support.amount.cap",
        "support.clause",
    }
    cap = next(c for c in h2["changes"] if c["what"] == "support.amount.cap")
    assert (cap["old"], cap["new"]) == ("200 万元", "300 万元")


def test_diff_of_a_document_with_itself_says_no_change():
    from huiqi.rules.diff import diff

    ps = load_policies()
    d = ps.document("jinshan-2025-25")
    assert not diff(d, d).changed and diff(d, d).lines()[-1] == "无实质变化 / no change to the rules"


def test_diff_cost_equals_the_simulation_reform(tmp_path):
    """J2.3 (专题三 3.支持标准, line 362: 10%, 最高 200 万元) → 20%, 300 万元 in a crafted revision:
    the cost ``policies diff --population`` gives is the simulation's reform view of the same change."""
    from huiqi.cli.main import app
    from huiqi.simulate import population as P
    from huiqi.simulate import reform as RF
    from huiqi.simulate import run as R

    ps = load_policies()
    pop = tmp_path / "pop.parquet"
    P.write_population(ps.vocabulary, 1500, pop, seed=5)  # enough J2.3 claims by enterprises (issue 15: enterprises only)
    new = tmp_path / "jinshan-2026-1.yaml"
    new.write_text(jinshan_revision_text(), encoding="utf-8")
    r = CliRunner().invoke(
        app, ["policies", "diff", "jinshan-2025-25", str(new), "--population", str(pop), "--on", "2025-09-01", "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    [j23] = out["programmes"]
    assert {(c["what"], c["old"], c["new"]) for c in j23["changes"] if c["what"].startswith("support.amount")} == {
        ("support.amount.cap", "200 万元", "300 万元"),
        ("support.amount.rate", "10%", "20%"),
    }
    only = load_policies()
    only.documents = [d for d in only.documents if d.id == "jinshan-2025-25"]
    reformed = RF.apply(
        only, RF.read_changes(None, ["J2.3.support.amount.rate=20%", "J2.3.support.amount.cap=3000000"])
    )
    on = dt.date(2025, 9, 1)
    rows = {x["programme"]: x for x in RF.compare(R.run(only, pop, on=on), R.run(reformed, pop, on=on))}
    costed = {x["programme"]: x for x in out["cost"]["programmes"]}
    assert set(costed) == {"J2.3"}
    assert Decimal(costed["J2.3"]["difference"]) == rows["J2.3"]["difference"] > 0
    assert Decimal(out["cost"]["total_difference"]) == rows["J2.3"]["difference"]


def test_the_catalogue_and_the_programme_look_up_know_the_versions(revised):
    from huiqi.rules.catalogue import policies_dict

    docs = {d["id"]: d for d in policies_dict(revised)["documents"]}
    old, new = docs["huangpu-2025-2"]["version"], docs["huangpu-2028-1"]["version"]
    assert (old["index"], old["of"], old["superseded_by"], old["family"]) == (
        1,
        2,
        "huangpu-2028-1",
        ["huangpu-2025-2", "huangpu-2028-1"],
    )
    assert (new["index"], new["supersedes"], new["superseded_by"], new["kind_zh"]) == (
        2,
        "huangpu-2025-2",
        None,
        "修订",
    )
    # a programme id names the newest version that has it (its earlier versions judge older events)
    assert revised.programme("H2").support.amount.cap.value == Decimal(3000000)


def test_the_simulation_runs_each_programme_once_by_its_newest_version(revised, tmp_path):
    """docs/simulation.md, known limits: one result per enterprise and programme (not one per
    version), under the newest version's rules."""
    from huiqi.simulate import compile as C
    from huiqi.simulate import population as P
    from huiqi.simulate import run as R

    cp = C.prepare(revised, dt.date(2028, 6, 30), programmes=["H2"])
    assert [(c.programme.id, c.document.id) for c in cp.programmes] == [("H2", "huangpu-2028-1")]
    pop = tmp_path / "pop.parquet"
    P.write_population(revised.vocabulary, 50, pop, seed=3)
    assert R.run(revised, pop, on=dt.date(2028, 6, 30), programmes=["H2"]).totals()["H2"]["results"] == 50


def test_diff_bad_input_is_named():
    """Refused with the field named in both languages (``huiqi`` prints them and exits 2)."""
    from huiqi.cli.main import app
    from huiqi.rules import InputError

    def refused(*args):
        r = CliRunner().invoke(app, ["policies", "diff", *args])
        assert isinstance(r.exception, InputError), r.output
        return [(p.field, p.message_en) for p in r.exception.problems]

    assert refused("nope.yaml", "policies/huangpu-2025-2.yaml") == [("file", "no such file: nope.yaml")]
    [(field, msg)] = refused("no-such-doc", "huangpu-2025-2")
    assert field == "document" and msg.startswith("no document 'no-such-doc'")
    assert refused("huangpu-2025-2", "huangpu-2025-2", "--population", "x.parquet", "--on", "2025-13-01") == [
        ("--on", "not a real date: 2025-13-01")
    ]
