"""Workflow records as plain JSON-able data (amounts as decimal strings in yuan, dates as ISO text)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def user_dict(user: Any) -> dict:
    from huiqi.workflow.states import ROLES

    zh, en = ROLES.get(user.role, (user.role, user.role))
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "role_zh": zh,
        "role_en": en,
        "enterprise_id": user.enterprise_id,
        "town": user.town,
        "district": user.district,
        "department": user.department,
    }


def row_dict(obj: Any, exclude: tuple[str, ...] = ()) -> dict:
    """Every column of a SQLAlchemy row, JSON-able."""
    if obj is None:
        return {}
    return {c.key: plain(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in exclude and c.key != "password_hash"}
