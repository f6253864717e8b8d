"""Reconciling the money tables against the audit log (``huiqi audit verify``).

The keyed chain (:mod:`huiqi.audit`) proves the log was not altered; this proves the money tables
still say what the log recorded when each row was written. Every money write records its values
in its audit entry:

=====================  ===========================================  ======================================
table                  written by (audit action)                    columns reconciled
=====================  ===========================================  ======================================
``decisions``          ``application.approve`` / ``.decline``       id, outcome, amount, ceiling
``applications``       ``application.approve``                      approved_amount
``instalments``        ``application.approve`` (the schedule),      id, application_id, seq, amount,
                       ``instalment.pay`` / ``.cancel``             due_on, state
``payments``           ``instalment.pay``                           id, application_id, batch_id, amount,
                                                                    paid_on, reference
``receivables``        ``receivable.create`` / ``.recover``         application_id, amount, state, recovered_on
``revocations``        ``application.revoke``                       paid_total, cancelled_total
``cap_charges``        ``application.approve``, ``cap.release``     id, amount, released
``cap_ledger``         ``application.approve``, ``cap.release``     limit, used
=====================  ===========================================  ======================================

Entries written before revision 0004 carry fewer values (no payment date, no instalment schedule,
no row ids); what they did record is still compared, and rows nothing in the log speaks for are
counted in a note (never passed silently as checked).

:func:`money_totals` gives the per-table counts and sums a checkpoint signs
(:mod:`huiqi.audit.checkpoint`); :func:`verify_all` runs the chain, the reconciliation and the
checkpoints in that order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.audit import AuditEntry
from huiqi.workflow.applications.models import Application
from huiqi.workflow.changes.models import Revocation
from huiqi.workflow.decisions.models import CapCharge, CapLedger, Decision
from huiqi.workflow.payments.models import Instalment, Payment, Receivable

ACTIONS = (
    "application.approve",
    "application.decline",
    "application.revoke",
    "instalment.pay",
    "instalment.cancel",
    "receivable.create",
    "receivable.recover",
    "cap.release",
)
TABLE_ORDER = (
    "decisions",
    "applications",
    "instalments",
    "payments",
    "receivables",
    "revocations",
    "cap_charges",
    "cap_ledger",
)
# columns that never change once a row is written: what a checkpoint can sum and compare later
MONEY_SUMS: dict[str, tuple[type, tuple[str, ...]]] = {
    "decisions": (Decision, ("amount", "ceiling")),
    "instalments": (Instalment, ("amount",)),
    "payments": (Payment, ("amount",)),
    "receivables": (Receivable, ("amount",)),
    "revocations": (Revocation, ("paid_total", "cancelled_total")),
    "cap_charges": (CapCharge, ("amount",)),
}
ROW = "(row)"


@dataclass
class Mismatch:
    """One value of one row that is not what the log recorded."""

    table: str
    row_id: Any
    column: str
    in_table: Any
    in_log: Any
    seq: int | None = None  # the entry that recorded the value

    def to_dict(self) -> dict:
        zh, en = self.messages()
        return {
            "table": self.table,
            "id": self.row_id,
            "column": self.column,
            "in_table": _text(self.in_table),
            "in_log": _text(self.in_log),
            "seq": self.seq,
            "message_zh": zh,
            "message_en": en,
        }

    def messages(self) -> tuple[str, str]:
        where = f"{self.table} id={self.row_id}"
        entry_zh = f"（审计日志第 {self.seq} 条）" if self.seq else ""
        entry_en = f" (audit entry {self.seq})" if self.seq else ""
        if self.column == ROW and self.in_table is None:
            return (
                f"{where}：日志{entry_zh}记录的这一行在表中不存在（被删除）",
                f"{where}: the row the log recorded{entry_en} is missing from the table (deleted)",
            )
        if self.column == ROW:
            return (
                f"{where}：表中这一行在审计日志中没有记录（被直接写入）",
                f"{where}: the audit log has no record of this row (written directly into the table)",
            )
        return (
            f"{where} 的 {self.column}：表中为 {_text(self.in_table)}，审计日志{entry_zh}记录为 {_text(self.in_log)}",
            f"{where} column {self.column}: {_text(self.in_table)} in the table, "
            f"{_text(self.in_log)} in the audit log{entry_en}",
        )


def _text(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def _equal(in_table: Any, in_log: Any) -> bool:
    if in_table is None or in_log is None:
        return in_table is None and in_log is None
    try:
        if isinstance(in_table, Decimal):
            return in_table == Decimal(str(in_log))
        if isinstance(in_table, bool):
            return in_table == in_log
        if isinstance(in_table, int):
            return in_table == int(str(in_log))
    except (InvalidOperation, ValueError):
        return False
    if isinstance(in_table, (dt.date, dt.datetime)):
        return in_table.isoformat() == str(in_log)
    return str(in_table) == str(in_log)


class _Expected:
    """What the log says each money row holds: {table: {key: {column: (value, seq)}}}."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[Any, dict[str, tuple[Any, int]]]] = {t: {} for t in TABLE_ORDER}
        self.scheduled: set[int] = set()  # applications whose approval logged the whole schedule
        self.ledger_used: dict[Any, tuple[Any, Any, int]] = {}  # ledger key → (used, limit, seq)

    def put(self, table: str, key: Any, entry_seq: int, /, **values: Any) -> None:
        row = self.rows[table].setdefault(key, {})
        for col, v in values.items():
            row[col] = (v, entry_seq)


def _expected(session: Session) -> _Expected:
    exp = _Expected()
    q = (
        select(AuditEntry.seq, AuditEntry.action, AuditEntry.entity_id, AuditEntry.data)
        .where(AuditEntry.action.in_(ACTIONS))
        .order_by(AuditEntry.seq)
    )
    for seq, action, entity_id, data in session.execute(q.execution_options(yield_per=2000)):
        data = data or {}
        try:
            ident = int(entity_id)
        except ValueError:
            continue
        if action == "application.approve":
            _approved(exp, seq, ident, data)
        elif action == "application.decline":
            extra = {"id": data["decision"]} if "decision" in data else {}
            exp.put("decisions", ident, seq, outcome="declined", amount=None, **extra)
        elif action == "application.revoke":
            exp.put("revocations", ident, seq, paid_total=data.get("paid"), cancelled_total=data.get("cancelled"))
        elif action == "instalment.pay":
            extra = {
                k: data[src]
                for k, src in (
                    ("id", "payment"),
                    ("paid_on", "paid_on"),
                    ("reference", "reference"),
                    ("batch_id", "batch_id"),
                )
                if src in data
            }
            exp.put("payments", ident, seq, application_id=data.get("application"), amount=data.get("amount"), **extra)
            exp.put(
                "instalments",
                ident,
                seq,
                state="paid",
                amount=data.get("amount"),
                application_id=data.get("application"),
            )
        elif action == "instalment.cancel":
            exp.put("instalments", ident, seq, state="cancelled")
        elif action == "receivable.create":
            exp.put(
                "receivables",
                ident,
                seq,
                application_id=data.get("application"),
                amount=data.get("amount"),
                state="open",
                recovered_on=None,
            )
        elif action == "receivable.recover":
            exp.put("receivables", ident, seq, state="recovered", recovered_on=data.get("on"))
        elif action == "cap.release":
            for c in data.get("caps") or []:
                key = (ident, c["cap"])
                before = exp.rows["cap_charges"].get(key, {}).get("released", ("0", seq))[0]
                released = (
                    c["charge_released"]
                    if "charge_released" in c
                    else Decimal(str(before)) + Decimal(str(c["released"]))
                )
                exp.put("cap_charges", key, seq, released=released)
                exp.ledger_used[_ledger_key(ident, c)] = (c.get("used"), c.get("limit"), seq)
    return exp


def _approved(exp: _Expected, seq: int, app_id: int, data: dict) -> None:
    extra = {"id": data["decision"]} if "decision" in data else {}
    exp.put(
        "decisions", app_id, seq, outcome="approved", amount=data.get("amount"), ceiling=data.get("ceiling"), **extra
    )
    exp.put("applications", app_id, seq, approved_amount=data.get("amount"))
    if "instalments" in data:
        exp.scheduled.add(app_id)
        for i in data["instalments"]:
            exp.put(
                "instalments",
                i["id"],
                seq,
                application_id=app_id,
                seq=i["seq"],
                amount=i["amount"],
                due_on=i["due_on"],
                state="scheduled",
            )
    for c in data.get("caps") or []:
        extra = {"id": c["charge"]} if "charge" in c else {}
        exp.put(
            "cap_charges", (app_id, c["cap"]), seq, amount=c.get("amount", data.get("amount")), released="0", **extra
        )
        exp.ledger_used[_ledger_key(app_id, c)] = (c.get("used"), c.get("limit"), seq)


def _ledger_key(app_id: int, cap: dict) -> Any:
    """A ledger row by id when the entry names it (0004 on), else by (application, cap year, cap)."""
    return ("id", cap["ledger"]) if "ledger" in cap else ("app", app_id, cap.get("year"), cap["cap"])


def _compare(out: list[Mismatch], table: str, row_id: Any, row: Any, expected: dict[str, tuple[Any, int]]) -> None:
    for col, (value, seq) in expected.items():
        have = getattr(row, col)
        if not _equal(have, value):
            out.append(Mismatch(table, row_id, col, have, value, seq))


def _missing(out: list[Mismatch], table: str, expected: dict[Any, dict], seen: set, ident: Any = None) -> None:
    """Rows the log recorded that the table no longer has (named by their id when the log gave it)."""
    for key, cols in expected.items():
        if key in seen:
            continue
        seq = min(s for _v, s in cols.values())
        rid = cols["id"][0] if "id" in cols else (ident(key) if ident else key)
        out.append(Mismatch(table, rid, ROW, None, "recorded", seq))


def reconcile(session: Session) -> tuple[list[Mismatch], list[dict]]:
    """Every money row that disagrees with the audit log, table by table in ``TABLE_ORDER`` and by id;
    and notes on what the log could not speak for (rows written before revision 0004)."""
    exp = _expected(session)
    out: list[Mismatch] = []
    notes: list[dict] = []

    seen: set = set()
    for d in session.execute(select(Decision).order_by(Decision.id)).scalars():
        e = exp.rows["decisions"].get(d.application_id)
        if e is None or d.application_id in seen:
            out.append(Mismatch("decisions", d.id, ROW, "present", None))
            continue
        seen.add(d.application_id)
        _compare(out, "decisions", d.id, d, e)
    _missing(out, "decisions", exp.rows["decisions"], seen, lambda k: f"application {k}")

    want = exp.rows["applications"]
    q = (
        select(Application.id, Application.approved_amount)
        .where((Application.approved_amount.is_not(None)) | (Application.id.in_(list(want) or [-1])))
        .order_by(Application.id)
    )
    for app_id, amount in session.execute(q):
        if app_id not in want:
            out.append(Mismatch("applications", app_id, "approved_amount", amount, None))
        elif not _equal(amount, want[app_id]["approved_amount"][0]):
            out.append(
                Mismatch(
                    "applications",
                    app_id,
                    "approved_amount",
                    amount,
                    want[app_id]["approved_amount"][0],
                    want[app_id]["approved_amount"][1],
                )
            )

    seen, unverified = set(), 0
    for i in session.execute(select(Instalment).order_by(Instalment.id)).scalars():
        e = exp.rows["instalments"].get(i.id)
        if e is None:
            if i.application_id in exp.scheduled or i.state != "scheduled":
                out.append(Mismatch("instalments", i.id, ROW, "present", None))
            else:
                unverified += 1  # scheduled before 0004: its approval did not log the schedule
            continue
        seen.add(i.id)
        _compare(out, "instalments", i.id, i, e)
    _missing(out, "instalments", exp.rows["instalments"], seen)
    if unverified:
        notes.append(
            {
                "table": "instalments",
                "rows": unverified,
                "message_zh": f"{unverified} 条拨付计划写于 0004 之前，审计日志未记录其金额，只能在拨付或取消时核对",
                "message_en": f"{unverified} instalment(s) scheduled before revision 0004: the log did not record "
                "their amounts; they are checked when paid or cancelled",
            }
        )

    seen = set()
    for p in session.execute(select(Payment).order_by(Payment.id)).scalars():
        e = exp.rows["payments"].get(p.instalment_id)
        if e is None or p.instalment_id in seen:
            out.append(Mismatch("payments", p.id, ROW, "present", None))
            continue
        seen.add(p.instalment_id)
        _compare(out, "payments", p.id, p, e)
    _missing(out, "payments", exp.rows["payments"], seen, lambda k: f"instalment {k}")

    seen = set()
    for r in session.execute(select(Receivable).order_by(Receivable.id)).scalars():
        e = exp.rows["receivables"].get(r.id)
        if e is None:
            out.append(Mismatch("receivables", r.id, ROW, "present", None))
            continue
        seen.add(r.id)
        _compare(out, "receivables", r.id, r, e)
    _missing(out, "receivables", exp.rows["receivables"], seen)

    seen = set()
    for v in session.execute(select(Revocation).order_by(Revocation.id)).scalars():
        e = exp.rows["revocations"].get(v.application_id)
        if e is None:
            out.append(Mismatch("revocations", v.id, ROW, "present", None))
            continue
        seen.add(v.application_id)
        _compare(out, "revocations", v.id, v, e)
    _missing(out, "revocations", exp.rows["revocations"], seen, lambda k: f"application {k}")

    seen = set()
    ledgers = {row.id: row for row in session.execute(select(CapLedger).order_by(CapLedger.id)).scalars()}
    for ch in session.execute(select(CapCharge).order_by(CapCharge.id)).scalars():
        cap = ledgers[ch.ledger_id].cap_id if ch.ledger_id in ledgers else None
        e = exp.rows["cap_charges"].get((ch.application_id, cap))
        if e is None:
            out.append(Mismatch("cap_charges", ch.id, ROW, "present", None))
            continue
        seen.add((ch.application_id, cap))
        _compare(out, "cap_charges", ch.id, ch, e)
    _missing(out, "cap_charges", exp.rows["cap_charges"], seen, lambda k: f"application {k[0]} cap {k[1]}")
    out.extend(_ledgers(session, exp, ledgers))
    return out, notes


def _ledgers(session: Session, exp: _Expected, ledgers: dict[int, CapLedger]) -> Iterable[Mismatch]:
    """Each ledger row's limit and used as the last entry that touched it left them."""
    apps = {k[1] for k in exp.ledger_used if k[0] == "app"}
    ent = dict(
        session.execute(
            select(Application.id, Application.enterprise_id).where(Application.id.in_(list(apps) or [-1]))
        ).all()
    )
    by_natural = {(row.enterprise_id, row.year, row.cap_id): row for row in ledgers.values()}
    last: dict[int, tuple[Any, Any, int]] = {}
    for key, (used, limit, seq) in exp.ledger_used.items():
        row = ledgers.get(key[1]) if key[0] == "id" else by_natural.get((ent.get(key[1]), key[2], key[3]))
        if row is not None and (row.id not in last or last[row.id][2] < seq):
            last[row.id] = (used, limit, seq)
    out = []
    for row_id, row in ledgers.items():
        if row_id not in last:
            if row.used:
                out.append(Mismatch("cap_ledger", row_id, "used", row.used, None))
            continue
        used, limit, seq = last[row_id]
        for col, value in (("limit", limit), ("used", used)):
            if value is not None and not _equal(getattr(row, col), value):
                out.append(Mismatch("cap_ledger", row_id, col, getattr(row, col), value, seq))
    return out


def money_totals(session: Session, upto: dict | None = None) -> dict:
    """Rows and sums of the money columns that never change, per table; ``upto`` (a checkpoint's
    ``tables``) counts only the rows up to each table's ``max_id`` then."""
    out = {}
    for table, (model, cols) in MONEY_SUMS.items():
        limit = ((upto or {}).get(table) or {}).get("max_id") if upto is not None else None
        q = select(
            func.count(model.id), func.max(model.id), *[func.coalesce(func.sum(getattr(model, c)), 0) for c in cols]
        )
        if upto is not None:
            q = q.where(model.id <= (limit or 0))
        n, max_id, *sums = session.execute(q).one()
        out[table] = {
            "rows": n,
            "max_id": limit if upto is not None else (max_id or 0),
            "sums": {c: str(Decimal(s).quantize(Decimal("0.01"))) for c, s in zip(cols, sums)},
        }
    return out


def verify_all(session: Session, *, checkpoints: Iterable[tuple[str, dict]] = ()) -> audit.VerifyResult:
    """The chain (:func:`huiqi.audit.verify`), then the money tables against the log, then each
    checkpoint: the first thing that fails is reported, every money mismatch listed."""
    from huiqi.audit import checkpoint as cp

    checkpoints = list(checkpoints)
    result = audit.verify(session)
    if not result.ok:
        return result
    mismatches, notes = reconcile(session)
    result.notes.extend(notes)
    if mismatches:
        first = mismatches[0]
        zh, en = first.messages()
        more_zh = f"（共 {len(mismatches)} 处不符）" if len(mismatches) > 1 else ""
        more_en = f" ({len(mismatches)} disagreements in all)" if len(mismatches) > 1 else ""
        result.ok, result.problem = False, "money"
        result.message_zh = f"资金数据与审计日志不符：{zh}{more_zh}"
        result.message_en = f"the money tables disagree with the audit log: {en}{more_en}"
        result.mismatches = [m.to_dict() for m in mismatches]
        return result
    for name, data in checkpoints:
        problems = cp.compare(session, data, tables_now=lambda t: money_totals(session, upto=t), name=name)
        if problems:
            result.ok, result.problem = False, problems[0]["problem"]
            result.first_bad_seq = problems[0].get("seq")
            result.message_zh = "；".join(p["message_zh"] for p in problems)
            result.message_en = "; ".join(p["message_en"] for p in problems)
            result.mismatches = problems
            return result
    if checkpoints:
        result.message_zh += f"；资金数据与日志一致；与 {len(checkpoints)} 个检查点一致"
        result.message_en += f"; the money tables agree with the log and with {len(checkpoints)} checkpoint(s)"
    else:
        result.message_zh += "；资金数据与日志一致"
        result.message_en += "; the money tables agree with the log"
    return result
