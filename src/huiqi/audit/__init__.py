"""The audit log: append-only and hash-chained.

Every state transition, amount, override and import writes one entry with who, when, why
and the data. Each entry's ``hash`` is SHA-256 over the previous entry's hash and the
entry's own canonical JSON, so editing or deleting any entry breaks the chain from there
on; :func:`verify` names the first entry that no longer fits. Appends are serialised by
locking the single ``audit_head`` row (``SELECT … FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from huiqi.store import Base

GENESIS = "0" * 64


class AuditEntry(Base):
    """One entry of the audit log (never updated, never deleted)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    entity: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # the district the entry belongs to (its record's); None: system-wide (e.g. creating a district's officer by an admin)
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditHead(Base):
    """The chain's head: one row, locked by every append."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def _at_text(at: dt.datetime) -> str:
    if at.tzinfo is None:  # SQLite returns naive datetimes: they were stored as UTC
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, *, seq: int, at: dt.datetime, actor: str, action: str, entity: str, entity_id: str, reason: str | None, data: Any) -> str:
    """SHA-256 of the previous hash and the entry's canonical JSON."""
    body = json.dumps(
        {"seq": seq, "at": _at_text(at), "actor": actor, "action": action, "entity": entity, "entity_id": entity_id, "reason": reason, "data": _plain(data)},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
        head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    return head


def record(session: Session, *, actor: str, action: str, entity: str, entity_id: Any, reason: str | None = None, data: dict | None = None, at: dt.datetime | None = None, district: str | None = None) -> AuditEntry:
    """Append one entry to the chain (in the caller's transaction); ``district``: the district of
    the record it concerns (None: a system-wide entry)."""
    head = _head(session)
    at = at or dt.datetime.now(dt.timezone.utc)
    data = _plain(data or {})
    seq = head.seq + 1
    h = entry_hash(head.hash, seq=seq, at=at, actor=actor, action=action, entity=entity, entity_id=str(entity_id), reason=reason, data=data)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, entity=entity, entity_id=str(entity_id), district=district, reason=reason, data=data, prev_hash=head.hash, hash=h)
    session.add(entry)
    head.seq, head.hash = seq, h
    session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    message_zh: str = ""
    message_en: str = ""

    def to_dict(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "first_bad_seq": self.first_bad_seq, "message_zh": self.message_zh, "message_en": self.message_en}


def verify(session: Session) -> VerifyResult:
    """Walk the chain from the start; report the first entry whose hash or link does not fit."""
    prev = GENESIS
    n = 0
    expected_seq = 1
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        n += 1
        bad = None
        if e.seq != expected_seq:
            bad = ("序号不连续（有条目被删除）", "sequence gap (an entry was deleted)")
        elif e.prev_hash != prev:
            bad = ("与前一条目的链接不符", "link to the previous entry broken")
        elif entry_hash(prev, seq=e.seq, at=e.at, actor=e.actor, action=e.action, entity=e.entity, entity_id=e.entity_id, reason=e.reason, data=e.data) != e.hash:
            bad = ("内容与哈希不符（被篡改）", "content does not match its hash (tampered)")
        if bad:
            return VerifyResult(False, n, e.seq if e.seq == expected_seq else expected_seq, f"审计日志第 {expected_seq} 条起被篡改：{bad[0]}", f"audit log tampered from entry {expected_seq}: {bad[1]}")
        prev = e.hash
        expected_seq += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != n or head.hash != prev):
        return VerifyResult(False, n, n + 1 if head.seq > n else n, f"审计日志末尾有 {head.seq - n} 条被删除", f"{head.seq - n} entr(y/ies) deleted from the end of the audit log")
    return VerifyResult(True, n, None, f"审计日志完整：{n} 条", f"audit log intact: {n} entries")


def entries(session: Session, *, entity: str | None = None, entity_id: Any = None, limit: int | None = None) -> list[AuditEntry]:
    """Entries, oldest first, optionally for one record."""
    q = select(AuditEntry).order_by(AuditEntry.seq)
    if entity:
        q = q.where(AuditEntry.entity == entity)
    if entity_id is not None:
        q = q.where(AuditEntry.entity_id == str(entity_id))
    if limit:
        q = q.limit(limit)
    return list(session.execute(q).scalars())
