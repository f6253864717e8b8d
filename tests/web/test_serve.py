"""``huiqi serve --demo``: the database is migrated and seeded once; every role has a demo log-in."""

from __future__ import annotations

from fastapi.testclient import TestClient

from huiqi.api import Settings, create_app
from huiqi.cli.serve_cmd import _db_url, _is_loopback, prepare_database
from huiqi.rules import load_policies


def test_demo_database_seeded_once_and_log_ins_work(tmp_path, monkeypatch):
    from huiqi.config import set_settings

    monkeypatch.setenv("HUIQI_STORAGE_DIR", str(tmp_path / "files"))
    set_settings(None)
    ps = load_policies()
    url = _db_url(str(tmp_path / "demo.sqlite"), True)
    logins = prepare_database(url, ps, demo=True)
    assert {d["role"] for d in logins} == {"admin", "enterprise", "reviewer", "officer", "expert", "auditor"}
    # both districts have their officer, reviewers, experts, auditor and enterprise users
    roles_in = lambda district: {d["role"] for d in logins if district in d["label"]}  # noqa: E731
    assert roles_in("金山区") == roles_in("黄浦区") == {"officer", "reviewer", "expert", "auditor", "enterprise"}
    again = prepare_database(url, ps, demo=True)  # a second start does not seed twice
    assert [d["username"] for d in again] == [d["username"] for d in logins]
    app = create_app(Settings(database_url=url, data_dir=tmp_path, secure_cookies=False), policies=ps)
    with TestClient(app) as c:
        for d in logins:
            r = c.post("/api/v1/auth/token", json={"username": d["username"], "password": d["password"]})
            assert r.status_code == 200, d
        officer = next(d for d in logins if d["role"] == "officer")
        tok = c.post("/api/v1/auth/token", json={"username": officer["username"], "password": officer["password"]}).json()["token"]
        apps = c.get("/api/v1/applications", headers={"Authorization": f"Bearer {tok}"}).json()
        assert apps, "the demo has applications"
        # a demo material can be downloaded by the officer (the app and the seeder share the file store)
        aid = next(a["id"] for a in apps if a["state"] != "draft")
        detail = c.get(f"/api/v1/applications/{aid}", headers={"Authorization": f"Bearer {tok}"}).json()
        f = detail["materials"][0]
        assert c.get(f"/api/v1/applications/{aid}/materials/{f['id']}", headers={"Authorization": f"Bearer {tok}"}).content.startswith(b"%PDF")


def test_cookie_security_follows_the_address():
    assert _is_loopback("127.0.0.1") and _is_loopback("localhost") and _is_loopback("::1")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("10.0.0.5")


def test_demo_serves_a_small_population_written_once(tmp_path, monkeypatch):
    """``huiqi serve --demo`` writes a synthetic population into the data directory (once) and
    serves it to the simulation page; a configured HUIQI_POPULATION is left as it is."""
    import pyarrow.parquet as pq
    import typer
    import uvicorn
    from typer.testing import CliRunner

    import huiqi.cli.serve_cmd as S
    from huiqi.config import set_settings
    from huiqi.simulate.population import population_schema

    served = []
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HUIQI_POPULATION", raising=False)
    monkeypatch.setattr(S, "DEMO_POPULATION_SIZE", 300)
    monkeypatch.setattr(S, "prepare_database", lambda url, ps, demo: [])
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    cli = typer.Typer()
    cli.command()(S.serve)
    set_settings(None)
    assert CliRunner().invoke(cli, ["--demo"]).exit_code == 0
    path = tmp_path / "data" / S.DEMO_POPULATION
    assert served[-1].state.huiqi.settings.population == (path,)
    assert pq.read_metadata(path).num_rows >= 300
    assert "enterprise__registered_district" in population_schema(path).names
    stamp = path.stat().st_mtime_ns
    set_settings(None)
    assert CliRunner().invoke(cli, ["--demo"]).exit_code == 0 and path.stat().st_mtime_ns == stamp  # not written again
    monkeypatch.setenv("HUIQI_POPULATION", str(tmp_path / "mine.duckdb"))
    set_settings(None)
    assert CliRunner().invoke(cli, ["--demo"]).exit_code == 0
    assert served[-1].state.huiqi.settings.population == (tmp_path / "mine.duckdb",)
    set_settings(None)
