"""Credit checks (信用审查): serious-dishonesty records in the last three years block support."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.workflow.credit.models import CreditRecord

LOOKBACK_YEARS = 3  # 金科〔2025〕25号 关于项目管理有关要求 一、信用管理: “过去三年内有严重失信行为”


def years_before(on: dt.date, years: int = LOOKBACK_YEARS) -> dt.date:
    """The same calendar day ``years`` earlier (29 Feb → 28 Feb); records after it count."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def records_in_window(*, session: Session, uscc: str, on: dt.date, years: int = LOOKBACK_YEARS) -> list[CreditRecord]:
    """Serious-dishonesty records of ``uscc`` dated within the ``years`` (3) years up to ``on``."""
    since = years_before(on, years)
    q = select(CreditRecord).where(CreditRecord.uscc == uscc, CreditRecord.record_date > since, CreditRecord.record_date <= on).order_by(CreditRecord.record_date)
    return list(session.execute(q).scalars())


def describe(records: list[CreditRecord]) -> tuple[str, str]:
    """The records as a short reason in Chinese and English."""
    zh = "；".join(f"{r.record_date.isoformat()} {r.authority}：{r.description}" for r in records)
    en = "; ".join(f"{r.record_date.isoformat()} {r.authority}: {r.description}" for r in records)
    return zh, en
