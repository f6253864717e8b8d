"""Small helpers shared by the workflow services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import Mapped, Session, mapped_column

from huiqi.workflow.errors import InvalidInput, NotFound

M = TypeVar("M")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


def id_in_range(session: Session, model: type, ident: Any) -> int | None:
    """``ident`` as an int if it can name a row of ``model`` on this database, else None: a value
    that is not a whole number, or out of the key column's range (PostgreSQL ``integer``: ±2³¹;
    ``bigint`` and SQLite: ±2⁶³), would fail in the database instead of finding nothing."""
    if isinstance(ident, bool):
        return None
    try:
        value = int(ident) if isinstance(ident, int) or (isinstance(ident, str) and ident.strip().lstrip("+-").isdigit()) else None
    except ValueError:  # more digits than Python converts
        return None
    if value is None:
        return None
    from sqlalchemy import BigInteger
    from sqlalchemy import inspect as sa_inspect

    [column] = sa_inspect(model).primary_key
    bits = 32 if session.get_bind().dialect.name == "postgresql" and not isinstance(column.type, BigInteger) else 64
    return value if -(2 ** (bits - 1)) <= value < 2 ** (bits - 1) else None


def require_id(session: Session, model: type, ident: Any, *, zh: str, en: str, field: str = "id") -> int:
    """``ident`` as a key of ``model``, or the bilingual NotFound an id no row can have deserves."""
    key = id_in_range(session, model, ident)
    if key is None:
        raise NotFound(f"{zh}不存在：{ident}", f"no such {en}: {ident}", field=field)
    return key


def get_or_404(session: Session, model: type[M], ident: Any, *, zh: str, en: str, field: str = "id", lock: bool = False) -> M:
    """Load a row by primary key or raise a bilingual NotFound (also for an id no row can have)."""
    key = require_id(session, model, ident, zh=zh, en=en, field=field)
    # locked: always read the row again (a copy already in the session may be stale)
    obj = session.get(model, key, with_for_update=True, populate_existing=True) if lock else session.get(model, key)
    if obj is None:
        raise NotFound(f"{zh}不存在：{ident}", f"no such {en}: {ident}", field=field)
    return obj


def plain(value: Any) -> Any:
    """JSON-able data: Decimal → decimal string (yuan), date/datetime → ISO text, recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def row_dict(obj: Any, exclude: tuple[str, ...] = ()) -> dict:
    """Every column of a row as JSON-able data (never a password hash)."""
    if obj is None:
        return {}
    return {c.key: plain(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in exclude and c.key != "password_hash"}


def money(value: Any, *, field: str) -> Decimal:
    """Parse an amount in yuan (Decimal, never float) through ``huiqi.money.parse_money``."""
    from huiqi.money import MoneyError, parse_money, to_fen

    if isinstance(value, Decimal):
        d = value
    else:
        try:
            d = parse_money(value, field=field)
        except MoneyError as exc:
            raise InvalidInput(exc.message_zh, exc.message_en, field=field) from None
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidInput(f"不是有效金额：{value!r}", f"not a valid amount: {value!r}", field=field) from None
    if d < 0:
        raise InvalidInput(f"金额不能为负：{d}", f"amount cannot be negative: {d}", field=field)
    if to_fen(d) != d:
        raise InvalidInput(f"金额精确到分：{d}", f"amounts are in whole fen (0.01 yuan): {d}", field=field)
    return to_fen(d)


def day_or_today(value: Any, *, field: str) -> dt.date:
    """A date given as a date or YYYY-MM-DD text; empty or None: today."""
    return dt.date.today() if value in (None, "") else parse_day(value, field=field)


def parse_day(value: Any, *, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"不是有效日期（应为 YYYY-MM-DD）：{value!r}", f"not a valid date (YYYY-MM-DD): {value!r}", field=field) from None
