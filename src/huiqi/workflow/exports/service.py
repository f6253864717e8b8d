"""Exports as .xlsx: the public-notice list (公示名单) and the payment list (拨付清单), amounts in
万元 and in Chinese capitals (大写) as official documents require. Only of the actor's district
(``access``: ``export.notice`` / ``export.payments``); every export is audited."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.money import format_wan, to_chinese_capital
from huiqi.workflow.applications.models import Application
from huiqi.workflow import access
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.notices.models import NoticeBatch
from huiqi.workflow.payments.models import Instalment, Payment, PaymentBatch
from huiqi.workflow.users.models import User


def _sheet(title: str, header: list[str], rows: list[list], path: Path, caption: str) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([caption])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(header)
    for c in ws[2]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append(r)
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
        rows.append([i, ent.name, ent.uscc, app.programme_id, title, format_wan(amount), to_chinese_capital(amount)])
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
        rows.append([i, ent.name, ent.uscc, app.programme_id, f"{inst.label_zh}（第{inst.seq}期）", format_wan(pay.amount), to_chinese_capital(pay.amount), pay.paid_on.isoformat(), pay.reference])
    rows.append(["合计", "", "", "", "", format_wan(total), to_chinese_capital(total), "", ""])
    out = _sheet("拨付清单", ["序号", "企业名称", "统一社会信用代码", "项目编号", "拨付期次", "拨付金额（万元）", "金额（大写）", "拨付日期", "凭证号"], rows, Path(path), f"专项资金拨付清单 {batch.code}")
    audit.record(session, actor=actor.username, action="export.payments", entity="payment_batch", entity_id=batch.id, district=batch.district, data={"rows": len(rows) - 1, "total": total, "file": out.name})
    return out
