"""Settings of one running web app: database, policies, secret key, uploads, cookies."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _default_secret(path: Path) -> str:
    """A secret kept beside the database so sessions survive a restart; created once, mode 600."""
    env = os.environ.get("HUIQI_SECRET_KEY", "").strip()
    if env:
        return env
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
    database_url: str | None = None  # None: $HUIQI_DATABASE_URL, else var/huiqi.sqlite
    policy_dir: Path | None = None  # None: the packaged policies/
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("HUIQI_DATA_DIR", "var")))
    secret_key: str | None = None
    secure_cookies: bool = True  # Secure flag on the session cookie (off only for plain-http loopback)
    max_upload_bytes: int = 10 * 1024 * 1024
    login_attempts: int = 5  # failed log-ins allowed per window, per account and per client address
    login_window_seconds: int = 300
    session_max_age: int = 8 * 3600
    with_database: bool = True  # False: rules only (match, programme browser) — used by the benchmark

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if self.secret_key is None:
            self.secret_key = _default_secret(self.data_dir / "secret_key")

    @property
    def upload_dir(self) -> Path:
        """Uploaded materials: ``$HUIQI_STORAGE_DIR`` (the workflow's store, as the CLI uses), else
        ``<data dir>/files`` — never under the web root (static/)."""
        env = os.environ.get("HUIQI_STORAGE_DIR", "").strip()
        return Path(env) if env else self.data_dir / "files"
