"""A property over random actors, records and actions of two districts (issue 13), at the services
every adapter calls, on SQLite and PostgreSQL:

* an actor sees or acts on a record only if the record is in its scope — else NotFound;
* in scope, an action its role may not take is refused with PermissionDenied;
* a refusal changes nothing — not even if the caller committed the session afterwards.

The scope and the roles are an oracle written here from the rules of docs/workflow.md, not read
from ``huiqi.workflow.access``: an officer or auditor sees its district's records; a reviewer the
applications of its town's enterprises in its district (and what they are in); an expert the
applications assigned to it; an enterprise user its own, and every published call; the
administrator everything. The world: ``tests/workflow/two_districts.py``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.rules import load_policies
from huiqi.store import make_sessionmaker
from huiqi.workflow.errors import NotFound, PermissionDenied
from tests.workflow import two_districts as td

ROLES = ("officer", "reviewer", "expert", "auditor", "enterprise")

# record → (role → in scope when of the same district); the other district's: never (a published
# round excepted: every enterprise user may apply to it)
SAME_DISTRICT_SCOPE = {
    "A": {
        "officer",
        "reviewer",
        "expert",
        "auditor",
        "enterprise",
    },  # in expert review, assigned to the district's expert
    "S": {"officer", "reviewer", "expert", "auditor", "enterprise"},  # in notice, scored by that expert
    "P": {"officer", "reviewer", "auditor", "enterprise"},  # no expert stage
    "R": {"officer", "reviewer", "expert", "auditor", "enterprise"},
    "R2": {"officer", "reviewer", "expert", "auditor"},  # a draft round: not published
    "N": {"officer", "reviewer", "expert", "auditor", "enterprise"},  # lists S
    "B": {"officer", "auditor"},  # the district's books
    "C": {"officer", "auditor", "enterprise"},
    "RC": {"officer", "auditor", "enterprise"},
}
PUBLISHED = {"R"}

# action → (record kinds it applies to, roles that may take it)
ACTIONS = {
    "read": ({"A", "S", "P", "R", "R2", "N", "B"}, {"admin", *ROLES}),
    "approve": ({"A", "S", "P"}, {"officer"}),
    "decline": ({"A", "S", "P"}, {"officer"}),
    "withdraw": ({"A", "S", "P"}, {"enterprise"}),
    "town_confirm": ({"A", "S", "P"}, {"reviewer"}),
    "score": ({"A", "S", "P"}, {"expert"}),
    "open": ({"R", "R2"}, {"officer"}),
    "close": ({"R", "R2"}, {"officer"}),
    "budget": ({"R", "R2"}, {"officer"}),
    "shortlist": ({"R", "R2"}, {"officer"}),
    "notice_close": ({"N"}, {"officer"}),
    "run": ({"B"}, {"officer"}),
    "decide": ({"C"}, {"officer"}),
    "recover": ({"RC"}, {"officer"}),
}


def in_scope(role: str, actor_key: str | None, record: str, record_key: str) -> bool:
    if role == "admin":
        return True
    if record in PUBLISHED and role == "enterprise":
        return True
    return actor_key == record_key and role in SAME_DISTRICT_SCOPE[record]


def call(session, actor, action, record, rid, policies):
    from huiqi.workflow.applications import service as applications
    from huiqi.workflow.changes import service as changes
    from huiqi.workflow.decisions import flows as decision_flows
    from huiqi.workflow.decisions import service as decisions
    from huiqi.workflow.notices import service as notices
    from huiqi.workflow.payments import flows as payment_flows
    from huiqi.workflow.payments import service as payments
    from huiqi.workflow.reviews import flows as review_flows
    from huiqi.workflow.reviews import service as reviews
    from huiqi.workflow.rounds import flows as round_flows
    from huiqi.workflow.rounds import service as rounds

    kw = {"session": session, "actor": actor}
    if action == "read":
        if record in ("A", "S", "P"):
            return applications.get(**kw, application_id=rid)
        if record in ("R", "R2"):
            return rounds.get(**kw, round_id=rid)
        if record == "N":
            return notices.get_batch(**kw, batch_id=rid)
        return payments.get_batch(**kw, batch_id=rid)
    return {
        "approve": lambda: decision_flows.approve(**kw, application_id=rid, amount="1"),
        "decline": lambda: decisions.decline(**kw, application_id=rid, reason="理由"),
        "withdraw": lambda: applications.withdraw(**kw, application_id=rid),
        "town_confirm": lambda: reviews.town_confirm(**kw, application_id=rid, confirmed=True),
        "score": lambda: reviews.score(**kw, application_id=rid, score=50),
        "open": lambda: rounds.open_round(**kw, round_id=rid),
        "close": lambda: rounds.close_round(**kw, round_id=rid),
        "budget": lambda: round_flows.set_budget(**kw, round_id=rid, budget="1", reason="理由"),
        "shortlist": lambda: review_flows.shortlist(**kw, round_id=rid),
        "notice_close": lambda: notices.close(**kw, batch_id=rid, on="2026-12-31"),
        "run": lambda: payment_flows.run_batch(**kw, batch_id=rid),
        "decide": lambda: changes.decide_change(**kw, change_id=rid, approve=True, reason="理由"),
        "recover": lambda: payment_flows.record_recovery(**kw, receivable_id=rid, on="2026-12-31"),
    }[action]()


@pytest.fixture
def seeded(engine, tmp_path):
    ps = load_policies(td.policy_dir(tmp_path / "policies"))
    with make_sessionmaker(engine)() as s:
        world = td.seed(s, ps, root=tmp_path / "files")
    return engine, world, ps


CASES = [(a, r) for a, (records, _roles) in ACTIONS.items() for r in sorted(records)]


def test_scope_and_role_decide_and_refusals_change_nothing(seeded):
    engine, world, ps = seeded
    maker = make_sessionmaker(engine)
    with maker() as s:
        from huiqi.workflow.users import service as users

        actors = {"admin": (users.by_username(session=s, username="admin"), "admin", None)}
        for key in td.KEYS:
            for role in ROLES:
                u = users.by_username(session=s, username=world[key].users[role])
                actors[u.username] = (u, role, key)
        s.expunge_all()
    baseline = td.snapshot(engine)
    seen = {"NotFound": 0, "PermissionDenied": 0, "through": 0}

    @given(actor=st.sampled_from(sorted(actors)), case=st.sampled_from(CASES), record_key=st.sampled_from(td.KEYS))
    @settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def prop(actor, case, record_key):
        action, record = case
        user, role, actor_key = actors[actor]
        rid = world[record_key].ids[record]
        scoped = in_scope(role, actor_key, record, record_key)
        allowed = role in ACTIONS[action][1]
        session = maker()
        try:
            outcome = "through"
            try:
                call(session, session.merge(user, load=False), action, record, rid, ps)
            except NotFound:
                outcome = "NotFound"
            except PermissionDenied:
                outcome = "PermissionDenied"
            except Exception:  # noqa: BLE001 - a state or input error after the access check
                outcome = "through"
            expected = "NotFound" if not scoped else ("PermissionDenied" if not allowed else "through")
            assert outcome == expected, (actor, role, actor_key, action, record, record_key)
            seen[outcome] += 1
            if outcome != "through":
                session.commit()  # even committed, a refusal has written nothing
                assert td.snapshot(engine) == baseline, (actor, action, record, record_key)
            else:
                session.rollback()  # keep the world as seeded
        finally:
            session.close()

    prop()
    assert all(seen.values()), seen  # every kind of outcome was exercised
