"""The audit log: append-only, keyed and chained.

Every state transition, amount, override and import writes one entry with who, when, why and the
data. Each entry's MAC (column ``hash``) is HMAC-SHA256 with the **audit key** — a secret kept
outside the database (:mod:`huiqi.audit.keys`) — over every column of the entry, the previous
entry's MAC included (:mod:`huiqi.audit.mac`). So editing, deleting, inserting or reordering entries
breaks the chain, and rebuilding it needs the key: the public hash function is no help. The head
row (``audit_head``: length, last MAC, key fingerprint) carries a MAC of its own, so cutting
entries off the end and rewinding the head needs the key too; putting back an old copy of the head
is caught by a **checkpoint** kept outside the database (:mod:`huiqi.audit.checkpoint`).

:func:`verify` names the first entry that no longer fits. Appends are serialised by locking the
single ``audit_head`` row (``SELECT … FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE``).

Revision 0004 re-keyed chains written before (:func:`rekey_legacy_chain`): it checked the old,
unkeyed SHA-256 chain, recomputed every MAC with the key, and appended an ``audit.rekey`` entry
recording how many entries were re-keyed and whether the old chain was intact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from huiqi.audit import keys
from huiqi.audit.keys import AuditKeyError
from huiqi.audit.mac import GENESIS, SCHEME, entry_mac, head_mac, legacy_entry_hash, plain, same
from huiqi.store import Base

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditHead",
    "AuditKeyError",
    "VerifyResult",
    "entries",
    "record",
    "rekey_legacy_chain",
    "verify",
]


class AuditEntry(Base):
    """One entry of the audit log (never updated, never deleted). Every column but ``id`` is covered
    by the MAC in ``hash``; a new column must be given its value in :func:`record` (no server default)."""

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
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # the previous entry's MAC
    hash: Mapped[str] = mapped_column(String(64), nullable=False)  # this entry's MAC (HMAC-SHA256)


class AuditHead(Base):
    """The chain's head: one row, locked by every append."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS)
    key_id: Mapped[str | None] = mapped_column(String(16))  # fingerprint of the key the chain is written with
    mac: Mapped[str | None] = mapped_column(String(64))  # head_mac(key, seq, hash)


def row_of(entry: AuditEntry) -> dict[str, Any]:
    """An entry's columns by name (what its MAC covers, with ``id`` and the MAC itself)."""
    return {attr.columns[0].name: getattr(entry, attr.key) for attr in sa.inspect(AuditEntry).column_attrs}


def _head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
        head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    return head


def _writing_key(head: AuditHead) -> bytes:
    """The key to write with: created for a new chain; for a keyed chain, the same key or nothing."""
    key = keys.load(create=head.seq == 0 and head.key_id is None)
    kid = keys.key_id(key)
    if head.key_id is None:
        head.key_id = kid
    elif head.key_id != kid:
        raise AuditKeyError(
            f"审计密钥（指纹 {kid}）不是写入本日志所用的密钥（指纹 {head.key_id}），拒绝写入",
            f"the audit key (fingerprint {kid}) is not the key this log is written with ({head.key_id}): "
            "refusing to write",
        )
    return key


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any,
    reason: str | None = None,
    data: dict | None = None,
    at: dt.datetime | None = None,
    district: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain (in the caller's transaction); ``district``: the district of
    the record it concerns (None: a system-wide entry)."""
    head = _head(session)
    key = _writing_key(head)
    entry = AuditEntry(
        seq=head.seq + 1,
        at=at or dt.datetime.now(dt.timezone.utc),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        district=district,
        reason=reason,
        data=plain(data or {}),
        prev_hash=head.hash,
    )
    for attr in sa.inspect(AuditEntry).column_attrs:  # a column with a plain default gets it now, so the MAC covers it
        col = attr.columns[0]
        if getattr(entry, attr.key) is None and col.default is not None and col.default.is_scalar:
            setattr(entry, attr.key, col.default.arg)
    entry.hash = entry_mac(key, row_of(entry))
    session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    head.mac = head_mac(key, seq=head.seq, last=head.hash)
    session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    message_zh: str = ""
    message_en: str = ""
    problem: str | None = None  # gap / link / mac / tail / head / key / checkpoint / money
    notes: list[dict] = field(default_factory=list)  # facts to know that are not tampering
    mismatches: list[dict] = field(default_factory=list)  # money rows that disagree with the log
    head_seq: int | None = None
    head_mac: str | None = None

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "problem": self.problem,
            "notes": self.notes,
            "mismatches": self.mismatches,
            "head_seq": self.head_seq,
            "head_mac": self.head_mac,
        }


def _bad(n: int, seq: int, problem: str, zh: str, en: str, notes: list[dict]) -> VerifyResult:
    return VerifyResult(
        False,
        n,
        seq,
        f"审计日志第 {seq} 条起被篡改：{zh}",
        f"audit log tampered from entry {seq}: {en}",
        problem=problem,
        notes=notes,
    )


def _rows(session: Session):  # noqa: ANN202
    table = AuditEntry.__table__
    return session.execute(select(*table.columns).order_by(table.c.seq).execution_options(yield_per=2000)).mappings()


def verify(session: Session, *, key: bytes | None = None) -> VerifyResult:
    """Walk the chain from the start; report the first entry whose MAC, link or place does not fit,
    then check the head (entries cut off the end, the head rewound)."""
    head = session.get(AuditHead, 1)
    first = session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq).limit(1)).scalar()
    if first is None and (head is None or head.seq == 0):
        return VerifyResult(True, 0, None, "审计日志完整：0 条", "audit log intact: 0 entries", head_seq=0)
    try:
        key = key or keys.load()
    except AuditKeyError as exc:
        return VerifyResult(
            False,
            0,
            None,
            f"无法校验审计日志：{exc.message_zh}",
            f"cannot verify the audit log: {exc.message_en}",
            problem="key",
        )
    if head is not None and head.key_id and head.key_id != keys.key_id(key):
        return VerifyResult(
            False,
            0,
            None,
            f"审计密钥（指纹 {keys.key_id(key)}）不是写入本日志所用的密钥（指纹 {head.key_id}）",
            f"the audit key (fingerprint {keys.key_id(key)}) is not the key this log was written with ({head.key_id})",
            problem="key",
        )
    prev, n, expected = GENESIS, 0, 1
    notes: list[dict] = []
    for row in _rows(session):
        n += 1
        if row["seq"] != expected:
            return _bad(
                n,
                expected,
                "gap",
                "序号不连续（有条目被删除或改号）",
                "sequence gap (an entry was deleted or renumbered)",
                notes,
            )
        if row["prev_hash"] != prev:
            return _bad(n, expected, "link", "与前一条目的链接不符", "link to the previous entry broken", notes)
        if not same(entry_mac(key, row), row["hash"]):
            return _bad(
                n, expected, "mac", "内容与密钥校验码不符（被篡改）", "content does not match its MAC (tampered)", notes
            )
        if row["action"] == "audit.rekey" and (row["data"] or {}).get("legacy_chain_ok") is False:
            bad_at = row["data"].get("legacy_first_bad_seq")
            notes.append(
                {
                    "seq": row["seq"],
                    "message_zh": f"升级（0004）前的旧哈希链在第 {bad_at} 条已不完整，升级时照原样加密钥（见第 {row['seq']} 条）",
                    "message_en": f"before the upgrade (0004) the old hash chain was already broken at entry {bad_at}; "
                    f"it was keyed as it stood (see entry {row['seq']})",
                }
            )
        prev = row["hash"]
        expected += 1
    if head is None:
        return _bad(n, n, "head", "链头记录被删除", "the chain's head row was deleted", notes)
    if head.seq > n:
        k = head.seq - n
        return VerifyResult(
            False,
            n,
            n + 1,
            f"审计日志末尾有 {k} 条被删除（第 {n + 1} 条起）",
            f"{k} entr(y/ies) deleted from the end of the audit log (from entry {n + 1})",
            problem="tail",
            notes=notes,
        )
    if head.seq < n or head.hash != prev:
        at = head.seq + 1 if head.seq < n else n
        return VerifyResult(
            False,
            n,
            at,
            f"审计日志链头被改动（链头记为第 {head.seq} 条，日志有 {n} 条）",
            f"the audit log's head was altered (head says {head.seq} entries, the log has {n})",
            problem="head",
            notes=notes,
        )
    if not same(head.mac, head_mac(key, seq=head.seq, last=head.hash)):
        return VerifyResult(
            False,
            n,
            n,
            "审计日志链头的校验码不符（末尾条目被删除后链头被改写）",
            "the audit log's head does not match its MAC (entries cut off the end and the head rewritten)",
            problem="head",
            notes=notes,
        )
    return VerifyResult(
        True,
        n,
        None,
        f"审计日志完整：{n} 条",
        f"audit log intact: {n} entries",
        notes=notes,
        head_seq=head.seq,
        head_mac=head.hash,
    )


def entries(
    session: Session, *, entity: str | None = None, entity_id: Any = None, limit: int | None = None
) -> list[AuditEntry]:
    """Entries, oldest first, optionally for one record."""
    q = select(AuditEntry).order_by(AuditEntry.seq)
    if entity:
        q = q.where(AuditEntry.entity == entity)
    if entity_id is not None:
        q = q.where(AuditEntry.entity_id == str(entity_id))
    if limit:
        q = q.limit(limit)
    return list(session.execute(q).scalars())


# ------------------------------------------------------------------ migration 0004


def _tables(conn: sa.Connection) -> tuple[sa.TableClause, sa.TableClause]:
    """``audit_log`` and ``audit_head`` with the columns that exist in the database now (a migration
    runs before later revisions add theirs)."""

    def light(model: type[Base]) -> sa.TableClause:
        names = {c["name"] for c in sa.inspect(conn).get_columns(model.__tablename__)}
        return sa.table(
            model.__tablename__, *[sa.column(c.name, c.type) for c in model.__table__.columns if c.name in names]
        )

    return light(AuditEntry), light(AuditHead)


def rekey_legacy_chain(conn: sa.Connection, *, key: bytes | None = None, revision: str = "0004") -> dict:
    """Re-key a chain written with the unkeyed SHA-256 of earlier revisions (migration 0004).

    The old chain is checked first (links, hashes, head); then every entry gets its MAC with the
    audit key (created if there is none), and an ``audit.rekey`` entry records how many entries
    were re-keyed, the old head and whether the old chain was intact — so tampering done before the
    upgrade is not laundered: it stays on record, and ``verify`` reports it as a note. An empty log
    is left alone (the chain is keyed from its first entry)."""
    log, head_t = _tables(conn)
    rows = [dict(r) for r in conn.execute(select(*log.columns).order_by(log.c.seq)).mappings()]
    old_head = conn.execute(select(head_t.c.seq, head_t.c.hash).where(head_t.c.id == 1)).first()
    if not rows:
        return {"entries": 0}
    prev, first_bad = GENESIS, None
    for i, r in enumerate(rows, start=1):
        if r["seq"] != i or r["prev_hash"] != prev or legacy_entry_hash(prev, r) != r["hash"]:
            first_bad = i
            break
        prev = r["hash"]
    if first_bad is None and (old_head is None or old_head.seq != len(rows) or old_head.hash != prev):
        first_bad = len(rows) + 1 if old_head is not None and old_head.seq > len(rows) else len(rows)
    key = key or keys.load(create=True)
    prev = GENESIS
    for r in rows:
        r["prev_hash"] = prev
        r["hash"] = entry_mac(key, r)
        conn.execute(log.update().where(log.c.id == r["id"]).values(prev_hash=r["prev_hash"], hash=r["hash"]))
        prev = r["hash"]
    seq = rows[-1]["seq"] + 1
    note = {
        "seq": seq,
        "at": dt.datetime.now(dt.timezone.utc),
        "actor": "system",
        "action": "audit.rekey",
        "entity": "audit",
        "entity_id": revision,
        "reason": "审计日志改用密钥校验（HMAC-SHA256）/ the audit log is keyed (HMAC-SHA256) from here on",
        "data": plain(
            {
                "scheme": SCHEME,
                "entries": len(rows),
                "legacy_head": old_head.hash if old_head else None,
                "legacy_head_seq": old_head.seq if old_head else None,
                "legacy_chain_ok": first_bad is None,
                "legacy_first_bad_seq": first_bad,
                "key_id": keys.key_id(key),
            }
        ),
        "prev_hash": prev,
    }
    note = {c.name: note.get(c.name) for c in log.columns if c.name not in ("id", "hash")}
    note["hash"] = entry_mac(key, note)
    conn.execute(log.insert().values(**note))
    values = {
        "seq": seq,
        "hash": note["hash"],
        "key_id": keys.key_id(key),
        "mac": head_mac(key, seq=seq, last=note["hash"]),
    }
    if old_head is None:
        conn.execute(head_t.insert().values(id=1, **values))
    else:
        conn.execute(head_t.update().where(head_t.c.id == 1).values(**values))
    return {"entries": len(rows), "legacy_chain_ok": first_bad is None, "legacy_first_bad_seq": first_bad}


def unkey_chain(conn: sa.Connection) -> None:
    """Downgrade below 0004: recompute the unkeyed SHA-256 chain of earlier revisions."""
    log, head_t = _tables(conn)
    prev, seq = GENESIS, 0
    for r in conn.execute(select(*log.columns).order_by(log.c.seq)).mappings():
        h = legacy_entry_hash(prev, r)
        conn.execute(log.update().where(log.c.id == r["id"]).values(prev_hash=prev, hash=h))
        prev, seq = h, r["seq"]
    conn.execute(head_t.update().where(head_t.c.id == 1).values(seq=seq, hash=prev))
