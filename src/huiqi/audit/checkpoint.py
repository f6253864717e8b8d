"""Checkpoints: the chain's head and the money tables' totals at one moment, signed with the audit
key, to be kept **outside** the database (a file on another machine, a printout, an e-mail to the
auditor). Comparing a checkpoint later (:func:`compare`) catches what the database alone cannot:
the log cut back to before the checkpoint with an old copy of its head put back, the chain
rewritten up to the checkpoint, and money rows that existed then deleted or changed since.

A checkpoint is JSON::

    {"format": "huiqi-audit-checkpoint/1", "seq": 812, "head": "<MAC of entry 812>", "at": "…Z",
     "key_id": "…", "tables": {"payments": {"rows": 40, "max_id": 40, "sums": {"amount": "…"}}, …},
     "mac": "<HMAC of all the above>"}

``tables`` comes from the caller (the workflow knows its money tables:
``huiqi.workflow.reconcile.money_totals``); each table's ``sums`` cover its rows up to ``max_id``,
and only columns that never change once written, so the same figures can be recomputed later.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.audit import AuditEntry, AuditHead, keys
from huiqi.audit.mac import at_text, same, signed

FORMAT = "huiqi-audit-checkpoint/1"
_LABEL = "huiqi-audit-checkpoint/1"


class CheckpointError(Exception):
    """A checkpoint file that cannot be read or whose signature does not hold."""

    status_code = 422

    def __init__(self, message_zh: str, message_en: str, *, field: str = "checkpoint") -> None:
        self.message_zh, self.message_en, self.field = message_zh, message_en, field
        super().__init__(f"{field}: {message_zh} / {message_en}")


def make(session: Session, *, tables: dict[str, Any], key: bytes | None = None, at: dt.datetime | None = None) -> dict:
    """A signed checkpoint of the head as it stands (verify the chain first: a checkpoint vouches for it)."""
    key = key or keys.load()
    head = session.get(AuditHead, 1)
    seq, last = (head.seq, head.hash) if head is not None else (0, None)
    body = {
        "format": FORMAT,
        "seq": seq,
        "head": last,
        "at": at_text(at or dt.datetime.now(dt.timezone.utc)),
        "key_id": keys.key_id(key),
        "tables": tables,
    }
    return {**body, "mac": signed(key, _LABEL, body)}


def read(path: str | Path) -> dict:
    """Read a checkpoint file (errors name the file)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointError(
            f"无法读取检查点文件 {path}：{exc.strerror}", f"cannot read the checkpoint file {path}: {exc.strerror}"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CheckpointError(
            f"{path} 不是检查点文件（应为 JSON）", f"{path} is not a checkpoint file (JSON expected)"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} 不是检查点文件（格式应为 {FORMAT}）", f"{path} is not a checkpoint file (format {FORMAT} expected)"
        )
    return data


def compare(
    session: Session, checkpoint: dict, *, tables_now: Callable[[dict], dict], key: bytes | None = None, name: str = ""
) -> list[dict]:
    """What no longer agrees with ``checkpoint`` (empty: all of it does). ``tables_now(cp_tables)``
    recomputes the tables' figures over the rows the checkpoint counted. Each problem has
    ``problem``, ``message_zh``, ``message_en`` (and ``table``/``column`` for money)."""
    key = key or keys.load()
    label = f"检查点 {name} " if name else "检查点"
    label_en = f"checkpoint {name}" if name else "the checkpoint"
    body = {k: v for k, v in checkpoint.items() if k != "mac"}
    if not same(checkpoint.get("mac"), signed(key, _LABEL, body)):
        return [
            {
                "problem": "checkpoint",
                "message_zh": f"{label}的签名不符：文件被改动，或不是用本审计密钥签发的",
                "message_en": f"{label_en} does not match its signature: "
                "the file was altered or signed with another key",
            }
        ]
    seq, when = int(checkpoint["seq"]), checkpoint.get("at")
    out: list[dict] = []
    if seq:
        have = session.execute(select(AuditEntry.hash).where(AuditEntry.seq == seq)).scalar()
        length = session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)).scalar() or 0
        if have is None:
            out.append(
                {
                    "problem": "truncated",
                    "seq": seq,
                    "message_zh": f"审计日志被截短：{when} 的{label}记录了 {seq} 条，现只有 {length} 条",
                    "message_en": f"the audit log was cut back: {label_en} of {when} recorded {seq} entries, "
                    f"it now has {length}",
                }
            )
        elif not same(have, checkpoint.get("head")):
            out.append(
                {
                    "problem": "rewritten",
                    "seq": seq,
                    "message_zh": f"审计日志第 {seq} 条与{when} 的{label}不符：日志被重写",
                    "message_en": f"entry {seq} differs from {label_en} of {when}: the log was rewritten",
                }
            )
    now = tables_now(checkpoint.get("tables") or {})
    for table, then in (checkpoint.get("tables") or {}).items():
        cur = now.get(table) or {}
        if cur.get("rows") != then.get("rows"):
            out.append(
                {
                    "problem": "money",
                    "table": table,
                    "column": "rows",
                    "in_checkpoint": then.get("rows"),
                    "now": cur.get("rows"),
                    "message_zh": f"{table}：{when} 的{label}有 {then.get('rows')} 行（id ≤ {then.get('max_id')}），"
                    f"现有 {cur.get('rows')} 行",
                    "message_en": f"{table}: {label_en} of {when} counted {then.get('rows')} rows "
                    f"(id ≤ {then.get('max_id')}), there are now {cur.get('rows')}",
                }
            )
        for col, total in (then.get("sums") or {}).items():
            if str((cur.get("sums") or {}).get(col)) != str(total):
                out.append(
                    {
                        "problem": "money",
                        "table": table,
                        "column": col,
                        "in_checkpoint": total,
                        "now": (cur.get("sums") or {}).get(col),
                        "message_zh": f"{table}.{col}：{when} 的{label}合计 {total}，"
                        f"同样的行现合计 {(cur.get('sums') or {}).get(col)}",
                        "message_en": f"{table}.{col}: {label_en} of {when} summed {total}, "
                        f"the same rows now sum {(cur.get('sums') or {}).get(col)}",
                    }
                )
    return out
