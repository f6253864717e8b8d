"""The audit log (审计日志): a district's entries to its officers and auditors, every entry to the administrator."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Query

from huiqi.api import schemas
from huiqi.api.deps import CurrentUser, SessionDep
from huiqi.api.routes.common import LIST
from huiqi.workflow.audit_log import service as audit_log
from huiqi.workflow.common import plain

router = APIRouter(tags=["dashboard 统计"])


@router.get(
    "/audit/verify", summary="校验审计链 / verify the audit chain", response_model=schemas.VerifyResult, responses=LIST
)
def audit_verify(session: SessionDep, user: CurrentUser) -> dict:
    return audit_log.verify(session=session, actor=user).to_dict()


@router.get("/audit/log", summary="审计日志 / the audit log", response_model=list[schemas.AuditEntry], responses=LIST)
def audit_entries(
    session: SessionDep,
    user: CurrentUser,
    entity: Optional[str] = Query(None, max_length=50),
    entity_id: Optional[str] = Query(None, max_length=64),
    limit: int = Query(200, ge=1, le=5000),
) -> list[dict]:
    rows = audit_log.entries(session=session, actor=user, entity=entity, entity_id=entity_id, limit=limit)
    return [
        {
            "seq": e.seq,
            "at": plain(e.at),
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "district": e.district,
            "reason": e.reason,
            "data": plain(e.data),
            "hash": e.hash,
        }
        for e in rows
    ]
