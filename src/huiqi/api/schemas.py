"""The API's declared response models (pydantic), one per record kind and per composite answer.

A record's model is derived from its table (:func:`record_model`): every column, typed as the JSON
the API has always sent — amounts (``Money``) and scores as decimal strings in yuan, dates as
``YYYY-MM-DD``, times as ISO text, JSON columns as they are — so the OpenAPI document states each
field once, where the table defines it, and schemathesis checks every answer against it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Numeric

from huiqi.store import Money


def _python_type(column: Any) -> Any:
    t = column.type
    if isinstance(t, Money) or isinstance(t, Numeric):
        return str  # decimal string, yuan (or a score)
    if isinstance(t, Boolean):
        return bool
    if isinstance(t, Integer):
        return int
    if isinstance(t, DateTime):
        return str  # ISO text
    if isinstance(t, Date):
        return dt.date
    if isinstance(t, JSON):
        return Any
    return str


def record_model(
    name: str, table_model: Any, *, optional: tuple[str, ...] = (), description: str = ""
) -> type[BaseModel]:
    """A response model with every column of ``table_model`` (never a password hash). Columns in
    ``optional`` may be left out of an answer (a reader who may not see them gets null)."""
    fields: dict[str, Any] = {}
    for c in table_model.__table__.columns:
        if c.key == "password_hash":
            continue
        py = _python_type(c)
        typ = Optional[py] if (c.nullable or c.key in optional) and py is not Any else py
        desc = "元 / yuan" if isinstance(c.type, Money) else None
        default = None if c.key in optional else ...
        fields[c.key] = (typ, Field(default, description=desc))
    model = create_model(name, __config__=ConfigDict(extra="forbid"), **fields)
    model.__doc__ = description or f"A {table_model.__tablename__} record."
    return model


def _records() -> dict[str, type[BaseModel]]:
    from huiqi.workflow import models as m

    spec = {
        "Round": (m.Round, ()),
        "MaterialFile": (m.MaterialFile, ()),
        "ReviewOpinion": (m.ReviewOpinion, ("actor_id",)),
        "ExpertAssignment": (m.ExpertAssignment, ()),
        "ExpertTie": (m.ExpertTie, ()),
        "Decision": (m.Decision, ()),
        "CreditOverride": (m.CreditOverride, ()),
        "NoticeBatch": (m.NoticeBatch, ()),
        "Objection": (m.Objection, ("objector",)),
        "PaymentBatch": (m.PaymentBatch, ()),
        "Payment": (m.Payment, ()),
        "Instalment": (m.Instalment, ()),
        "Receivable": (m.Receivable, ()),
        "ChangeRequest": (m.ChangeRequest, ()),
        "ProgressReport": (m.ProgressReport, ()),
        "Revocation": (m.Revocation, ()),
        "ImportRun": (m.ImportRun, ()),
        "Enterprise": (m.Enterprise, ()),
        "Award": (m.Award, ()),
        "AwardExtension": (m.AwardExtension, ()),
    }
    return {name: record_model(name, model, optional=opt) for name, (model, opt) in spec.items()}


_R = _records()
Round = _R["Round"]
MaterialFile = _R["MaterialFile"]
ReviewOpinion = _R["ReviewOpinion"]
ExpertAssignment = _R["ExpertAssignment"]
ExpertTie = _R["ExpertTie"]
Decision = _R["Decision"]
CreditOverride = _R["CreditOverride"]
NoticeBatch = _R["NoticeBatch"]
Objection = _R["Objection"]
PaymentBatch = _R["PaymentBatch"]
Payment = _R["Payment"]
Instalment = _R["Instalment"]
Receivable = _R["Receivable"]
ChangeRequest = _R["ChangeRequest"]
ProgressReport = _R["ProgressReport"]
Revocation = _R["Revocation"]
ImportRun = _R["ImportRun"]
Enterprise = _R["Enterprise"]
Award = _R["Award"]
AwardExtension = _R["AwardExtension"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(Strict):
    """Every refusal and error, in both languages, naming the field it concerns (401 not logged in,
    403 the role may not, 404 not found or out of the user's scope, 409 not in this state, 413 too
    large, 415 wrong file type, 422 invalid input, 429 too many log-ins)."""

    error: str
    field: str
    message_zh: str
    message_en: str
    details: Any = None


class User(Strict):
    """A user, its role and its scope (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    role_zh: str
    role_en: str
    enterprise_id: Optional[int]
    town: Optional[str]
    district: Optional[str]
    department: Optional[str]


class Token(Strict):
    token: str
    token_type: str
    expires_in: int
    user: User


class Ended(Strict):
    """How many sessions (cookies and tokens) ended."""

    ended: int


class Commitments(Strict):
    """What a round's budget has committed (approved, plus paid-and-not-recovered on revoked
    projects) and paid (net of recoveries), in yuan."""

    approved: str
    committed: str
    paid: str


class RoundWithCommitments(Round):  # type: ignore[misc,valid-type]
    commitments: Commitments


class ApplicationSummary(Strict):
    """An application: state, amounts (yuan, decimal strings), the frozen evaluation's status."""

    id: int
    round_id: Optional[int]
    district: Optional[str]
    enterprise_id: int
    programme: str
    claim: Optional[str]
    channel: str
    year: int
    state: str
    state_zh: str
    state_en: str
    requested_amount: Optional[str]
    ceiling: Optional[str]
    eval_status: Optional[str]
    policy_version: Optional[str]
    score: Optional[str]
    rank: Optional[int]
    proposed_amount: Optional[str]
    approved_amount: Optional[str]
    cap_year: Optional[int]
    credit_hold: bool
    project: Optional[str] = None


class ApplicationListItem(ApplicationSummary):
    enterprise_name: str
    town: Optional[str]


class EnterpriseBrief(Strict):
    id: int
    name: str
    uscc: str
    town: Optional[str]
    district: Optional[str]


class HistoryEntry(Strict):
    seq: int
    at: str
    actor: str
    action: str
    reason: Optional[str]
    data: dict[str, Any]


class Step(Strict):
    name: str
    zh: str
    en: str
    needs_reason: bool


class Ground(Strict):
    id: str
    zh: Optional[str]
    en: Optional[str]


class ApplicationDetail(ApplicationSummary):
    """One application as the reader may see it: the frozen evaluation, materials, reviews, notice,
    payments, changes (officers, auditors, the enterprise), credit check and history."""

    enterprise: EnterpriseBrief
    submitted_at: Optional[str]
    evaluated_on: Optional[str]
    evaluation: Optional[dict[str, Any]]
    profile: dict[str, Any]
    stages: list[str]
    materials: list[MaterialFile]  # type: ignore[valid-type]
    checklist: list[dict[str, Any]]
    materials_missing: list[dict[str, Any]]
    opinions: list[ReviewOpinion]  # type: ignore[valid-type]
    assignments: list[ExpertAssignment]  # type: ignore[valid-type]
    instalments: list[Instalment]  # type: ignore[valid-type]
    payments: list[Payment]  # type: ignore[valid-type]
    paid_total: str
    history: list[HistoryEntry]
    notice: Optional[NoticeBatch]  # type: ignore[valid-type]
    objections: list[Objection]  # type: ignore[valid-type]
    changes: Optional[list[ChangeRequest]] = None  # type: ignore[valid-type]
    progress: Optional[list[ProgressReport]] = None  # type: ignore[valid-type]
    revocations: Optional[list[Revocation]] = None  # type: ignore[valid-type]
    credit: dict[str, Any]
    award: Optional[dict[str, Any]] = None  # the awards ledger's row (who may read it: award.read)
    revocation_grounds: Optional[list[Ground]] = None
    next_steps: list[Step]
    state_stage: Optional[str]


class Materials(Strict):
    checklist: list[dict[str, Any]]
    files: list[MaterialFile]  # type: ignore[valid-type]
    missing: list[dict[str, Any]]


class NoticeApplication(ApplicationSummary):
    enterprise_name: str


class NoticeWithApplications(NoticeBatch):  # type: ignore[misc,valid-type]
    applications: list[NoticeApplication]


class Amount(Strict):
    key: str
    amount: str


class Budget(Strict):
    round_id: int
    code: str
    name: str
    district: Optional[str]
    budget: Optional[str]
    used: str
    paid: Optional[str]


class Dashboard(Strict):
    by_programme: list[Amount]
    by_town: list[Amount]
    by_month: list[Amount]
    budgets: list[Budget]
    counts: dict[str, int]
    approved_total: str
    paid_total: str


class VerifyResult(Strict):
    """The keyed chain, the money tables reconciled against it, and any checkpoints compared."""

    ok: bool
    entries: int
    first_bad_seq: Optional[int]
    message_zh: str
    message_en: str
    problem: Optional[str] = Field(None, description="what failed first: chain, money, checkpoint …")
    notes: list[dict] = Field(default_factory=list, description="things worth knowing that are not failures")
    mismatches: list[dict] = Field(default_factory=list, description="every money row that disagrees with the log")
    head_seq: Optional[int] = None
    head_mac: Optional[str] = None


class AuditEntry(Strict):
    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    district: Optional[str]
    reason: Optional[str]
    data: dict[str, Any]
    hash: str


# ------------------------------------------------------------------ issue 19: records, matching, notifications


def _records19() -> dict[str, type[BaseModel]]:
    from huiqi.workflow import models as m

    spec = {"Notification": m.Notification, "Deadline": m.Deadline, "EnterpriseFact": m.EnterpriseFact}
    return {name: record_model(name, model) for name, model in spec.items()}


_R19 = _records19()
NotificationRecord = _R19["Notification"]
DeadlineRecord = _R19["Deadline"]
EnterpriseFactRecord = _R19["EnterpriseFact"]


class NotificationItem(NotificationRecord):  # type: ignore[misc,valid-type]
    kind_zh: str
    kind_en: str


class RecordFact(Strict):
    """One fact of an enterprise's record: its value, in words, with its source and date."""

    id: int
    fact: str = Field(..., description="profile field path: enterprise.<fact> or claims.<id>.<fact>")
    label_zh: str
    label_en: str
    unit: Optional[str]
    value: Any
    source: str = Field(..., description="application / import / selfcheck / self_declared / officer")
    source_zh: str
    source_en: str
    source_ref: Optional[str]
    as_of: str
    recorded_at: str
    self_declared: bool


class EnterpriseRecord(Strict):
    enterprise: dict[str, Any]
    facts: list[RecordFact]
    profile: dict[str, Any] = Field(..., description="the profile a match starts from")


class FactImport(Strict):
    id: int
    filename: str
    rows: int
    changed: list[dict[str, Any]]
    unchanged: list[dict[str, Any]]


class MatchRow(Strict):
    """An enterprise found for a programme: eligible (with the ceiling) or one or two facts away."""

    id: int
    district: str
    enterprise_id: int
    uscc: Optional[str]
    name: Optional[str]
    town: Optional[str]
    programme_id: str
    title: Optional[str]
    mode: Optional[str]
    claim: Optional[str]
    status: str
    status_zh: str
    status_en: str
    ceiling: Optional[str] = Field(None, description="元 / yuan")
    possible_ceiling: Optional[str] = Field(None, description="元 / yuan")
    discretionary: bool
    missing: list[dict[str, Any]]
    soft_failed: list[Optional[str]]
    trigger: str
    policy_version: str
    evaluated_on: str


class MatchFound(Strict):
    eligible: list[int]
    near: list[int]


class Prefs(Strict):
    enterprise_id: int
    email: Optional[str]
    kinds: list[dict[str, Any]]


class DispatchResult(Strict):
    dispatched: dict[str, Any]
    reminders: dict[str, Any]
    delivered: dict[str, Any]


class FunnelRow(Strict):
    programme_id: str
    title: str
    eligible: int
    near: int
    notified: int
    started: int
    submitted: int
    approved: int
