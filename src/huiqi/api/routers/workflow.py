"""The workflow endpoints: every action of the CLI (rounds, applications, materials, reviews, notices,
decisions, payments, changes, imports, exports) over the workflow services, with access control."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from huiqi.api import actions, access
from huiqi.api.errors import ApiError
from huiqi.api.security import api_user, db
from huiqi.api.serialize import plain, row_dict
from huiqi.workflow.applications import service as applications

router = APIRouter()

R401 = {401: {"description": "请先登录 / not logged in"}}
R403 = {403: {"description": "角色无权 / role may not"}}
R404 = {404: {"description": "不存在或无权查看 / not found or not visible"}}
R409 = {409: {"description": "状态不允许 / not allowed in this state"}}
R422 = {422: {"description": "输入有误 / invalid input"}}
READ = {**R401, **R404}
WRITE = {**R401, **R403, **R404, **R409, **R422}

Date = Optional[str]
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def _ps(request: Request) -> Any:
    return request.app.state.huiqi.policies


def _settings(request: Request) -> Any:
    return request.app.state.huiqi.settings


def _app_json(request: Request, session: Any, user: Any, app: Any) -> dict:
    return actions.application_detail(session, user, app, _ps(request))


# ------------------------------------------------------------------ bodies


class DraftIn(BaseModel):
    round_id: int = Field(..., ge=1, le=2**31 - 1)
    programme: str = Field(..., min_length=1, max_length=50)
    profile: dict = Field(..., description="企业画像 / the enterprise profile (see POST /match)")
    claim: Optional[str] = Field(None, max_length=100)
    requested_amount: Optional[str] = Field(None, max_length=30, description="元 / yuan")
    enterprise_id: Optional[int] = Field(None, ge=1, le=2**31 - 1, description="officers only (offline submissions)")


class SubmitIn(BaseModel):
    on: Date = Field(None, pattern=DATE_PATTERN)


class ReasonIn(BaseModel):
    reason: Optional[str] = Field(None, max_length=2000)


class RequiredReasonIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000)


class TownIn(BaseModel):
    confirmed: bool
    opinion: str = Field("", max_length=2000)


class DistrictIn(BaseModel):
    passed: bool
    opinion: str = Field("", max_length=2000)
    originals_checked: bool = False


class ExpertsIn(BaseModel):
    expert_ids: list[int] = Field(..., min_length=1, max_length=20)


class ScoreIn(BaseModel):
    score: str = Field(..., max_length=10, description="0–100")
    comment: str = Field("", max_length=4000)


class ConsultIn(BaseModel):
    department: str = Field(..., min_length=1, max_length=100)
    opinion: str = Field(..., min_length=1, max_length=4000)


class ShortlistIn(BaseModel):
    min_score: Optional[str] = Field(None, max_length=10)


class PublishIn(BaseModel):
    application_ids: list[int] = Field(..., min_length=1, max_length=500)
    published_on: Date = Field(None, pattern=DATE_PATTERN)
    title: Optional[str] = Field(None, max_length=200)


class ObjectionIn(BaseModel):
    objector: str = Field(..., min_length=1, max_length=200)
    content: str = Field(..., min_length=1, max_length=4000)
    received_on: Date = Field(None, pattern=DATE_PATTERN)


class ResolveIn(BaseModel):
    upheld: bool
    finding: str = Field(..., min_length=1, max_length=4000)


class CloseIn(BaseModel):
    on: Date = Field(None, pattern=DATE_PATTERN)


class ApproveIn(BaseModel):
    amount: str = Field(..., max_length=30, description="元 / yuan")
    reason: Optional[str] = Field(None, max_length=2000)
    on: Date = Field(None, pattern=DATE_PATTERN)


class CreditOverrideIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000, description="同意支持的书面理由 / the written reason for supporting the applicant")
    on: Date = Field(None, pattern=DATE_PATTERN)


class BudgetIn(BaseModel):
    budget: Optional[str] = Field(None, max_length=30, description="元 / yuan; empty: no budget")
    reason: str = Field(..., min_length=1, max_length=2000)


class ConfirmIn(BaseModel):
    amount: Optional[str] = Field(None, max_length=30)
    reason: Optional[str] = Field(None, max_length=2000)


class BatchIn(BaseModel):
    pay_on: Date = Field(None, pattern=DATE_PATTERN)
    code: Optional[str] = Field(None, max_length=50)


class ProgressIn(BaseModel):
    period: str = Field(..., min_length=1, max_length=50)
    progress: str = Field(..., min_length=1, max_length=4000)
    funds_used: Optional[str] = Field(None, max_length=30)


class ChangeIn(BaseModel):
    kind: str = Field(..., min_length=1, max_length=50)
    description: str = Field(..., min_length=1, max_length=4000)
    before: Optional[str] = Field(None, max_length=30)
    after: Optional[str] = Field(None, max_length=30)
    structure_change: Optional[str] = Field(None, max_length=30)


class DecideIn(BaseModel):
    approve: bool
    reason: str = Field(..., min_length=1, max_length=2000)


class RevokeIn(BaseModel):
    ground: str = Field(..., min_length=1, max_length=50)
    reason: str = Field(..., min_length=1, max_length=2000)
    planned_investment: Optional[str] = Field(None, max_length=30)
    audited_investment: Optional[str] = Field(None, max_length=30)
    claw_back: bool = True


class RecoveryIn(BaseModel):
    on: Date = Field(None, pattern=DATE_PATTERN)


class TieIn(BaseModel):
    enterprise_id: int = Field(..., ge=1, le=2**31 - 1)
    reason: str = Field(..., min_length=1, max_length=2000)


class RoundIn(BaseModel):
    code: str = Field(..., min_length=1, max_length=50)
    name: str = Field(..., min_length=1, max_length=200)
    programmes: list[str] = Field(..., min_length=1, max_length=100)
    year: int = Field(..., ge=2000, le=2100)
    opens_on: str = Field(..., pattern=DATE_PATTERN)
    closes_on: str = Field(..., pattern=DATE_PATTERN)
    period_start: Date = Field(None, pattern=DATE_PATTERN)
    period_end: Date = Field(None, pattern=DATE_PATTERN)
    budget: Optional[str] = Field(None, max_length=30)
    district: Optional[str] = Field(None, max_length=50)


# ------------------------------------------------------------------ rounds


@router.get("/rounds", tags=["rounds 申报批次"], summary="申报批次 / rounds", responses=R401)
def list_rounds(user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    from huiqi.workflow.rounds import service as rounds

    return [row_dict(r) for r in rounds.list_all(session=session)]


@router.post("/rounds", tags=["rounds 申报批次"], summary="新建批次 / create a round", status_code=201, responses=WRITE)
def create_round(request: Request, body: RoundIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    kw = body.model_dump()
    r = actions.create_round(session, user, _ps(request), **kw)
    return row_dict(r)


@router.post("/rounds/{round_id}/open", tags=["rounds 申报批次"], summary="开放申报 / open a round", responses=WRITE)
def open_round(round_id: int, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.open_round(session, user, round_id=round_id))


@router.post("/rounds/{round_id}/budget", tags=["rounds 申报批次"], summary="调整预算（须写明理由）/ change a round's budget", responses=WRITE)
def set_budget(round_id: int, body: BudgetIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    from huiqi.workflow.decisions import service as decisions

    r = actions.set_budget(session, user, round_id=round_id, budget=body.budget or None, reason=body.reason)
    return row_dict(r) | {"commitments": plain(decisions.round_commitments(session=session, round_id=r.id))}


@router.post("/rounds/{round_id}/close", tags=["rounds 申报批次"], summary="截止申报 / close a round", responses=WRITE)
def close_round(round_id: int, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.close_round(session, user, round_id=round_id))


@router.post("/rounds/{round_id}/shortlist", tags=["reviews 评审"], summary="择优拟立项 / shortlist by merit within the budget", responses=WRITE)
def shortlist(round_id: int, body: ShortlistIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    return [applications.summary(a) for a in actions.shortlist(session, user, round_id=round_id, min_score=body.min_score)]


# ------------------------------------------------------------------ applications


@router.get("/applications", tags=["applications 申报"], summary="可见的申报（按阶段、镇/园区筛选）/ visible applications, by stage and town", responses=R401)
def list_applications(
    user: Any = Depends(api_user),
    session: Any = Depends(db),
    state: Optional[str] = Query(None, max_length=30),
    stage: Optional[str] = Query(None, max_length=30),
    town: Optional[str] = Query(None, max_length=50),
    round_id: Optional[int] = Query(None, ge=1, le=2**31 - 1),
    programme: Optional[str] = Query(None, max_length=50),
) -> list[dict]:
    rows = actions.list_applications(session, user, state=state, stage=stage, town=town, round_id=round_id, programme=programme)
    return [applications.summary(a) | {"enterprise_name": e.name, "town": e.town} for a, e in rows]


@router.post("/applications", tags=["applications 申报"], summary="新建申报草稿 / start a draft", status_code=201, responses=WRITE)
def create_application(request: Request, body: DraftIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    app = actions.create_draft(session, user, _ps(request), round_id=body.round_id, programme=body.programme, profile=body.profile, claim=body.claim, requested_amount=body.requested_amount, enterprise_id=body.enterprise_id)
    return _app_json(request, session, user, app)


@router.get("/applications/{application_id}", tags=["applications 申报"], summary="申报详情（冻结的测算、材料、记录）/ one application", responses=READ)
def get_application(request: Request, application_id: int, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    app = access.application_for(session, user, application_id)
    return _app_json(request, session, user, app)


@router.post("/applications/{application_id}/materials", tags=["applications 申报"], summary="上传材料 / upload a material", status_code=201, responses={**WRITE, 413: {"description": "too large"}})
async def upload_material(request: Request, application_id: int, material_id: str = Form(..., max_length=100), stamped: bool = Form(False), file: UploadFile = File(...), user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    limit = _settings(request).max_upload_bytes
    content = await file.read(limit + 1)
    f = actions.upload(session, user, _ps(request), _settings(request), application_id=application_id, material_id=material_id, filename=file.filename or "upload", content=content, stamped=stamped)
    return row_dict(f)


@router.get("/applications/{application_id}/materials/{file_id}", tags=["applications 申报"], summary="下载材料 / download a material", responses=READ)
def download_material(request: Request, application_id: int, file_id: int, user: Any = Depends(api_user), session: Any = Depends(db)) -> Response:
    return material_response(request, session, user, application_id, file_id)


def material_response(request: Request, session: Any, user: Any, application_id: int, file_id: int) -> Response:
    try:
        f, data = actions.material_file(session, user, _settings(request), application_id=application_id, file_id=file_id)
    except FileNotFoundError:
        raise ApiError(404, "文件内容不在存储中", "the file's content is not in storage", field="file_id") from None
    from urllib.parse import quote

    return Response(data, media_type=f.content_type or "application/octet-stream", headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f.filename)}", "Cache-Control": "private, no-store"})


@router.post("/applications/{application_id}/submit", tags=["applications 申报"], summary="提交申报（冻结测算结果）/ submit (freezes the evaluation)", responses=WRITE)
def submit(request: Request, application_id: int, body: SubmitIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    app = actions.submit(session, user, _ps(request), application_id=application_id, on=body.on)
    return _app_json(request, session, user, app)


@router.post("/applications/{application_id}/withdraw", tags=["applications 申报"], summary="撤回 / withdraw", responses=WRITE)
def withdraw(application_id: int, body: ReasonIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return applications.summary(actions.withdraw(session, user, application_id=application_id, reason=body.reason))


@router.post("/applications/{application_id}/town-confirm", tags=["reviews 评审"], summary="镇（园区）确认 / town or park confirms", responses=WRITE)
def town_confirm(application_id: int, body: TownIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return applications.summary(actions.town_confirm(session, user, application_id=application_id, confirmed=body.confirmed, opinion=body.opinion))


@router.post("/applications/{application_id}/district-check", tags=["reviews 评审"], summary="区级初审 / district check", responses=WRITE)
def district_check(application_id: int, body: DistrictIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return applications.summary(actions.district_check(session, user, application_id=application_id, passed=body.passed, opinion=body.opinion, originals_checked=body.originals_checked))


@router.post("/applications/{application_id}/experts", tags=["reviews 评审"], summary="分配专家 / assign experts", responses=WRITE)
def assign_experts(application_id: int, body: ExpertsIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    return [row_dict(a) for a in actions.assign_experts(session, user, application_id=application_id, expert_ids=body.expert_ids)]


@router.post("/applications/{application_id}/score", tags=["reviews 评审"], summary="专家评分 / an expert scores", responses=WRITE)
def score(application_id: int, body: ScoreIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.score(session, user, application_id=application_id, score=body.score, comment=body.comment))


@router.post("/applications/{application_id}/consult", tags=["reviews 评审"], summary="征求部门意见 / record a department's opinion", responses=WRITE)
def consult(application_id: int, body: ConsultIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.consult(session, user, application_id=application_id, department=body.department, opinion=body.opinion))


@router.post("/applications/{application_id}/objections", tags=["notices 公示"], summary="登记异议 / record an objection", status_code=201, responses=WRITE)
def object_to(application_id: int, body: ObjectionIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.object_to(session, user, application_id=application_id, objector=body.objector, content=body.content, received_on=body.received_on))


@router.post("/applications/{application_id}/approve", tags=["decisions 立项"], summary="立项（核定金额）/ approve at an amount", responses=WRITE)
def approve(application_id: int, body: ApproveIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.approve(session, user, application_id=application_id, amount=body.amount, reason=body.reason, on=body.on))


@router.post("/applications/{application_id}/credit-override", tags=["decisions 立项"], summary="信用审查：登记同意支持的书面理由（原则上不予支持）/ record a credit override", status_code=201, responses=WRITE)
def credit_override(application_id: int, body: CreditOverrideIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.credit_override(session, user, application_id=application_id, reason=body.reason, on=body.on))


@router.post("/applications/{application_id}/decline", tags=["decisions 立项"], summary="不予立项 / decline", responses=WRITE)
def decline(application_id: int, body: RequiredReasonIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.decline(session, user, application_id=application_id, reason=body.reason))


@router.post("/applications/{application_id}/confirm", tags=["imports 导入"], summary="确认免申即享 / confirm a grant without application", responses=WRITE)
def confirm(application_id: int, body: ConfirmIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> Any:
    out = actions.confirm_automatic(session, user, application_id=application_id, amount=body.amount, reason=body.reason)
    return row_dict(out) if hasattr(out, "__table__") else plain(out)


@router.post("/applications/{application_id}/progress", tags=["changes 变更"], summary="报告进展 / report progress", status_code=201, responses=WRITE)
def progress(application_id: int, body: ProgressIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.report_progress(session, user, application_id=application_id, period=body.period, progress=body.progress, funds_used=body.funds_used))


@router.post("/applications/{application_id}/changes", tags=["changes 变更"], summary="申报项目变更 / report a change", status_code=201, responses=WRITE)
def request_change(request: Request, application_id: int, body: ChangeIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.request_change(session, user, _ps(request), application_id=application_id, **body.model_dump()))


@router.post("/applications/{application_id}/revoke", tags=["changes 变更"], summary="撤销项目 / revoke", responses=WRITE)
def revoke(request: Request, application_id: int, body: RevokeIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.revoke(session, user, _ps(request), application_id=application_id, **body.model_dump()))


@router.get("/changes", tags=["changes 变更"], summary="变更申请 / change requests", responses={**R401, **R403})
def list_changes(user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    from huiqi.workflow.changes.models import ChangeRequest

    actions.need(user, actions.O, actions.A)
    return [row_dict(c) for c in session.execute(select(ChangeRequest).order_by(ChangeRequest.id.desc())).scalars()]


@router.post("/changes/{change_id}/decide", tags=["changes 变更"], summary="书面同意或不同意变更 / decide a change", responses=WRITE)
def decide_change(change_id: int, body: DecideIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.decide_change(session, user, change_id=change_id, approve=body.approve, reason=body.reason))


@router.post("/receivables/{receivable_id}/recovered", tags=["changes 变更"], summary="登记已收回 / mark a claw-back recovered", responses=WRITE)
def recovered(receivable_id: int, body: RecoveryIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.record_recovery(session, user, receivable_id=receivable_id, on=body.on))


# ------------------------------------------------------------------ notices


@router.get("/notices", tags=["notices 公示"], summary="公示批次 / notice batches", responses=R401)
def list_notices(user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    return [n | {"applications": [applications.summary(a) | {"enterprise_name": e} for a, e in apps]} for n, apps in notices_visible(session, user)]


def notices_visible(session: Any, user: Any) -> list[tuple[dict, list]]:
    """Notice batches with the applications in them the user may see (a public notice is public,
    but an enterprise's or a town's page lists what concerns it)."""
    from huiqi.workflow.enterprises.models import Enterprise
    from huiqi.workflow.notices.models import NoticeBatch
    from huiqi.workflow.applications.models import Application

    out = []
    for b in session.execute(select(NoticeBatch).order_by(NoticeBatch.id.desc())).scalars():
        q = access.application_query(user).add_columns(Enterprise.name).where(Application.notice_batch_id == b.id)
        apps = [(a, name) for a, name in session.execute(q).all()]
        if apps or user.role in access.READERS_OF_ALL:
            out.append((row_dict(b), apps))
    return out


@router.post("/notices", tags=["notices 公示"], summary="发布公示 / publish a notice batch", status_code=201, responses=WRITE)
def publish(body: PublishIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.publish(session, user, application_ids=body.application_ids, published_on=body.published_on, title=body.title))


@router.post("/notices/{batch_id}/close", tags=["notices 公示"], summary="公示期满 / close a notice", responses=WRITE)
def close_notice(batch_id: int, body: CloseIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.close_notice(session, user, batch_id=batch_id, on=body.on))


@router.post("/objections/{objection_id}/resolve", tags=["notices 公示"], summary="核实异议 / resolve an objection", responses=WRITE)
def resolve(objection_id: int, body: ResolveIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.resolve_objection(session, user, objection_id=objection_id, upheld=body.upheld, finding=body.finding))


# ------------------------------------------------------------------ payments


@router.get("/payments", tags=["payments 拨付"], summary="拨付记录 / disbursements", responses=R401)
def list_payments(user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    from huiqi.workflow.applications.models import Application
    from huiqi.workflow.payments.models import Payment

    visible = access.application_query(user).with_only_columns(Application.id)
    return [row_dict(p) for p in session.execute(select(Payment).where(Payment.application_id.in_(visible)).order_by(Payment.id)).scalars()]


@router.get("/payment-batches", tags=["payments 拨付"], summary="拨付批次 / payment batches", responses={**R401, **R403})
def list_batches(user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    from huiqi.workflow.payments.models import PaymentBatch

    actions.need(user, actions.O, actions.A)
    return [row_dict(b) for b in session.execute(select(PaymentBatch).order_by(PaymentBatch.id.desc())).scalars()]


@router.post("/payment-batches", tags=["payments 拨付"], summary="生成拨付批次 / gather a payment batch", status_code=201, responses=WRITE)
def create_batch(body: BatchIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.create_payment_batch(session, user, pay_on=body.pay_on, code=body.code))


@router.post("/payment-batches/{batch_id}/run", tags=["payments 拨付"], summary="拨付 / pay a batch", responses=WRITE)
def run_batch(batch_id: int, user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    return [row_dict(p) for p in actions.run_payment_batch(session, user, batch_id=batch_id)]


# ------------------------------------------------------------------ experts


@router.post("/experts/me/ties", tags=["reviews 评审"], summary="声明利益冲突（回避）/ declare a conflict of interest", status_code=201, responses=WRITE)
def declare_tie(body: TieIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    return row_dict(actions.declare_tie(session, user, enterprise_id=body.enterprise_id, reason=body.reason))


@router.get("/experts", tags=["reviews 评审"], summary="评审专家 / experts (officers)", responses={**R401, **R403})
def list_experts(user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    from huiqi.api.serialize import user_dict
    from huiqi.workflow.users.models import User

    actions.need(user, actions.O, actions.A)
    return [user_dict(u) for u in session.execute(select(User).where(User.role == "expert").order_by(User.username)).scalars()]


# ------------------------------------------------------------------ imports, exports, dashboard


@router.post("/imports/credit", tags=["imports 导入"], summary="导入严重失信名单（CSV/xlsx）/ import credit records", status_code=201, responses={**WRITE, 413: {"description": "too large"}})
async def import_credit(request: Request, file: UploadFile = File(...), user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    content = await _read_upload(request, file)
    return row_dict(actions.import_credit(session, user, filename=file.filename or "credit.csv", content=content))


@router.post("/imports/automatic", tags=["imports 导入"], summary="导入免申即享名单 / import a grant-without-application list", status_code=201, responses={**WRITE, 413: {"description": "too large"}})
async def import_automatic(request: Request, programme: str = Form(..., max_length=50), year: int = Form(..., ge=2000, le=2100), file: UploadFile = File(...), user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    content = await _read_upload(request, file)
    apps = actions.import_automatic(session, user, _ps(request), filename=file.filename or "list.csv", content=content, programme=programme, year=year)
    return [applications.summary(a) for a in apps]


async def _read_upload(request: Request, file: UploadFile) -> bytes:
    limit = _settings(request).max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, f"文件过大，上限 {limit} 字节", f"file too large; the limit is {limit} bytes", field="file")
    name = (file.filename or "").lower()
    if not name.endswith((".csv", ".xlsx")):
        raise ApiError(415, "只接受 .csv 或 .xlsx 文件", "only .csv or .xlsx files are accepted", field="file")
    return content


@router.get("/exports/{kind}/{batch_id}.xlsx", tags=["exports 导出"], summary="导出公示或拨付名单 / export a notice or payment list", responses={**READ, **R403})
def export(kind: str, batch_id: int, user: Any = Depends(api_user), session: Any = Depends(db)) -> Response:
    return export_response(session, user, kind, batch_id)


def export_response(session: Any, user: Any, kind: str, batch_id: int) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(actions.export(session, user, kind=kind, batch_id=batch_id, directory=Path(tmp)))
        data = path.read_bytes()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={"Content-Disposition": f'attachment; filename="{kind}-{batch_id}.xlsx"'})


@router.get("/dashboard", tags=["dashboard 统计"], summary="统计：按项目、镇、月份的金额，预算使用 / statistics", responses={**R401, **R403})
def dashboard(user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    from huiqi.api.stats import dashboard_data

    actions.need(user, actions.O, actions.A, actions.R)
    return dashboard_data(session, user)


@router.get("/audit/verify", tags=["dashboard 统计"], summary="校验审计链 / verify the audit chain", responses={**R401, **R403})
def audit_verify(user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    from huiqi import audit

    actions.need(user, actions.O, actions.A)
    res = audit.verify(session)
    return plain({k: getattr(res, k) for k in res.__dataclass_fields__}) if hasattr(res, "__dataclass_fields__") else {"result": str(res)}


# ------------------------------------------------------------------ users, enterprises, audit log (administration)


class UserIn(BaseModel):
    username: str = Field(..., min_length=1, max_length=100)
    password: str = Field(..., min_length=1, max_length=500)
    role: str = Field(..., max_length=20)
    display_name: Optional[str] = Field(None, max_length=200)
    enterprise_id: Optional[int] = Field(None, ge=1, le=2**31 - 1)
    town: Optional[str] = Field(None, max_length=50)
    district: Optional[str] = Field(None, max_length=50)
    department: Optional[str] = Field(None, max_length=100)


class EnterpriseIn(BaseModel):
    uscc: str = Field(..., min_length=1, max_length=30)
    name: str = Field(..., min_length=1, max_length=200)
    district: Optional[str] = Field(None, max_length=50)
    town: Optional[str] = Field(None, max_length=50)


@router.get("/users", tags=["admin 管理"], summary="用户 / users", responses={**R401, **R403})
def list_users(user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    from huiqi.api.serialize import user_dict
    from huiqi.workflow.users import service as users

    actions.need(user, actions.O, actions.A)
    return [user_dict(u) for u in users.list_all(session=session)]


@router.post("/users", tags=["admin 管理"], summary="新建用户 / create a user", status_code=201, responses=WRITE)
def create_user(body: UserIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    from huiqi.api.serialize import user_dict
    from huiqi.workflow.users import service as users

    actions.need(user, actions.O)
    return user_dict(users.create(session=session, actor=user, **body.model_dump()))


@router.get("/enterprises", tags=["admin 管理"], summary="可见的企业 / visible enterprises", responses=R401)
def list_enterprises(user: Any = Depends(api_user), session: Any = Depends(db)) -> list[dict]:
    from huiqi.workflow.enterprises import service as enterprises

    out = []
    for e in enterprises.list_all(session=session):
        try:
            access.enterprise_visible(session, user, e.id)
        except ApiError:
            continue
        out.append(row_dict(e))
    return out


@router.post("/enterprises", tags=["admin 管理"], summary="登记企业 / register an enterprise", status_code=201, responses=WRITE)
def create_enterprise(body: EnterpriseIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    from huiqi.workflow.enterprises import service as enterprises

    actions.need(user, actions.O)
    return row_dict(enterprises.create(session=session, actor=user, **body.model_dump()))


@router.get("/applications/{application_id}/materials", tags=["applications 申报"], summary="材料清单、已上传、尚缺 / checklist, uploads, missing", responses=READ)
def list_materials(request: Request, application_id: int, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    from huiqi.workflow.materials import service as materials

    app = access.application_for(session, user, application_id)
    ps = _ps(request)
    return {
        "checklist": materials.checklist(session=session, application_id=app.id, policies=ps),
        "files": [row_dict(f) for f in materials.files(session=session, application_id=app.id)],
        "missing": materials.missing(session=session, application_id=app.id, policies=ps),
    }


@router.post("/experts/{expert_id}/ties", tags=["reviews 评审"], summary="代专家登记利益冲突 / record an expert's tie (officers)", status_code=201, responses=WRITE)
def declare_tie_for(expert_id: int, body: TieIn, user: Any = Depends(api_user), session: Any = Depends(db)) -> dict:
    from huiqi.workflow.users import service as users

    actions.need(user, actions.O)
    return row_dict(users.declare_tie(session=session, expert_id=expert_id, enterprise_id=body.enterprise_id, reason=body.reason, actor=user))


@router.get("/audit/log", tags=["dashboard 统计"], summary="审计日志 / the audit log", responses={**R401, **R403})
def audit_log(user: Any = Depends(api_user), session: Any = Depends(db), entity: Optional[str] = Query(None, max_length=50), entity_id: Optional[str] = Query(None, max_length=64), limit: int = Query(200, ge=1, le=5000)) -> list[dict]:
    from huiqi import audit

    actions.need(user, actions.O, actions.A)
    return [{"seq": e.seq, "at": plain(e.at), "actor": e.actor, "action": e.action, "entity": e.entity, "entity_id": e.entity_id, "reason": e.reason, "data": plain(e.data), "hash": e.hash} for e in audit.entries(session, entity=entity, entity_id=entity_id, limit=limit)]
