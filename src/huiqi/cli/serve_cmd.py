"""``huiqi serve``: the web app and REST API.

``huiqi serve --demo`` works on a fresh clone: it creates the SQLite file, loads every policy
document, seeds the demo enterprises, users and applications once, and prints the address and the
demo log-ins. It listens on loopback only, and runs only on a database it created (a new one, or
one it seeded before); it never shows a user it did not make beside the demo password.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Optional

import typer

DEMO_DB_NAME = "demo.sqlite"  # in the data directory (./var unless $HUIQI_DATA_DIR)


def _db_url(db: Optional[str], demo: bool) -> str | None:
    if db is None:
        if demo:
            from huiqi.config import get_settings

            data_dir = get_settings().data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{data_dir / DEMO_DB_NAME}"
        return None  # the settings' database: $HUIQI_DATABASE_URL or <data dir>/huiqi.sqlite
    if "://" in db:
        return db
    path = Path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DemoRefused(Exception):
    """``--demo`` asked for where it must not run; bilingual."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh, self.message_en = message_zh, message_en
        super().__init__(f"{message_zh} / {message_en}")


def check_demo_host(host: str) -> None:
    """``--demo`` listens on loopback only: its log-ins and password are printed and shown on the
    log-in page, for anyone who can reach the address."""
    if not _is_loopback(host):
        raise DemoRefused(
            f"--demo 只能在本机地址（127.0.0.1、::1、localhost）上运行：演示账号和密码会显示在登录页上，{host} 上的任何人都能看到并登录",
            "--demo runs on a loopback address only (127.0.0.1, ::1, localhost): the demo log-ins and their "
            "password are shown on the "
            f"log-in page, to anyone who can reach {host}",
        )


def prepare_database(url: str | None, policies: Any, *, demo: bool) -> list[dict]:
    """Migrate the database to the latest schema; with ``demo``, seed the demo data once.

    ``demo`` runs only on a database it created: a new one (seeded now), or one it seeded before
    (the ``demo.seed`` audit entry); any other is refused (:class:`DemoRefused`) before anything
    is written. Returns the demo log-ins ({username, password, role, label}) — only the users the
    demo made whose password is still the demo password; empty without ``demo``.
    """
    from sqlalchemy import inspect

    from huiqi.store import make_engine, make_sessionmaker, session_scope, upgrade

    engine = make_engine(url)
    existed = demo and inspect(engine).has_table("alembic_version")
    if existed:
        from huiqi.workflow.demo import demo_users

        with make_sessionmaker(engine)() as session:
            try:
                seeded = demo_users(session)
            except Exception:  # noqa: BLE001 - an old schema without the audit log: not ours either
                seeded = None
        if seeded is None:
            shown = engine.url.render_as_string(hide_password=True)
            engine.dispose()
            raise DemoRefused(
                f"--demo 只在它自己建立的演示数据库上运行：{shown} 已存在且不是演示数据库，未做任何改动。"
                "请去掉 --demo 启动，或用 --db 指定一个新文件",
                f"--demo runs only on a database it created: {shown} exists and is not a demo database; "
                "nothing was changed. "
                "Start without --demo, or name a new file with --db",
            )
    upgrade(engine)
    if not demo:
        engine.dispose()
        return []
    from sqlalchemy import select

    from huiqi.workflow.demo import DEMO_PASSWORD, demo_users, seed_demo
    from huiqi.workflow.states import ROLES
    from huiqi.workflow.users import service as users_service
    from huiqi.workflow.users.models import User

    maker = make_sessionmaker(engine)
    if not existed:
        with session_scope(maker) as session:
            seed_demo(session, policies)
    with session_scope(maker) as session:
        from huiqi.workflow.enterprises.models import Enterprise

        made = set(demo_users(session) or ())
        logins = []
        for u in session.execute(select(User).where(User.username.in_(made)).order_by(User.id)).scalars():
            if users_service.authenticate(session=session, username=u.username, password=DEMO_PASSWORD) is None:
                continue  # its password was changed: never shown
            zh, en = ROLES.get(u.role, (u.role, u.role))
            ent = session.get(Enterprise, u.enterprise_id) if u.enterprise_id else None
            where = " ".join(x for x in ((ent.district, ent.name) if ent else (u.district, u.town)) if x)
            logins.append(
                {
                    "username": u.username,
                    "password": DEMO_PASSWORD,
                    "role": u.role,
                    "label": f"{zh} / {en}" + (f" · {where}" if where else ""),
                }
            )
    engine.dispose()
    return logins


DEMO_POPULATION = "demo-population.parquet"  # in the data directory: the simulation page's population with --demo
DEMO_POPULATION_SIZE = 20_000  # written once (~1 s here), loaded at the page's first run (~1 s)


def demo_population(data_dir: Path, policies: Any) -> Path:
    """The demo's population: ``DEMO_POPULATION_SIZE`` synthetic enterprises (seed 0), written once."""
    path = Path(data_dir) / DEMO_POPULATION
    if not path.exists():
        from huiqi.simulate.population import write_population

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        write_population(policies.vocabulary, DEMO_POPULATION_SIZE, tmp, seed=0)
        tmp.replace(path)
    return path


def serve(
    demo: bool = typer.Option(
        False, "--demo", help="demo data: enterprises, users of every role, rounds and applications / 演示数据"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on / 监听地址"),
    port: int = typer.Option(8000, "--port", help="port / 端口"),
    db: Optional[str] = typer.Option(
        None,
        "--db",
        help="SQLite file or database URL (default: <data dir>/demo.sqlite with --demo, else $HUIQI_DATABASE_URL or <data dir>/huiqi.sqlite)",
    ),
    policies: Optional[Path] = typer.Option(
        None, "--policies", "-p", help="policy directory (default: the packaged policies/)", envvar="HUIQI_POLICY_DIR"
    ),
    insecure_cookies: bool = typer.Option(
        False,
        "--insecure-cookies",
        help="send the session cookie over plain http on a non-loopback address (never in production)",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="worker processes (sessions and log-in lock-outs are kept in the database, shared by all)",
    ),
) -> None:
    """Start the web app and the REST API (/api/v1) / 启动网站与接口."""
    import gc

    import uvicorn

    from huiqi.api import create_app
    from huiqi.config import get_settings
    from huiqi.rules import load_policies

    ps = load_policies(policies)
    url = _db_url(db, demo)
    try:
        if demo:
            check_demo_host(host)
        logins = prepare_database(url, ps, demo=demo)
    except DemoRefused as exc:
        typer.echo(f"错误 / error: {exc.message_zh}\n{exc.message_en}", err=True)
        raise typer.Exit(2) from None
    secure = not (_is_loopback(host) or insecure_cookies)
    base = get_settings()
    population = base.population
    if demo and not population:  # a small synthetic population for the simulation page
        population = (demo_population(base.data_dir, ps),)
    settings = base.replace(
        database_url=url or base.database_url,
        policy_dir=policies or base.policy_dir,
        secure_cookies=secure,
        demo_logins=logins,
        population=population,
    )
    app = create_app(settings, policies=ps)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    typer.echo(
        f"惠企 huiqi — {len(ps.documents)} 份政策文件 / documents, {len(ps.programmes())} 个项目 / programmes (policy {ps.version})"
    )
    typer.echo(f"数据库 / database: {settings.database().split('@')[-1]}")
    if settings.population:
        shown_pop = ", ".join(str(p) for p in settings.population)
        typer.echo(f"测算人口 / simulation population: {shown_pop} (/office/simulate)")
    typer.echo(
        f"规则已编译、启动时对象已冻结于垃圾回收之外 / rules compiled, start-up objects frozen out of the garbage "
        f"collector (gc.freeze(); gen-0 threshold {gc.get_threshold()[0]:,}; {gc.get_freeze_count():,} objects)"
    )
    typer.echo(f"地址 / address: http://{shown}:{port}/   API: http://{shown}:{port}/api/v1/docs")
    if logins:
        typer.echo("演示账号 / demo log-ins:")
        for d in logins:
            typer.echo(f"  {d['username']:<18} {d['password']:<16} {d.get('label', d.get('role', ''))}")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
        return
    import json

    # the worker processes read the same settings from their environment (huiqi.config)
    os.environ.update(
        {
            "HUIQI_DATABASE_URL": settings.database(),
            "HUIQI_INSECURE_COOKIES": "0" if secure else "1",
            "HUIQI_DEMO_LOGINS": json.dumps(logins, ensure_ascii=False),
            "HUIQI_SECRET_KEY": settings.session_secret(),
            "HUIQI_DATA_DIR": str(settings.data_dir),
            "HUIQI_STORAGE_DIR": str(settings.storage_dir),
            "HUIQI_POPULATION": os.pathsep.join(str(p) for p in settings.population),
        }
    )
    if policies is not None:
        os.environ["HUIQI_POLICY_DIR"] = str(policies)
    uvicorn.run(
        "huiqi.api.app:create_default_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )


app = serve
