"""The audit key: the secret every audit entry is keyed with (HMAC-SHA256), kept outside the database.

Where the key comes from, first found wins:

1. :func:`configure` (the application's settings feed it: ``configure(key=…)`` or ``configure(key_file=…)``);
2. ``$HUIQI_AUDIT_KEY`` (at least 32 characters);
3. the key file: ``$HUIQI_AUDIT_KEY_FILE``, else ``<data dir>/audit_key`` (data dir ``$HUIQI_DATA_DIR``,
   default ``./var``) — created once, mode 600, when the first entry of a new chain is written.

Whoever holds the key can rewrite the log undetectably, so the operator keeps it off the database
server (an environment secret, or a key file on the application host) and backs it up apart from
the database: without it the log can no longer be verified, nor written (huiqi refuses to write
entries with a key other than the one the chain was started with).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

ENV_KEY = "HUIQI_AUDIT_KEY"
ENV_KEY_FILE = "HUIQI_AUDIT_KEY_FILE"
KEY_FILE_NAME = "audit_key"
MIN_KEY_CHARS = 32

_configured: dict[str, object] = {}
_file_cache: dict[tuple[str, int, int], bytes] = {}


class AuditKeyError(Exception):
    """The audit key is missing, too short or not the one the chain was written with."""

    status_code = 500

    def __init__(self, message_zh: str, message_en: str, *, field: str = "audit_key") -> None:
        self.message_zh, self.message_en, self.field = message_zh, message_en, field
        super().__init__(f"{field}: {message_zh} / {message_en}")


def configure(*, key: str | bytes | None = None, key_file: str | Path | None = None) -> None:
    """Set where the key comes from (the application's settings call this once); no arguments: reset
    to the environment and the default key file."""
    _configured.clear()
    if key:
        _configured["key"] = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if key_file:
        _configured["key_file"] = Path(key_file)


def key_file_path() -> Path:
    """The key file used when no key is given directly."""
    if "key_file" in _configured:
        return _configured["key_file"]  # type: ignore[return-value]
    env = os.environ.get(ENV_KEY_FILE, "").strip()
    if env:
        return Path(env)
    return Path(os.environ.get("HUIQI_DATA_DIR", "").strip() or "var") / KEY_FILE_NAME


def _checked(key: bytes, source: str) -> bytes:
    if len(key) < MIN_KEY_CHARS:
        raise AuditKeyError(
            f"审计密钥过短（{source}）：至少 {MIN_KEY_CHARS} 个字符",
            f"the audit key ({source}) is too short: at least {MIN_KEY_CHARS} characters",
        )
    return key


def _read_file(path: Path) -> bytes | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuditKeyError(
            f"无法读取审计密钥文件 {path}：{exc.strerror}", f"cannot read the audit key file {path}: {exc.strerror}"
        ) from None
    cache_key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if cache_key not in _file_cache:
        try:
            _file_cache[cache_key] = _checked(path.read_bytes().strip(), str(path))
        except OSError as exc:
            raise AuditKeyError(
                f"无法读取审计密钥文件 {path}：{exc.strerror}", f"cannot read the audit key file {path}: {exc.strerror}"
            ) from None
    return _file_cache[cache_key]


def _create_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        found = _read_file(path)
        assert found is not None
        return found
    except OSError as exc:
        raise AuditKeyError(
            f"无法创建审计密钥文件 {path}：{exc.strerror}", f"cannot create the audit key file {path}: {exc.strerror}"
        ) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def load(*, create: bool = False) -> bytes:
    """The audit key. ``create``: make the key file if there is none (only for a chain not yet keyed)."""
    if "key" in _configured:
        return _checked(_configured["key"], "configured")  # type: ignore[arg-type]
    env = os.environ.get(ENV_KEY, "").strip()
    if env:
        return _checked(env.encode("utf-8"), ENV_KEY)
    path = key_file_path()
    found = _read_file(path)
    if found is not None:
        return found
    if create:
        return _create_file(path)
    raise AuditKeyError(
        f"找不到审计密钥：请设置 {ENV_KEY}，或恢复密钥文件 {path}",
        f"the audit key is not found: set {ENV_KEY} or restore the key file {path}",
    )


def key_id(key: bytes) -> str:
    """A fingerprint naming the key (not the key): says whether two keys are the same."""
    return hmac.new(key, b"huiqi-audit-key-id", hashlib.sha256).hexdigest()[:16]
