"""Storage: migrations, money exactness, the application freeze, materials."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from huiqi.store import Base
from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.errors import InvalidInput, MaterialsMissing, PermissionDenied
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
    with pytest.raises(PermissionDenied):
        materials.upload(session=session, application_id=app.id, material_id="form", filename="x.pdf", content=h.PDF, actor=world.ent_users[1], policies=world.policies)


def test_money_is_exact(session, world):
    app = h.draft(session, world, 0, "WF-PROJECT", h.project(), requested="1234567.89")
    session.commit()
    session.expire_all()
    assert applications.get(session=session, application_id=app.id).requested_amount == Decimal("1234567.89")
    with pytest.raises(InvalidInput):
        h.draft(session, world, 0, "WF-PROJECT", h.project(), requested="1.234")


def test_enterprise_users_act_only_for_their_enterprise(session, world):
    with pytest.raises(PermissionDenied):
        h.draft(session, world, 0, "WF-RENT", h.rent(), actor=world.ent_users[1])
    with pytest.raises(PermissionDenied):
        h.draft(session, world, 0, "WF-RENT", h.rent(), actor=world.experts[0])
    assert states.APPLICATION.state("draft").zh == "草稿"


def test_models_match_the_migrations(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
