"""One settings object for the whole program: the web app, the CLI and the workflow services.

Read from the environment once (:func:`get_settings`, cached); a test or an embedding program
builds its own :class:`Settings` and passes it (``create_app(settings)``) or installs it with
:func:`set_settings`. Every ``HUIQI_*`` variable the program reads is listed here:

=========================  ==========================================================================
``HUIQI_DATA_DIR``         where the program keeps its data (default ``./var``): the SQLite file, the
                           uploaded materials (``<data dir>/files``) and the session secret
``HUIQI_DATABASE_URL``     the database (default ``sqlite:///<data dir>/huiqi.sqlite``)
``HUIQI_STORAGE_DIR``      uploaded materials, if not ``<data dir>/files`` (web app and CLI alike)
``HUIQI_POLICY_DIR``       the policy files (default: the packaged ``policies/``)
``HUIQI_SECRET_KEY``       derives the forms' CSRF tokens from the browser's random session id (default: a
                           key kept in ``<data dir>/secret_key``); sessions themselves are kept in the
                           database (``sessions``), the cookie and the API token are random ids
``HUIQI_INSECURE_COOKIES`` ``1``: no ``Secure`` flag on the session cookie (plain-http testing only)
``HUIQI_MAX_UPLOAD_BYTES`` the largest upload the web app reads (default 10 MB)
``HUIQI_MAX_BODY_BYTES``   the largest multipart (upload) request body read (default 12 MB; 413 above)
``HUIQI_MAX_JSON_BYTES``   the largest other request body — JSON, plain forms (default 1 MB; 413 above)
``HUIQI_MAX_ITEM_FILES``   uploads kept per checklist item of an application (default 10)
``HUIQI_DEMO_LOGINS``      JSON list of demo log-ins shown on the log-in page (set by ``huiqi serve --demo``)
``HUIQI_SMTP_HOST``        e-mail notifications: the SMTP server (unset: e-mails wait, pending, never lost)
``HUIQI_SMTP_PORT``        its port (default 25); ``HUIQI_SMTP_STARTTLS=1``: STARTTLS; ``HUIQI_SMTP_SSL=1``: SMTPS
``HUIQI_SMTP_USER``        log-in, with ``HUIQI_SMTP_PASSWORD`` (optional)
``HUIQI_SMTP_FROM``        the sender address (default ``huiqi@localhost``)
``HUIQI_PUBLIC_URL``       the site's address, for links in e-mails (default none: paths only)
``HUIQI_REMIND_DAYS``      reminders this many working days before a deadline (default 3)
``HUIQI_POPULATION``       the enterprise population(s) the simulation page runs over: a Parquet file
                           (loaded into memory at the first use) or a ``.duckdb`` file from
                           ``huiqi simulate load`` (opened read-only); several separated by ``:``
                           (``os.pathsep``). Unset: the page says no population is configured
=========================  ==========================================================================

Not settings (read where they are used): ``HUIQI_ACTOR`` and ``HUIQI_NEW_PASSWORD`` (CLI input),
``HUIQI_CALENDAR_DIR`` (the user's holiday notices, ``huiqi.calendar``), ``HUIQI_SQL_CACHE``
(``huiqi.simulate``), the ``HUIQI_TEST_*`` variables of the test suite.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path("var")
MB = 1024 * 1024


def _default_secret(path: Path) -> str:
    """A secret kept in the data directory so sessions survive a restart; created once, mode 600."""
    try:
        if path.exists():
            text = path.read_text(encoding="utf-8").strip()
            if len(text) >= 32:
                return text
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key)
        return key
    except OSError:
        return secrets.token_urlsafe(48)


@dataclass
class Settings:
    """Everything the program is configured with. Build one directly (tests, ``huiqi serve``) or
    read it from the environment with :meth:`from_env`; a field left ``None`` takes its default."""

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None  # None: sqlite:///<data_dir>/huiqi.sqlite
    storage_dir: Path | None = None  # None: <data_dir>/files (uploads: web app and CLI alike)
    policy_dir: Path | None = None  # None: the packaged policies/
    secret_key: str | None = None  # None: <data_dir>/secret_key, created once
    secure_cookies: bool = True  # Secure flag on the session cookie (off only for plain-http loopback)
    session_max_age: int = 8 * 3600
    max_upload_bytes: int = 10 * MB  # the web app's limit per upload (the store's own: materials.MAX_BYTES)
    login_attempts: int = 5  # consecutive failed log-ins before an account is locked (workflow/users/sessions.py)
    login_lock_seconds: int = 60  # the first lock of an account; doubled at each further failure
    login_lock_max_seconds: int = 3600
    login_address_attempts: int = 30  # failed log-ins per client address in the window (any accounts)
    login_window_seconds: int = 300
    max_body_bytes: int = 12 * MB  # a multipart body (an upload: max_upload_bytes, plus room for the form)
    max_json_bytes: int = 1 * MB  # any other request body (JSON, a plain form): a profile is a few kB
    max_files_per_item: int = 10  # uploads kept per checklist item of an application
    with_database: bool = True  # False: rules only (match, programme browser) — used by the benchmark
    demo_logins: list[dict] = field(default_factory=list)
    # e-mail notifications (issue 19): no host → e-mails stay pending (never lost), the inbox works
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "huiqi@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 10.0
    public_url: str | None = None
    remind_working_days: int = 3
    # the simulation page (docs/simulation.md): population files, each loaded once per process when first used
    population: tuple[Path, ...] = ()
    # room for later fields, e.g. an audit HMAC key or SMTP; add them here and to from_env()

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if self.storage_dir is None:
            self.storage_dir = self.data_dir / "files"
        self.storage_dir = Path(self.storage_dir)
        if self.policy_dir is not None:
            self.policy_dir = Path(self.policy_dir)
        if isinstance(self.population, (str, Path)):
            self.population = (self.population,)
        self.population = tuple(Path(p) for p in (self.population or ()))

    def session_secret(self) -> str:
        """``secret_key``, else the key kept in ``<data_dir>/secret_key`` (created at the first call:
        reading the settings writes nothing)."""
        if self.secret_key is None:
            self.secret_key = _default_secret(self.data_dir / "secret_key")
        return self.secret_key

    @property
    def upload_dir(self) -> Path:
        """Uploaded materials (the name the web layer used before; the same as ``storage_dir``)."""
        return self.storage_dir  # type: ignore[return-value]

    def database(self) -> str:
        """The database URL: ``database_url``, else the SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'huiqi.sqlite'}"

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (a field set to ``None`` takes its default again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """The settings the ``HUIQI_*`` environment variables give (module docstring)."""
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = (env.get(name) or "").strip()
            return value or None

        kw: dict[str, Any] = {}
        if text("HUIQI_DATA_DIR"):
            kw["data_dir"] = Path(text("HUIQI_DATA_DIR"))  # type: ignore[arg-type]
        for name, key in (
            ("HUIQI_DATABASE_URL", "database_url"),
            ("HUIQI_STORAGE_DIR", "storage_dir"),
            ("HUIQI_POLICY_DIR", "policy_dir"),
            ("HUIQI_SECRET_KEY", "secret_key"),
        ):
            if text(name):
                kw[key] = text(name)
        if text("HUIQI_INSECURE_COOKIES") == "1":
            kw["secure_cookies"] = False
        if text("HUIQI_MAX_UPLOAD_BYTES") and text("HUIQI_MAX_UPLOAD_BYTES").isdigit():  # type: ignore[union-attr]
            kw["max_upload_bytes"] = int(text("HUIQI_MAX_UPLOAD_BYTES"))  # type: ignore[arg-type]
        for name, key in (("HUIQI_SMTP_HOST", "smtp_host"), ("HUIQI_SMTP_USER", "smtp_user"), ("HUIQI_SMTP_PASSWORD", "smtp_password"), ("HUIQI_SMTP_FROM", "smtp_from"), ("HUIQI_PUBLIC_URL", "public_url")):
            if text(name):
                kw[key] = text(name)
        for name, key in (("HUIQI_SMTP_PORT", "smtp_port"), ("HUIQI_REMIND_DAYS", "remind_working_days")):
            if (text(name) or "").isdigit():
                kw[key] = int(text(name))  # type: ignore[arg-type]
        kw["smtp_starttls"] = text("HUIQI_SMTP_STARTTLS") == "1"
        kw["smtp_ssl"] = text("HUIQI_SMTP_SSL") == "1"
        for name, key in (("HUIQI_MAX_BODY_BYTES", "max_body_bytes"), ("HUIQI_MAX_JSON_BYTES", "max_json_bytes"),
                          ("HUIQI_MAX_ITEM_FILES", "max_files_per_item")):
            if (text(name) or "").isdigit():
                kw[key] = int(text(name))  # type: ignore[arg-type]
        if text("HUIQI_POPULATION"):
            files = str(text("HUIQI_POPULATION")).split(os.pathsep)
            kw["population"] = tuple(Path(p.strip()) for p in files if p.strip())
        if text("HUIQI_DEMO_LOGINS"):
            try:
                logins = json.loads(text("HUIQI_DEMO_LOGINS"))  # type: ignore[arg-type]
            except json.JSONDecodeError:
                logins = []
            kw["demo_logins"] = logins if isinstance(logins, list) else []
        return cls(**kw)


_current: Settings | None = None
_lock = threading.Lock()


def get_settings() -> Settings:
    """The program's settings: read from the environment at the first call, then cached."""
    global _current
    s = _current
    if s is None:
        with _lock:
            if _current is None:
                _current = Settings.from_env()
            s = _current
    return s


def set_settings(settings: Settings | None) -> None:
    """Use ``settings`` from now on; ``None`` reads the environment again at the next call
    (the CLI does this once per command; tests after changing the environment)."""
    global _current
    with _lock:
        _current = settings
