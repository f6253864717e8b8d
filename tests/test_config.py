"""One settings object: read from the environment once, shared by the web app and the CLI."""

from __future__ import annotations

from pathlib import Path

from huiqi.config import Settings, get_settings, set_settings


def test_data_dir_alone_puts_uploads_of_the_web_app_and_the_cli_in_one_place(tmp_path, monkeypatch):
    """The finding of issue 13: HUIQI_DATA_DIR without HUIQI_STORAGE_DIR made the web app store
    uploads under <data dir>/files and the CLI under ./var/files."""
    from huiqi.api.app import create_default_app
    from huiqi.workflow.materials import service as materials

    for name in ("HUIQI_STORAGE_DIR", "HUIQI_DATABASE_URL", "HUIQI_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path / "data"))
    set_settings(None)
    try:
        app = create_default_app()
        web = app.state.huiqi.settings.storage_dir
        assert web == materials.storage_dir() == tmp_path / "data" / "files"
        assert get_settings().database() == f"sqlite:///{tmp_path / 'data' / 'huiqi.sqlite'}"
        app.state.huiqi.engine.dispose()
    finally:
        set_settings(None)


def test_settings_are_read_once_and_can_be_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_STORAGE_DIR", str(tmp_path / "a"))
    set_settings(None)
    try:
        first = get_settings()
        monkeypatch.setenv("HUIQI_STORAGE_DIR", str(tmp_path / "b"))
        assert get_settings() is first and first.storage_dir == tmp_path / "a"  # cached
        mine = Settings(data_dir=tmp_path / "x", secret_key="k" * 40)
        set_settings(mine)
        assert get_settings().storage_dir == tmp_path / "x" / "files"
        set_settings(None)
        assert get_settings().storage_dir == tmp_path / "b"
    finally:
        set_settings(None)


def test_reading_settings_writes_nothing(tmp_path):
    s = Settings(data_dir=tmp_path / "d")
    assert not (tmp_path / "d").exists()  # the session secret is created when first needed
    key = s.session_secret()
    assert len(key) >= 32 and (tmp_path / "d" / "secret_key").read_text() == key
    assert Settings(data_dir=tmp_path / "d").session_secret() == key  # kept across restarts


def test_from_env_parses_every_variable(tmp_path):
    env = {
        "HUIQI_DATA_DIR": str(tmp_path),
        "HUIQI_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "HUIQI_POLICY_DIR": str(tmp_path / "p"),
        "HUIQI_SECRET_KEY": "s" * 40,
        "HUIQI_INSECURE_COOKIES": "1",
        "HUIQI_MAX_UPLOAD_BYTES": "1234",
        "HUIQI_DEMO_LOGINS": '[{"username": "a"}]',
    }
    s = Settings.from_env(env)
    assert (
        s.data_dir,
        s.database(),
        s.policy_dir,
        s.session_secret(),
        s.secure_cookies,
        s.max_upload_bytes,
        s.demo_logins,
    ) == (tmp_path, "postgresql+psycopg://u@h/db", Path(tmp_path / "p"), "s" * 40, False, 1234, [{"username": "a"}])
    assert s.storage_dir == tmp_path / "files"


def test_smtp_and_reminder_settings_from_env():
    s = Settings.from_env({"HUIQI_SMTP_HOST": "smtp.example", "HUIQI_SMTP_PORT": "2525", "HUIQI_SMTP_USER": "u", "HUIQI_SMTP_PASSWORD": "p", "HUIQI_SMTP_FROM": "huiqi@jinshan.example", "HUIQI_SMTP_STARTTLS": "1", "HUIQI_PUBLIC_URL": "https://huiqi.example", "HUIQI_REMIND_DAYS": "5"})
    assert (s.smtp_host, s.smtp_port, s.smtp_user, s.smtp_password, s.smtp_from, s.smtp_starttls, s.smtp_ssl, s.public_url, s.remind_working_days) == ("smtp.example", 2525, "u", "p", "huiqi@jinshan.example", True, False, "https://huiqi.example", 5)
    d = Settings.from_env({})
    assert (d.smtp_host, d.smtp_port, d.remind_working_days) == (None, 25, 3)  # no SMTP: e-mails wait


def test_population_files_from_env(tmp_path):
    """The simulation page's populations: one path, or several separated by os.pathsep."""
    import os

    one = Settings.from_env({"HUIQI_POPULATION": str(tmp_path / "pop.duckdb")})
    assert one.population == (tmp_path / "pop.duckdb",)
    two = Settings.from_env({"HUIQI_POPULATION": f"{tmp_path / 'a.duckdb'}{os.pathsep}{tmp_path / 'b.parquet'}"})
    assert two.population == (tmp_path / "a.duckdb", tmp_path / "b.parquet")
    assert Settings.from_env({}).population == ()
    assert Settings(population=str(tmp_path / "x.parquet")).population == (tmp_path / "x.parquet",)
