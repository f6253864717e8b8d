"""Exports (导出): the notice list and the payment list as .xlsx — of the reader's district."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from huiqi.api.deps import CurrentUser, SessionDep
from huiqi.api.routes.common import LIST, READ
from huiqi.workflow.errors import NotFound
from huiqi.workflow.exports import service as exports

router = APIRouter(tags=["exports 导出"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = {"notice": exports.notice_list, "payment": exports.payment_list}


@router.get(
    "/exports/{kind}/{batch_id}.xlsx",
    summary="导出公示或拨付名单 / export a notice or payment list",
    responses={**READ, **LIST, 200: {"content": {XLSX: {}}, "description": "the .xlsx file"}},
)
def export(kind: str, batch_id: int, session: SessionDep, user: CurrentUser) -> Response:
    return export_response(session, user, kind, batch_id)


def export_response(session, user, kind: str, batch_id: int) -> Response:  # noqa: ANN001
    """The .xlsx of a notice (``notice``) or payment (``payment``) batch (the pages use it too)."""
    make = KINDS.get(kind)
    if make is None:
        raise NotFound("没有这种导出", "no such export", field="kind")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(make(session=session, batch_id=batch_id, path=Path(tmp) / f"{kind}-{batch_id}.xlsx", actor=user))
        data = path.read_bytes()
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{kind}-{batch_id}.xlsx"'}
    )
