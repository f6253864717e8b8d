"""Database engine, sessions and the declarative ``Base`` shared by every workflow model.

The database is a SQLite file by default (``<data dir>/huiqi.sqlite``, ``./var`` unless
``HUIQI_DATA_DIR`` says otherwise; no set-up) and PostgreSQL in production: set
``HUIQI_DATABASE_URL`` (e.g. ``postgresql+psycopg://user@host/db``). Both are read through
:func:`huiqi.config.get_settings`.
Schema changes go through the Alembic migrations packaged in ``huiqi/store/migrations``
(``huiqi db upgrade``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import BigInteger, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; its ``metadata`` is what Alembic migrates."""

    metadata = MetaData(naming_convention=NAMING)


class Money(TypeDecorator):
    """Decimal yuan stored exactly as an integer number of fen (分) on every database."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        d = Decimal(value)
        fen = d.scaleb(2)
        if fen != fen.to_integral_value():
            raise ValueError(f"金额精度超过分 / amount finer than 0.01 yuan: {value}")
        return int(fen)

    def process_result_value(self, value, dialect):  # noqa: ANN001
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def database_url(url: str | None = None) -> str:
    """The database URL: the argument, else the settings' (``$HUIQI_DATABASE_URL``, else the SQLite
    file in the data directory)."""
    if url:
        return url
    from huiqi.config import get_settings

    return get_settings().database()


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine; SQLite write transactions are serialised with ``BEGIN IMMEDIATE``.

    SQLite has no ``SELECT … FOR UPDATE``; taking the write lock when a transaction begins
    gives the same guarantee for the cap ledger and the audit chain (one writer at a time).
    """
    url = database_url(url)
    if url.startswith("sqlite"):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", 30)
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # noqa: ANN001
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class DatabaseNotReady(Exception):
    """The database cannot be reached, or is not migrated to the schema this huiqi needs."""

    status_code = 503

    def __init__(self, message_zh: str, message_en: str, *, field: str = "database") -> None:
        self.message_zh, self.message_en, self.field = message_zh, message_en, field
        super().__init__(f"{field}: {message_zh} / {message_en}")


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _unreachable(engine: Engine, exc: Exception) -> DatabaseNotReady:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    shown = _shown(engine)
    return DatabaseNotReady(f"无法连接数据库 {shown}：{first}", f"cannot connect to the database {shown}: {first}")


def check_connection(engine: Engine) -> None:
    """Raise :class:`DatabaseNotReady` (bilingual, naming the URL without its password) unless the
    database answers."""
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise _unreachable(engine, exc) from None


def check_ready(engine: Engine) -> None:
    """Raise :class:`DatabaseNotReady` unless the database answers and is migrated to the packaged
    head revision — so a command run in a folder with no database says to run ``huiqi db upgrade``
    instead of failing on a missing table. A SQLite file that does not exist is not created."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import DBAPIError

    not_set_up = ("数据库尚未初始化，请先运行 `huiqi db upgrade`", "the database is not set up: run `huiqi db upgrade` first")
    db = engine.url.database
    is_file = engine.dialect.name == "sqlite" and db and db != ":memory:" and not db.startswith("file:")
    if is_file and not Path(db).exists():
        raise DatabaseNotReady(f"{not_set_up[0]}（{db} 不存在）", f"{not_set_up[1]} ({db} does not exist)")
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as exc:
        raise _unreachable(engine, exc) from None
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if current is None:
        raise DatabaseNotReady(f"{not_set_up[0]}：{_shown(engine)}", f"{not_set_up[1]}: {_shown(engine)}")
    if current != head:
        raise DatabaseNotReady(
            f"数据库版本为 {current}，本程序需要 {head}：请先运行 `huiqi db upgrade`",
            f"the database is at revision {current}, this huiqi needs {head}: run `huiqi db upgrade` first",
        )


def alembic_config(engine_or_url: Engine | str | None = None):  # noqa: ANN201
    """An Alembic ``Config`` pointing at the packaged migrations (works from an installed wheel)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if isinstance(engine_or_url, Engine):
        cfg.attributes["engine"] = engine_or_url
        cfg.set_main_option("sqlalchemy.url", engine_or_url.url.render_as_string(hide_password=False).replace("%", "%%"))
    else:
        cfg.set_main_option("sqlalchemy.url", database_url(engine_or_url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The packaged migrations' head revision (one head: a branched chain raises)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine_or_url: Engine | str | None = None, revision: str = "head") -> str:
    """Apply migrations up to ``revision``; return the database's revision afterwards."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    import huiqi.workflow.models  # noqa: F401 - every table registered on Base.metadata

    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    check_connection(engine)
    cfg = alembic_config(engine_or_url)
    command.upgrade(cfg, revision)
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""
