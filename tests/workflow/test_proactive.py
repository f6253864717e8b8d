"""Issue 19 — the policy finds the enterprise: records, proactive matching, notifications, reminders.

Every test runs on SQLite and PostgreSQL (the ``session`` fixture) over the demo register
(``huiqi.workflow.demo`` with ``records.demo``: lists each district's officer imported) and the
packaged policies. Expected enterprises and sums are worked out from the policy text:
金科〔2025〕25号 = /work/shared/seeds/000_c48bb040dce1ca80.txt, 黄科委规〔2025〕2号 = …/004_eaccde891baf17d2.txt.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi.config import Settings
from huiqi.rules import load_policies
from huiqi.uscc import make_uscc
from huiqi.workflow import states
from huiqi.workflow.demo import seed_demo
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import AlreadyImported, ImportRejected, InvalidInput, NotFound, PermissionDenied
from huiqi.workflow.imports import service as imports
from huiqi.workflow.matching import flows as matching
from huiqi.workflow.matching import service as matches
from huiqi.workflow.notifications import flows as notify
from huiqi.workflow.notifications import service as inbox
from huiqi.workflow.notifications.models import Notification
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.payments import service as payments
from huiqi.workflow.records import service as records
from huiqi.workflow.rounds import service as rounds
from huiqi.workflow.users import service as users

DAY = dt.date(2026, 6, 1)
PS = load_policies()


@pytest.fixture
def demo(session):
    out = seed_demo(session, PS, today=DAY)
    session.commit()
    u = {name: users.by_username(session=session, username=name) for name in out["users"]}
    ents = {e.uscc: e for e in session.query(Enterprise)}
    js4 = ents[make_uscc("91310116MA1DEM004")]
    u["ent-js4"] = users.create(
        session=session,
        username="ent-js4",
        password="x-pass-123456",
        role=states.ENTERPRISE,
        enterprise_id=js4.id,
        actor=u["officer-js"],
        policies=PS,
    )
    session.commit()
    u["_ent"] = {
        k: ents[make_uscc(v)].id
        for k, v in (("js1", "91310116MA1DEM001"), ("js2", "91310116MA1DEM002"), ("hp", "91310101MA1DEM003"))
    }
    u["_ent"]["js4"] = js4.id
    return u


def _found(rows):
    out = {}
    for r in rows:
        out.setdefault(r["programme_id"], []).append((r["name"], r["status"], r["ceiling"]))
    return out


# ------------------------------------------------------------------ matching the demo register


def test_matching_the_demo_register_finds_what_the_policy_text_says(session, demo):
    found = matching.run_register(session=session, actor=demo["officer-js"], on=DAY, policies=PS)
    rows = matches.results(session=session, actor=demo["officer-js"])
    assert _found(rows) == {
        # 000 line 916/920: 由金山区推荐并获…立项的企业; 市、区两级给予最高 30 万元 — 300,000 less the municipal 100,000
        "J5.1": [("朱泾示范科技有限公司", "eligible", "200000.00")],
        # 000 line 931/941: 首次认定 20 万元; line 943: 有效期满重新认定 5 万元. 朱泾示范科技 is first-recognised
        # but lines 933 and 935 (Zhangjiang policy; municipal cultivation funding) are unknown: two facts away
        "J5.2": [
            ("金山示范生物医药有限公司", "eligible", "200000.00"),
            ("山阳示范医疗器械有限公司", "eligible", "50000.00"),
            ("朱泾示范科技有限公司", "near", None),
        ],
        # 000 line 974/978: 由金山区推荐并获得认定; 按市级部门资助金额的 100%给予配套 (1,000,000; 两级最高 300 万元, line 969)
        "J5.3": [("山阳示范医疗器械有限公司", "eligible", "1000000.00")],
    }
    near = [r for r in rows if r["status"] == "near"][0]
    assert [m["fact"] for m in near["missing"]] == [
        "enterprise.hnte_cultivation_funded",
        "enterprise.zhangjiang_hnte_support",
    ]
    assert near["possible_ceiling"] == "200000.00"
    assert found["J5.2"] == {"eligible": [demo["_ent"]["js1"], demo["_ent"]["js2"]], "near": [demo["_ent"]["js4"]]}
    # 004 line 51: GCP 认证…按照不超过项目总投资的 40%，给与最高 500 万元 — 3,000,000 × 40% = 1,200,000
    matching.run_register(session=session, actor=demo["officer-hp"], on=DAY, policies=PS)
    assert _found(matches.results(session=session, actor=demo["officer-hp"])) == {
        "H3a": [("黄浦示范转化医学有限公司", "eligible", "1200000.00")]
    }
    # an officer sees its district's matches only; an enterprise its own
    assert {r["programme_id"] for r in matches.results(session=session, actor=demo["officer-js"])} == {
        "J5.1",
        "J5.2",
        "J5.3",
    }
    assert {(r["programme_id"], r["status"]) for r in matches.results(session=session, actor=demo["ent-js4"])} == {
        ("J5.1", "eligible"),
        ("J5.2", "near"),
    }
    with pytest.raises(PermissionDenied):
        matching.run_register(session=session, actor=demo["officer-js"], district="黄浦区", on=DAY, policies=PS)


def test_the_population_compiler_finds_the_same_enterprises(session, demo):
    got = matching.compiler_eligible(
        session=session,
        district="金山区",
        enterprises=list(session.query(Enterprise).filter(Enterprise.district == "金山区").order_by(Enterprise.id)),
        programme_ids=["J5.1", "J5.2", "J5.3"],
        policies=PS,
        on=DAY,
    )
    e = demo["_ent"]
    assert got == {"J5.1": [e["js4"]], "J5.2": [e["js1"], e["js2"]], "J5.3": [e["js2"]]}


def test_a_grant_without_application_goes_from_matching_to_payment_without_a_file(session, demo):
    off = demo["officer-js"]
    apps = matching.propose_grants(session=session, programme_id="J5.3", year=2026, actor=off, on=DAY, policies=PS)
    assert [(a.enterprise_id, a.state, a.channel, a.ceiling) for a in apps] == [
        (demo["_ent"]["js2"], "proposed", "automatic", Decimal("1000000.00"))
    ]
    session.commit()
    # idempotent: proposing again proposes nothing twice
    assert (
        matching.propose_grants(session=session, programme_id="J5.3", year=2026, actor=off, on=DAY, policies=PS) == []
    )
    imports.confirm(session=session, application_id=apps[0].id, actor=off, on=DAY)
    batch = payments.create_batch(session=session, pay_on=DAY, actor=off)
    paid = payment_flows.run_batch(session=session, batch_id=batch.id, actor=off)
    assert [p.amount for p in paid] == [Decimal("1000000.00")]
    session.commit()
    with pytest.raises(InvalidInput):  # J5.2 is applied for online: no proposals
        matching.propose_grants(session=session, programme_id="J5.2", year=2026, actor=off, on=DAY, policies=PS)
    with pytest.raises(PermissionDenied):  # another district's programme
        matching.propose_grants(
            session=session, programme_id="J5.3", year=2026, actor=demo["officer-hp"], on=DAY, policies=PS
        )


# ------------------------------------------------------------------ records


def test_records_are_versioned_and_an_enterprise_corrects_its_own(session, demo):
    js4, me = demo["_ent"]["js4"], demo["ent-js4"]
    rec = records.record(session=session, enterprise_id=js4, actor=me, policies=PS)
    facts = {f["fact"]: f for f in rec["facts"]}
    assert facts["enterprise.hnte_recognition"]["source"] == "import"
    assert facts["enterprise.hnte_recognition"]["source_ref"] == "高新技术企业名单（演示）"
    rows = records.correct(
        session=session,
        enterprise_id=js4,
        facts={"enterprise.zhangjiang_hnte_support": "否", "enterprise.hnte_cultivation_funded": "false"},
        actor=me,
        note="未享受张江政策，未获培育资助",
        policies=PS,
    )
    session.commit()
    assert {(r.fact, r.value["v"], r.source) for r in rows} == {
        ("enterprise.zhangjiang_hnte_support", False, "self_declared"),
        ("enterprise.hnte_cultivation_funded", False, "self_declared"),
    }
    assert (
        records.correct(
            session=session,
            enterprise_id=js4,
            facts={"enterprise.hnte_cultivation_funded": False},
            actor=me,
            policies=PS,
        )
        == []
    )  # same value: no version
    hist = records.history(session=session, enterprise_id=js4, actor=me, policies=PS)
    assert [h["fact"] for h in hist][:2] == ["enterprise.hnte_cultivation_funded", "enterprise.zhangjiang_hnte_support"]
    from huiqi.workflow.audit_log import service as audit_log

    entry = [
        x
        for x in audit_log.entries(session=session, actor=demo["officer-js"], entity="enterprise", entity_id=js4)
        if x.action == "record.correct"
    ][-1]
    assert entry.data["source"] == "self_declared" and entry.data["facts"]["enterprise.zhangjiang_hnte_support"] == {
        "before": None,
        "after": False,
    }
    # another enterprise's record: not found; a register fact: refused
    with pytest.raises(NotFound):
        records.record(session=session, enterprise_id=demo["_ent"]["js1"], actor=me, policies=PS)
    with pytest.raises(NotFound):
        records.correct(
            session=session,
            enterprise_id=demo["_ent"]["js1"],
            facts={"enterprise.hnte_recognition": "首次认定"},
            actor=me,
            policies=PS,
        )
    with pytest.raises(InvalidInput) as exc:
        records.correct(
            session=session,
            enterprise_id=js4,
            facts={"enterprise.registered_district": "黄浦区"},
            actor=me,
            policies=PS,
        )
    assert exc.value.field == "enterprise.registered_district"
    with pytest.raises(NotFound):  # another district's officer
        records.record(session=session, enterprise_id=js4, actor=demo["officer-hp"], policies=PS)


def test_fact_list_imports_report_every_bad_row_and_are_idempotent(session, demo):
    off = demo["officer-js"]
    bad = (
        b"uscc,name,enterprise.hnte_recognition,enterprise.employees\n91310116MA1000001X,a,\xe9\xa6\x96\xe6\xac\xa1\xe8\xae\xa4\xe5\xae\x9a,3\n"
        + f"{make_uscc('91310116MA1DEM001')},b,maybe,-2\n{make_uscc('91310101MA1DEM003')},c,,\n".encode()
    )
    with pytest.raises(ImportRejected) as exc:
        records.import_facts(session=session, path="bad.csv", content=bad, list_name="名单", actor=off, policies=PS)
    assert sorted((p["row"], p["column"]) for p in exc.value.problems) == [
        (2, "uscc"),
        (3, "enterprise.employees"),
        (3, "enterprise.hnte_recognition"),
        (4, "uscc"),
    ]
    session.rollback()
    good = f"uscc,name,enterprise.employees\n{make_uscc('91310116MA1DEM001')},金山示范生物医药有限公司,120\n".encode()
    run = records.import_facts(
        session=session, path="staff.csv", content=good, list_name="从业人员", actor=off, policies=PS
    )
    assert (run.rows, len(run.changed)) == (1, 1)
    session.commit()
    with pytest.raises(AlreadyImported):
        records.import_facts(
            session=session, path="staff.csv", content=good, list_name="从业人员", actor=off, policies=PS
        )
    session.rollback()
    run2 = records.import_facts(
        session=session, path="staff-again.csv", content=good + b"\n", list_name="从业人员", actor=off, policies=PS
    )
    assert (run2.changed, [s["row"] for s in run2.skipped]) == ([], [2])  # the value is known: nothing new


# ------------------------------------------------------------------ notifications


def _open_j52_round(session, demo, *, closes=dt.date(2026, 10, 12)):
    r = rounds.create(
        session=session,
        code="JS-2026-HNTE",
        name="2026 年度高新技术企业奖励",
        programmes=["J5.2"],
        year=2026,
        opens_on=DAY,
        closes_on=closes,
        actor=demo["officer-js"],
        policies=PS,
    )
    rounds.open_round(session=session, round_id=r.id, actor=demo["officer-js"])
    session.commit()
    return r


def _dispatch(session, demo):
    out = notify.dispatch(session=session, actor=demo["admin"], on=DAY, policies=PS, settings=Settings())
    session.commit()
    return out


def test_a_round_opening_notifies_the_enterprises_it_fits_once(session, demo):
    r = _open_j52_round(session, demo)
    first = _dispatch(session, demo)
    mine = {
        u: [(n.kind, n.programme_id) for n in inbox.inbox(session=session, actor=demo[u]) if n.kind == "round_open"]
        for u in ("ent-js1", "ent-js2", "ent-js4", "ent-hp")
    }
    assert mine == {
        "ent-js1": [("round_open", "J5.2")],
        "ent-js2": [("round_open", "J5.2")],
        "ent-js4": [("round_open", "J5.2")],
        "ent-hp": [],
    }
    near = [n for n in inbox.inbox(session=session, actor=demo["ent-js4"]) if n.kind == "round_open"][0]
    assert "尚需补充" in near.body_zh and "张江" in near.body_zh
    again = _dispatch(session, demo)
    assert again["made"] == 0 and first["made"] > 0
    keys = [(n.event_key, n.user_id, n.channel) for n in session.query(Notification)]
    assert len(keys) == len(set(keys))
    # the cursor set back before the round opened: the round is matched again, nobody notified twice
    from huiqi import audit
    from huiqi.workflow.notifications.models import DispatchCursor

    opened = session.query(audit.AuditEntry).filter_by(action="round.open", entity_id=str(r.id)).one()
    session.get(DispatchCursor, 1).seq = opened.seq - 1
    session.commit()
    before = {n.id for n in session.query(Notification)}
    assert _dispatch(session, demo)["made"] == 0, [
        (n.event_key, n.kind, n.title_en) for n in session.query(Notification) if n.id not in before
    ]


def test_stage_payment_and_preferences(session, demo):
    off, me = demo["officer-js"], demo["ent-js2"]
    inbox.set_prefs(session=session, actor=me, email="finance@shanyang.example", muted=["stage:email"])
    session.commit()
    [app] = matching.propose_grants(session=session, programme_id="J5.3", year=2026, actor=off, on=DAY, policies=PS)
    imports.confirm(session=session, application_id=app.id, actor=off, on=DAY)
    batch = payments.create_batch(session=session, pay_on=DAY, actor=off)
    payment_flows.run_batch(session=session, batch_id=batch.id, actor=off)
    session.commit()
    _dispatch(session, demo)
    got = sorted((n.kind, n.channel) for n in session.query(Notification).filter(Notification.user_id == me.id))
    assert got == [("payment", "email"), ("payment", "inbox"), ("stage", "inbox")]  # stage e-mails muted
    pay = [n for n in inbox.inbox(session=session, actor=me) if n.kind == "payment"][0]
    assert "1000000.00" in pay.title_zh
    # an enterprise never sees another's notifications
    with pytest.raises(NotFound):
        inbox.mark_read(session=session, notification_id=pay.id, actor=demo["ent-js1"])
    assert inbox.mark_read(session=session, notification_id=pay.id, actor=me).state == "read"
    # officers: their district's deliveries only
    assert {n.address for n in inbox.deliveries(session=session, actor=off)} == {"finance@shanyang.example"}
    assert inbox.deliveries(session=session, actor=demo["officer-hp"]) == []
    with pytest.raises(NotFound):
        inbox.retry_now(
            session=session,
            notification_id=[n for n in inbox.deliveries(session=session, actor=off)][0].id,
            actor=demo["officer-hp"],
        )
    with pytest.raises(InvalidInput):
        inbox.set_prefs(session=session, actor=me, email="not-an-address", muted=[])


# ------------------------------------------------------------------ e-mail through a local SMTP server


class _Box:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ARG002
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    box = _Box()
    ctl = Controller(box, hostname="127.0.0.1", port=_free_port())
    ctl.start()
    try:
        yield ctl, box
    finally:
        ctl.stop()


def _free_port():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_failed_send_is_kept_and_retried_with_back_off(session, demo, smtp_server):
    ctl, box = smtp_server
    _dispatch(session, demo)  # the demo's history first: no e-mail address yet, inbox only
    inbox.set_prefs(session=session, actor=demo["ent-js1"], email="boss@js1.example", muted=[])
    session.commit()
    _open_j52_round(session, demo)
    _dispatch(session, demo)
    now = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
    down = Settings(smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_timeout=2)
    out = notify.deliver(session=session, actor=demo["admin"], now=now, settings=down)
    session.commit()
    [mail] = [n for n in session.query(Notification).filter(Notification.channel == "email")]
    assert (
        out["failed"],
        mail.state,
        mail.attempts,
        mail.next_attempt_at.replace(tzinfo=dt.timezone.utc)
        if mail.next_attempt_at.tzinfo is None
        else mail.next_attempt_at,
    ) == (1, "failed", 1, now + dt.timedelta(minutes=1))
    assert [n.id for n in inbox.deliveries(session=session, actor=demo["officer-js"], state="failed")] == [mail.id]
    up = Settings(smtp_host=ctl.hostname, smtp_port=ctl.port, smtp_from="huiqi@jinshan.example")
    assert (
        notify.deliver(session=session, actor=demo["admin"], now=now + dt.timedelta(seconds=30), settings=up)["sent"]
        == 0
    )  # still backing off
    out = notify.deliver(session=session, actor=demo["admin"], now=now + dt.timedelta(minutes=2), settings=up)
    session.commit()
    assert (out["sent"], mail.state, mail.attempts) == (1, "sent", 2)
    assert [m.rcpt_tos for m in box.messages] == [["boss@js1.example"]]
    assert "J5.2" in box.messages[0].content.decode("utf-8", "replace") or box.messages[0].content
    assert (
        notify.deliver(session=session, actor=demo["admin"], now=now + dt.timedelta(hours=1), settings=up)["sent"] == 0
    )  # never twice
    assert [notify.backoff(k) for k in (1, 2, 3, 10, 20)] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 360, 360)]


# ------------------------------------------------------------------ reminders in working days (2026 holidays)


def test_reminders_count_working_days_across_national_day_2026(session, demo):
    """国庆 2026: 10-01 … 10-07 off, Saturday 10-10 a working day (调休; chinesecalendar 1.11)."""
    r = _open_j52_round(session, demo, closes=dt.date(2026, 10, 12))
    _dispatch(session, demo)  # matched enterprises: js1, js2 (eligible), js4 (near)

    def remind(on, days):
        out = notify.remind(session=session, actor=demo["admin"], on=on, days=days, policies=PS, settings=Settings())
        session.commit()
        return out

    # 09-29: working days left 09-30, 10-08, 10-09, 10-10 (Sat, 调休), 10-12 = 5 > 4
    assert remind(dt.date(2026, 9, 29), 4)["rounds"] == []
    # 09-30: 4 left (the holiday week does not count; Mon–Fri alone would count 8): reminded
    out = remind(dt.date(2026, 9, 30), 4)
    assert out["rounds"] == [r.id] and out["made"] == 3
    # 10-09 with 1 day: 10-10 is a working Saturday, so 2 are left — no reminder (Mon–Fri alone: 1)
    assert notify.working_days_left(dt.date(2026, 10, 9), dt.date(2026, 10, 12)) == 2
    # reminded once per deadline, whatever the runs
    assert remind(dt.date(2026, 10, 8), 4)["made"] == 0
    assert {n.user_id for n in session.query(Notification).filter(Notification.kind == "deadline")} == {
        demo["ent-js1"].id,
        demo["ent-js2"].id,
        demo["ent-js4"].id,
    }


def test_progress_report_reminder_and_an_unloaded_year(session, demo):
    off = demo["officer-js"]
    [app] = matching.propose_grants(session=session, programme_id="J5.1", year=2026, actor=off, on=DAY, policies=PS)
    imports.confirm(session=session, application_id=app.id, actor=off, on=DAY)
    inbox.set_deadline(
        session=session,
        application_id=app.id,
        kind="progress_report",
        due_on="2026-10-08",
        actor=off,
        note="2026 年三季度",
    )
    session.commit()
    # 09-24: 09-25 中秋 off, 09-28, 09-29, 09-30, 10-08 = 4 left > 3
    assert notify.remind(session=session, actor=off, on=dt.date(2026, 9, 24), days=3, policies=PS)["deadlines"] == []
    out = notify.remind(
        session=session, actor=off, on=dt.date(2026, 9, 29), days=3, policies=PS
    )  # 09-30, 10-08: 2 left
    assert out["deadlines"] and out["made"] == 1
    [n] = [n for n in inbox.inbox(session=session, actor=demo["ent-js4"]) if n.kind == "deadline"]
    assert "2026-10-08" in n.title_zh and "2 个工作日" in n.title_zh
    with pytest.raises(InvalidInput) as exc:
        notify.working_days_left(dt.date(2027, 1, 4), dt.date(2027, 1, 20))
    assert exc.value.field == "calendar"


def test_funnel_per_programme(session, demo):
    _open_j52_round(session, demo)
    _dispatch(session, demo)
    rows = {r["programme_id"]: r for r in notify.funnel(session=session, actor=demo["officer-js"], policies=PS)}
    assert {k: rows["J5.2"][k] for k in ("eligible", "near", "notified", "started", "submitted", "approved")} == {
        "eligible": 2,
        "near": 1,
        "notified": 3,
        "started": 0,
        "submitted": 0,
        "approved": 0,
    }
    # the demo's J2.3 application (submitted) and J2.5 draft
    assert (rows["J2.3"]["started"], rows["J2.3"]["submitted"], rows["J2.5"]["started"], rows["J2.5"]["submitted"]) == (
        1,
        1,
        1,
        0,
    )


def test_a_change_decision_deadline_reminds_the_officers_and_the_decision_reaches_the_enterprise(session, demo):
    """金科〔2025〕25号 line 1632: major changes need written approval (书面同意), no period given —
    the officer sets the date; reminders count 2026's working days."""
    from huiqi.workflow.changes import service as changes

    off, me = demo["officer-js"], demo["ent-js4"]
    [app] = matching.propose_grants(session=session, programme_id="J5.1", year=2026, actor=off, on=DAY, policies=PS)
    imports.confirm(session=session, application_id=app.id, actor=off, on=DAY)
    _dispatch(session, demo)  # history so far
    ch = changes.request_change(
        session=session,
        application_id=app.id,
        kind="place",
        description="实施地点迁至朱泾镇新址",
        actor=me,
        policies=PS,
    )
    assert ch.state == "pending"
    inbox.set_deadline(
        session=session, application_id=app.id, kind="change_decision", change_id=ch.id, due_on="2026-10-12", actor=off
    )
    session.commit()
    _dispatch(session, demo)
    assert [n.kind for n in inbox.inbox(session=session, actor=off)][0] == "office"  # a change awaits a decision
    # 10-08: 10-09, Saturday 10-10 (调休), 10-12 = 3 working days left
    out = notify.remind(session=session, actor=off, on=dt.date(2026, 10, 8), days=3, policies=PS, settings=Settings())
    session.commit()
    assert out["made"] == 1 and "3 个工作日" in inbox.inbox(session=session, actor=off)[0].title_zh
    changes.decide_change(session=session, change_id=ch.id, approve=True, reason="新址仍在金山区", actor=off)
    session.commit()
    _dispatch(session, demo)
    [n] = [n for n in inbox.inbox(session=session, actor=me) if n.kind == "change"]
    assert "已书面同意" in n.title_zh and "新址仍在金山区" in n.body_zh
    assert inbox.deadlines(session=session, actor=off)[0].done is True  # decided: no more reminders
    assert notify.remind(session=session, actor=off, on=dt.date(2026, 10, 9), days=3, policies=PS)["deadlines"] == []
    assert [d.id for d in inbox.deadlines(session=session, actor=me)] == [
        inbox.deadlines(session=session, actor=off)[0].id
    ]
    assert inbox.deadlines(session=session, actor=demo["ent-js1"]) == []  # another enterprise's


def test_a_record_change_tells_an_enterprise_of_an_open_round_that_now_fits(session, demo):
    r = _open_j52_round(session, demo)
    _dispatch(session, demo)
    off = demo["officer-js"]
    code = make_uscc("91310116MA1DEM005")
    lst = f"uscc,name,enterprise.hnte_recognition,enterprise.zhangjiang_hnte_support\n{code},枫泾示范科技有限公司,重新认定,否\n"
    run = records.import_facts(
        session=session,
        path="hnte-2.csv",
        content=lst.encode(),
        list_name="高新技术企业名单（第二批）",
        actor=off,
        on=DAY,
        policies=PS,
    )
    js5 = run.changed[0]["enterprise"]  # registered by the import in 金山区
    u5 = users.create(
        session=session,
        username="ent-js5",
        password="x-pass-123456",
        role=states.ENTERPRISE,
        enterprise_id=js5,
        actor=off,
        policies=PS,
    )
    session.commit()
    _dispatch(session, demo)  # record.import → matched again → J5.2 (000 line 943: 重新认定 5 万元) fits, round open
    [n] = [n for n in inbox.inbox(session=session, actor=u5) if n.kind == "round_open"]
    assert (n.programme_id, n.event_key) == ("J5.2", f"round-open:{r.id}:J5.2") and "50000.00" in n.body_zh
    matching.run_register(session=session, actor=off, on=DAY, policies=PS)  # an officer's run: nobody told twice
    session.commit()
    assert _dispatch(session, demo)["made"] == 0
