"""``huiqi serve``: the web app and REST API.

``huiqi serve --demo`` works on a fresh clone: it creates or migrates the SQLite file, loads
every policy document, seeds the demo enterprises, users and applications once, and prints
the address and the demo log-ins.
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


def prepare_database(url: str | None, policies: Any, *, demo: bool) -> list[dict]:
    """Migrate the database to the latest schema; with ``demo``, seed the demo data once.

    Returns the demo log-ins ({username, password, role, label}) — empty without ``demo``.
    """
    from huiqi.store import make_engine, make_sessionmaker, session_scope, upgrade

    engine = make_engine(url)
    upgrade(engine)
    if not demo:
        return []
    from sqlalchemy import select

    from huiqi.workflow.demo import DEMO_PASSWORD, seed_demo
    from huiqi.workflow.states import ROLES
    from huiqi.workflow.users.models import User

    maker = make_sessionmaker(engine)
    with session_scope(maker) as session:
        if session.execute(select(User.id).limit(1)).first() is None:
            seed_demo(session, policies)
    with session_scope(maker) as session:
        from huiqi.workflow.enterprises.models import Enterprise

        users = list(session.execute(select(User).order_by(User.id)).scalars())
        logins = []
        for u in users:
            zh, en = ROLES.get(u.role, (u.role, u.role))
            ent = session.get(Enterprise, u.enterprise_id) if u.enterprise_id else None
            where = " ".join(x for x in ((ent.district, ent.name) if ent else (u.district, u.town)) if x)
            logins.append({"username": u.username, "password": DEMO_PASSWORD, "role": u.role, "label": f"{zh} / {en}" + (f" · {where}" if where else "")})
    engine.dispose()
    return logins


def serve(
    demo: bool = typer.Option(False, "--demo", help="demo data: enterprises, users of every role, rounds and applications / 演示数据"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on / 监听地址"),
    port: int = typer.Option(8000, "--port", help="port / 端口"),
    db: Optional[str] = typer.Option(None, "--db", help="SQLite file or database URL (default: <data dir>/demo.sqlite with --demo, else $HUIQI_DATABASE_URL or <data dir>/huiqi.sqlite)"),
    policies: Optional[Path] = typer.Option(None, "--policies", "-p", help="policy directory (default: the packaged policies/)", envvar="HUIQI_POLICY_DIR"),
    insecure_cookies: bool = typer.Option(False, "--insecure-cookies", help="send the session cookie over plain http on a non-loopback address (never in production)"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="worker processes (the log-in rate limit is counted per worker)"),
) -> None:
    """Start the web app and the REST API (/api/v1) / 启动网站与接口."""
    import uvicorn

    from huiqi.api import create_app
    from huiqi.config import get_settings
    from huiqi.rules import load_policies

    ps = load_policies(policies)
    url = _db_url(db, demo)
    logins = prepare_database(url, ps, demo=demo)
    secure = not (_is_loopback(host) or insecure_cookies)
    base = get_settings()
    settings = base.replace(database_url=url or base.database_url, policy_dir=policies or base.policy_dir, secure_cookies=secure, demo_logins=logins)
    app = create_app(settings, policies=ps)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    typer.echo(f"惠企 huiqi — {len(ps.documents)} 份政策文件 / documents, {len(ps.programmes())} 个项目 / programmes (policy {ps.version})")
    typer.echo(f"数据库 / database: {settings.database().split('@')[-1]}")
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
    os.environ.update({"HUIQI_DATABASE_URL": settings.database(), "HUIQI_INSECURE_COOKIES": "0" if secure else "1", "HUIQI_DEMO_LOGINS": json.dumps(logins, ensure_ascii=False), "HUIQI_SECRET_KEY": settings.session_secret(), "HUIQI_DATA_DIR": str(settings.data_dir), "HUIQI_STORAGE_DIR": str(settings.storage_dir)})
    if policies is not None:
        os.environ["HUIQI_POLICY_DIR"] = str(policies)
    uvicorn.run("huiqi.api.app:create_default_app", factory=True, host=host, port=port, workers=workers, log_level="warning", proxy_headers=False)


app = serve
