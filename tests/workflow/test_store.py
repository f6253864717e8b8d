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
