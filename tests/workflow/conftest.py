"""Fixtures: every workflow test runs on SQLite and on PostgreSQL.

PostgreSQL: 127.0.0.1:5432, user postgres, database ``test`` (or ``$HUIQI_TEST_PG_URL``, else
``$HUIQI_TEST_POSTGRES_URL`` as scripts/test sets it). Each
test session migrates a schema of its own (``huiqi_t_<random>``, dropped at the end), so
parallel runs never collide; each test starts from empty tables. In CI (``CI=true``) an
unreachable server fails the run; elsewhere those tests are skipped, saying why.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from huiqi.rules import load_policies
from huiqi.store import Base, make_engine, make_sessionmaker, upgrade

POLICY_DIR = Path(__file__).parent / "policies"
PG_URL = os.environ.get("HUIQI_TEST_PG_URL") or os.environ.get("HUIQI_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001
        return str(exc).strip().splitlines()[0]


def new_pg_schema(prefix: str = "huiqi_x"):
    """A PostgreSQL schema of its own, empty: (URL whose connections use it, a function that drops
    it). Skips (fails in CI) when the server is unreachable."""
    problem = _pg_reachable()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable ({problem}); the SQLite run still covers the logic")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}", drop


@pytest.fixture(scope="session")
def policies():
    return load_policies(POLICY_DIR)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_schema():
    problem = _pg_reachable()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable ({problem}); the SQLite run still covers the logic")
    schema = f"huiqi_t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=10)
    upgrade(engine)
    engine.huiqi_url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "huiqi.sqlite"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        eng.huiqi_url = f"sqlite:///{path}"
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("_pg_schema")
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        yield eng


@pytest.fixture
def factory(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def session(factory):
    s = factory()
    yield s
    s.rollback()
    s.close()


@pytest.fixture(autouse=True)
def _storage(tmp_path, monkeypatch):
    from huiqi.config import set_settings

    monkeypatch.setenv("HUIQI_STORAGE_DIR", str(tmp_path / "files"))
    set_settings(None)  # the settings are read from the environment again
    yield
    set_settings(None)


@pytest.fixture
def world(session, policies):
    """Users of every role, two Jinshan enterprises, an open round for the fixture programmes."""
    from tests.workflow import helpers

    return helpers.build_world(session, policies)


DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """Cheap argon2 parameters in tests (the real ones cost ~50 ms a hash)."""
    from argon2 import PasswordHasher

    from huiqi.workflow.users import service

    monkeypatch.setattr(service, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
