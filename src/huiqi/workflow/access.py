"""Who may do what, decided in one place (as Netflix Dispatch keeps ``auth/permissions.py``).

Every service function takes the acting user (``actor``) and asks this module two questions:

* **which records may this actor see** — :func:`visible` gives a query filter per model (the
  actor's *scope*), :func:`get` loads one record through it and answers
  :class:`~huiqi.workflow.errors.NotFound` (HTTP 404) for a record outside it, so its existence is
  not disclosed;
* **may this actor do this action** — :func:`authorize` raises
  :class:`~huiqi.workflow.errors.PermissionDenied` (403) when the record is in scope but the role
  may not act. The roles that may fire a state transition are read from the state machine's table
  (``states.MACHINES``: action ``"<machine>.<transition>"``, e.g. ``"application.approve"``); every
  other action is in :data:`ACTIONS`, one table.

The CLI, the API and the pages never decide access: they pass the actor to the services and map
the two refusals to 404 and 403 in one place (``huiqi.api.errors``).

Districts are tenants: every record money touches carries the district of its round's policy
document. Scopes (:data:`SCOPES`): an officer, expert or auditor works in one district, a
town/park reviewer in one town of one district, an enterprise user for one enterprise, the system
administrator everywhere. A user without the scope its role needs sees nothing and may do nothing
(users left so by migration 0003 wait for an administrator: ``huiqi user scope``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow import states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.awards.models import Award, AwardExtension
from huiqi.workflow.changes.models import ChangeRequest, ProgressReport, Revocation
from huiqi.workflow.credit.models import CreditOverride, CreditRecord
from huiqi.workflow.decisions.models import Decision
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import NotFound, PermissionDenied
from huiqi.workflow.imports.models import ImportRun
from huiqi.workflow.matching.models import MatchResult
from huiqi.workflow.materials.models import MaterialFile
from huiqi.workflow.notices.models import NoticeBatch, Objection
from huiqi.workflow.notifications.models import Deadline, Notification, NotificationPref
from huiqi.workflow.payments.models import Instalment, Payment, PaymentBatch, Receivable
from huiqi.workflow.records.models import EnterpriseFact
from huiqi.workflow.reviews.models import ExpertAssignment, ReviewOpinion
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import ExpertTie, User
from huiqi.workflow.workbench.models import PolicyVersion

M = TypeVar("M")
MAX_ID = 2**31 - 1
ADMIN, OFFICER, REVIEWER, EXPERT, AUDITOR, ENTERPRISE = (
    states.ADMIN,
    states.OFFICER,
    states.REVIEWER,
    states.EXPERT,
    states.AUDITOR,
    states.ENTERPRISE,
)

# ------------------------------------------------------------------ scopes

SCOPES: dict[str, tuple[str, ...]] = {
    ADMIN: (),
    OFFICER: ("district",),
    REVIEWER: ("district", "town"),
    EXPERT: ("district",),  # the district's expert pool
    AUDITOR: ("district",),  # read-only
    ENTERPRISE: ("enterprise_id",),
}
SCOPE_LABELS = {
    "district": ("所在区", "district"),
    "town": ("所在镇（园区）", "town/park"),
    "enterprise_id": ("所属企业", "enterprise"),
}

# ------------------------------------------------------------------ actions that are not state transitions

STAFF_READERS = (ADMIN, OFFICER, AUDITOR)  # read a district's books (an admin: every district's)
ACTIONS: dict[str, tuple[str, ...]] = {
    # set-up
    "user.create": (ADMIN, OFFICER),  # an officer: inside its district, never more reach than its own
    "user.scope": (ADMIN,),
    "enterprise.create": (ADMIN, OFFICER),  # an officer: in its district
    "round.create": (OFFICER,),
    "round.budget": (OFFICER,),
    "round.notice_days": (OFFICER,),  # the notice length the yearly call sets where the text gives none
    "expert.tie": (EXPERT, OFFICER),  # an expert its own ties; an officer for its district's experts
    # applications
    "application.create": (ENTERPRISE, OFFICER),  # an officer: paper (线下递交) submissions
    "application.upload": (ENTERPRISE, OFFICER),
    "application.consult": (OFFICER,),
    "application.score": (EXPERT,),
    "application.credit_override": (OFFICER,),
    "application.progress": (ENTERPRISE, OFFICER),
    "application.request_change": (ENTERPRISE, OFFICER),
    # money
    "payment_batch.create": (OFFICER,),
    "import.credit": (OFFICER,),
    "import.automatic": (OFFICER,),
    # reading a district's books
    "payment_batch.read": STAFF_READERS,
    "change.read": STAFF_READERS,
    "import.read": STAFF_READERS,
    "expert.read": STAFF_READERS,
    "user.read": STAFF_READERS,
    "audit.read": STAFF_READERS,
    "audit.verify": STAFF_READERS,
    "audit.checkpoint": (ADMIN,),  # the whole database's totals: every district's
    "export.notice": STAFF_READERS,
    "export.payments": STAFF_READERS,
    "round.commitments": STAFF_READERS,  # what a round's budget has committed and paid
    # the awards ledger (已享受支持台账): a district's officers and auditors, an enterprise its own
    "award.read": (*STAFF_READERS, ENTERPRISE),
    "award.completion": (OFFICER,),  # the approved completion date, and completion
    "credit.decisions": STAFF_READERS,  # the officers' credit overrides: who, when, why
    "dashboard.read": (*STAFF_READERS, REVIEWER),
    # what parts of an application a reader sees (the record itself: its scope)
    "application.read_consultation": (ADMIN, OFFICER, AUDITOR, REVIEWER, EXPERT),
    "application.read_assignments": (ADMIN, OFFICER, AUDITOR, REVIEWER, EXPERT),  # an expert: its own
    "application.read_objectors": (ADMIN, OFFICER, AUDITOR, REVIEWER, EXPERT),
    "application.read_changes": (*STAFF_READERS, ENTERPRISE),
    # scores and ranks: staff and experts; an applicant only where its round says so (Round.scores_visible)
    "application.read_scores": (ADMIN, OFFICER, AUDITOR, REVIEWER, EXPERT),
    # the web portals (pages); the services behind them still decide every record and action
    "page.my": (ENTERPRISE,),
    "page.expert": (EXPERT,),
    "page.office": (*STAFF_READERS, REVIEWER),
    "page.office_district": STAFF_READERS,
    # issue 19: enterprise records, proactive matching, notifications, deadlines
    "record.read": (*STAFF_READERS, ENTERPRISE),
    "record.correct": (ENTERPRISE, OFFICER),  # an enterprise: self-declared; an officer: entered by an officer
    "import.facts": (OFFICER,),
    "match.run": (ADMIN, OFFICER),
    "match.read": (*STAFF_READERS, ENTERPRISE),  # an enterprise: the programmes found for it
    "match.propose": (OFFICER,),  # a 免申即享 programme's eligible list → proposed grants
    "notify.dispatch": (ADMIN, OFFICER),  # a system job: reads the whole audit log, sends nothing out of scope
    "notify.inbox": (ADMIN, OFFICER, REVIEWER, EXPERT, AUDITOR, ENTERPRISE),
    "notify.prefs": (ENTERPRISE,),
    "notify.delivery": STAFF_READERS,  # the district's sends and failures
    "notify.retry": (OFFICER,),
    "deadline.set": (OFFICER,),
    "deadline.read": (*STAFF_READERS, ENTERPRISE),
    # the policy workbench (issue 18): a district's officers draft, edit and propose versions of the
    # district's policy documents; another officer of the district publishes (four eyes: the
    # service refuses the author); auditors and the administrator read
    "policy.draft": (OFFICER,),
    "policy.edit": (OFFICER,),
    "policy.propose": (OFFICER,),
    "policy.return": (OFFICER,),
    "policy.publish": (OFFICER,),
    "policy.read": STAFF_READERS,
    "page.workbench": STAFF_READERS,
    # population simulation (政策测算, docs/simulation.md): what a district's programmes — or a reform of
    # them — would cost over an enterprise population. No record is read or written: a district's
    # officers and auditors (its analysts, read-only) run their district's programmes, the
    # administrator every district's (huiqi.workflow.simulation)
    "simulate.run": STAFF_READERS,
}

# who submits through which channel (a programme's ``mode``): 网上申报 by the enterprise, 线下递交
# recorded by the district officer (免申即享 grants are imported: no submission)
CHANNEL_ROLES: dict[str, tuple[str, ...]] = {"online": (ENTERPRISE,), "offline": (OFFICER,)}


def roles_for(action: str) -> tuple[str, ...]:
    """The roles that may take ``action``: a transition's from ``states.MACHINES``, else :data:`ACTIONS`."""
    if action in ACTIONS:
        return ACTIONS[action]
    machine, _, name = action.partition(".")
    if machine in states.MACHINES:
        try:
            return states.MACHINES[machine].transition(name).roles
        except KeyError:
            pass
    raise KeyError(f"no such action: {action}")


def role_may(role: str | None, action: str) -> bool:
    """Whether ``role`` may take ``action`` at all (display: which buttons a page shows)."""
    return role is not None and role in roles_for(action)


def has_scope(actor: Any) -> bool:
    """Whether the actor is active and has every scope its role needs."""
    if actor is None or not getattr(actor, "active", False) or actor.role not in SCOPES:
        return False
    return all(getattr(actor, f) not in (None, "") for f in SCOPES[actor.role])


def _action_label(action: str) -> tuple[str, str]:
    machine, _, name = action.partition(".")
    if machine in states.MACHINES:
        try:
            t = states.MACHINES[machine].transition(name)
            return t.zh, t.en
        except KeyError:
            pass
    return action, action


def authorize(actor: Any, action: str) -> None:
    """Raise PermissionDenied unless the actor (active, with its scope) holds a role that may take
    ``action``. Call it once the record is known to be in scope (:func:`get`), so that a record out
    of scope answers 404 whatever the role."""
    if actor is None or not getattr(actor, "active", False):
        raise PermissionDenied("用户已停用", "this user is deactivated", field="actor")
    if not has_scope(actor):
        need = SCOPES.get(actor.role, ())
        missing = [f for f in need if getattr(actor, f) in (None, "")] or ["role"]
        zh = "、".join(SCOPE_LABELS.get(f, (f, f))[0] for f in missing)
        en = ", ".join(SCOPE_LABELS.get(f, (f, f))[1] for f in missing)
        raise PermissionDenied(
            f"账户尚未设定{zh}，不能进行任何操作；请系统管理员设定",
            f"this account has no {en} set: it may do nothing until an administrator sets it",
            field="scope",
        )
    roles = roles_for(action)
    if actor.role not in roles:
        zh, en = _action_label(action)
        rz = "、".join(states.ROLES[r][0] for r in roles)
        re_ = ", ".join(states.ROLES[r][1] for r in roles)
        mine = states.ROLES.get(actor.role, (actor.role, actor.role))
        raise PermissionDenied(
            f"“{zh}”只能由{rz}进行（当前角色：{mine[0]}）",
            f"{en!r} may only be done by: {re_} (you are {mine[1]})",
            field="role",
        )


def may(session: Session, actor: Any, action: str, record: Any = None) -> bool:
    """Whether ``actor`` may take ``action`` on ``record`` (None: an action on no record)."""
    try:
        if record is not None:
            require_visible(session, actor, record)
        authorize(actor, action)
    except (NotFound, PermissionDenied):
        return False
    return True


def require_channel(actor: Any, mode: str, programme_id: str) -> None:
    """Raise PermissionDenied unless the actor's role submits through the programme's channel."""
    roles = CHANNEL_ROLES.get(mode)
    if roles is None or actor.role in roles:
        return
    if mode == "offline":
        raise PermissionDenied(
            f"{programme_id} 为线下递交：由区级经办人登记纸质申报",
            f"{programme_id} takes paper submissions: an officer records them",
            field="channel",
        )
    raise PermissionDenied(
        f"{programme_id} 为网上申报：由企业用户提交",
        f"{programme_id} is applied for online by the enterprise",
        field="channel",
    )


def require_district(actor: Any, district: str | None, *, what: tuple[str, str], field: str = "district") -> None:
    """Raise PermissionDenied unless ``district`` is the actor's (an administrator: any) — for
    things created in a district (a round of a district's programmes, a user, an enterprise)."""
    if actor.role == ADMIN:
        return
    if not district or district != actor.district:
        raise PermissionDenied(
            f"只能在本区（{actor.district}）{what[0]}，不能在 {district or '（未指定区）'}",
            f"you may {what[1]} only in your district ({actor.district}), not in {district or '(no district)'}",
            field=field,
        )


# ------------------------------------------------------------------ the expert-tie filter (回避)


def tied_enterprises(expert_id: int) -> Any:
    """The enterprises an expert declared a tie with (a sub-query)."""
    return select(ExpertTie.enterprise_id).where(ExpertTie.expert_id == expert_id)


def is_tied(session: Session, *, expert_id: int, enterprise_id: int) -> bool:
    """Whether the expert declared a tie with the enterprise: it may then neither be assigned its
    applications nor see or score them (and a score given before the tie is void)."""
    return (
        session.execute(
            select(ExpertTie.id).where(ExpertTie.expert_id == expert_id, ExpertTie.enterprise_id == enterprise_id)
        ).first()
        is not None
    )


# ------------------------------------------------------------------ which records an actor sees


def _ids(model: Any, clause: ColumnElement[bool]) -> Any:
    return select(model.id).where(clause)


def _applications(actor: Any) -> ColumnElement[bool]:
    r = actor.role
    if r == OFFICER or r == AUDITOR:
        return Application.district == actor.district
    if r == REVIEWER:  # the district's applications of enterprises in its town/park
        return and_(
            Application.district == actor.district,
            Application.enterprise_id.in_(select(Enterprise.id).where(Enterprise.town == actor.town)),
        )
    if r == EXPERT:  # assigned to it in its district, never an enterprise it declared a tie with
        assigned = select(ExpertAssignment.application_id).where(ExpertAssignment.expert_id == actor.id)
        return and_(
            Application.district == actor.district,
            Application.id.in_(assigned),
            Application.enterprise_id.not_in(tied_enterprises(actor.id)),
        )
    if r == ENTERPRISE:
        return Application.enterprise_id == actor.enterprise_id
    return false()


def _enterprises(actor: Any) -> ColumnElement[bool]:
    r = actor.role
    if r in (OFFICER, AUDITOR, EXPERT, REVIEWER):
        # registered in the district, or applying in its rounds
        here = or_(
            Enterprise.district == actor.district,
            Enterprise.id.in_(select(Application.enterprise_id).where(Application.district == actor.district)),
        )
        return and_(here, Enterprise.town == actor.town) if r == REVIEWER else here
    if r == ENTERPRISE:
        return Enterprise.id == actor.enterprise_id
    return false()


def _rounds(actor: Any) -> ColumnElement[bool]:
    if actor.role == ENTERPRISE:
        return Round.state != "draft"  # published calls, of every district: anyone may apply (eligibility decides)
    return Round.district == actor.district


def _district_books(model: Any) -> Any:
    """Records only a district's officers and auditors (and the administrator) read."""

    def clause(actor: Any) -> ColumnElement[bool]:
        return model.district == actor.district if actor.role in (OFFICER, AUDITOR) else false()

    return clause


def _of_visible_applications(model: Any, *, district_readers: bool = False) -> Any:
    """Records that belong to an application: seen with it (``district_readers``: by the district's
    officers and auditors through their own ``district`` column, by an enterprise with its
    applications, by no-one else)."""

    def clause(actor: Any) -> ColumnElement[bool]:
        if district_readers:
            if actor.role in (OFFICER, AUDITOR):
                return model.district == actor.district
            if actor.role != ENTERPRISE:
                return false()
        return model.application_id.in_(_ids(Application, _applications(actor)))

    return clause


def _assignments(actor: Any) -> ColumnElement[bool]:
    """Expert assignments: with their application; an expert sees its own only (not its peers' scores)."""
    seen = ExpertAssignment.application_id.in_(_ids(Application, _applications(actor)))
    return and_(seen, ExpertAssignment.expert_id == actor.id) if actor.role == EXPERT else seen


def _notices(actor: Any) -> ColumnElement[bool]:
    if actor.role in (OFFICER, AUDITOR):
        return NoticeBatch.district == actor.district
    # a public notice is public; a reviewer's, expert's or enterprise's lists show what concerns it
    return NoticeBatch.id.in_(select(Application.notice_batch_id).where(_applications(actor)))


def _credit_records(actor: Any) -> ColumnElement[bool]:
    if actor.role in (OFFICER, AUDITOR):  # a record from before districts were recorded counts everywhere
        return or_(CreditRecord.district == actor.district, CreditRecord.district.is_(None))
    return false()


def _ties(actor: Any) -> ColumnElement[bool]:
    if actor.role in (OFFICER, AUDITOR):
        return ExpertTie.district == actor.district
    if actor.role == EXPERT:
        return ExpertTie.expert_id == actor.id
    return false()


def _users(actor: Any) -> ColumnElement[bool]:
    if actor.role in (OFFICER, AUDITOR):  # the district's staff, and the users of the enterprises it sees
        return or_(
            and_(User.district == actor.district, User.role != ADMIN),
            User.enterprise_id.in_(_ids(Enterprise, _enterprises(actor))),
        )
    return User.id == actor.id


def _audit(actor: Any) -> ColumnElement[bool]:
    if actor.role in (OFFICER, AUDITOR):
        return audit.AuditEntry.district == actor.district
    return false()


def _facts(actor: Any) -> ColumnElement[bool]:
    """An enterprise's record: the enterprise itself; the staff who see the enterprise."""
    if actor.role in (OFFICER, AUDITOR):
        return EnterpriseFact.enterprise_id.in_(_ids(Enterprise, _enterprises(actor)))
    if actor.role == ENTERPRISE:
        return EnterpriseFact.enterprise_id == actor.enterprise_id
    return false()


def _matches(actor: Any) -> ColumnElement[bool]:
    if actor.role in (OFFICER, AUDITOR):
        return MatchResult.district == actor.district
    if actor.role == ENTERPRISE:
        return MatchResult.enterprise_id == actor.enterprise_id
    return false()


def _notifications(actor: Any) -> ColumnElement[bool]:
    """One's own notifications; a district's officers and auditors also the district's (delivery)."""
    own = Notification.user_id == actor.id
    if actor.role in (OFFICER, AUDITOR):
        return or_(own, Notification.district == actor.district)
    return own


def _prefs(actor: Any) -> ColumnElement[bool]:
    if actor.role in (OFFICER, AUDITOR):
        return NotificationPref.enterprise_id.in_(_ids(Enterprise, _enterprises(actor)))
    if actor.role == ENTERPRISE:
        return NotificationPref.enterprise_id == actor.enterprise_id
    return false()


FILTERS: dict[type, Any] = {
    Application: _applications,
    Enterprise: _enterprises,
    Round: _rounds,
    NoticeBatch: _notices,
    Objection: _of_visible_applications(Objection),
    PaymentBatch: _district_books(PaymentBatch),
    ImportRun: _district_books(ImportRun),
    CreditRecord: _credit_records,
    ExpertTie: _ties,
    User: _users,
    audit.AuditEntry: _audit,
    ChangeRequest: _of_visible_applications(ChangeRequest, district_readers=True),
    Revocation: _of_visible_applications(Revocation, district_readers=True),
    Receivable: _of_visible_applications(Receivable, district_readers=True),
    Payment: _of_visible_applications(Payment),
    Instalment: _of_visible_applications(Instalment),
    MaterialFile: _of_visible_applications(MaterialFile),
    ReviewOpinion: _of_visible_applications(ReviewOpinion),
    ExpertAssignment: _assignments,
    Decision: _of_visible_applications(Decision),
    CreditOverride: _of_visible_applications(CreditOverride),
    ProgressReport: _of_visible_applications(ProgressReport),
    EnterpriseFact: _facts,
    MatchResult: _matches,
    Notification: _notifications,
    NotificationPref: _prefs,
    Deadline: _of_visible_applications(Deadline, district_readers=True),
    Award: _of_visible_applications(Award, district_readers=True),
    AwardExtension: _of_visible_applications(AwardExtension, district_readers=True),
    PolicyVersion: _district_books(PolicyVersion),
}


def visible(actor: Any, model: type) -> ColumnElement[bool]:
    """The records of ``model`` the actor may see, as a WHERE clause (self-contained: no join
    needed). The administrator sees everything; a user without its scope nothing."""
    if model not in FILTERS:
        raise KeyError(f"no access rule for {model.__name__}")
    if actor is None or not has_scope(actor):
        return false()
    if actor.role == ADMIN:
        return true()
    return FILTERS[model](actor)


PUBLIC: dict[type, Any] = {
    # a public notice (公示) is published to everyone ("由区科委向社会公示"): every batch, no log-in
    NoticeBatch: lambda: true(),
}


def public(model: type) -> ColumnElement[bool]:
    """The records of ``model`` anyone may read without logging in (a WHERE clause); none for a
    model not in :data:`PUBLIC`."""
    rule = PUBLIC.get(model)
    return rule() if rule is not None else false()


LABELS: dict[type, tuple[str, str]] = {
    Application: ("申报", "application"),
    Enterprise: ("企业", "enterprise"),
    Round: ("申报批次", "round"),
    NoticeBatch: ("公示批次", "notice batch"),
    Objection: ("异议", "objection"),
    PaymentBatch: ("拨付批次", "payment batch"),
    ImportRun: ("导入记录", "import"),
    CreditRecord: ("失信记录", "credit record"),
    ExpertTie: ("回避记录", "tie"),
    User: ("用户", "user"),
    audit.AuditEntry: ("审计条目", "audit entry"),
    ChangeRequest: ("变更申请", "change request"),
    Revocation: ("撤销记录", "revocation"),
    Receivable: ("应收回款项", "receivable"),
    Payment: ("拨付记录", "payment"),
    Instalment: ("拨付计划", "instalment"),
    MaterialFile: ("文件", "file"),
    ReviewOpinion: ("审核意见", "opinion"),
    ExpertAssignment: ("专家分配", "assignment"),
    Decision: ("立项决定", "decision"),
    CreditOverride: ("信用审查意见", "credit override"),
    ProgressReport: ("进展报告", "progress report"),
    EnterpriseFact: ("企业档案事实", "record fact"),
    MatchResult: ("匹配结果", "match"),
    Notification: ("通知", "notification"),
    NotificationPref: ("通知设置", "notification settings"),
    Deadline: ("截止日期", "deadline"),
    Award: ("已核定的支持", "award"),
    AwardExtension: ("延期记录", "extension"),
    PolicyVersion: ("政策版本", "policy version"),
}


def as_id(ident: Any) -> int | None:
    """``ident`` as a record id (1 … 2³¹−1), or None: a bool, a float (1.5 is not 1), a string that is
    not all digits, or a number no key column holds names no record."""
    if isinstance(ident, bool):
        return None
    if isinstance(ident, int):
        key = ident
    elif isinstance(ident, str) and ident.strip().isdigit() and len(ident.strip()) <= 12:
        key = int(ident.strip())
    else:
        return None
    return key if 1 <= key <= MAX_ID else None


def not_found(model: type, ident: Any, *, field: str = "id") -> NotFound:
    zh, en = LABELS.get(model, (model.__name__, model.__name__))
    return NotFound(f"{zh}不存在或无权查看：{ident}", f"no such {en}, or you may not see it: {ident}", field=field)


def get(session: Session, actor: Any, model: type[M], ident: Any, *, field: str = "id", lock: bool = False) -> M:
    """The record if the actor may see it, else NotFound (also for a record that does not exist:
    existence is not disclosed). ``lock``: read it again FOR UPDATE (after the scope check)."""
    key = as_id(ident)
    if key is None:  # not a whole number, or beyond the 32-bit key columns: it names no record
        raise not_found(model, ident, field=field)
    seen = select(model.id).where(model.id == key, visible(actor, model))  # type: ignore[attr-defined]
    if session.execute(seen).first() is None:
        raise not_found(model, ident, field=field)
    obj = session.get(model, key, with_for_update=True, populate_existing=True) if lock else session.get(model, key)
    if obj is None:  # deleted in between
        raise not_found(model, ident, field=field)
    return obj


def require_visible(session: Session, actor: Any, record: Any, *, field: str = "id") -> None:
    """Raise NotFound unless the actor may see ``record`` (a row already loaded)."""
    model = type(record)
    if session.execute(select(model.id).where(model.id == record.id, visible(actor, model))).first() is None:
        raise not_found(model, record.id, field=field)


def check(session: Session, actor: Any, action: str, record: Any, *, field: str = "id") -> None:
    """Both questions for one record: in scope (else 404), then the role (else 403)."""
    require_visible(session, actor, record, field=field)
    authorize(actor, action)


# ------------------------------------------------------------------ creating users: never more reach than one's own


def check_new_user(
    session: Session, actor: Any, *, role: str, district: str | None, town: str | None, enterprise_id: int | None
) -> str | None:
    """Who may create which user, and with which scope. Returns the district the new user gets.

    * The administrator creates any user, each with the scope its role needs.
    * A district officer creates users only inside its district (the district defaults to its
      own): officers, reviewers, experts and auditors of its district, and enterprise users for an
      enterprise it can see that is registered in its district — never an administrator, nor
      anyone of another district or without one. (An enterprise registered elsewhere that applies
      in the district's rounds is visible to its officers, but its log-ins are its own district's
      business: a log-in would reach its applications in every district.)
    """
    authorize(actor, "user.create")
    if actor.role == OFFICER:
        if role == ADMIN:
            raise PermissionDenied(
                "区级经办人不能创建系统管理员", "a district officer cannot create an administrator", field="role"
            )
        if role == ENTERPRISE:
            ent = get(session, actor, Enterprise, enterprise_id, field="enterprise")  # 404 unless the officer sees it
            require_district(
                actor,
                ent.district,
                what=("为企业创建用户（该企业注册在其他区）", "create users for enterprises registered there"),
                field="enterprise",
            )
            district = None
        else:
            district = district or actor.district
            require_district(actor, district, what=("创建用户", "create users"))
    return district
