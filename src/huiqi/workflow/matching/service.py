"""Reading proactive matches (``matching.flows`` writes them): per programme, the enterprises found
eligible or one or two facts away, with the ceiling and what is missing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.workflow import access
from huiqi.workflow.common import plain
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.matching.models import MatchResult
from huiqi.workflow.users.models import User

STATUSES = {"eligible": ("符合条件", "eligible"), "near": ("差一两项信息", "one or two facts away")}
NEAR_MAX_MISSING = 2  # "one or two facts away": a needs-information result missing at most this many facts


def view(row: MatchResult, ent: Enterprise | None) -> dict:
    zh, en = STATUSES.get(row.status, (row.status, row.status))
    res = row.result or {}
    return {
        "id": row.id,
        "district": row.district,
        "enterprise_id": row.enterprise_id,
        "uscc": ent.uscc if ent else None,
        "name": ent.name if ent else None,
        "town": ent.town if ent else None,
        "programme_id": row.programme_id,
        "title": res.get("title"),
        "mode": res.get("mode"),
        "claim": row.claim_key or None,
        "status": row.status,
        "status_zh": zh,
        "status_en": en,
        "ceiling": plain(row.ceiling),
        "possible_ceiling": plain(row.possible_ceiling),
        "discretionary": bool(res.get("discretionary")),
        "missing": row.missing,
        "soft_failed": [f.get("label_zh") for f in res.get("soft_failed") or []],
        "trigger": row.trigger,
        "policy_version": row.policy_version,
        "evaluated_on": row.evaluated_on.isoformat(),
    }


def results(
    *,
    session: Session,
    actor: User,
    programme_id: str | None = None,
    status: str | None = None,
    enterprise_id: int | None = None,
) -> list[dict]:
    """The matches the actor may read (``match.read``: a district's staff its district's; an
    enterprise its own), by programme, status (eligible first) and USCC."""
    access.authorize(actor, "match.read")
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            f"未知的匹配状态：{status}（可选 eligible、near）",
            f"unknown match status: {status} (eligible, near)",
            field="status",
        )
    q = (
        select(MatchResult, Enterprise)
        .join(Enterprise, Enterprise.id == MatchResult.enterprise_id)
        .where(access.visible(actor, MatchResult))
    )
    if programme_id:
        q = q.where(MatchResult.programme_id == programme_id)
    if status:
        q = q.where(MatchResult.status == status)
    if enterprise_id is not None:
        key = access.as_id(enterprise_id)
        if key is None:
            return []
        q = q.where(MatchResult.enterprise_id == key)
    rows = session.execute(q).all()
    rows.sort(key=lambda t: (t[0].programme_id, t[0].status != "eligible", t[1].uscc, t[0].claim_key))
    return [view(m, e) for m, e in rows]


def by_programme(rows: list[dict]) -> list[dict]:
    """Match views grouped per programme: counts, the eligible total ceiling, the rows."""
    from decimal import Decimal

    groups: dict[str, dict] = {}
    for r in rows:
        g = groups.setdefault(
            r["programme_id"],
            {
                "programme_id": r["programme_id"],
                "title": r["title"],
                "mode": r["mode"],
                "eligible": 0,
                "near": 0,
                "total_ceiling": Decimal(0),
                "rows": [],
            },
        )
        g[r["status"]] += 1
        if r["status"] == "eligible" and r["ceiling"]:
            g["total_ceiling"] += Decimal(r["ceiling"])
        g["rows"].append(r)
    out = list(groups.values())
    for g in out:
        g["total_ceiling"] = str(g["total_ceiling"])
    return out
