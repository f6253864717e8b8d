"""The MAC of an audit entry: HMAC-SHA256 with the audit key over the entry's canonical body.

The body is every column of the ``audit_log`` row except the surrogate ``id`` and the MAC itself
(``hash``) — read from the row's own columns, so a column added later is covered without changing
this code. A column whose value is NULL is left out of the body, so adding a nullable column keeps
the MACs of older rows valid (a migration that back-fills a new column must re-key: ``huiqi.audit.rekey``).
The previous entry's MAC (``prev_hash``) is a column, so each MAC also seals the chain's order.

Plain functions over mappings (no ORM), so the migrations can use them on reflected tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
MAC_COLUMN = "hash"
NOT_COVERED = frozenset({"id", MAC_COLUMN})  # the storage key (ordering is by ``seq``) and the MAC
SCHEME = "hmac-sha256/1"
_ENTRY_LABEL = b"huiqi-audit-entry/1\n"
_HEAD_LABEL = b"huiqi-audit-head/1\n"


def plain(value: Any) -> Any:
    """JSON-ready: Decimal → text, dates → ISO text, tuples and sets → lists, keys → text (how ``data`` is stored)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return value


def at_text(at: dt.datetime) -> str:
    """A timestamp as UTC text to the microsecond (SQLite returns naive datetimes: stored as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row: Mapping[str, Any]) -> bytes:
    """The canonical JSON of an entry: every column but ``id`` and the MAC, NULLs left out, keys sorted;
    a timestamp column as UTC text (databases differ in how they return time zones)."""
    body = {
        name: at_text(value) if isinstance(value, dt.datetime) else plain(value)
        for name, value in row.items()
        if name not in NOT_COVERED and value is not None
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def entry_mac(key: bytes, row: Mapping[str, Any]) -> str:
    """HMAC-SHA256 of an entry (hex)."""
    return hmac.new(key, _ENTRY_LABEL + canonical(row), hashlib.sha256).hexdigest()


def head_mac(key: bytes, *, seq: int, last: str) -> str:
    """HMAC of the chain's head (its length and last MAC): rewinding the head needs the key."""
    return hmac.new(key, _HEAD_LABEL + f"{seq}\n{last}".encode("ascii"), hashlib.sha256).hexdigest()


def signed(key: bytes, label: str, body: Mapping[str, Any]) -> str:
    """HMAC of any JSON document (a checkpoint), under a label that keeps it apart from entries."""
    text = json.dumps(plain(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, f"{label}\n{text}".encode("utf-8"), hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two MACs."""
    return a is not None and b is not None and hmac.compare_digest(str(a), str(b))


def legacy_entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The unkeyed SHA-256 chain of revisions before 0004 (public: anyone could recompute it).
    Only the upgrade uses it, to check the old chain before re-keying it."""
    body = json.dumps(
        {
            "seq": row["seq"],
            "at": at_text(row["at"]),
            "actor": row["actor"],
            "action": row["action"],
            "entity": row["entity"],
            "entity_id": row["entity_id"],
            "reason": row["reason"],
            "data": plain(row["data"]),
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()
