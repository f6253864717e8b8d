"""Exports as .xlsx: the public-notice list (公示名单) and the payment list (拨付清单), amounts in
万元 and in Chinese capitals (大写) as official documents require. Only of the actor's district
(``access``: ``export.notice`` / ``export.payments``); every export is audited.

Cells are written for what they are:

* **text from users** (enterprise names, titles, references …) that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is stored as a text cell marked “quote prefix” (OWASP, CSV
  injection): the spreadsheet shows it as typed and never runs it as a formula — an imported
  enterprise name ``=HYPERLINK(…)`` stays a name;
* **amounts are numbers** with a number format — 万元 with two decimals (``#,##0.00``) in the 万元
  columns — never text, so they can be summed; the 大写 column beside them carries the exact sum.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.money import to_chinese_capital
from huiqi.workflow.applications.models import Application
from huiqi.workflow import access
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.notices.models import NoticeBatch
from huiqi.workflow.payments.models import Instalment, Payment, PaymentBatch
from huiqi.workflow.users.models import User

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection: cells must not start with these
WAN_FORMAT = "#,##0.00"  # 万元, two decimals
YUAN_FORMAT = "#,##0.00"  # yuan


class Wan:
    """An amount in yuan to be shown in 万元 (a number cell, ``WAN_FORMAT``)."""

    __slots__ = ("yuan",)

    def __init__(self, yuan: Decimal) -> None:
        self.yuan = Decimal(yuan)


def put(cell: Cell, value: object) -> None:
    """Write one value: text that could start a formula stays text; 万元 amounts are numbers."""
    if isinstance(value, Wan):
        cell.value = value.yuan / Decimal(10000)
        cell.number_format = WAN_FORMAT
        return
    if isinstance(value, Decimal):
        cell.value = value
        cell.number_format = YUAN_FORMAT
        return
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
        cell.quotePrefix = True  # and the spreadsheet keeps it text when the cell is edited


def _sheet(title: str, header: list[str], rows: list[list], path: Path, caption: str) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    put(ws.cell(row=1, column=1), caption)
    ws["A1"].font = Font(bold=True, size=14)
    for j, name in enumerate(header, start=1):
        put(ws.cell(row=2, column=j), name)
        ws.cell(row=2, column=j).font = Font(bold=True)
    for i, r in enumerate(rows, start=3):
        for j, value in enumerate(r, start=1):
            put(ws.cell(row=i, column=j), value)
    for col, width in zip("ABCDEFGHIJ", (6, 36, 22, 14, 40, 16, 30, 14, 14, 14)):
        ws.column_dimensions[col].width = width
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def notice_list(*, session: Session, batch_id: int, path: str | Path, actor: User) -> Path:
    """The notice batch's list: enterprise, USCC, programme, proposed sum in 万元 and 大写."""
    batch = access.get(session, actor, NoticeBatch, batch_id, field="batch")
    access.authorize(actor, "export.notice")
    apps = list(session.execute(select(Application, Enterprise).join(Enterprise, Enterprise.id == Application.enterprise_id).where(Application.notice_batch_id == batch.id).order_by(Application.rank, Application.id)))
    rows = []
    for i, (app, ent) in enumerate(apps, start=1):
        amount = app.proposed_amount if app.proposed_amount is not None else (app.requested_amount or Decimal(0))
        title = ((app.evaluation or {}).get("result") or {}).get("title") or app.programme_id
        rows.append([i, ent.name, ent.uscc, app.programme_id, title, Wan(amount), to_chinese_capital(amount)])
    caption = f"{batch.title}（公示期：{batch.published_on.isoformat()} 发布，{batch.working_days} 个工作日，至 {batch.ends_on.isoformat()}）"
    out = _sheet("公示名单", ["序号", "企业名称", "统一社会信用代码", "项目编号", "项目名称", "拟支持金额（万元）", "金额（大写）"], rows, Path(path), caption)
    audit.record(session, actor=actor.username, action="export.notice", entity="notice", entity_id=batch.id, district=batch.district, data={"rows": len(rows), "file": out.name})
    return out


def payment_list(*, session: Session, batch_id: int, path: str | Path, actor: User) -> Path:
    """The payment batch's list: each disbursement with its instalment, in 万元 and 大写, and the total."""
    batch = access.get(session, actor, PaymentBatch, batch_id, field="batch")
    access.authorize(actor, "export.payments")
    q = (
        select(Payment, Instalment, Application, Enterprise)
        .join(Instalment, Instalment.id == Payment.instalment_id)
        .join(Application, Application.id == Payment.application_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(Payment.batch_id == batch.id)
        .order_by(Payment.id)
    )
    rows, total = [], Decimal(0)
    for i, (pay, inst, app, ent) in enumerate(session.execute(q), start=1):
        total += pay.amount
        rows.append([i, ent.name, ent.uscc, app.programme_id, f"{inst.label_zh}（第{inst.seq}期）", Wan(pay.amount), to_chinese_capital(pay.amount), pay.paid_on.isoformat(), pay.reference])
    rows.append(["合计", None, None, None, None, Wan(total), to_chinese_capital(total), None, None])
    out = _sheet("拨付清单", ["序号", "企业名称", "统一社会信用代码", "项目编号", "拨付期次", "拨付金额（万元）", "金额（大写）", "拨付日期", "凭证号"], rows, Path(path), f"专项资金拨付清单 {batch.code}")
    audit.record(session, actor=actor.username, action="export.payments", entity="payment_batch", entity_id=batch.id, district=batch.district, data={"rows": len(rows) - 1, "total": total, "file": out.name})
    return out
