"""The policy workbench's services (issue 18), on SQLite and PostgreSQL: four eyes (the author may
not publish), district scope (another district's officer sees nothing: 404), the state rules, the
audit trail, and publishing never changes an application already submitted.

The version is a crafted corrigendum of the workflow fixture (tests/workflow/workbench_fixture.py):
WF-RENT “单年度最高补贴 50 万元” → 80 万元 (its SOURCE line 4), issued 2026-03-15.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi import audit
from huiqi.rules import evaluate, parse_profile
from huiqi.workflow import states
from huiqi.workflow.applications import flows as application_flows
from huiqi.workflow.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from huiqi.workflow.users import service as users
from huiqi.workflow.workbench import flows, service
from tests.workflow import helpers as h
from tests.workflow.workbench_fixture import SOURCE, YAML, YAML_WITH_ERROR


@pytest.fixture
def staff(session, world):
    """A second Jinshan officer (the reviewer) and Huangpu's officer."""
    second = users.create(
        session=session,
        username="officer2",
        password="officer-pass",
        role=states.OFFICER,
        district="金山区",
        actor=world.admin,
        policies=world.policies,
    )
    hp = users.create(
        session=session,
        username="officer-hp",
        password="officer-pass",
        role=states.OFFICER,
        district="黄浦区",
        actor=world.admin,
        policies=world.policies,
    )
    session.commit()
    return second, hp


def _proposed(session, world):
    v = service.create(
        session=session,
        actor=world.officer,
        source_text=SOURCE,
        source_name="source.txt",
        document_id="wf-fixture-2",
        supersedes="wf-fixture",
        policies=world.policies,
    )
    service.edit(session=session, version_id=v.id, actor=world.officer, yaml_text=YAML)
    service.propose(session=session, version_id=v.id, actor=world.officer, policies=world.policies)
    return v


def test_the_draft_from_text_has_the_officers_district_and_supersedes(session, world):
    v = service.create(
        session=session,
        actor=world.officer,
        source_text=SOURCE,
        source_name="source.txt",
        document_id="wf-fixture-2",
        supersedes="wf-fixture",
        policies=world.policies,
    )
    assert v.state == "draft" and v.district == "金山区" and v.author_id == world.officer.id
    assert '  district: "金山区"' in v.yaml_text and "  supersedes: wf-fixture" in v.yaml_text
    assert "测科〔2026〕2号" in v.yaml_text  # the 文号 the draft found on line 2 of the text
    _doc, problems = service.check(v.yaml_text, policies=world.policies, district="金山区", source_text=SOURCE)
    assert problems  # a draft has TODOs to resolve: it cannot be proposed as it is
    with pytest.raises(InvalidInput) as exc:
        service.propose(session=session, version_id=v.id, actor=world.officer, policies=world.policies)
    assert exc.value.field == "yaml_text" and "problem" in exc.value.message_en


def test_check_names_the_undeclared_fact_with_its_line(world):
    _doc, problems = service.check(YAML_WITH_ERROR, policies=world.policies, district="金山区", source_text=SOURCE)
    [p] = problems
    assert p.field == "programmes[WF-RENT].support.amount.multi_year.each_year.rate.base"
    assert (
        "lease.annual_rnet" in p.message_en
        and p.line
        == YAML_WITH_ERROR.splitlines().index(
            "          each_year: {rate: {base: lease.annual_rnet, rate: 30%, cap: 800000}}"
        )
        + 1
    )
    assert service.check(YAML, policies=world.policies, district="金山区", source_text=SOURCE)[1] == []


def test_a_quotation_not_in_the_text_is_named(world):
    bad = YAML.replace("单年度最高补贴 80 万元。, ref: 二, line: 4", "单年度最高补贴 90 万元。, ref: 二, line: 4")
    [p] = service.check(bad, policies=world.policies, district="金山区", source_text=SOURCE)[1]
    assert p.field == "programmes[WF-RENT].support.clause" and "near line 4" in p.message_en


def test_another_districts_policy_or_an_existing_id_is_refused(world):
    problems = service.check(
        YAML.replace("  district: 金山区", "  district: 黄浦区"),
        policies=world.policies,
        district="金山区",
        source_text=SOURCE,
    )[1]
    assert any(p.field == "document.district" for p in problems)
    problems = service.check(
        YAML.replace("  id: wf-fixture-2", "  id: wf-fixture"),
        policies=world.policies,
        district="金山区",
        source_text=SOURCE,
    )[1]
    assert any(p.field == "document.id" and "never changed" in p.message_en for p in problems)


def test_four_eyes_the_author_may_not_publish_another_officer_does(session, world, staff):
    second, _hp = staff
    v = _proposed(session, world)
    assert v.state == "proposed" and v.proposed_sha256 == service.sha(YAML)
    with pytest.raises(PermissionDenied) as exc:
        service.publish(session=session, version_id=v.id, actor=world.officer, policies=world.policies)
    assert exc.value.field == "reviewer" and "four eyes" in exc.value.message_en
    assert v.state == "proposed"
    service.publish(session=session, version_id=v.id, actor=second, policies=world.policies, note="核对无误")
    assert (v.state, v.reviewed_by) == ("published", second.id)
    actions = [e.action for e in audit.entries(session, entity="policy_version", entity_id=v.id)]
    assert actions == ["policy.draft", "policy.edit", "policy.propose", "policy.publish"]
    published = audit.entries(session, entity="policy_version", entity_id=v.id)[-1]
    assert (
        published.actor == "officer2"
        and published.data["sha256"] == service.sha(YAML)
        and published.data["supersedes"] == "wf-fixture"
    )
    assert audit.verify(session).ok


def test_an_editor_counts_as_an_author(session, world, staff):
    second, _hp = staff
    v = service.create(
        session=session,
        actor=world.officer,
        source_text=SOURCE,
        source_name="source.txt",
        document_id="wf-fixture-2",
        supersedes="wf-fixture",
        policies=world.policies,
    )
    service.edit(session=session, version_id=v.id, actor=second, yaml_text=YAML)
    service.propose(session=session, version_id=v.id, actor=world.officer, policies=world.policies)
    with pytest.raises(PermissionDenied):
        service.publish(session=session, version_id=v.id, actor=second, policies=world.policies)


def test_district_scope_another_districts_officer_finds_nothing(session, world, staff):
    _second, hp = staff
    v = _proposed(session, world)
    for call in (
        lambda: service.get(session=session, version_id=v.id, actor=hp),
        lambda: service.publish(session=session, version_id=v.id, actor=hp, policies=world.policies),
        lambda: service.edit(session=session, version_id=v.id, actor=hp, yaml_text=YAML),
        lambda: flows.review(session=session, version_id=v.id, actor=hp, policies=world.policies),
    ):
        with pytest.raises(NotFound):
            call()
    assert service.list_for(session=session, actor=hp) == []
    assert [x.id for x in service.list_for(session=session, actor=world.auditor)] == [
        v.id
    ]  # the district's auditor reads
    with pytest.raises(InvalidInput):  # supersedes must name a document of the officer's district
        service.create(
            session=session,
            actor=hp,
            source_text=SOURCE,
            source_name="s.txt",
            document_id="hp-x",
            supersedes="wf-fixture",
            policies=world.policies,
        )


def test_roles_auditor_and_enterprise_may_not_publish(session, world, staff):
    v = _proposed(session, world)
    with pytest.raises(PermissionDenied):
        service.publish(session=session, version_id=v.id, actor=world.auditor, policies=world.policies)
    with pytest.raises(NotFound):  # an enterprise user has no scope over policy versions
        service.publish(session=session, version_id=v.id, actor=world.ent_users[0], policies=world.policies)


def test_only_a_draft_is_edited_and_a_returned_one_is_edited_again(session, world, staff):
    second, _hp = staff
    v = _proposed(session, world)
    with pytest.raises(IllegalTransition):
        service.edit(session=session, version_id=v.id, actor=world.officer, yaml_text=YAML)
    with pytest.raises(InvalidInput):
        service.return_to_draft(session=session, version_id=v.id, actor=second, note=" ")
    service.return_to_draft(session=session, version_id=v.id, actor=second, note="请补充公示期")
    assert (v.state, v.review_note, v.proposed_sha256) == ("draft", "请补充公示期", None)
    service.edit(
        session=session,
        version_id=v.id,
        actor=world.officer,
        programme="WF-RENT",
        yaml_text=service.block_text(YAML, "WF-RENT"),
    )
    with pytest.raises(IllegalTransition):  # not proposed again yet
        service.publish(session=session, version_id=v.id, actor=second, policies=world.policies)


def test_the_review_reads_the_diff_in_words(session, world, staff):
    second, _hp = staff
    v = _proposed(session, world)
    r = flows.review(session=session, version_id=v.id, actor=second, policies=world.policies)
    text = "\n".join(r["lines"])
    assert "上限 50 万元 → 80 万元（each_year.cap）" in text and "ceiling 50 万元 → 80 万元" in text
    assert "WF-INCUBATOR" in text and "still judged by the earlier version" in text  # not in the corrigendum


def test_publishing_never_changes_an_application_already_submitted(session, world, staff):
    """Rent 2,000,000 a year: 30% = 600,000, capped at 500,000 a year by the fixture (× 3 years =
    1,500,000); the corrigendum's cap of 800,000 gives 600,000 × 3 = 1,800,000."""
    second, _hp = staff
    app = h.submitted(session, world, 0, "WF-RENT", [{"id": "l1", "kind": "lease", "annual_rent": 2000000}])
    assert app.ceiling == Decimal("1500000.00") and app.evaluation["result"]["version"]["document_id"] == "wf-fixture"
    frozen = dict(app.evaluation)
    v = _proposed(session, world)
    service.publish(session=session, version_id=v.id, actor=second, policies=world.policies)
    session.commit()
    now = flows.with_published(session, world.policies)
    assert [d.id for d in now.documents] == ["wf-fixture", "wf-hp-fixture", "wf-fixture-2"]
    session.refresh(app)
    assert app.evaluation == frozen and app.ceiling == Decimal("1500000.00")
    # judged again by its frozen version, after the new one is published
    j = application_flows.judge(session=session, application_id=app.id, actor=world.officer, policies=now)
    assert (
        j["version"]["document_id"] == "wf-fixture" and j["result"]["ceiling"] == "1500000.00" and j["same_as_frozen"]
    )
    # a new evaluation after the corrigendum's issue date is judged by it
    fresh = evaluate(
        now, parse_profile(app.evaluation["profile"], now.vocabulary), on=dt.date(2026, 3, 20), programmes=["WF-RENT"]
    ).to_dict()["results"][0]
    assert (fresh["version"]["document_id"], fresh["ceiling"]) == ("wf-fixture-2", "1800000.00")


def test_preview_and_policy_tests_of_a_draft(session, world, staff, tmp_path):
    second, _hp = staff
    v = _proposed(session, world)
    profile = {
        "enterprise": {"registered_district": "金山区", "independent_legal_person": True},
        "claims": [{"id": "l1", "kind": "lease", "annual_rent": 1000000}],
    }
    out = flows.preview(
        session=session,
        version_id=v.id,
        actor=second,
        policies=world.policies,
        profile=profile,
        on="2026-03-20",
        programme="WF-RENT",
    )
    [r] = out["results"]
    assert (r["status"], r["ceiling"], r["version"]["document_id"]) == (
        "eligible",
        "900000.00",
        "wf-fixture-2",
    )  # 300,000 × 3
    tests = tmp_path / "tests" / "wf-fixture"
    tests.mkdir(parents=True)
    (tests / "rent.yaml").write_text(
        "cases:\n"
        "  - name: 年租金 200 万，30% 为 60 万，更正后上限 80 万 → 三年 180 万\n"
        "    on: 2026-03-20\n"
        "    profile: {enterprise: {registered_district: 金山区, independent_legal_person: true}, claims: [{id: l1, kind: lease, annual_rent: 2000000}]}\n"
        "    expect:\n"
        "      - {programme: WF-RENT, claim: l1, status: eligible, ceiling: \"1800000.00\"}\n",
        encoding="utf-8",
    )
    r = flows.run_tests(
        session=session,
        version_id=v.id,
        actor=second,
        policies=world.policies,
        programme="WF-RENT",
        policy_dir=tmp_path,
    )
    assert (r["ran"], r["passed"], r["failed"]) == (1, 1, [])
    with pytest.raises(InvalidInput) as exc:
        flows.preview(
            session=session,
            version_id=v.id,
            actor=second,
            policies=world.policies,
            profile="enterprise: [",
            on="2026-03-20",
        )
    assert exc.value.field == "profile"


def test_policies_lint_errors_are_problems_when_this_huiqi_has_it(policies, monkeypatch):
    """The workbench shows ``policies lint``'s errors (not its warnings) while typing, without the solver:
    a stand-in for huiqi.rules.lint with its interface (``lint(policies, *, solver)`` → findings with
    level, check, line, messages) decides what the lint finds."""
    import sys
    import types
    from dataclasses import dataclass

    @dataclass
    class Finding:
        level: str
        check: str
        line: int
        message_zh: str
        message_en: str

    calls = []

    def lint(ps, *, solver=True):
        calls.append(([d.id for d in ps.documents], solver))
        return [
            Finding("error", "unenforced-limit", 33, "所引条款含“三年内”", "the clause says “三年内”"),
            Finding("warning", "cap-never-binds", 40, "上限不会触及", "a cap never binds"),
            Finding("error", "unread-fact", 1, "未读事实", "unread fact"),
        ]

    import huiqi.rules

    stand_in = types.SimpleNamespace(lint=lint)
    monkeypatch.setitem(sys.modules, "huiqi.rules.lint", stand_in)
    monkeypatch.setattr(huiqi.rules, "lint", stand_in, raising=False)  # the real module, once imported, is an attribute
    _doc, problems = service.check(YAML, policies=policies, district="金山区", source_text=SOURCE)
    assert [(p.field, p.line, p.message_en) for p in problems] == [
        ("lint:unenforced-limit", 33, "the clause says “三年内”")
    ]
    assert calls == [(["wf-fixture-2"], False)]  # while typing: without the solver
    service.check(YAML, policies=policies, district="金山区", source_text=SOURCE, deep=True)
    assert calls[-1] == (["wf-fixture-2"], True)
    # a file the loader refuses is not linted
    service.check(YAML_WITH_ERROR, policies=policies, district="金山区", source_text=SOURCE)
    assert len(calls) == 2
