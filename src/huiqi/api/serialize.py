"""Workflow records as plain JSON-able data (amounts as decimal strings in yuan, dates as ISO text)."""

from __future__ import annotations

from typing import Any

from huiqi.workflow.common import plain, row_dict  # noqa: F401 - one definition, re-exported


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
