"""The state machines against a table written independently, from the documents' process — not
derived from ``states.MACHINES`` (issue 13: the state-machine tests derived their expectations from
the table itself, so adding ``draft`` as a source of approve/decline passed all of them).

Where each row comes from:

* 金山区 (金科〔2025〕25号, every topic's “5.申报流程”): （2）申报：企业…填报申请表并盖章 — the enterprise
  submits (an officer records a 线下递交 paper submission); （3）初审：各镇（园区）对辖区企业的申报信息进行
  确认，区科委…进行初审 — the town/park reviewer confirms, the district officer checks; （4）评审：区科委负
  责组织专家开展项目评审，并征求区相关职能部门意见，经综合评定后择优提出拟立项的项目名单 — the officer
  assigns experts and shortlists (择优: selected or not); （5）立项：拟立项的项目，由区科委向社会公示…对公
  示期间有异议的项目，由区科委组织调查核实 — the officer publishes, receives and resolves objections;
  （6）经公示无异议的项目，按规定拨付资金 — after a clean notice, approval and payment.
* 黄浦区 (黄科委规〔2025〕2号 三、保障措施（一）（二）): 申报主体在规定时间内提交项目申报材料；区科委负责
  项目申报受理，结合区相关部门、专家等意见，对申报项目进行审核…报区政府批准 — submission, then the
  district decides; no town confirmation, no notice named (the stages a programme skips are refused
  by the stage check, tested in test_lifecycle.py).
* 关于项目管理有关要求 三、项目变更（…经研究和书面同意后…）; 四、项目撤销（区主管部门可以直接做出撤销…
  不再拨付专项资金，并视情收回已拨付的专项资金）: major changes are approved or refused in writing by the
  officer; an approved project may be revoked (with a reason); scheduled instalments are cancelled;
  a claw-back is recorded as recovered.
* docs/workflow.md: a decision never comes before submission — approve and decline leave only the
  states of a submitted (or a 免申即享 proposed) application that is not final, not approved, not
  in notice; the enterprise may withdraw until review begins (draft, submitted); a reason is
  written for every refusal and every objection decision.
"""

from __future__ import annotations

import pytest

from huiqi.workflow import states

E, R, O, X, A, ADMIN = "enterprise", "reviewer", "officer", "expert", "auditor", "admin"
REVIEWABLE = {"submitted", "town_confirmed", "district_checked", "expert_review"}
DECIDABLE = {
    "submitted",
    "proposed",
    "town_confirmed",
    "district_checked",
    "expert_review",
    "shortlisted",
    "notice_cleared",
}

# machine: {transition: (sources, target, roles, needs a written reason)}
EXPECTED = {
    "application": {
        "submit": ({"draft"}, "submitted", {E, O}, False),
        "withdraw": ({"draft", "submitted"}, "withdrawn", {E}, False),
        "town_confirm": ({"submitted"}, "town_confirmed", {R}, False),
        "town_reject": ({"submitted"}, "rejected", {R}, True),
        "district_pass": ({"submitted", "town_confirmed"}, "district_checked", {O}, False),
        "district_fail": ({"submitted", "town_confirmed"}, "rejected", {O}, True),
        "assign_experts": ({"submitted", "town_confirmed", "district_checked"}, "expert_review", {O}, False),
        "shortlist": (REVIEWABLE, "shortlisted", {O}, False),
        "not_select": (REVIEWABLE, "not_selected", {O}, False),
        "publish": (REVIEWABLE | {"shortlisted"}, "in_notice", {O}, False),
        "object": ({"in_notice"}, "objection_held", {O}, False),
        "uphold_objection": ({"objection_held"}, "rejected", {O}, True),
        "dismiss_objection": ({"objection_held"}, "in_notice", {O}, True),
        "dismiss_objection_after_notice": ({"objection_held"}, "notice_cleared", {O}, True),
        "clear_notice": ({"in_notice"}, "notice_cleared", {O}, False),
        "approve": (DECIDABLE, "approved", {O}, False),
        "decline": (DECIDABLE, "rejected", {O}, True),
        "revoke": ({"approved"}, "revoked", {O}, True),
    },
    "round": {"open": ({"draft"}, "open", {O}, False), "close": ({"open"}, "closed", {O}, False)},
    "objection": {"uphold": ({"open"}, "upheld", {O}, True), "dismiss": ({"open"}, "dismissed", {O}, True)},
    "change": {"approve": ({"pending"}, "approved", {O}, True), "refuse": ({"pending"}, "refused", {O}, True)},
    "instalment": {"pay": ({"scheduled"}, "paid", {O}, False), "cancel": ({"scheduled"}, "cancelled", {O}, True)},
    "receivable": {"recover": ({"open"}, "recovered", {O}, False)},
}
FINAL = {
    "application": {"not_selected", "rejected", "withdrawn", "revoked"},
    "round": {"closed"},
    "objection": {"upheld", "dismissed"},
    "change": {"noted", "approved", "refused"},
    "instalment": {"paid", "cancelled"},
    "receivable": {"recovered"},
}
NEVER_ACT = {A, X, ADMIN}  # the auditor reads; an expert scores (not a transition); the administrator sets up


def test_the_machines_are_exactly_the_expected_table():
    assert set(states.MACHINES) == set(EXPECTED)
    for name, expected in EXPECTED.items():
        m = states.MACHINES[name]
        actual = {t.name: (set(t.sources), t.target, set(t.roles), t.needs_reason) for t in m.transitions}
        assert actual == expected, name
        assert {s.name for s in m.states if s.final} == FINAL[name], name


@pytest.mark.parametrize("name", ["approve", "decline"])
def test_no_decision_before_submission(name):
    """An officer deciding an unsubmitted draft — the bug that passed all 302 state tests."""
    t = states.APPLICATION.transition(name)
    assert "draft" not in t.sources
    with pytest.raises(states.IllegalTransition):
        states.check_transition(states.APPLICATION, "draft", name, O, reason="理由")


def test_final_states_have_no_way_out_and_nobody_acts_who_should_not():
    for name, m in states.MACHINES.items():
        for s in m.states:
            if s.name in FINAL[name]:
                assert m.available(s.name) == [], (name, s.name)
        for t in m.transitions:
            assert not (set(t.roles) & NEVER_ACT), (name, t.name)


@pytest.mark.parametrize("machine,name", [(m, t) for m, ts in EXPECTED.items() for t in ts])
def test_every_role_and_state_outside_the_table_is_refused(machine, name):
    """Each (state, role) pair the independent table does not allow is refused: the wrong role
    with PermissionDenied (403, whatever the state), a wrong state with IllegalTransition (409)."""
    m = states.MACHINES[machine]
    sources, _target, roles, _reason = EXPECTED[machine][name]
    for s in m.states:
        for role in states.ROLES:
            if role not in roles:
                with pytest.raises(states.PermissionDenied):
                    states.check_transition(m, s.name, name, role, reason="理由")
            elif s.name not in sources:
                with pytest.raises(states.IllegalTransition):
                    states.check_transition(m, s.name, name, role, reason="理由")
            else:
                assert states.check_transition(m, s.name, name, role, reason="理由").name == name
