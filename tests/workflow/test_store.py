"""Storage: migrations, money exactness, the application freeze, materials."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from huiqi.store import Base
from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.errors import InvalidInput, MaterialsMissing, NotFound, PermissionDenied
from huiqi.workflow.materials import service as materials
from tests.workflow import helpers as h


def test_migrations_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_submission_freezes_the_engine_result(session, world):
    # 专题一 3.支持标准: 三年内按照租金的 30%给予补贴，单年度最高补贴 50 万元 — rent 1,000,000 → 300,000 a year
    app = h.submitted(session, world, 0, "WF-RENT", h.rent("1000000"))
    session.commit()
    assert app.state == "submitted"
    assert app.ceiling == Decimal("900000.00")
    assert app.requested_amount == Decimal("900000.00")
    assert app.policy_version == world.policies.version
    sched = app.evaluation["result"]["schedule"]
    assert [(s["after_months"], s["amount"]) for s in sched] == [(0, "300000.00"), (12, "300000.00"), (24, "300000.00")]
    assert app.evaluation["profile"]["enterprise"]["serious_dishonesty_last_3_years"] is False
    assert app.evaluation["profile"]["call"] == {"period_start": "2025-01-01", "period_end": "2025-12-31"}


def test_missing_materials_block_submission_with_the_list(session, world):
    app = h.draft(session, world, 0, "WF-RENT", h.rent())
    materials.upload(session=session, application_id=app.id, material_id="form", filename="f.pdf", content=h.PDF, actor=world.ent_users[0], stamped=True, policies=world.policies)
    materials.upload(session=session, application_id=app.id, material_id="licence", filename="l.pdf", content=h.PDF + b"x", actor=world.ent_users[0], stamped=False, policies=world.policies)
    with pytest.raises(MaterialsMissing) as exc:
        applications.submit(session=session, application_id=app.id, actor=world.ent_users[0], on=h.SUBMIT_DAY, policies=world.policies)
    missing = {m["id"]: m["problem_en"] for m in exc.value.details}
    # 复印件均须加盖申报单位公章: an unstamped licence copy does not count; "other" is optional
    assert missing == {"licence": "must bear the applicant's stamp", "lease": "not uploaded"}
    assert "租房合同" in exc.value.message_zh


def test_uploads_are_content_addressed_and_checked(session, world, tmp_path):
    app = h.draft(session, world, 0, "WF-RENT", h.rent())
    f1 = materials.upload(session=session, application_id=app.id, material_id="form", filename="a.pdf", content=h.PDF, actor=world.ent_users[0], stamped=True, policies=world.policies)
    f2 = materials.upload(session=session, application_id=app.id, material_id="lease", filename="b.pdf", content=h.PDF, actor=world.ent_users[0], stamped=True, policies=world.policies)
    assert f1.sha256 == f2.sha256 == hashlib.sha256(h.PDF).hexdigest()
    assert materials.path_for(f1.sha256) == tmp_path / "files" / f1.sha256[:2] / f1.sha256[2:4] / f1.sha256
    assert materials.read(sha256=f1.sha256) == h.PDF
    assert len(list((tmp_path / "files").rglob("*"))) == 3  # aa/, aa/bb/, the file: stored once
    with pytest.raises(InvalidInput) as exc:
        materials.upload(session=session, application_id=app.id, material_id="form", filename="x.exe", content=b"MZ", actor=world.ent_users[0], policies=world.policies)
    assert exc.value.field == "file"
    with pytest.raises(InvalidInput, match="content"):
        materials.upload(session=session, application_id=app.id, material_id="form", filename="x.pdf", content=b"\x89PNG\r\n\x1a\n", actor=world.ent_users[0], policies=world.policies)
    with pytest.raises(InvalidInput) as exc:
        materials.upload(session=session, application_id=app.id, material_id="nope", filename="x.pdf", content=h.PDF, actor=world.ent_users[0], policies=world.policies)
    assert exc.value.field == "material"
    with pytest.raises(NotFound):  # another enterprise's application: out of its user's scope (404)
        materials.upload(session=session, application_id=app.id, material_id="form", filename="x.pdf", content=h.PDF, actor=world.ent_users[1], policies=world.policies)


def test_money_is_exact(session, world):
    app = h.draft(session, world, 0, "WF-PROJECT", h.project(), requested="1234567.89")
    session.commit()
    session.expire_all()
    assert applications.get(session=session, application_id=app.id, actor=world.admin).requested_amount == Decimal("1234567.89")
    with pytest.raises(InvalidInput):
        h.draft(session, world, 0, "WF-PROJECT", h.project(), requested="1.234")


def test_enterprise_users_act_only_for_their_enterprise(session, world):
    with pytest.raises(NotFound):  # another enterprise: out of scope
        h.draft(session, world, 0, "WF-RENT", h.rent(), actor=world.ent_users[1])
    with pytest.raises(PermissionDenied):  # the expert sees the enterprise (its district's) but may not apply
        h.draft(session, world, 0, "WF-RENT", h.rent(), actor=world.experts[0])
    assert states.APPLICATION.state("draft").zh == "草稿"


def test_models_match_the_migrations(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_migration_0002_backfills_cap_charges(tmp_path):
    """Approvals made before 0002 get a cap charge at their approved sum (nothing released), so a
    later revocation can release it; cap_year takes the application year."""
    from sqlalchemy import text

    from huiqi.store import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    assert upgrade(engine, "0001") == "0001"
    now = "2026-06-01 00:00:00"
    with engine.begin() as c:
        c.execute(text("INSERT INTO enterprises (id, uscc, name, created_at) VALUES (1, :u, '测试企业1', :t)"), {"u": h.uscc(1), "t": now})
        caps = '[{"cap": "wf-fixture/annual", "limit": "2000000"}]'
        for i, state in ((1, "approved"), (2, "revoked"), (3, "submitted")):
            c.execute(text("INSERT INTO applications (id, enterprise_id, programme_id, channel, year, state, profile, approved_amount, cap_limits, created_at) "
                           "VALUES (:i, 1, 'WF-PROJECT', 'online', 2026, :s, '{}', :fen, :caps, :t)"), {"i": i, "s": state, "fen": 50_000_000 if i < 3 else None, "caps": caps, "t": now})
        c.execute(text("INSERT INTO cap_ledger (id, enterprise_id, year, cap_id, \"limit\", used, created_at) VALUES (1, 1, 2026, 'wf-fixture/annual', 200000000, 100000000, :t)"), {"t": now})
    assert upgrade(engine, "0002") == "0002"
    with engine.connect() as c:
        assert c.execute(text("SELECT application_id, ledger_id, amount, released FROM cap_charges ORDER BY application_id")).all() == [(1, 1, 50_000_000, 0), (2, 1, 50_000_000, 0)]
        assert c.execute(text("SELECT id, cap_year, credit_hold FROM applications ORDER BY id")).all() == [(1, 2026, 0), (2, 2026, 0), (3, 2026, 0)]
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_engine(request, tmp_path):
    """An empty database, not migrated (SQLite file, or a PostgreSQL schema of its own)."""
    from huiqi.store import make_engine
    from tests.workflow.conftest import new_pg_schema

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
        yield engine
        engine.dispose()
        return
    url, drop = new_pg_schema("huiqi_o")
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop()


def test_migration_0003_gives_every_record_its_district(blank_engine):
    """Migration 0003 (issue 13): each round takes its programmes' document's district (over a
    district typed in before), else its applicants' one district; applications their round's (a
    grant without a round: its programme's); notice and payment batches, changes, revocations,
    receivables their applications'; imports the district of what they created or of their
    officer; credit records their import's; ties their expert's; audit entries their record's —
    and the hash chain still verifies (it does not cover the new column). Users get no district:
    a scope-less officer sees nothing (docs/workflow.md)."""
    import datetime as dt

    from sqlalchemy import text

    from huiqi import audit
    from huiqi.store import make_sessionmaker, head_revision, upgrade

    engine = blank_engine
    assert upgrade(engine, "0002") == "0002"
    t = "2026-06-01 00:00:00"
    rows = {
        "enterprises": [(1, h.uscc(1), "金山企业", "金山区", "亭林镇"), (2, h.make_uscc("91310101MA1000002"), "黄浦企业", "黄浦区", None)],
        "users": [(1, "officer-js", "officer", "金山区"), (2, "officer-none", "officer", None), (3, "expert-js", "expert", "金山区")],
    }
    with engine.begin() as c:
        for i, uscc, name, district, town in rows["enterprises"]:
            c.execute(text("INSERT INTO enterprises (id, uscc, name, district, town, created_at) VALUES (:i, :u, :n, :d, :t, :at)"), {"i": i, "u": uscc, "n": name, "d": district, "t": town, "at": t})
        for i, name, role, district in rows["users"]:
            c.execute(text("INSERT INTO users (id, username, display_name, role, password_hash, district, active, created_at) VALUES (:i, :n, :n, :r, 'x', :d, true, :at)"), {"i": i, "n": name, "r": role, "d": district, "at": t})
        # round 1: Jinshan's programme J2.3, but 黄浦区 typed in; round 2: a programme the policies do not know, Huangpu applicants
        c.execute(text("INSERT INTO rounds (id, code, name, district, programmes, year, opens_on, closes_on, state, created_at) VALUES (1, 'R1', 'r1', '黄浦区', '[\"J2.3\"]', 2026, '2026-03-01', '2026-04-30', 'open', :at)"), {"at": t})
        c.execute(text("INSERT INTO rounds (id, code, name, district, programmes, year, opens_on, closes_on, state, created_at) VALUES (2, 'R2', 'r2', NULL, '[\"XX-1\"]', 2026, '2026-03-01', '2026-04-30', 'open', :at)"), {"at": t})
        c.execute(text("INSERT INTO import_runs (id, kind, filename, sha256, rows, programme_id, actor_id, created_at) VALUES (1, 'credit', 'c.csv', 'x', 1, NULL, 1, :at)"), {"at": t})
        c.execute(text("INSERT INTO import_runs (id, kind, filename, sha256, rows, programme_id, actor_id, created_at) VALUES (2, 'automatic', 'a.csv', 'x', 1, 'J5.2', 2, :at)"), {"at": t})
        c.execute(text("INSERT INTO notice_batches (id, round_id, title, published_on, working_days, ends_on, state, created_at) VALUES (1, NULL, 'n', '2026-09-30', 5, '2026-10-13', 'open', :at)"), {"at": t})
        c.execute(text("INSERT INTO payment_batches (id, code, pay_on, state, created_at) VALUES (1, 'PAY-1', '2026-10-20', 'open', :at)"), {"at": t})
        for i, rid, ent, prog, imp, nb in ((1, 1, 1, "J2.3", None, 1), (2, 2, 2, "XX-1", None, None), (3, None, 1, "J5.2", 2, None)):
            c.execute(text("INSERT INTO applications (id, round_id, enterprise_id, programme_id, channel, year, state, profile, import_id, notice_batch_id, credit_hold, created_at) "
                           "VALUES (:i, :r, :e, :p, 'online', 2026, 'approved', '{}', :imp, :nb, false, :at)"), {"i": i, "r": rid, "e": ent, "p": prog, "imp": imp, "nb": nb, "at": t})
        c.execute(text("INSERT INTO instalments (id, application_id, seq, label_zh, label_en, after_months, due_on, amount, state, created_at) VALUES (1, 2, 1, 'a', 'a', 0, '2026-10-01', 100, 'scheduled', :at)"), {"at": t})
        c.execute(text("INSERT INTO payment_batch_items (id, batch_id, instalment_id, created_at) VALUES (1, 1, 1, :at)"), {"at": t})
        c.execute(text("INSERT INTO change_requests (id, application_id, kind, description, details, major, basis, state, actor_id, created_at) VALUES (1, 1, 'content', 'x', '{}', true, '{}', 'pending', 1, :at)"), {"at": t})
        c.execute(text("INSERT INTO receivables (id, application_id, amount, ground, reason, state, created_at) VALUES (1, 2, 100, 'g', 'r', 'open', :at)"), {"at": t})
        c.execute(text("INSERT INTO revocations (id, application_id, ground, reason, revoked_on, paid_total, cancelled_total, actor_id, created_at) VALUES (1, 2, 'g', 'r', '2026-07-01', 100, 0, 1, :at)"), {"at": t})
        c.execute(text("INSERT INTO credit_records (id, uscc, record_date, authority, description, import_id, created_at) VALUES (1, :u, '2024-05-06', 'a', 'd', 1, :at)"), {"u": h.uscc(1), "at": t})
        c.execute(text("INSERT INTO credit_records (id, uscc, record_date, authority, description, import_id, created_at) VALUES (2, :u, '2024-05-06', 'a', 'd', NULL, :at)"), {"u": h.make_uscc("91310101MA1000002"), "at": t})
        c.execute(text("INSERT INTO expert_ties (id, expert_id, enterprise_id, reason, created_at) VALUES (1, 3, 1, 'r', :at)"), {"at": t})
        from huiqi.audit.mac import GENESIS, legacy_entry_hash

        prev = GENESIS
        at = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
        for seq, (entity, eid) in enumerate((("application", "2"), ("round", "1"), ("payment_batch", "1"), ("user", "2"), ("change", "1")), start=1):
            hsh = legacy_entry_hash(prev, {"seq": seq, "at": at, "actor": "officer-js", "action": f"{entity}.x", "entity": entity, "entity_id": eid, "reason": None, "data": {}})
            c.execute(text("INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, reason, data, prev_hash, hash) VALUES (:s, :at, 'officer-js', :a, :e, :i, NULL, '{}', :p, :h)"),
                      {"s": seq, "at": at, "a": f"{entity}.x", "e": entity, "i": eid, "p": prev, "h": hsh})
            prev = hsh
        c.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 5, :h)"), {"h": prev})
    assert upgrade(engine) == head_revision()  # the packaged head (the chain is checked linear in test_store)
    with engine.connect() as c:
        q = lambda sql: c.execute(text(sql)).all()  # noqa: E731
        assert q("SELECT id, district FROM rounds ORDER BY id") == [(1, "金山区"), (2, "黄浦区")]
        assert q("SELECT id, district FROM applications ORDER BY id") == [(1, "金山区"), (2, "黄浦区"), (3, "金山区")]
        assert q("SELECT district FROM notice_batches") == [("金山区",)]
        assert q("SELECT district FROM payment_batches") == [("黄浦区",)]
        assert (q("SELECT district FROM change_requests"), q("SELECT district FROM receivables"), q("SELECT district FROM revocations")) == ([("金山区",)], [("黄浦区",)], [("黄浦区",)])
        assert q("SELECT id, district FROM import_runs ORDER BY id") == [(1, "金山区"), (2, "金山区")]
        assert q("SELECT id, district FROM credit_records ORDER BY id") == [(1, "金山区"), (2, "黄浦区")]  # the second: its enterprise's
        assert q("SELECT district FROM expert_ties") == [("金山区",)]
        assert q("SELECT seq, district FROM audit_log ORDER BY seq") == [(1, "黄浦区"), (2, "金山区"), (3, "黄浦区"), (4, None), (5, "金山区"), (6, None)]
        assert q("SELECT username, district FROM users ORDER BY id") == [("officer-js", "金山区"), ("officer-none", None), ("expert-js", "金山区")]
    with make_sessionmaker(engine)() as s:
        assert audit.verify(s).ok
        from huiqi.workflow.applications import service as applications
        from huiqi.workflow.users.models import User

        assert applications.list_for(session=s, actor=s.get(User, 2)) == []  # the scope-less officer sees nothing
        assert [a.id for a in applications.list_for(session=s, actor=s.get(User, 1))] == [1, 3]


def test_migrations_form_one_numbered_chain() -> None:
    """Each migration follows the one numbered before it (0001 → 0002 → …): branches merged in any order are
    re-chained, so there is one head and `huiqi db upgrade` applies them in their numbered order."""
    from alembic.script import ScriptDirectory

    from huiqi.store import alembic_config, head_revision

    script = ScriptDirectory.from_config(alembic_config())
    revisions = sorted(script.walk_revisions(), key=lambda r: r.revision)
    assert [r.revision for r in revisions] == [f"{i:04d}" for i in range(1, len(revisions) + 1)]
    assert [r.down_revision for r in revisions] == [None] + [r.revision for r in revisions[:-1]]
    assert head_revision() == revisions[-1].revision
