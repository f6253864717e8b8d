"""Every illegal transition is refused in both languages; the audit chain detects tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from huiqi import audit
from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.errors import IllegalTransition, NotFound, PermissionDenied
from huiqi.workflow.reviews import service as reviews
from tests.workflow import helpers as h

CASES = [(m, s.name, t.name) for m in states.MACHINES.values() for s in m.states for t in m.transitions]


@pytest.mark.parametrize(("machine", "state", "name"), [c for c in CASES if c[1] not in c[0].transition(c[2]).sources], ids=lambda v: getattr(v, "name", v))
def test_every_illegal_transition_is_refused_bilingually(machine, state, name):
    t = machine.transition(name)
    with pytest.raises(IllegalTransition) as exc:
        states.check_transition(machine, state, name, t.roles[0], reason="理由")
    assert machine.state(state).zh in exc.value.message_zh and t.zh in exc.value.message_zh
    assert machine.state(state).en in exc.value.message_en and t.en in exc.value.message_en
    assert exc.value.field == "state"


@pytest.mark.parametrize(("machine", "state", "name"), [c for c in CASES if c[1] in c[0].transition(c[2]).sources], ids=lambda v: getattr(v, "name", v))
def test_every_transition_is_refused_to_the_wrong_roles(machine, state, name):
    t = machine.transition(name)
    for role in set(states.ROLES) - set(t.roles):
        with pytest.raises(PermissionDenied) as exc:
            states.check_transition(machine, state, name, role, reason="理由")
        assert exc.value.field == "role" and states.ROLES[role][1] in exc.value.message_en
    if t.needs_reason:
        with pytest.raises(IllegalTransition, match="reason"):
            states.check_transition(machine, state, name, t.roles[0], reason="  ")


def test_auditors_are_read_only_and_services_refuse_illegal_steps(session, world):
    w = world
    a = h.submitted(session, w, 0, "WF-RENT", h.rent())
    session.commit()
    with pytest.raises(IllegalTransition, match="submitted"):
        applications.submit(session=session, application_id=a.id, actor=w.ent_users[0], on=h.SUBMIT_DAY, policies=w.policies)
    with pytest.raises(PermissionDenied):
        reviews.town_confirm(session=session, application_id=a.id, actor=w.auditor, confirmed=True)
    with pytest.raises(NotFound):  # not assigned: not in the expert's scope
        reviews.score(session=session, application_id=a.id, actor=w.experts[1], score=90)
    session.rollback()
    assert applications.get(session=session, application_id=a.id, actor=world.admin).state == "submitted"


def test_audit_chain_reports_the_first_tampered_entry(engine, session, world):
    h.submitted(session, world, 0, "WF-RENT", h.rent())
    session.commit()
    result = audit.verify(session)
    assert result.ok and result.entries > 10
    target = audit.entries(session=session)[5]
    session.close()
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = 'edited' WHERE seq = :s"), {"s": target.seq})
    bad = audit.verify(session)
    assert (bad.ok, bad.first_bad_seq) == (False, target.seq)
    assert f"第 {target.seq} 条" in bad.message_zh and f"entry {target.seq}" in bad.message_en
    session.close()  # SQLite: every transaction holds the write lock (BEGIN IMMEDIATE)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = :r WHERE seq = :s"), {"r": target.reason, "s": target.seq})
        conn.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": target.seq + 1})
    session.close()
    bad = audit.verify(session)
    assert (bad.ok, bad.first_bad_seq) == (False, target.seq + 1)
